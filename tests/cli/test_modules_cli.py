"""``forgec modules``: the renderings, the JSON schema, before/after a pipeline, ``-o``, and bad input."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.forgec import main as forgec
from onnxforge.cli.modules import main as modules_main

BERT = FIXTURES / "bert_dynamo.onnx"
RESNET = FIXTURES / "resnet_ts.onnx"
STATS = ("nodes", "nodes_inclusive", "params", "params_inclusive", "flops", "flops_inclusive", "bytes",
         "bytes_inclusive", "ms", "ms_inclusive")


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = forgec(["modules", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _children(rows: list[dict], parent: str) -> list[dict]:  # type: ignore[type-arg]
    return [r for r in rows if r["path"] and r["path"].rpartition(".")[0] == parent]


@pytest.fixture(scope="module")
def bert_json() -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert modules_main(["modules", str(BERT), "--format=json", "--pipeline=transformer", "--target=ort"]) == 0
    return json.loads(out.getvalue())


def test_json_schema(bert_json: dict) -> None:  # type: ignore[type-arg]
    data = bert_json
    assert {"coverage", "modules", "target", "execution", "dims", "params_source", "pipeline"} <= set(data)
    assert data["target"] == "host" and data["dims"] == {"batch": 1, "sequence": 128}
    cov = data["coverage"]
    assert {"nodes", "tagged", "tagged_share", "by_source", "below_root", "below_root_share", "untagged",
            "untagged_count", "modules_from", "after"} <= set(cov)
    assert cov["nodes"] == 99 and set(cov["by_source"]) >= {"exporter", "functional", "inherited", "fused"}
    assert sum(cov["by_source"].values()) == cov["tagged"]
    rows = data["modules"]
    assert rows[0]["path"] == "" and rows[0]["depth"] == 0
    for row in rows:
        assert {"path", "class", "depth", *STATS, "after"} <= set(row)
        assert set(STATS) <= set(row["after"])
        assert row["depth"] == (row["path"].count(".") + 1 if row["path"] else 0)
        assert all(isinstance(row[k], (int, float)) and row[k] >= 0 for k in STATS)
    paths = [r["path"] for r in rows]
    assert len(paths) == len(set(paths)) and "encoder.layer.0.attention.self.query" in paths


def test_json_sums(bert_json: dict) -> None:  # type: ignore[type-arg]
    """Inclusive = own + children's inclusive (every row, both sides); node sums equal the model's."""
    rows = bert_json["modules"]
    for side in ("before", "after"):
        def pick(row: dict, key: str, side: str = side) -> float:  # type: ignore[type-arg]
            return row[key] if side == "before" else row["after"][key]

        for row in rows:
            for key in ("nodes", "flops", "bytes", "ms", "params"):
                expected = pick(row, key) + sum(pick(c, f"{key}_inclusive") for c in _children(rows, row["path"]))
                assert pick(row, f"{key}_inclusive") == pytest.approx(expected, rel=1e-9, abs=1e-12), (side, row["path"], key)
        assert sum(pick(r, "nodes") for r in rows) == pick(rows[0], "nodes_inclusive")
    assert rows[0]["nodes_inclusive"] == bert_json["coverage"]["nodes"] == 99
    assert rows[0]["after"]["nodes_inclusive"] == bert_json["coverage"]["after"]["nodes"] < 99


def test_tree_is_the_default_and_shows_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, BERT, "--pipeline=transformer", "--target=ort", "--depth=2")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("bert_dynamo.onnx: 99 nodes")
    assert any(line.startswith("coverage: 99/99 nodes tagged") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("module "))
    body = lines[header + 1:]
    assert body[0].startswith("(model)") and "99 → " in body[0]
    assert any(line.startswith("    word_embeddings ") for line in body)  # indented by depth
    assert not any(line.startswith("      ") for line in body)  # --depth=2: nothing deeper


def test_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, RESNET, "--format=md", "--depth=1")
    assert code == 0
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0].startswith("| module | depth | class | nodes |") and table[1].startswith("| --- | ---: |")
    assert len(table) == 2 + 4  # the model and its three children
    assert table[2].startswith("| (model) | 0 |")
    assert sorted(line.split(" | ")[0] for line in table[3:]) == ["| `embedder`", "| `encoder`", "| `pooler`"]


def test_depth_limits_rows_not_totals(capsys: pytest.CaptureFixture[str]) -> None:
    _, full, _ = _run(capsys, BERT, "--format=json")
    _, cut, _ = _run(capsys, BERT, "--format=json", "--depth=1")
    full_rows, cut_rows = json.loads(full)["modules"], json.loads(cut)["modules"]
    assert {r["depth"] for r in cut_rows} == {0, 1} and len(cut_rows) < len(full_rows)
    assert cut_rows[0] == full_rows[0]


def test_output_file_and_dims(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = _digest(BERT)
    target = tmp_path / "modules.json"
    code, out, err = _run(capsys, BERT, "--format=json", "--dim", "sequence=16", "--cost=orin-agx-50w", "-o", target)
    assert code == 0 and out == "" and err == ""
    data = json.loads(target.read_text())
    assert data["dims"]["sequence"] == 16 and data["target"] == "orin-agx-50w" and data["execution"] == "eager"
    _, default, _ = _run(capsys, BERT, "--format=json", "--cost=orin-agx-50w")
    assert data["modules"][0]["flops_inclusive"] < json.loads(default)["modules"][0]["flops_inclusive"]  # 16 < 128
    assert _digest(BERT) == before


@pytest.mark.parametrize("args, needle", [
    (["missing.onnx"], "missing.onnx: no such file"),
    ([str(FIXTURES)], "not a file"),
    ([str(BERT), "--dim", "sequence"], "--dim expects NAME=POSITIVE_INTEGER"),
    ([str(BERT), "--dim", "sequence=0"], "--dim expects NAME=POSITIVE_INTEGER"),
    ([str(BERT), "--pipeline=nonsense"], "nonsense"),
    ([str(BERT), "--cost=no-such-target"], "unknown target 'no-such-target'"),
    ([str(BERT), "--depth=-1"], "--depth -1"),
    ([str(BERT), "-o", str(BERT)], "refusing to overwrite the input model"),
    ([str(BERT), "-o", "/no/such/dir/out.json"], "does not exist"),
])
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    before = _digest(BERT)
    code, out, err = _run(capsys, *args)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("forgec: error: ") and needle in err, err
    assert _digest(BERT) == before


def test_not_a_model_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf \xff\xfe")
    out_file = tmp_path / "out.json"
    code, out, err = _run(capsys, junk, "-o", out_file)
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and err.startswith("forgec: error: ")
    assert not out_file.exists()
