"""Execution models as data: which ONNX ops launch nothing, and which run together as one kernel.

An ONNX graph has many more nodes than the kernels a runtime launches for
it (ViT-B/16: about 1,088 ONNX nodes against about 119 PyTorch eager
kernels). An execution model says how nodes map to kernels, with two lists:

* ``views``: op types that launch nothing in this runtime (their result is
  an alias of their first operand: reshape-like ops everywhere; in PyTorch
  also transpose, expand, slice, split and select, which are strided views).
  Shape computations (``Shape``, ``Size`` and any op whose inputs are all
  shape-sized host values) and ops on constants only (folded at load time, or
  parameters in PyTorch) never launch anything, in every model.
* ``rules``: named grouping rules (implemented in ``grouping.py``), each
  merging nodes into one kernel:

  ``lowered``       the ONNX ops one ``nn`` op was lowered to (``onnxforge.fused_from``) run as one
  ``fx-node``       nodes the dynamo exporter made from one ATen op (``pkg.torch.onnx.name_scopes``)
  ``scope-chain``   connected elementwise/reduction nodes of one leaf module scope that holds no
                    contraction, pooling or data movement (TorchScript names: a LayerNorm, GELU
                    or SiLU module decomposed by the exporter)
  ``bias``          a MatMul/Gemm/Conv and the Add of its constant bias (``torch.nn.Linear``'s addmm)
  ``sdpa``          the attention core MatMul → scale/mask → Softmax → MatMul (PyTorch's
                    ``scaled_dot_product_attention``, one fused kernel)
  ``conv-epilogue`` Conv → BatchNormalization → residual Add → activation (onnxruntime's
                    Conv+BN folding, FusedConv and NCHWc sum fusion)
  ``skip-norm``     Add → LayerNormalization (onnxruntime's SkipLayerNormalization)

The three models: ``eager`` (PyTorch eager: one kernel per framework op),
``fused`` (one kernel per node of the optimised graph, an ``nn`` op being
one), ``ort`` (onnxruntime CPU: one kernel per node after its own fusions).
"""

from __future__ import annotations

from dataclasses import dataclass

from onnxforge.errors import ForgeError

GRAPH_VIEWS = frozenset({"Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Dropout"})
"""Ops every runtime executes without touching the data."""
TORCH_VIEWS = GRAPH_VIEWS | {"Transpose", "Expand", "Slice", "Split", "Select"}
"""PyTorch strided views: ``permute``/``transpose``, ``expand``, slicing, ``chunk``/``split`` and
``select`` (``Select`` stands for a Gather with a constant scalar index)."""
RULES = ("lowered", "fx-node", "scope-chain", "bias", "sdpa", "conv-epilogue", "skip-norm")


@dataclass(frozen=True)
class ExecutionModel:
    """Which ONNX ops cost nothing and which merge into one kernel (see the module docstring)."""

    name: str
    summary: str
    views: frozenset[str]
    rules: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [r for r in self.rules if r not in RULES]
        if unknown:
            raise ForgeError(f"execution model {self.name!r}: unknown rule(s) {unknown} (known: {', '.join(RULES)})")


EXECUTION_MODELS: dict[str, ExecutionModel] = {
    model.name: model
    for model in (
        ExecutionModel(
            "eager",
            "PyTorch eager: one kernel per framework op; views free; SDPA one kernel",
            TORCH_VIEWS,
            ("lowered", "fx-node", "scope-chain", "bias", "sdpa"),
        ),
        ExecutionModel(
            "fused",
            "one kernel per node of the optimised graph; an nn op is one kernel",
            GRAPH_VIEWS,
            ("lowered",),
        ),
        ExecutionModel(
            "ort",
            "onnxruntime CPU: one kernel per node after its LayerNorm/GELU/bias/Conv-epilogue/SkipLayerNorm fusions",
            GRAPH_VIEWS,
            ("lowered", "scope-chain", "bias", "conv-epilogue", "skip-norm"),
        ),
    )
}


def execution_model(name: str | ExecutionModel) -> ExecutionModel:
    if isinstance(name, ExecutionModel):
        return name
    if name not in EXECUTION_MODELS:
        raise ForgeError(f"unknown execution model {name!r} (known: {', '.join(EXECUTION_MODELS)})")
    return EXECUTION_MODELS[name]
