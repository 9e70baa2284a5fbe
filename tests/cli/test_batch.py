"""``forgec batch DIR_OR_LIST``: the corpus runner.

Contracts: a directory gives every ``*.onnx`` below it, sorted by relative path; a list file names models
relative to itself, with ``#`` comments; each model is compiled in its own process, so a corrupt model is
a failed row with forgec's one-line error and the others still compile; exit 1 when any model failed, the
table written either way, a summary line on stderr; md, json and csv carry the same rows and a total row;
``--jobs 2`` gives the rows of ``--jobs 1``; peers are columns (a peer that is not installed is a note);
``--ray ADDRESS`` runs the same tasks on a Ray cluster with the same node counts; nothing is written next
to the inputs; bad requests are one ``forgec: error:`` line before any work.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.forgec import SUBCOMMANDS
from onnxforge.cli.forgec import main as forgec

MODELS = {"bert_dynamo.onnx": "bert_dynamo", "resnet_ts.onnx": "resnet_ts", "vision/vit_ts.onnx": "vit_ts"}
"""Row name → fixture: one model a directory down, so the walk is recursive and names are relative."""
ROWS = ["bert_dynamo.onnx", "corrupt.onnx", "resnet_ts.onnx", "vision/vit_ts.onnx"]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for name, fixture in MODELS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / f"{fixture}.onnx", root / name)
    (root / "corrupt.onnx").write_bytes(b"\x08\x0a\x12\xff" + bytes(range(256)) * 4)  # a truncated protobuf
    (root / "old.forge.onnx").write_bytes(b"")  # a forgec output: never an input
    return root


@pytest.fixture(scope="module")
def local_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, set[str]]:  # type: ignore[type-arg]
    """The corpus compiled and verified one model at a time, as JSON: (exit status, table, files after)."""
    table = tmp_path_factory.mktemp("tables") / "batch.json"
    code = forgec(["batch", str(corpus), "--format", "json", "--table", str(table), "--jobs", "1", "-q"])
    return code, json.loads(table.read_text()), _files(corpus)


def _batch(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = forgec(["batch", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _markdown_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]


def test_registered() -> None:
    assert SUBCOMMANDS["batch"] == "onnxforge.cli.batch"


def test_directory_rows_and_corrupt_model(local_run: tuple[int, dict, set[str]], corpus: Path) -> None:  # type: ignore[type-arg]
    code, table, files_after = local_run
    rows = {row["model"]: row for row in table["models"]}
    assert code == 1
    assert [row["model"] for row in table["models"]] == ROWS
    corrupt = rows["corrupt.onnx"]
    assert not corrupt["ok"] and corrupt["forgec"]["exit"] == 1 and corrupt["forgec"]["nodes"] is None
    assert corrupt["forgec"]["error"].startswith("error: ") and "not a valid ONNX model" in corrupt["forgec"]["error"]
    assert "\n" not in corrupt["forgec"]["error"]
    for name in MODELS:
        row = rows[name]
        assert row["ok"] and row["verify"] == "ok" and row["forgec"]["error"] is None, row
        assert row["producer"].startswith("pytorch")
        assert 0 < row["forgec"]["nodes"] <= row["nodes_before"]
        assert row["forgec"]["peak_mb"] > 10 and row["forgec"]["seconds"] > 0 and row["compile_seconds"] > 0
        assert row["forgec"]["output"] is None  # a temporary directory, gone
    total = table["total"]
    assert (total["models"], total["ok"], total["failed"], total["common"]) == (4, 3, 1, 3)
    assert total["nodes_before"] == sum(rows[n]["nodes_before"] for n in MODELS)
    assert total["verified"] == "3/4"
    assert files_after == {*MODELS, "vision", "corrupt.onnx", "old.forge.onnx"}  # nothing next to the inputs


def test_markdown_with_two_jobs_gives_the_same_rows(capsys: pytest.CaptureFixture[str], corpus: Path,
                                                    local_run: tuple[int, dict, set[str]]) -> None:  # type: ignore[type-arg]
    code, out, err = _batch(capsys, str(corpus), "--jobs", "2", "--no-verify")
    assert code == 1
    header, *body = _markdown_rows(out)
    assert header[:4] == ["model", "producer", "nodes before", "forgec nodes"]
    assert [row[0] for row in body] == [*ROWS, "total (3/4)"]
    expected = {row["model"]: (str(row["nodes_before"] or "-"), str(row["forgec"]["nodes"] or "-"))
                for row in local_run[1]["models"]}
    assert {row[0]: (row[2], row[3]) for row in body[:-1]} == expected
    assert [row[header.index("status")] for row in body[:-1]] == ["ok", "failed", "ok", "ok"]
    assert "not a valid ONNX model" in body[1][header.index("notes")]
    assert err.strip().splitlines()[-1].startswith("forgec batch: 4 models, 3 ok, 1 failed, ")
    assert _files(corpus) == local_run[2]


def test_list_file_relative_to_itself_as_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models").mkdir()
    shutil.copy(FIXTURES / "resnet_ts.onnx", tmp_path / "models" / "resnet_ts.onnx")
    (tmp_path / "lists").mkdir()
    listing = tmp_path / "lists" / "corpus.txt"
    listing.write_text("# the corpus\n\n../models/resnet_ts.onnx   # a CNN\n")
    monkeypatch.chdir(tmp_path)  # ../models from here is not the models: the entries resolve against the list
    out_dir = tmp_path / "compiled"
    code, out, _ = _batch(capsys, str(listing), "--format", "csv", "--no-verify", "-o", str(out_dir), "-q")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.split("\n", 1)[1])))
    assert rows[0][:4] == ["model", "producer", "nodes before", "forgec nodes"]
    assert [row[0] for row in rows[1:]] == ["resnet_ts.onnx", "total (1/1)"]
    assert int(rows[1][3]) < int(rows[1][2]) and rows[1][rows[0].index("verify")] == "off"
    assert (out_dir / "resnet_ts.forge.onnx").is_file()  # -o keeps the outputs; the inputs' directory untouched
    assert _files(tmp_path / "models") == {"resnet_ts.onnx"}


def test_peers_are_columns(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    pytest.importorskip("onnxslim")
    code, out, _ = _batch(capsys, str(corpus / "resnet_ts.onnx"), "--peers", "onnxslim", "--no-verify",
                          "--format", "json", "-q")
    assert code == 0
    (row,) = json.loads(out)["models"]
    slim = row["peers"]["onnxslim"]
    assert slim["error"] is None and 0 < slim["nodes"] <= row["nodes_before"] and slim["seconds"] > 0
    assert json.loads(out)["total"]["peer_nodes"] == {"onnxslim": slim["nodes"]}


def test_missing_peer_is_a_note(capsys: pytest.CaptureFixture[str], corpus: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # forgec runs as sys.executable; no peer on this PATH
    code, out, _ = _batch(capsys, str(corpus / "resnet_ts.onnx"), "--peers", "onnxsim", "--no-verify", "-q")
    assert code == 0
    header, row, total = _markdown_rows(out)
    assert row[header.index("onnxsim nodes")] == "-" and row[header.index("notes")] == "onnxsim: not installed"
    assert total[0] == "total (0/1)"


def test_latency_ratios(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    code, out, _ = _batch(capsys, str(corpus / "resnet_ts.onnx"), "--no-verify", "--latency", "--repeats", "3",
                          "--warmup", "1", "--format", "json", "-q")
    assert code == 0
    table = json.loads(out)
    (row,) = table["models"]
    assert set(row["latency_ms"]) == {"original", "forgec"} and all(v > 0 for v in row["latency_ms"].values())
    assert table["total"]["latency_geomean"]["forgec"] > 0


@pytest.mark.parametrize(("argv", "message"), [
    (["--peers", "onnxopt"], "unknown peer 'onnxopt'"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--pipeline", "no-such-pipeline"], "no-such-pipeline"),
    (["--dim", "batch"], "--dim expects NAME=INTEGER"),
])
def test_bad_requests(capsys: pytest.CaptureFixture[str], corpus: Path, argv: list[str], message: str) -> None:
    code, out, err = _batch(capsys, str(corpus), *argv)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("forgec: error: ") and message in err


def test_no_models(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _batch(capsys, str(tmp_path))
    assert code == 1 and err.startswith("forgec: error: no .onnx models in ")
    code, _, err = _batch(capsys, str(tmp_path / "absent"))
    assert code == 1 and err.strip() == f"forgec: error: {tmp_path / 'absent'}: no such file or directory"


def test_ray_missing(capsys: pytest.CaptureFixture[str], corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    code, out, err = _batch(capsys, str(corpus), "--ray", "auto")
    assert code == 1 and out == ""
    assert err.strip() == ("forgec: error: --ray needs the ray package, which is not installed "
                           "(pip install 'onnxforge[ray]')")


def test_ray_cluster_gives_the_local_node_counts(corpus: Path, local_run: tuple[int, dict, set[str]]) -> None:  # type: ignore[type-arg]
    """A local Ray instance started here; forgec batch connects to it as a driver of its own (a process)."""
    ray = pytest.importorskip("ray")
    import logging

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        address = ray.get_runtime_context().gcs_address
        models = [str(corpus / "resnet_ts.onnx"), str(corpus / "bert_dynamo.onnx")]
        done = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", "batch", *models, "--ray", address,
                               "--format", "json", "--no-verify"], capture_output=True, text=True, timeout=120)
    finally:
        ray.shutdown()
    assert done.returncode == 0, done.stderr
    rows = {row["model"]: row for row in json.loads(done.stdout)["models"]}
    local = {row["model"]: row for row in local_run[1]["models"]}
    assert set(rows) == {"resnet_ts.onnx", "bert_dynamo.onnx"}
    for name, row in rows.items():
        assert row["ok"] and (row["nodes_before"], row["forgec"]["nodes"]) == (local[name]["nodes_before"],
                                                                              local[name]["forgec"]["nodes"])
        assert row["forgec"]["peak_mb"] > 10
