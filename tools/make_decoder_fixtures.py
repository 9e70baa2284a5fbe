"""Build tests/fixtures/decoders/: tiny decoders exported *with* their KV cache by torch.onnx (transformers 5).

One decode step as deployed: inputs ``input_ids [B, S]``, ``attention_mask [B, P + S]`` (left padding
allowed), ``position_ids [B, S]`` and ``past_key_values.{i}.key|value [B, H_kv, P, D]``; outputs
``logits`` and ``present.{i}.key|value [B, H_kv, P + S, D]`` — the interface Optimum writes, built
here from a ``DynamicCache`` filled with the past tensors, so both torch exporters see transformers
5's own cache code. The mask's dim is named ``past_sequence + sequence`` (the exporters name it on
its own), which tells verification to bind it to the sum.

    python tools/make_decoder_fixtures.py              # all (about a minute on 2 cores)
    python tools/make_decoder_fixtures.py --only gpt2

Optimum's exports (transformers 4.x) come from ``tools/make_optimum_decoder_fixtures.py``, run in a
virtual environment of their own. Needs the ``models`` extra (torch 2.13, transformers 5.23).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import transformers as tf
from transformers import DynamicCache

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "decoders"
SEED = 0
MASK_DIM = "past_sequence + sequence"
"""The mask's (and the presents') length, named as a sum so that verification derives it."""


def _configs() -> dict[str, tuple[type, object]]:
    eager = dict(attn_implementation="eager")
    return {
        # multi-head attention, learned positions, a packed c_attn projection
        "gpt2": (tf.GPT2LMHeadModel, tf.GPT2Config(vocab_size=256, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                                                   bos_token_id=0, eos_token_id=0, **eager)),
        # grouped-query attention (4 query heads, 2 KV heads) with rotary positions
        "llama": (tf.LlamaForCausalLM, tf.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                                                      num_hidden_layers=2, num_attention_heads=4,
                                                      num_key_value_heads=2, max_position_embeddings=64, **eager)),
        # Qwen2: GQA + RoPE with biased q/k/v projections
        "qwen2": (tf.Qwen2ForCausalLM, tf.Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=128,
                                                      num_hidden_layers=2, num_attention_heads=4,
                                                      num_key_value_heads=2, max_position_embeddings=64, **eager)),
    }


class DecodeStep(torch.nn.Module):
    """``model`` called with a cache holding ``past``; returns the logits and every layer's present K and V."""

    def __init__(self, model: torch.nn.Module, layers: int) -> None:
        super().__init__()
        self.model, self.layers = model, layers

    def forward(self, input_ids, attention_mask, position_ids, *past):  # type: ignore[no-untyped-def]
        cache = DynamicCache(config=self.model.config)
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=cache, use_cache=True)
        presents = [t for layer in out.past_key_values.layers[:self.layers] for t in (layer.keys, layer.values)]
        return (out.logits, *presents)


def cache_shape(config) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(layers, KV heads, head size)."""
    layers = config.num_hidden_layers
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return layers, heads, config.hidden_size // config.num_attention_heads


def example(config, batch: int = 2, past: int = 3, seq: int = 4, seed: int = SEED) -> dict[str, torch.Tensor]:  # type: ignore[no-untyped-def]
    """A left-padded batch: row 1 starts two positions late; position ids count the real tokens."""
    g = torch.Generator().manual_seed(seed)
    layers, heads, size = cache_shape(config)
    mask = torch.ones(batch, past + seq, dtype=torch.int64)
    if batch > 1:
        mask[1, :min(2, past + seq - 1)] = 0
    feeds = {"input_ids": torch.randint(0, config.vocab_size, (batch, seq), generator=g), "attention_mask": mask,
             "position_ids": (mask.cumsum(-1) - 1).clamp(min=0)[:, past:]}
    for i in range(layers):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.{kv}"] = torch.randn(batch, heads, past, size, generator=g)
    return feeds


def output_names(config) -> list[str]:  # type: ignore[no-untyped-def]
    return ["logits"] + [f"present.{i}.{kv}" for i in range(cache_shape(config)[0]) for kv in ("key", "value")]


def export(name: str, exporter: str, path: Path) -> dict:
    cls, config = _configs()[name]
    torch.manual_seed(SEED)
    model = cls(config).eval()
    step = DecodeStep(model, cache_shape(config)[0])
    feeds = example(config)
    names, outs = list(feeds), output_names(config)
    start = time.perf_counter()
    with torch.no_grad():
        if exporter == "dynamo":
            b, s, p, t = (torch.export.Dim(n) for n in ("batch", "sequence", "past_sequence", "total"))
            past_shapes = tuple({0: b, 2: p} for n in names[3:])
            torch.onnx.export(step, tuple(feeds.values()), str(path), dynamo=True, input_names=names, output_names=outs,
                              dynamic_shapes=({0: b, 1: s}, {0: b, 1: t}, {0: b, 1: s}, past_shapes))
        else:
            axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
                    "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
            axes |= {n: {0: "batch", 2: "past_sequence"} for n in names[3:]}
            axes |= {n: {0: "batch", 2: "total"} for n in outs[1:]}
            torch.onnx.export(step, tuple(feeds.values()), str(path), dynamo=False, opset_version=14,
                              do_constant_folding=False, input_names=names, output_names=outs, dynamic_axes=axes)
    seconds = time.perf_counter() - start
    _name_sum(path)
    with torch.no_grad():
        expected = step(*feeds.values())
    return {"exporter": exporter, "model": cls.__name__, "export_s": round(seconds, 2),
            "layers": cache_shape(config)[0], "q_heads": config.num_attention_heads,
            "kv_heads": cache_shape(config)[1], "head_size": cache_shape(config)[2],
            "max_abs_ref": float(np.abs(expected[0].numpy()).max())}


def _name_sum(path: Path, external: bool = False) -> None:
    """Rename the mask's and presents' length (``total``, or the exporter's ``past_sequence + sequence``) to
    ``MASK_DIM`` wherever it appears, so the file states that it is the sum of the other two. The weights go
    inline (a small model), or with ``external`` stay in their data file (only the graph is rewritten)."""
    model = onnx.load(str(path), load_external_data=not external)
    values = [*model.graph.input, *model.graph.output, *model.graph.value_info]
    for info in values:
        for dim in info.type.tensor_type.shape.dim:
            if dim.dim_param in ("total", "past_sequence + sequence"):
                dim.dim_param = MASK_DIM
    onnx.save(model, str(path))
    if not external:  # onnx.load read the exporter's external data: it is inline now
        Path(f"{path}.data").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(_configs()))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    manifest_path = OUT / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for name in args.only or list(_configs()):
        for exporter, suffix in (("dynamo", "dynamo"), ("torchscript", "ts")):
            path = OUT / f"{name}_past_{suffix}.onnx"
            manifest[path.name] = export(name, exporter, path)
            print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB, {manifest[path.name]['export_s']} s")
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
