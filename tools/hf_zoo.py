"""Randomly initialised Hugging Face models and their ONNX export, for fixtures and benchmarks.

Why: onnxforge needs realistic ONNX graphs (as produced by the two torch exporters) without
network access or pretrained weights. Every model is built from a config class with a fixed
seed, so the same command always produces the same graph and weights.

Usage::

    import sys; sys.path.insert(0, "tools")
    import hf_zoo
    model, inputs, axes = hf_zoo.build("bert", "tiny")
    hf_zoo.export(model, inputs, "bert.onnx", "dynamo", axes)

The dynamic-axes spec is ``{"inputs": {name: {axis: dim_name}}, "outputs": {...}}`` with the
symbolic names "batch" and "sequence"; image models and the Whisper encoder have a dynamic
batch only.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import onnx
import torch
import transformers as tf

SEED = 0
# Example shapes used at export time. Batch/sequence of 2 and 8 avoid the 0/1 size
# specialisation of torch.export; tests should run with *other* sizes.
EXAMPLE_BATCH = 2
EXAMPLE_SEQ = 8

TEXT_OUT = {"last_hidden_state": {0: "batch", 1: "sequence"}}
POOLED_OUT = {"pooler_output": {0: "batch"}}
BATCH_OUT = {"last_hidden_state": {0: "batch"}}


@dataclass(frozen=True)
class Arch:
    """How to build one architecture: config factory per size, model class, input kind."""

    model_cls: type
    config: Callable[[str], object]  # size -> config
    inputs: str  # "text" (input_ids + attention_mask), "image", "audio"
    outputs: dict  # output name -> {axis: dim name}


def _bert_cfg(cls, size):
    if size == "full":  # the config defaults are BERT-base / RoBERTa-base
        return cls(attn_implementation="eager")
    return cls(vocab_size=256, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=64, max_position_embeddings=64, attn_implementation="eager")


def _gpt2_cfg(size):
    common = dict(use_cache=False, attn_implementation="eager")
    if size == "full":  # GPT-2 small (124M)
        return tf.GPT2Config(**common)
    return tf.GPT2Config(vocab_size=256, n_embd=32, n_layer=2, n_head=2, n_positions=64,
                         bos_token_id=0, eos_token_id=0, **common)


def _distilbert_cfg(size):
    if size == "full":  # distilbert-base
        return tf.DistilBertConfig(attn_implementation="eager")
    return tf.DistilBertConfig(vocab_size=256, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                               max_position_embeddings=64, attn_implementation="eager")


def _vit_cfg(size):
    if size == "full":  # ViT-B/16, 224x224
        return tf.ViTConfig(attn_implementation="eager")
    return tf.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, image_size=32, patch_size=8,
                        attn_implementation="eager")


def _llama_cfg(size):
    common = dict(use_cache=False, attn_implementation="eager")
    if size == "full":  # TinyLlama-1.1B shape: GQA with 32 query heads, 4 kv heads
        return tf.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632,
                              num_hidden_layers=22, num_attention_heads=32,
                              num_key_value_heads=4, max_position_embeddings=2048, **common)
    return tf.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                          num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                          max_position_embeddings=64, **common)


def _whisper_cfg(size):
    common = dict(use_cache=False, attn_implementation="eager")
    if size == "full":  # whisper-tiny: 80 mel bins x 3000 frames, d_model 384, 4 layers
        return tf.WhisperConfig(d_model=384, encoder_layers=4, decoder_layers=4,
                                encoder_attention_heads=6, decoder_attention_heads=6,
                                encoder_ffn_dim=1536, decoder_ffn_dim=1536,
                                vocab_size=51865, **common)
    return tf.WhisperConfig(d_model=32, encoder_layers=2, decoder_layers=1,
                            encoder_attention_heads=2, decoder_attention_heads=2,
                            encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=16,
                            max_source_positions=32, max_target_positions=16,
                            vocab_size=128, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                            decoder_start_token_id=3, **common)


def _resnet_cfg(size):
    if size == "full":  # ResNet-50 (bottleneck, depths 3-4-6-3)
        return tf.ResNetConfig()
    # ResNetConfig has no image size; the extra attribute only tells make_inputs what to use.
    return tf.ResNetConfig(embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1],
                           layer_type="bottleneck", image_size=32)


def _mobilenet_cfg(size):
    if size == "full":  # MobileNetV2 1.0, 224x224
        return tf.MobileNetV2Config()
    # MobileNetV2 has a fixed 17-block layout; a small width multiplier, and not keeping the
    # final 1x1 conv at 1280 channels, keeps it < 1 MB. TF-style "same" padding stays on (default).
    return tf.MobileNetV2Config(depth_multiplier=0.25, finegrained_output=False, image_size=32)


def _efficientnet_cfg(size):
    if size == "full":  # EfficientNet-B0 (google/efficientnet-b0): 224x224, width/depth 1.0
        return tf.EfficientNetConfig(image_size=224, width_coefficient=1.0, depth_coefficient=1.0,
                                     dropout_rate=0.2, hidden_dim=1280)
    # Narrow and shallow (every stage keeps one block), 32x32 images. hidden_dim must equal the
    # top conv's width, round_filters(1280) = 1280 * width_coefficient.
    return tf.EfficientNetConfig(image_size=32, width_coefficient=0.25, depth_coefficient=0.25,
                                 dropout_rate=0.2, hidden_dim=320)  # = round_filters(1280)


ARCHS: dict[str, Arch] = {
    "bert": Arch(tf.BertModel, lambda s: _bert_cfg(tf.BertConfig, s), "text",
                 {**TEXT_OUT, **POOLED_OUT}),
    "roberta": Arch(tf.RobertaModel, lambda s: _bert_cfg(tf.RobertaConfig, s), "text",
                    {**TEXT_OUT, **POOLED_OUT}),
    "distilbert": Arch(tf.DistilBertModel, _distilbert_cfg, "text", TEXT_OUT),
    "gpt2": Arch(tf.GPT2Model, _gpt2_cfg, "text", TEXT_OUT),
    "llama": Arch(tf.LlamaModel, _llama_cfg, "text", TEXT_OUT),
    "vit": Arch(tf.ViTModel, _vit_cfg, "image", {**BATCH_OUT, **POOLED_OUT}),
    "whisper_encoder": Arch(tf.WhisperModel, _whisper_cfg, "audio", BATCH_OUT),
    "resnet": Arch(tf.ResNetModel, _resnet_cfg, "image", {**BATCH_OUT, **POOLED_OUT}),
    "mobilenet_v2": Arch(tf.MobileNetV2Model, _mobilenet_cfg, "image",
                         {**BATCH_OUT, **POOLED_OUT}),
    "efficientnet_b0": Arch(tf.EfficientNetModel, _efficientnet_cfg, "image",
                            {**BATCH_OUT, **POOLED_OUT}),
}


def make_inputs(arch: str, config, batch: int = EXAMPLE_BATCH, seq: int = EXAMPLE_SEQ,
                seed: int = SEED) -> dict[str, torch.Tensor]:
    """Random inputs for ``arch`` (deterministic for a given seed); ``seq`` is ignored
    where the sequence length is fixed by the model (images, Whisper)."""
    g = torch.Generator().manual_seed(seed)
    kind = ARCHS[arch].inputs
    if kind == "text":
        ids = torch.randint(0, config.vocab_size, (batch, seq), generator=g)
        mask = torch.ones(batch, seq, dtype=torch.int64)
        mask[1:, seq - seq // 4:] = 0  # right padding on all but the first row
        return {"input_ids": ids, "attention_mask": mask}
    if kind == "image":
        size = getattr(config, "image_size", 224)
        size = size[0] if isinstance(size, (tuple, list)) else size
        return {"pixel_values": torch.randn(batch, config.num_channels, size, size, generator=g)}
    if kind == "audio":
        # The Whisper encoder rejects any frame count other than 2 * max_source_positions.
        frames = 2 * config.max_source_positions
        return {"input_features": torch.randn(batch, config.num_mel_bins, frames, generator=g)}
    raise ValueError(kind)


def dynamic_axes(arch: str, inputs: dict[str, torch.Tensor]) -> dict:
    """Symbolic dims for inputs and outputs: text models get batch+sequence, others batch."""
    kind = ARCHS[arch].inputs
    in_axes = {n: ({0: "batch", 1: "sequence"} if kind == "text" else {0: "batch"})
               for n in inputs}
    return {"inputs": in_axes, "outputs": dict(ARCHS[arch].outputs)}


def build(arch: str, size: str = "tiny"):
    """Return ``(model, example_inputs, dynamic_axes)`` for a randomly initialised model.

    ``size`` is "tiny" (2 layers, hidden 32-64, small vocab/images; exports well under 1 MB)
    or "full" (published full-size configuration). Weights come from ``torch.manual_seed(SEED)``.
    """
    if size not in ("tiny", "full"):
        raise ValueError(f"size must be 'tiny' or 'full', got {size!r}")
    spec = ARCHS[arch]
    config = spec.config(size)
    torch.manual_seed(SEED)
    model = spec.model_cls(config)
    if arch == "whisper_encoder":
        model = model.get_encoder()  # the encoder alone takes input_features only
    model.eval()
    inputs = make_inputs(arch, config)
    return model, inputs, dynamic_axes(arch, inputs)


def _param_bytes(model: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


@contextmanager
def _forward_taking(model: torch.nn.Module, names: list[str]):
    """Temporarily give ``model`` a forward that takes exactly ``names``, positionally.

    The TorchScript exporter turns keyword inputs into positional ones and fills every other
    forward parameter with its default; transformers' output-capturing decorator then passes
    ``use_cache`` again by keyword ("got multiple values for argument 'use_cache'"). Patching
    the instance (instead of wrapping it in another module) keeps node names such as
    ``/encoder/layer.0/attention/self/query/MatMul`` free of a wrapper prefix.
    """
    inner = model.forward

    def forward(*args):
        return inner(**dict(zip(names, args)))

    forward.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    model.forward = forward
    try:
        yield model
    finally:
        del model.forward


def _single_data_file(path: str) -> None:
    """Move the TorchScript exporter's one-file-per-tensor external data (written for models
    over 2 GB) into a single ``<path>.data``, as the dynamo exporter does."""
    folder = os.path.dirname(os.path.abspath(path))
    proto = onnx.load(path, load_external_data=False)
    files = {e.value for t in proto.graph.initializer for e in t.external_data if e.key == "location"}
    onnx.load_external_data_for_model(proto, folder)
    onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + ".data")
    for f in files - {os.path.basename(path) + ".data"}:
        os.remove(os.path.join(folder, f))


def export(model, inputs: dict[str, torch.Tensor], path: str | os.PathLike, exporter: str,
           axes: dict | None = None) -> str:
    """Export ``model`` called with keyword ``inputs`` to ``path``; return ``path``.

    ``exporter`` is "torchscript" (legacy tracer, opset 14, no constant folding, so the graph
    is as raw as the tracer produces it) or "dynamo" (torch.export + onnxscript, default opset).
    ``axes`` (pass the one from ``build``) defaults to batch+sequence for int64 inputs and
    batch only for others, with the exporter's own output names.
    Models under 1 GB of weights are saved as one self-contained file; larger ones
    (e.g. full Llama) put the weights in ``<path>.data`` because of protobuf's 2 GB limit.
    """
    path = str(path)
    if axes is None:
        axes = {"inputs": {n: {0: "batch", 1: "sequence"} if v.dtype == torch.int64
                           else {0: "batch"} for n, v in inputs.items()}, "outputs": {}}
    in_names, out_names = list(inputs), list(axes["outputs"])
    big = _param_bytes(model) > 1 << 30
    if os.path.exists(path + ".data"):  # onnx appends to an existing external data file
        os.remove(path + ".data")
    with torch.no_grad():
        if exporter == "torchscript":
            with _forward_taking(model, in_names):
                torch.onnx.export(
                    model, tuple(inputs.values()), path, dynamo=False, opset_version=14,
                    do_constant_folding=False, input_names=in_names, output_names=out_names,
                    dynamic_axes={**axes["inputs"], **axes["outputs"]})
            if big:
                _single_data_file(path)
        elif exporter == "dynamo":
            dims: dict[str, torch.export.Dim] = {}

            def dim(name):
                return dims.setdefault(name, torch.export.Dim(name))

            shapes = {n: {ax: dim(d) for ax, d in axes["inputs"].get(n, {}).items()}
                      for n in inputs}
            torch.onnx.export(
                model, (), path, kwargs=dict(inputs), dynamo=True, dynamic_shapes=shapes,
                input_names=in_names, output_names=out_names, external_data=big)
        else:
            raise ValueError(f"exporter must be 'torchscript' or 'dynamo', got {exporter!r}")
    return path
