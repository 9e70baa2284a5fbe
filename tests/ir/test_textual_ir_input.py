"""Textual IR given to ``forgec`` is input like an .onnx file: bad text is one ``forgec: error:`` line
(exit 1, never the internal-error exit 70, no output), and text that parses but describes a model
the importer would refuse (weights shorter than their type, an unknown opset or IR version) is
refused too instead of being written.

Every case edits one spot of the IR that a tiny model (y = x + w, w: float[20]) prints as.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.utils.exceptions import VerifyException

from onnxforge.cli.forgec import main
from onnxforge.compiler import to_ir
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.text import print_ir
from onnxforge.onnxio.loader import from_proto

T = "!onnx.tensor<[20], f32>"


def _good_ir() -> str:
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [20])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [20])],
        [numpy_helper.from_array(np.arange(20, dtype=np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return print_ir(to_ir(from_proto(model)), weights=True)


GOOD = _good_ir()
HEX = re.search(r'"0x([0-9a-f]+)"', GOOD).group(1)  # type: ignore[union-attr]


def _edit(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) == 1, old
        return text.replace(old, new)
    return edit


BAD: dict[str, tuple[Callable[[str], str] | bytes, str]] = {
    "two-results-bound": (_edit('%2 = "onnx.Add"', '%2, %9 = "onnx.Add"'), "was given 2"),
    "two-results-typed": (lambda t: t.replace(f"-> {T} loc", f"-> ({T}, {T}) loc").replace('%2 = "onnx.Add"', '%2:2 = "onnx.Add"')
                          .replace('"onnx.return"(%2)', '"onnx.return"(%2#0)'), "Expected 1 result, but got 2"),
    "hex-too-short": (_edit(HEX, HEX[:-8]), "76 bytes of data for f32 [20], which needs 80"),
    "hex-odd-length": (_edit(HEX, HEX[:-1]), "not valid hex"),
    "hex-bad-digit": (_edit(HEX, "zz" + HEX[2:]), "not valid hex"),
    "hex-no-prefix": (_edit(f'"0x{HEX}"', f'"{HEX}"'), "0x"),
    "values-wrong-count": (_edit(f'"0x{HEX}"', "[1.0, 2.0]"), "holds 2 values, its shape [20] needs 20"),
    "huge-i64-property": (_edit("ir_version = 8 : i64", "ir_version = 99999999999999999999999999 : i64"), "out of range"),
    "huge-dense-dim": (_edit("f32 [20] =", "f32 [99999999999999999999999] ="), "dimensions must be in"),
    "huge-type-dim": (lambda t: t.replace(T, "!onnx.tensor<[99999999999999999999999], f32>"), "does not fit in an int64"),
    "huge-i64-value": (lambda t: t.replace(f'"0x{HEX}"', "[" + ", ".join(["1"] * 19 + ["99999999999999999999999"]) + "]")
                       .replace("f32 [20]", "i64 [20]").replace(T, "!onnx.tensor<[20], i64>"), "99999999999999999999999 is not a i64"),
    "deep-nesting": (_edit("ir_version = 8 : i64", "ir_version = 8 : i64, deep = " + "[" * 5000 + "]" * 5000), "nested too deeply"),
    "invalid-utf8": (GOOD.encode().replace(b'name = "g"', b'name = "\xff\xfe"'), "not valid UTF-8"),
    "opset-99": (_edit('"" = 17', '"" = 99'), "opset 99 of domain 'ai.onnx' is not supported"),
    "ir-version-99": (_edit("ir_version = 8", "ir_version = 99"), "IR version 99 is not supported"),
}


@pytest.mark.parametrize("emit", ["onnx", "ir"])
@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_textual_ir_is_one_error_line(case: str, emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, needle = BAD[case]
    source = tmp_path / "in.mlir"
    if isinstance(make, bytes):
        source.write_bytes(make)
    else:
        source.write_text(make(GOOD))
    before = source.read_bytes()
    out = tmp_path / "out" / ("OUT.onnx" if emit == "onnx" else "OUT.mlir")
    out.parent.mkdir()

    rc = main([str(source), "-o", str(out), "--pipeline=auto", *(["--emit=ir"] if emit == "ir" else [])])
    err = capsys.readouterr().err

    lines = err.splitlines()
    assert rc == 1, err
    assert len(lines) == 1 and lines[0].startswith("forgec: error: ") and "in.mlir" in lines[0], err
    assert needle in lines[0], lines[0]
    assert list(out.parent.iterdir()) == []
    assert source.read_bytes() == before


def test_good_textual_ir_still_compiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the unedited text compiles, so each case above fails for its own edit."""
    source = tmp_path / "in.mlir"
    source.write_text(GOOD)

    rc = main([str(source), "-o", str(tmp_path / "OUT.onnx"), "--pipeline=auto"])

    assert rc == 0, capsys.readouterr().err


def test_split_input_file_checks_each_chunk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.mlir"
    source.write_text(GOOD + "// -----\n" + GOOD.replace(HEX, HEX[:-8]))

    rc = main([str(source), "--split-input-file", "--emit=ir", "--pipeline=none"])
    captured = capsys.readouterr()

    assert rc == 1 and captured.out == "" and "(chunk 1)" in captured.err and "which needs 80" in captured.err


@pytest.mark.parametrize(("value", "problem"), [
    (TensorValue(TensorProto.FLOAT, (2,), raw=memoryview(b"\0" * 4)), "4 bytes of data for f32 [2], which needs 8"),
    (TensorValue(TensorProto.INT4, (3,), raw=memoryview(b"\0" * 1)), "1 bytes of data for int4 [3], which needs 2"),
    (TensorValue(TensorProto.STRING, (2,), strings=(b"a",)), "1 strings for shape [2]"),
])
def test_dense_attr_refuses_data_of_the_wrong_size(value: TensorValue, problem: str) -> None:
    """Not only text: no tensor attribute can be built whose bytes do not match its type and shape."""
    with pytest.raises(VerifyException, match=re.escape(problem)):
        DenseAttr(value)
