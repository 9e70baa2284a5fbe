"""The lowering targets and precisions a user can name (``forgec --target/--precision``, ``onnxforge.compile``).

A module of its own, with no imports, so that ``forgec --help`` can list them without
loading xDSL; ``transforms.lowering.base`` checks pass options against the same tuple.
"""

TARGET_KINDS: tuple[str, ...] = ("standard", "ort", "portable", "tensorrt")

PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16")
"""``--precision``: fp32 leaves the model's; fp16/bf16 run ``onnx-convert-precision`` after the pipeline."""
