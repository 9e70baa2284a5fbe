"""The dim algebra, printing/parsing of dims, and the API contract of infer/apply_types."""

from __future__ import annotations

import pytest
import sympy
from paths import FIXTURES

from onnxforge.analysis.shapes import apply_types, infer, parse_dim, print_dim
from onnxforge.analysis.shapes import dims as d
from onnxforge.analysis.shapes.registry import RULES
from onnxforge.compiler import to_ir
from onnxforge.dialects.onnx.base import qualified_type
from onnxforge.dialects.onnx.generated import GENERATED_OPS
from onnxforge.dialects.onnx.structure import ModelOp
from onnxforge.ir.types import TensorType
from onnxforge.onnxio.loader import load

seq, batch = d.symbol("seq"), d.symbol("batch")


def test_same_name_same_symbol() -> None:
    assert d.symbol("seq") is seq
    assert seq.is_nonnegative and seq.is_integer and seq.is_positive is None  # a batch of 0 is legal


@pytest.mark.parametrize(
    "expr",
    [seq, 12 * seq, seq + 1, batch * seq, batch * (seq + 1), seq - 1, sympy.Min(64, seq), 3, None,
     d.symbol("batch size"), 12 * d.symbol("batch size") + batch, d.symbol("N+1") * 2, d.symbol("lambda") + 1,
     d.symbol("S") * d.symbol("E")],
)
def test_parse_dim_inverts_print_dim(expr: object) -> None:
    printed = print_dim(expr)  # type: ignore[arg-type]
    assert parse_dim(printed) == expr
    if isinstance(expr, sympy.Symbol):
        assert printed == expr.name


def test_odd_names_print_as_themselves() -> None:
    assert print_dim(d.symbol("batch size")) == "batch size"
    assert parse_dim("batch size") is d.symbol("batch size")


def test_exact_division_only() -> None:
    assert d.exact_div(12 * seq, 12) == seq
    assert d.exact_div(12 * seq + 6, 12) is None
    assert d.exact_div(batch * seq, seq) == batch
    assert d.exact_div(seq, 2) is None
    assert d.exact_div(7, 2) is None and d.exact_div(8, 2) == 4
    assert d.exact_div(2 * batch * (seq + 1), 2) == batch * (seq + 1)
    assert d.exact_div(seq, 0) is None


def test_arithmetic_stays_int_for_ints() -> None:
    assert type(d.add(2, 3)) is int and type(d.mul(2, 3)) is int
    assert d.add(seq, -seq) == 0 and type(d.add(seq, -seq)) is int
    assert d.prod([2, seq, 3]) == 6 * seq
    assert d.trunc_div(-7, 2) == -3 and d.floor_div(-7, 2) == -4


def test_decisions() -> None:
    assert d.eq(seq, -1) is False and d.eq(seq, 0) is None  # a sequence of 0 is legal
    assert d.eq(seq, 1) is None and d.eq(seq, seq) is True
    assert d.lt(seq - 1, seq) is True and d.lt(-1, seq) is True and d.lt(0, seq) is None and d.lt(seq, 5) is None
    assert d.le(0, seq) is True and d.eq(seq * batch, 0) is None and d.dmax(seq, 1) is None and d.dmin(seq, 0) == 0
    assert d.dmax(seq, seq + 1) == seq + 1 and d.dmax(seq, 4) is None


def test_broadcast() -> None:
    assert d.broadcast(1, seq) == seq and d.broadcast(seq, 1) == seq
    assert d.broadcast(seq, 5) == 5 and d.broadcast(None, 5) == 5
    assert d.broadcast(None, seq) is None and d.broadcast(seq, batch) is None
    assert d.broadcast(sympy.Min(64, seq), seq) == seq
    assert d.broadcast(batch * seq, seq) is None


