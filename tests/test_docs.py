"""The guide's complete example is the pass as it is in the package (a change to one shows in the other)."""

from __future__ import annotations

from paths import ROOT


def test_writing_a_pass_shows_the_fusion_as_it_is() -> None:
    guide = (ROOT / "docs" / "writing-a-pass.md").read_text()
    shown = guide.split("```python\n")[1].split("```")[0].strip()
    source = (ROOT / "onnxforge" / "transforms" / "nn_fuse_skip_layer_norm.py").read_text()
    assert shown == source[source.index("class FuseSkipLayerNorm"):].strip()


def test_writing_a_pass_shows_the_plugin_as_it_is() -> None:
    guide = (ROOT / "docs" / "writing-a-pass.md").read_text()
    shown = guide.split("```python\n")[2].split("```")[0]
    source = (ROOT / "examples" / "fold_double_neg.py").read_text()
    for line in shown.splitlines():
        code = line.split("  #")[0].rstrip()
        assert not code.strip() or code in source, line
