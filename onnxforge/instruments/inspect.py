"""``inspect``: what a model is made of, and how much each optimisation could take from it.

Op inventory, size (file, parameters, weight bytes), opsets and producer,
inputs and outputs, the forensics audit (``forensics``) and the architecture
fingerprint (``fingerprint``). Nothing is compiled: the model is imported and
``onnx-infer-shapes`` runs on that copy of the IR, so that the audit can see
ranks and shapes (TorchScript exports carry none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xdsl.ir import Attribute

from onnxforge.analysis.fingerprint import Fingerprint, choose_pipelines, fingerprint
from onnxforge.analysis.forensics import Forensics, audit
from onnxforge.analysis.graph import all_nodes, main_graph, model_op, node_count
from onnxforge.analysis.shapes import infer_and_apply
from onnxforge.compiler import to_ir
from onnxforge.dialects.onnx.structure import InitializerOp, strings_of
from onnxforge.instruments.models import subject
from onnxforge.instruments.tables import Table
from onnxforge.ir.tensor import DenseAttr
from onnxforge.ir.types import TensorType, elem_name


@dataclass
class Inspection:
    model: str
    file_bytes: int
    """The model file and the external data files it names."""
    ir_version: int
    opsets: dict[str, int]
    producer: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    nodes: int
    """Main-graph nodes."""
    subgraph_nodes: int
    """Nodes inside If/Loop/Scan bodies."""
    functions: int
    initializers: int
    parameters: int
    """Elements of every initializer."""
    weight_bytes: int
    forensics: Forensics
    fingerprint: Fingerprint
    pipelines: tuple[str, ...] = field(default=())
    """What ``auto`` would run."""

    def to_json(self) -> dict[str, object]:
        data = dict(vars(self))
        data["fingerprint"] = self.fingerprint.to_json()
        data["pipelines"] = list(self.pipelines)
        return data

    def tables(self) -> list[Table]:
        fp = self.fingerprint
        summary = Table(f"model {self.model}", ["property", "value"], [
            ["file size", _bytes(self.file_bytes)],
            ["IR version", self.ir_version],
            ["opsets", ", ".join(f"{d or 'ai.onnx'} {v}" for d, v in self.opsets.items())],
            ["producer", self.producer or "-"],
            ["inputs", "; ".join(f"{k}: {v}" for k, v in self.inputs.items())],
            ["outputs", "; ".join(f"{k}: {v}" for k, v in self.outputs.items())],
            ["nodes", self.nodes],
            ["subgraph nodes", self.subgraph_nodes],
            ["local functions", self.functions],
            ["initializers", self.initializers],
            ["parameters", f"{self.parameters:,}"],
            ["weights", _bytes(self.weight_bytes)],
        ])
        inventory = Table(f"op inventory of {self.model} ({sum(fp.histogram.values())} nodes)", ["op", "count", "share %"],
                          [[k, v, round(100 * v / max(1, sum(fp.histogram.values())), 1)] for k, v in fp.histogram.items()])
        audit_table = Table(f"forensics audit of {self.model}", ["opportunity", "count"], [list(r) for r in self.forensics.rows()])
        verdict = Table(f"fingerprint of {self.model}", ["feature", "value"], [
            ["matrix products", fp.matmuls],
            ["convolutions", fp.convs],
            ["matmul/conv ratio", fp.matmul_conv_ratio],
            ["conv share", fp.conv_share],
            ["attention blocks", fp.attention_blocks],
            ["softmax", fp.softmax],
            ["layer norm", fp.layer_norm],
            ["rms norm", fp.rms_norm],
            ["gelu", fp.gelu],
            ["silu", fp.silu],
            ["rope", fp.rope],
            ["sin/cos", fp.sin_cos],
            ["verdict", fp.verdict],
            ["auto pipelines", ", ".join(self.pipelines)],
        ], notes=list(fp.reasons))
        return [summary, inventory, audit_table, verdict]


def inspect_model(path: str | Path) -> Inspection:
    studied = subject(path)
    module = to_ir(studied.loaded)
    fp = fingerprint(module)
    infer_and_apply(module)
    found = audit(module)
    model, graph = model_op(module), main_graph(module)
    initializers = [op for op in graph.block.ops if isinstance(op, InitializerOp)]
    tensors = [op.value.value for op in initializers if isinstance(op.value, DenseAttr)]
    producer = " ".join(a.data for a in (model.producer_name, model.producer_version) if a is not None and a.data)
    return Inspection(
        model=str(path),
        file_bytes=sum(f.stat().st_size for f in studied.loaded.source_files if f.is_file()),
        ir_version=model.ir_version.value.data,
        opsets=model.opsets(),
        producer=producer,
        inputs=dict(zip(strings_of(graph.input_names), (_type_text(a.type) for a in graph.block.args))),
        outputs=dict(zip(strings_of(graph.output_names), (_type_text(t) for t in graph.output_types.data))),
        nodes=node_count(module),
        subgraph_nodes=sum(1 for _ in all_nodes(module)) - node_count(module),
        functions=len(model.functions),
        initializers=len(initializers),
        parameters=sum(t.size for t in tensors),
        weight_bytes=sum(t.nbytes for t in tensors),
        forensics=found,
        fingerprint=fp,
        pipelines=choose_pipelines(fp),
    )


def _type_text(type_: Attribute) -> str:
    if not isinstance(type_, TensorType):
        return str(type_)
    dims = "*" if type_.dims is None else ", ".join("?" if d is None else str(d) for d in type_.dims)
    return f"{elem_name(type_.elem)}[{dims}]"


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
