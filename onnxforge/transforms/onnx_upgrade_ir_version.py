"""``onnx-upgrade-ir-version``: a model of IR version < 4 becomes IR 4, its weights constants instead of inputs.

Before IR 4 every initializer had to be listed among the graph inputs as well, so the models of that
era (the Caffe2-converted ONNX model zoo, early exporters) declare each weight as an input with a
default. Those defaults are not overridable: the format left the exporter no choice, and onnxruntime
refuses a feed for them ("Invalid input name") and does not list them among a session's inputs. The
importer reads such an initializer as only its input's default (as IR ≥ 4 defines it), so no fold,
fusion or Conv+BN folding sees a constant weight. This pass makes them what they are: the input is
removed, its uses read the initializer, and the model is declared IR 4 (every IR-3 construct is valid
IR 4). Lossless: the same values reach every node, and the inputs a runtime accepts are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, i64

from onnxforge.dialects.onnx.structure import GraphOp, InitializerOp, ModelOp, string_array, strings_of
from onnxforge.passmanager import Accuracy, ForgePass, RunState

FIRST_STANDALONE_INITIALIZERS = 4
"""The IR version from which an initializer need not be a graph input."""


@dataclass(frozen=True)
class UpgradeIrVersionPass(ForgePass):
    name = "onnx-upgrade-ir-version"
    summary = "IR < 4: weights listed as graph inputs (the format required it, runtimes refuse feeds) become constants; IR 4"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        for model in (op for op in module.ops if isinstance(op, ModelOp)):
            if model.ir_version.value.data >= FIRST_STANDALONE_INITIALIZERS:
                continue
            for graph in (op for op in model.walk() if isinstance(op, GraphOp)):
                freed = _free_initializer_inputs(graph)
                if freed:
                    state.statistics[f"{self.name}/weights no longer inputs"] += freed
            model.ir_version = IntegerAttr(FIRST_STANDALONE_INITIALIZERS, i64)
            state.changed = True


def _free_initializer_inputs(graph: GraphOp) -> int:
    """Remove the inputs that have an initializer of the same name; their uses read the initializer."""
    names = list(strings_of(graph.input_names))
    initializers = {op.tensor_name.data: op for op in graph.block.ops if isinstance(op, InitializerOp)}
    docs = list(graph.value_docs.data) if graph.value_docs is not None else None
    freed = 0
    for index, (name, arg) in reversed(list(enumerate(zip(names, graph.block.args)))):
        initializer = initializers.get(name)
        if initializer is None:
            continue
        arg.replace_all_uses_with(initializer.results[0])
        graph.block.erase_arg(arg)
        names.pop(index)
        if docs is not None:
            docs.pop(index)
        freed += 1
    graph.input_names = string_array(names)
    if docs is not None:
        graph.value_docs = ArrayAttr(docs)
    return freed
