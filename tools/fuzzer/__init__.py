"""A differential fuzzer for forgec (issue 13).

Cases come from two generators: random *valid* graphs built from a typed op
vocabulary (``graphs``) and structure-aware mutations of the committed
fixtures (``mutate``). Each case runs through forgec, in a subprocess, under
every pipeline × target (× ``--target-opset=23``) with ``--verify``; the
``oracle`` flags exit 70, tracebacks, hangs and crashes, errors that are not
one ``forgec: error:`` line, output left after an error, a modified input,
and outputs that differ from the original's under onnxruntime at symbolic
dims bound to typical values, 0 and 1. A failing case is shrunk (``shrink``)
and saved with its seed (``campaign``).

It lives in ``tools/`` rather than in the package: it is a development tool
that drives forgec from the outside, as a user does, and nothing in
onnxforge depends on it. ``tests/fuzz`` runs a bounded campaign in CI;
``benchmarks/fuzz.py`` runs a long one.
"""
