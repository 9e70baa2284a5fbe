"""Provenance: node names, what a fused op replaced (a ``FusedLoc``), module paths of both torch exporters,
and the flattening to node names and ``metadata_props`` the exporter writes and the importer reads back."""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper
from xdsl.dialects.builtin import DictionaryAttr, FusedLoc, NameLoc, StringAttr, UnknownLoc
from xdsl.ir import Operation

from onnxforge.compiler import to_ir
from onnxforge.dialects.context import parse_ir
from onnxforge.ir import provenance
from onnxforge.ir.provenance import (
    METADATA_ATTR,
    exported,
    fused_from,
    location,
    module_path,
    name_or_kind,
    node_name,
    record_replacement,
    replaced_names,
    set_imported,
    sources,
    truncate,
)
from onnxforge.ir.text import print_ir
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.onnxio.loader import from_proto

_IR = """
"builtin.module"() ({
  "onnx.model"() <{ir_version = 8 : i64, opset_import = {"" = 17 : i64}}> ({
    "onnx.graph"() <{name = "g", input_names = ["x"], output_names = ["y"], output_types = [!onnx.tensor<[2], f32>]}> ({
    ^bb0(%x: !onnx.tensor<[2], f32>):
      %a = "onnx.Neg"(%x) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32> loc("/encoder/layer.0/mlp/Neg")
      %b = "onnx.Relu"(%a) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32> loc("/encoder/layer.0/mlp/act/Relu")
      %c = "onnx.Abs"(%b) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32>
      %y = "onnx.Exp"(%c) : (!onnx.tensor<[2], f32>) -> !onnx.tensor<[2], f32> loc("/encoder/layer.1/Exp")
      "onnx.return"(%y) : (!onnx.tensor<[2], f32>) -> ()
    }) : () -> ()
  }) : () -> ()
}) : () -> ()
"""


def _ops() -> list[Operation]:
    module = parse_ir(_IR)
    return [op for op in module.walk() if op.name in ("onnx.Neg", "onnx.Relu", "onnx.Abs", "onnx.Exp")]


def test_imported_node_names_are_name_locations() -> None:
    neg, relu, abs_, _ = _ops()
    assert node_name(neg) == "/encoder/layer.0/mlp/Neg" and replaced_names(neg) == [] and fused_from(neg) is None
    assert node_name(abs_) == "" and name_or_kind(abs_) == "onnx.Abs"
    assert sources([neg, relu, abs_]) == ["/encoder/layer.0/mlp/Neg", "/encoder/layer.0/mlp/act/Relu"]


def test_location_forms() -> None:
    named = location("n")
    assert isinstance(named, NameLoc) and named.desc.data == "n"
    assert isinstance(location(""), UnknownLoc)
    fused = location("f", ["a", "b", "a"])
    assert isinstance(fused, FusedLoc)
    assert [loc.desc.data for loc in fused.locations.data] == ["f", "a", "b"]  # duplicates dropped, order kept


def test_record_replacement_names_the_main_op_after_the_anchor_and_lists_what_was_replaced() -> None:
    neg, relu, abs_, exp = _ops()
    neg.attributes[METADATA_ATTR] = DictionaryAttr({"scope": StringAttr("mlp")})
    record_replacement([abs_, exp], [neg, relu], anchor=neg, main=exp)
    assert node_name(exp) == "/encoder/layer.0/mlp/Neg" and node_name(abs_) == "/encoder/layer.0/mlp/Neg/Abs_0"
    for op in (abs_, exp):
        assert replaced_names(op) == ["/encoder/layer.0/mlp/Neg", "/encoder/layer.0/mlp/act/Relu"]
        assert op.attributes[METADATA_ATTR] == neg.attributes[METADATA_ATTR]  # the anchor's metadata travels
    # Replacing a fused op names the exported nodes behind it, not the fused op's own name.
    (_, _, later, _) = _ops()
    record_replacement([later], [exp], anchor=exp)
    assert replaced_names(later) == ["/encoder/layer.0/mlp/Neg", "/encoder/layer.0/mlp/act/Relu"]


def test_module_paths_of_both_exporters() -> None:
    neg, relu, abs_, exp = _ops()
    assert module_path(neg) == "encoder/layer.0/mlp" and module_path(relu) == "encoder/layer.0/mlp/act"
    assert module_path(abs_) == "" and module_path(exp) == "encoder/layer.1"
    # A fused op lives in the innermost module holding everything it replaced, whatever its own name.
    record_replacement([abs_], [neg, relu], anchor=relu)
    assert node_name(abs_) == "/encoder/layer.0/mlp/act/Relu" and module_path(abs_) == "encoder/layer.0/mlp"
    record_replacement([exp], [neg, exp], anchor=neg)
    assert module_path(exp) == "encoder"
    # dynamo: the scopes in node metadata, the last one the FX node.
    scopes = "['', 'encoder', 'encoder.layer.0', 'encoder.layer.0.mlp', 'relu']"
    set_imported(relu, "node_relu", {provenance.NAME_SCOPES: scopes})
    assert module_path(relu) == "encoder/layer.0/mlp" and provenance.fx_node(relu) == scopes
    assert truncate("encoder/layer.0/mlp", 2) == "encoder/layer.0" and truncate("encoder/layer.0", 0) == ""


def test_exported_and_imported_forms_round_trip() -> None:
    neg, relu, abs_, _ = _ops()
    record_replacement([abs_], [neg, relu], anchor=neg)
    name, props = exported(abs_)
    assert name == "/encoder/layer.0/mlp/Neg"
    assert props == {provenance.FUSED_FROM: "/encoder/layer.0/mlp/Neg,/encoder/layer.0/mlp/act/Relu"}
    (_, _, fresh, _) = _ops()
    set_imported(fresh, name, props)
    assert fresh.location == abs_.location and METADATA_ATTR not in fresh.attributes


def test_a_compiled_model_keeps_its_fusion_record_through_export_and_import() -> None:
    """The exporter writes the replaced names to metadata_props; importing that model reads them back."""
    graph = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["n"], name="first"), helper.make_node("Neg", ["n"], ["y"], name="second")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    module = to_ir(from_proto(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])))
    first, second = (op for op in module.walk() if op.name == "onnx.Neg")
    record_replacement([second], [first, second], anchor=second)
    proto = to_model_proto(module)
    node = proto.graph.node[-1]
    assert node.name == "second"
    assert {p.key: p.value for p in node.metadata_props} == {provenance.FUSED_FROM: "first,second"}
    again = to_ir(from_proto(onnx.load_from_string(proto.SerializeToString())))
    last = [op for op in again.walk() if op.name == "onnx.Neg"][-1]
    assert replaced_names(last) == ["first", "second"] and 'loc(fused["second", "first", "second"])' in print_ir(again)
