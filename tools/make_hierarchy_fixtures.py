"""Build tests/fixtures/hierarchy/: tiny models exported by ``onnxforge.export`` with both exporters.

Every node of these files carries the module tags (``onnxforge.ir.hierarchy``) and each file the module
table, so the tests check tags, per-module reports, extraction and the passes' tag keeping without
torch. ``expected.json`` records what PyTorch itself says of each model (``named_modules()`` paths and
classes, per-module parameter counts, the call counts of modules called twice), for the tests to
compare with.

    python tools/make_hierarchy_fixtures.py              # all (about 2 minutes on 2 cores)
    python tools/make_hierarchy_fixtures.py --only toy   # one model

Needs the ``models`` extra (torch 2.13, transformers 5.23).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import transformers as tf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import hf_zoo  # noqa: E402

import onnxforge  # noqa: E402
from onnxforge.frontend.torch_export import module_table  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "hierarchy"
EXPORTERS = ("dynamo", "torchscript")


class Toy(torch.nn.Module):
    """The hard cases in one module: ``proj`` called twice, ``head`` and ``tied`` sharing a weight, work in
    the root's own forward."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(8, 8)
        self.head = torch.nn.Linear(8, 4, bias=False)
        self.tied = torch.nn.Linear(8, 4, bias=False)
        self.tied.weight = self.head.weight
        self.norm = torch.nn.LayerNorm(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.proj(self.norm(self.proj(x))))
        return self.head(h) + 2 * self.tied(h)


class Branchy(Toy):
    """A Python branch on a tensor's value: torch.export cannot capture it (the TorchScript fallback)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(x)
        if h.mean() > 0:
            h = self.norm(h)
        return self.head(torch.relu(h))


def _text(config, names=("input_ids", "attention_mask")):  # type: ignore[no-untyped-def]
    g = torch.Generator().manual_seed(hf_zoo.SEED)
    inputs = {"input_ids": torch.randint(3, config.vocab_size, (2, 8), generator=g),
              "attention_mask": torch.ones(2, 8, dtype=torch.int64)}
    return {n: inputs[n] for n in names}


def _dims(inputs: dict[str, torch.Tensor], sequence: bool = True) -> dict:  # type: ignore[type-arg]
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    return {n: ({0: batch, 1: seq} if sequence and v.dtype == torch.int64 else {0: batch}) for n, v in inputs.items()}


def build(name: str):  # type: ignore[no-untyped-def]
    """``(module, kwargs, dynamic_shapes)`` of one fixture model (random weights, seed 0)."""
    torch.manual_seed(hf_zoo.SEED)
    if name in ("bert", "gpt2", "llama", "vit", "resnet"):
        model, inputs, _ = hf_zoo.build(name)
        return model, inputs, _dims(inputs, sequence=hf_zoo.ARCHS[name].inputs == "text")
    if name == "resnet18":  # microsoft/resnet-18's layout (basic blocks, depths 2-2-2-2), narrow
        config = tf.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[2, 2, 2, 2], layer_type="basic")
        model = tf.ResNetModel(config).eval()
        x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(hf_zoo.SEED))
        return model, {"pixel_values": x}, {"pixel_values": {0: torch.export.Dim("batch")}}
    if name == "whisper":
        config = hf_zoo.ARCHS["whisper_encoder"].config("tiny")
        model = tf.WhisperModel(config).eval()
        g = torch.Generator().manual_seed(hf_zoo.SEED)
        inputs = {"input_features": torch.randn(2, config.num_mel_bins, 2 * config.max_source_positions, generator=g),
                  "decoder_input_ids": torch.randint(3, config.vocab_size, (2, 5), generator=g)}
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("decoder_sequence")
        return model, inputs, {"input_features": {0: batch}, "decoder_input_ids": {0: batch, 1: seq}}
    if name == "t5":
        config = tf.T5Config(vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
                             num_heads=4, relative_attention_num_buckets=8, use_cache=False, decoder_start_token_id=0)
        model = tf.T5Model(config).eval()
        inputs = _text(config)
        inputs["decoder_input_ids"] = torch.randint(3, 128, (2, 5), generator=torch.Generator().manual_seed(1))
        batch, seq, dec = torch.export.Dim("batch"), torch.export.Dim("sequence"), torch.export.Dim("decoder_sequence")
        return model, inputs, {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq},
                               "decoder_input_ids": {0: batch, 1: dec}}
    if name in ("toy", "branchy"):
        model = (Toy if name == "toy" else Branchy)().eval()
        x = torch.randn(3, 8, generator=torch.Generator().manual_seed(hf_zoo.SEED))
        return model, {"x": x}, {"x": {0: torch.export.Dim("batch")}}
    raise ValueError(name)


MODELS = ("bert", "gpt2", "llama", "vit", "resnet", "resnet18", "whisper", "t5", "toy", "branchy")


def expected(model: torch.nn.Module) -> dict:  # type: ignore[type-arg]
    table = module_table(model)
    modules = dict(model.named_modules())
    return {"modules": {p: {"class": m.cls, "params": m.params, "own_params": m.own_params,
                            "float_buffers": sum(b.numel() for b in modules[p].buffers() if b.is_floating_point())}
                        for p, m in table.modules.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=MODELS)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    record_path = OUT / "expected.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    for name in args.only or MODELS:
        model, inputs, dims = build(name)
        entry = expected(model)
        for exporter in EXPORTERS:
            if name == "branchy" and exporter == "dynamo":
                continue  # torch.export cannot capture it: the auto export below falls back
            start = time.perf_counter()
            path = OUT / f"{name}_{'ts' if exporter == 'torchscript' else exporter}.onnx"
            report = None
            for shapes in (dims, None):  # T5's attention views fail torch.export with a symbolic sequence
                try:
                    report = onnxforge.export(model, (), path, kwargs=inputs, dynamic_shapes=shapes, exporter=exporter,
                                              pipeline=None, verify=True)
                    break
                except onnxforge.ForgeError as err:  # recorded: the tests check it is still the exporter's limit
                    print(f"{path.name}{'' if shapes else ' (static)'}: {err}", flush=True)
                    path.unlink(missing_ok=True)
                    entry[exporter] = {"error": str(err)}
            if report is None:
                continue
            print(f"{report.summary()} ({time.perf_counter() - start:.1f} s)", flush=True)
            entry[exporter] = {**report.as_json(), "static": report.path.exists() and shapes is None}
        if name == "branchy":
            report = onnxforge.export(model, (), OUT / "branchy_auto.onnx", kwargs=inputs, dynamic_shapes=dims,
                                      pipeline=None, verify=True)
            print(report.summary(), flush=True)
            entry["auto"] = report.as_json()
        record[name] = entry
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
