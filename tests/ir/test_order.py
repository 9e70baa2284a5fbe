"""Program order across subgraphs: ``defined_before`` and ``read_before`` on an imported model with an If."""

from __future__ import annotations

from onnx import TensorProto, helper
from xdsl.ir import Operation

from onnxforge.compiler import to_ir
from onnxforge.ir.order import defined_before, read_before, stable_topological_order
from onnxforge.ir.provenance import node_name
from onnxforge.onnxio.loader import from_proto


def _ops() -> dict[str, Operation]:
    """a = Neg(x); c = If(cond) { then: t = Relu(a) } { else: e = Abs(x) }; b = Exp(a); y = Add(b, c)."""
    info = helper.make_tensor_value_info
    then = helper.make_graph([helper.make_node("Relu", ["a"], ["t"], name="relu")], "then", [], [info("t", TensorProto.FLOAT, [2])])
    other = helper.make_graph([helper.make_node("Abs", ["x"], ["e"], name="abs")], "else", [], [info("e", TensorProto.FLOAT, [2])])
    graph = helper.make_graph(
        [
            helper.make_node("Neg", ["x"], ["a"], name="neg"),
            helper.make_node("If", ["cond"], ["c"], name="if", then_branch=then, else_branch=other),
            helper.make_node("Exp", ["a"], ["b"], name="exp"),
            helper.make_node("Add", ["b", "c"], ["y"], name="add"),
        ],
        "g", [info("x", TensorProto.FLOAT, [2]), info("cond", TensorProto.BOOL, [])], [info("y", TensorProto.FLOAT, [2])],
    )
    module = to_ir(from_proto(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])))
    return {node_name(op): op for op in module.walk() if node_name(op)}


def test_defined_before() -> None:
    ops = _ops()
    a, b, x = ops["neg"].results[0], ops["exp"].results[0], ops["neg"].operands[0]
    assert defined_before(a, ops["exp"]) and defined_before(a, ops["relu"])  # into a subgraph
    assert defined_before(x, ops["abs"]) and defined_before(x, ops["neg"])  # a graph input, everywhere
    assert not defined_before(b, ops["if"]) and not defined_before(b, ops["exp"])  # later, or itself
    assert not defined_before(ops["relu"].results[0], ops["add"])  # a subgraph's value stays inside


def test_read_before() -> None:
    ops = _ops()
    a = ops["neg"].results[0]
    assert read_before(a, ops["exp"])  # the If (its then-branch) reads it before Exp
    assert not read_before(a, ops["if"])  # only the If itself and Exp (after it) read it
    assert not read_before(ops["exp"].results[0], ops["add"])


def test_stable_topological_order() -> None:
    assert stable_topological_order([set(), {0}, {1}]) == [0, 1, 2]  # already in order: kept
    assert stable_topological_order([{2}, set(), {1}, set()]) == [1, 2, 0, 3]  # smallest ready index first
    assert stable_topological_order([{1}, {0}, set()]) == [2]  # a cycle: stops short
    assert stable_topological_order([{1}, {0}, set()], break_cycles=True) == [2, 0, 1]  # then broken at index 0