def test_every_rule_names_a_dialect_op_type_and_covers_existing_forms() -> None:
    infer(to_ir(load(FIXTURES / "resnet_ts.onnx")))  # registers the rules
    forms: dict[str, list[int]] = {}
    for op in GENERATED_OPS:
        forms.setdefault(qualified_type(op.SIGNATURE.domain, op.SIGNATURE.op_type), []).append(op.SIGNATURE.since_versions[0])
    assert set(RULES) <= set(forms), sorted(set(RULES) - set(forms))
    for op_type, entries in RULES.items():  # every version range a rule claims holds at least one opset form
        for first, end, _ in entries:
            assert any(first <= v < end for v in forms[op_type]), (op_type, first, end)


def test_legacy_forms_get_their_own_rules() -> None:
    """Add-1/6 broadcast B into A; Tile-1 has no rule: a form no rule covers gets no inference at all."""
    infer(to_ir(load(FIXTURES / "resnet_ts.onnx")))
    from onnxforge.analysis.shapes.registry import rule_for
    from onnxforge.dialects.onnx.generated import AddOp, AddV6Op, TileOp, TileV1Op

    def blank(cls):  # type: ignore[no-untyped-def]
        return cls.create(operands=[], result_types=[])

    assert rule_for(blank(AddV6Op)).__name__ == "legacy_broadcast"
    assert rule_for(blank(AddOp)).__name__ == "broadcast"
    assert rule_for(blank(TileV1Op)) is None and rule_for(blank(TileOp)) is not None


def _types(module) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [r.type for op in module.walk() for r in op.results]


def test_infer_does_not_mutate_and_apply_never_loses_precision() -> None:
    module = to_ir(load(FIXTURES / "bert_ts.onnx"))
    before = _types(module)
    facts = infer(module)
    assert _types(module) == before
    graph = next(op for op in module.body.block.ops if isinstance(op, ModelOp)).graph
    inputs = [a.type for a in graph.block.args]
    changed = apply_types(module, facts)
    assert changed > 0
    for old, new in zip(before, _types(module)):
        if isinstance(old, TensorType):
            assert isinstance(new, TensorType) and (new.elem or not old.elem)
            if old.dims is not None:
                assert new.dims is not None
                if len(new.dims) == len(old.dims):
                    assert all(n is not None for o, n in zip(old.dims, new.dims) if o is not None)
    assert [a.type for a in graph.block.args] == inputs
    assert apply_types(module, infer(module)) == 0  # a second run changes nothing
    module.verify()


def test_printed_types_read_back() -> None:
    module = to_ir(load(FIXTURES / "bert_ts.onnx"))
    facts = infer(module)
    for op in module.walk():
        for result in op.results:
            for dim in facts.shape(result) or ():
                assert parse_dim(print_dim(dim)) == dim


def test_mobilenet_ts_wrong_declared_output_is_not_trusted() -> None:
    module = to_ir(load(FIXTURES / "mobilenet_v2_ts.onnx"))
    facts = infer(module)
    graph = next(op for op in module.body.block.ops if isinstance(op, ModelOp)).graph
    out = graph.return_op.operands[0]
    assert out.type.dims[2] == "batch"  # what the exporter declared
    assert facts.shape(out) == (facts.symbol("batch"), 320, 1, 1)
    apply_types(module, facts)
    assert out.type.dims == ("batch", 320, 1, 1)


def test_reshape_targets_fold_symbolically() -> None:
    """Every Reshape target of the TorchScript BERT is known element by element (batch/sequence kept)."""
    module = to_ir(load(FIXTURES / "bert_ts.onnx"))
    facts = infer(module)
    reshapes = [op for op in module.walk() if op.name == "onnx.Reshape"]
    assert reshapes
    for op in reshapes:
        target = facts.value(op.operands[1])
        assert target is not None and all(t is not None for t in target), target


def test_infer_accepts_a_graph_op() -> None:
    module = to_ir(load(FIXTURES / "resnet_ts.onnx"))
    graph = next(op for op in module.body.block.ops if isinstance(op, ModelOp)).graph
    facts = infer(graph)
    out = graph.return_op.operands[0]
    assert facts.shape(out) == (facts.symbol("batch"), 32, 4, 4)
