"""Build tests/fixtures/decoders/optimum_*.onnx: tiny decoders exported with their KV cache by Hugging Face Optimum.

Optimum's exporter (``optimum-onnx``) pins transformers 4.x, so this runs in a virtual environment of
its own, never in ours (the corpus builder makes it; ``benchmarks/corpus/build_corpus.py --only optimum``):

    benchmarks/corpus/venvs/optimum/bin/python tools/make_optimum_decoder_fixtures.py

Each model is a random-weight config class (no hub access), exported with the ``*-with-past`` task:
decoder-only models as one ``model.onnx`` taking ``past_key_values.*`` (past length 0 on the first
step; Mistral with a sliding window of 8 positions), encoder–decoders (Whisper, BART, T5) as a decoder with past (self-attention cache + cross-attention K/V fed back)
and the merged decoder whose ``If`` picks the first step or a later one.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
import transformers as tf
from optimum.exporters.onnx import main_export

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "decoders"
SEED = 0

SPECS = {
    "gpt2": ("text-generation-with-past", lambda: tf.GPT2LMHeadModel(tf.GPT2Config(
        vocab_size=256, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0)),
        {"model.onnx": "gpt2"}),
    "llama": ("text-generation-with-past", lambda: tf.LlamaForCausalLM(tf.LlamaConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64)), {"model.onnx": "llama"}),
    "qwen2": ("text-generation-with-past", lambda: tf.Qwen2ForCausalLM(tf.Qwen2Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64)), {"model.onnx": "qwen2"}),
    "mistral": ("text-generation-with-past", lambda: tf.MistralForCausalLM(tf.MistralConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, sliding_window=8)), {"model.onnx": "mistral_window8"}),
    "bart": ("text2text-generation-with-past", lambda: tf.BartForConditionalGeneration(tf.BartConfig(
        vocab_size=256, d_model=32, encoder_layers=1, decoder_layers=2, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64)),
        {"decoder_model_merged.onnx": "bart_decoder_merged"}),
    # one projection laid out [B, S, H, 3·D] and chunked per head; partial rotary (a quarter of each head)
    "gpt_neox": ("text-generation-with-past", lambda: tf.GPTNeoXForCausalLM(tf.GPTNeoXConfig(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=64)), {"model.onnx": "gpt_neox"}),
    # heads made in the [B, S, H, D] layout before the transpose: a per-head RMSNorm of q and k (Qwen3),
    # rotary on [B, S, H, D] with a pass-through part (GPT-J), one K/V head gathered from a fused
    # [B, S, H + 2, D] projection and broadcast over the query heads by the MatMuls (Falcon-7B's multi-query)
    "qwen3": ("text-generation-with-past", lambda: tf.Qwen3ForCausalLM(tf.Qwen3Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, max_position_embeddings=64)), {"model.onnx": "qwen3"}),
    "gptj": ("text-generation-with-past", lambda: tf.GPTJForCausalLM(tf.GPTJConfig(
        vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=64, rotary_dim=8)), {"model.onnx": "gptj"}),
    "falcon": ("text-generation-with-past", lambda: tf.FalconForCausalLM(tf.FalconConfig(
        vocab_size=256, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, new_decoder_architecture=False,
        multi_query=True, alibi=False)), {"model.onnx": "falcon_mqa"}),
    "phi3": ("text-generation-with-past", lambda: tf.Phi3ForCausalLM(tf.Phi3Config(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0, bos_token_id=1,
        eos_token_id=2)), {"model.onnx": "phi3"}),
    "whisper": ("automatic-speech-recognition-with-past", lambda: tf.WhisperForConditionalGeneration(
        tf.WhisperConfig(d_model=32, encoder_layers=1, decoder_layers=2, encoder_attention_heads=2,
                         decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, vocab_size=256,
                         num_mel_bins=8, max_source_positions=1500, max_target_positions=32,
                         decoder_start_token_id=1, pad_token_id=0, bos_token_id=1, eos_token_id=2)),
        {"decoder_with_past_model.onnx": "whisper_decoder_with_past",
         "decoder_model_merged.onnx": "whisper_decoder_merged"}),
    "t5": ("text2text-generation-with-past", lambda: tf.T5ForConditionalGeneration(tf.T5Config(
        vocab_size=256, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2, decoder_start_token_id=0)),
        {"decoder_with_past_model.onnx": "t5_decoder_with_past"}),
}


def main() -> None:
    only = sys.argv[1:] or list(SPECS)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest_path = OUT / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for name in only:
        task, make, files = SPECS[name]
        with tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(SEED)
            model = make().eval()
            src, dst = Path(tmp, "model"), Path(tmp, "onnx")
            model.save_pretrained(src)
            if name in ("whisper",):
                tf.WhisperFeatureExtractor(feature_size=8).save_pretrained(src)
            main_export(str(src), output=str(dst), task=task, do_validation=False, device="cpu")
            for produced, stem in files.items():
                target = OUT / f"optimum_{stem}.onnx"
                shutil.copy(dst / produced, target)
                manifest[target.name] = {"exporter": "optimum-onnx", "task": task, "model": type(model).__name__,
                                         "transformers": tf.__version__, "file": produced}
                print(f"{target.name}: {target.stat().st_size / 1024:.0f} KiB")
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
