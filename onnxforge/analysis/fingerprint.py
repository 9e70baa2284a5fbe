"""The architecture fingerprint: what kind of network a graph is, and which pipelines suit it.

The ``auto`` pipeline runs ``choose_pipelines(fingerprint(module))``. The
rules are explicit so that a surprising choice can be traced to a number:

- **vision** (a convolutional backbone): at least ``CONV_BACKBONE``
  convolutions *and* convolutions are at least ``CONV_SHARE`` of the
  convolution + matrix-product nodes. A count alone would call ViT (one Conv:
  the patch embedding) or Whisper (a two-Conv stem) a CNN; a share alone
  would call a single-Conv test graph one. ResNet / MobileNet have no
  MatMul at all (share 1.0); MobileViT has dozens of convolutions besides
  its attention blocks.
- **transformer**: at least one attention block (a Softmax between two
  MatMuls, or a fused attention op), or a normalisation (LayerNorm / RMSNorm
  in any form) together with at least ``LINEAR_LAYERS`` matrix products
  (attention-free token mixers such as MLP-Mixer still gain from the norm,
  GELU and linear fusions).
- both: **hybrid** → ``("vision", "transformer")``; neither: **generic** →
  ``("cleanup",)`` (e.g. the ONNX node-test graphs).

The fingerprint reads op types and local structure only (no shapes), works on
the IR before or after fusion (``nn`` ops count as their family), and never
changes the module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from xdsl.dialects.builtin import ModuleOp

from onnxforge.analysis.forensics import CONV_OPS, MATMUL_OPS, audit
from onnxforge.analysis.graph import all_nodes, node_count
from onnxforge.dialects.onnx.queries import op_type

CONV_BACKBONE = 3
"""Fewest convolutions of a convolutional backbone (ViT's patch embedding is 1, Whisper's stem 2)."""
CONV_SHARE = 0.2
"""Smallest share of convolutions among convolution + matrix-product nodes for a backbone."""
LINEAR_LAYERS = 2
"""Fewest matrix products that, with a normalisation, make an attention-free transformer-like model."""

PIPELINES_BY_VERDICT: dict[str, tuple[str, ...]] = {
    "vision": ("vision",),
    "transformer": ("transformer",),
    "hybrid": ("vision", "transformer"),
    "generic": ("cleanup",),
}


@dataclass(frozen=True)
class Fingerprint:
    nodes: int
    """Main-graph nodes."""
    histogram: dict[str, int]
    """Op type → count over the main graph and its subgraphs, most common first."""
    matmuls: int
    """MatMul / Gemm / fused linear nodes."""
    convs: int
    matmul_conv_ratio: float | None
    """Matrix products per convolution (None without convolutions)."""
    conv_share: float
    """Convolutions / (convolutions + matrix products); 0 when there are neither."""
    attention_blocks: int
    """Softmax between two MatMuls, plus fused attention ops."""
    softmax: bool
    layer_norm: bool
    rms_norm: bool
    gelu: bool
    silu: bool
    rope: bool
    """Rotary embedding: rotate-half chains (Neg + Slice + Concat) or a fused rotary op."""
    sin_cos: bool
    verdict: str
    """``transformer``, ``vision``, ``hybrid`` or ``generic``."""
    reasons: tuple[str, ...]
    """Why, one line per rule."""

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        return data


def fingerprint(module: ModuleOp) -> Fingerprint:
    histogram = Counter(op_type(op) for op in all_nodes(module))
    found = audit(module)
    matmuls = sum(n for kind, n in histogram.items() if kind in MATMUL_OPS)
    convs = sum(n for kind, n in histogram.items() if kind in CONV_OPS)
    share = convs / (convs + matmuls) if convs + matmuls else 0.0
    attention = found.attention_blocks + found.fused_attention
    layer_norm, rms_norm = bool(found.layer_norm), bool(found.rms_norm)

    backbone = convs >= CONV_BACKBONE and share >= CONV_SHARE
    blocks = attention > 0
    mixer = (layer_norm or rms_norm) and matmuls >= LINEAR_LAYERS
    reasons = [
        f"{convs} convolution(s), conv share {share:.2f}: "
        + ("a convolutional backbone" if backbone else f"no backbone (needs ≥ {CONV_BACKBONE} and share ≥ {CONV_SHARE})"),
        f"{attention} attention block(s)" + ("" if blocks else ", no attention"),
    ]
    if not blocks:
        reasons.append(
            f"normalisation {'present' if layer_norm or rms_norm else 'absent'}, {matmuls} matrix product(s): "
            + ("transformer-like without attention" if mixer else "not transformer-like")
        )
    transformer = blocks or mixer
    verdict = "hybrid" if backbone and transformer else "vision" if backbone else "transformer" if transformer else "generic"
    return Fingerprint(
        nodes=node_count(module),
        histogram=dict(histogram.most_common()),
        matmuls=matmuls,
        convs=convs,
        matmul_conv_ratio=round(matmuls / convs, 4) if convs else None,
        conv_share=round(share, 4),
        attention_blocks=attention,
        softmax=histogram["Softmax"] > 0 or found.fused_attention > 0,
        layer_norm=layer_norm,
        rms_norm=rms_norm,
        gelu=bool(found.gelu),
        silu=found.silu > 0,
        rope=found.rotate_half > 0 or found.rotary_ops > 0,
        sin_cos=found.sin_cos > 0,
        verdict=verdict,
        reasons=tuple(reasons),
    )


def choose_pipelines(fp: Fingerprint) -> tuple[str, ...]:
    """The pipelines ``auto`` runs, in order: ``("vision",)``, ``("transformer",)``, both, or ``("cleanup",)``."""
    return PIPELINES_BY_VERDICT[fp.verdict]
