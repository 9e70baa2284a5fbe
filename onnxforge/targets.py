"""The lowering targets a user can name (``forgec --target``, ``onnxforge.compile(target=...)``).

A module of its own, with no imports, so that ``forgec --help`` can list them without
loading xDSL; ``transforms.lowering.base`` checks pass options against the same tuple.
"""

TARGET_KINDS: tuple[str, ...] = ("standard", "ort", "portable", "tensorrt")
