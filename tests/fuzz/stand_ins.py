"""Deliberately broken stand-ins for forgec's ``main``, one per rule of the fuzzer's oracle.

The worker calls ``broken(argv)`` in place of ``onnxforge.cli.forgec.main``; the behaviour is chosen by
the ``--pipeline`` value, so one worker run covers every rule. ``well`` behaves: it copies the input to
the output and exits 0, which the oracle must not flag.
"""

from __future__ import annotations

import os
import shutil
import sys
import time

import onnx
from onnx import numpy_helper


def broken(argv: list[str]) -> int:
    model, output = argv[0], argv[argv.index("-o") + 1]
    behaviour = next(a for a in argv if a.startswith("--pipeline=")).partition("=")[2]
    if behaviour == "well":
        shutil.copyfile(model, output)
        print("forgec: wrote it", file=sys.stderr)
        return 0
    if behaviour == "exit70":
        print("forgec: internal error: KeyError: 'x' (rerun with --debug for a traceback)", file=sys.stderr)
        return 70
    if behaviour == "traceback":
        print("Traceback (most recent call last):\n  File x\nValueError: y\nforgec: error: oops", file=sys.stderr)
        return 1
    if behaviour == "multiline":
        print("forgec: error: first line\nsecond line", file=sys.stderr)
        return 1
    if behaviour == "leaves":
        shutil.copyfile(model, output)
        print("forgec: error: failed, but the output stays", file=sys.stderr)
        return 1
    if behaviour == "modifies":  # still a valid model, so later runs can load it
        proto = onnx.load(model)
        proto.producer_name = "changed"
        onnx.save(proto, model)
        shutil.copyfile(model, output)
        return 0
    if behaviour == "miscompiles":  # every float initializer + 1
        proto = onnx.load(model)
        for tensor in proto.graph.initializer:
            array = numpy_helper.to_array(tensor)
            if array.dtype.kind == "f":
                tensor.CopyFrom(numpy_helper.from_array(array + 1, tensor.name))
        onnx.save(proto, output)
        return 0
    if behaviour == "raises":
        raise RuntimeError("escaped main")
    if behaviour == "crashes":
        os.abort()
    if behaviour == "hangs":
        time.sleep(600)
    raise AssertionError(behaviour)
