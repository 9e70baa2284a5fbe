"""The generated onnx dialect: in sync with the installed schemas, and structurally sound."""

from __future__ import annotations

import re
import subprocess
import sys

import onnx
import pytest
from onnx import defs
from paths import ROOT

from onnxforge.dialects.onnx import op_class_for
from onnxforge.dialects.onnx.base import Arity
from onnxforge.dialects.onnx.generated import GENERATED_OPS

GENERATED_FROM = re.search(r"from onnx (\S+) schemas",
                           (ROOT / "onnxforge" / "dialects" / "onnx" / "generated.py").read_text()).group(1)
"""The onnx release the dialect was generated from; pyproject.toml allows a range around it."""
NEWEST_IN_TABLE = {
    domain: max(v for op in GENERATED_OPS if op.SIGNATURE.domain == domain for v in op.SIGNATURE.since_versions)
    for domain in ("", "ai.onnx.ml")
}


@pytest.mark.skipif(onnx.__version__ != GENERATED_FROM,
                    reason=f"the dialect is generated from onnx {GENERATED_FROM}, onnx {onnx.__version__} is installed")
def test_generated_dialect_matches_the_schemas() -> None:
    """Fails when the generator's onnx is upgraded (or the file hand-edited) without regenerating. Under
    another onnx of pyproject's range there is nothing to compare: ops the table lacks are custom ops."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_onnx_dialect.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_schema_version_resolves_to_a_class() -> None:
    """Every schema of the installed onnx up to the table's newest version per domain (an older onnx
    has a subset; a newer one's later versions import as custom ops, tests/onnxio/test_future_ops.py)."""
    for schema in defs.get_all_schemas_with_history():
        if schema.domain not in NEWEST_IN_TABLE or schema.since_version > NEWEST_IN_TABLE[schema.domain]:
            continue
        op_class = op_class_for(schema.domain, schema.name, schema.since_version)
        assert op_class is not None, (schema.domain, schema.name, schema.since_version)
        sig = op_class.SIGNATURE
        assert [p.name for p in sig.inputs] == [p.name for p in schema.inputs]
        assert sorted(a.name for a in sig.attributes) == sorted(schema.attributes)


def test_old_signatures_get_their_own_class() -> None:
    """Squeeze-11 takes axes as an attribute, Squeeze-13 as an input: one class each."""
    old, new = op_class_for("", "Squeeze", 11), op_class_for("", "Squeeze", 13)
    assert old is not None and new is not None and old is not new
    assert old.name == "onnx.Squeeze_v1" and new.name == "onnx.Squeeze"
    assert old.SIGNATURE.attribute("axes") is not None and new.SIGNATURE.attribute("axes") is None
    assert [p.arity for p in new.SIGNATURE.inputs] == [Arity.SINGLE, Arity.OPTIONAL]


def test_ml_domain_and_subgraph_ops() -> None:
    names = {op.name for op in GENERATED_OPS}
    assert "onnx.ml.TreeEnsembleClassifier" in names
    if_op = op_class_for("", "If", defs.get_schema("If").since_version)
    assert if_op is not None and if_op.SIGNATURE.graph_attributes == ("else_branch", "then_branch")


# --- a known op with too few inputs (issue 13) ------------------------------------------------------


@pytest.mark.parametrize("argv", [["--pipeline=auto"], ["inspect"], ["--pipeline=auto", "--target-opset=23"]])
def test_missing_required_input_is_a_one_line_error(tmp_path, capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    """An ``Add`` with one input in a binary .onnx: padded with NoValue, passes would read it as a real
    operand (exit 70). The importer refuses it first, in one line naming the node and the input."""
    import onnx
    from onnx import TensorProto, helper

    from onnxforge.cli.forgec import main

    graph = helper.make_graph([helper.make_node("Add", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    path = tmp_path / "add1.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), path)
    args = ["inspect", str(path)] if argv == ["inspect"] else [str(path), "-o", str(tmp_path / "out.onnx"), *argv]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error:" in err[0] and "add1.onnx" in err[0], err
    assert "(Add): required input" in err[0] and "'B'" in err[0] and "missing" in err[0], err


def test_verifier_rejects_a_missing_required_input(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Textual IR does not go through the importer: the op's own verifier must refuse ``onnx.novalue``
    in a required position, in one line."""
    from onnxforge.cli.forgec import main

    text = """"builtin.module"() ({
  "onnx.model"() <{ir_version = 9 : i64, opset_import = {"" = 18 : i64}}> ({
    "onnx.graph"() <{name = "g", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[2], f32>]}> ({
    ^bb0(%0: !onnx.tensor<[2], f32>):
      %n = "onnx.novalue"() : () -> !onnx.none
      %1 = "onnx.Add"(%0, %n) {onnx.names = ["y"]} : (!onnx.tensor<[2], f32>, !onnx.none) -> !onnx.tensor<[2], f32>
      "onnx.return"(%1) : (!onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
"""
    path = tmp_path / "add1.mlir"
    path.write_text(text)
    out = tmp_path / "out.onnx"
    assert main([str(path), "-o", str(out), "--pipeline=auto"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Add: required input 'B' is missing" in err[0], err
    assert not out.exists()
