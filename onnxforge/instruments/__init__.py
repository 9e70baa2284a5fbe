"""Research instruments: measure what the passes do, on real models, from the command line.

Each instrument is a small module that returns a result dataclass (JSON-able,
and rendered as tables by ``tables``):

- ``inspect``: op inventory, size, opsets, the forensics audit
  (``forensics``: every optimisation opportunity counted) and the architecture
  fingerprint (``fingerprint``, also what the ``auto`` pipeline chooses by);
- ``attribution``: per pass × model, nodes removed alone and cumulatively, and
  the measured output difference against the pass's accuracy class;
- ``tolerance``: max / mean / p99 output difference over many input seeds;
- ``order``: the pipeline's canonical pass order against shuffled orders;
- ``latency``: onnxruntime latency before/after a pipeline, interleaved runs,
  and the correlation of node reduction with latency change across models.

They reuse the pass registry, the pipelines and ``onnxforge.runtime``;
``python -m onnxforge.cli.instruments`` is the command line.
"""
