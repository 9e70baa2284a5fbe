"""What pyproject.toml promises about installs (tools/check_installs.py checks them in real venvs).

onnxforge goes into environments that already hold an onnx and an onnxruntime, CPU or GPU: its own
requirements are ranges, never pins on those two, and onnxruntime is no core requirement at all (a
requirement on the name ``onnxruntime`` makes pip install the CPU wheel over ``onnxruntime-gpu``).
"""

from __future__ import annotations

import ast
import re
import tomllib

import pytest
from paths import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = PROJECT["dependencies"]
EXTRAS = PROJECT["optional-dependencies"]


def _requirement(requirements: list[str], name: str) -> str | None:
    """The requirement on distribution ``name`` (names compared as PEP 503 normalises them)."""
    def normal(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    found = [r for r in requirements if normal(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) == normal(name)]
    assert len(found) <= 1, found
    return found[0] if found else None


def _lower_bound(requirement: str) -> tuple[int, ...]:
    match = re.search(r">=\s*([0-9.]+)", requirement)
    assert match, f"{requirement!r} has no lower bound"
    return tuple(int(part) for part in match.group(1).split("."))


@pytest.mark.parametrize("name", ["onnx", "onnxruntime", "onnxruntime-gpu", "numpy", "sympy", "ml_dtypes"])
def test_no_exact_pins_on_shared_packages(name: str) -> None:
    """The packages a deployment already has are ranges in every requirement list (core and extras)."""
    for where, requirements in [("dependencies", DEPENDENCIES), *EXTRAS.items()]:
        requirement = _requirement(requirements, name)
        assert requirement is None or "==" not in requirement, f"{where}: {requirement}"


def test_onnxruntime_is_not_a_core_dependency() -> None:
    assert _requirement(DEPENDENCIES, "onnxruntime") is None
    assert _requirement(DEPENDENCIES, "onnxruntime-gpu") is None


def test_extras_offer_cpu_and_gpu_onnxruntime_apart() -> None:
    """``ort`` brings the CPU wheel, ``gpu`` the CUDA one, and neither brings the other."""
    assert _requirement(EXTRAS["ort"], "onnxruntime") and _requirement(EXTRAS["ort"], "onnxruntime-gpu") is None
    assert _requirement(EXTRAS["gpu"], "onnxruntime-gpu") and _requirement(EXTRAS["gpu"], "onnxruntime") is None
    assert _lower_bound(_requirement(EXTRAS["ort"], "onnxruntime")) == _lower_bound(
        _requirement(EXTRAS["gpu"], "onnxruntime-gpu"))


def test_test_extra_brings_onnxruntime() -> None:
    """.ci/run installs only ``.[test]``; the numeric tests run models in onnxruntime."""
    requirement = _requirement(EXTRAS["test"], "onnxruntime")
    assert requirement is not None
    assert _lower_bound(requirement) == _lower_bound(_requirement(EXTRAS["ort"], "onnxruntime"))
    for name in ("pytest", "hypothesis", "filecheck", "ruff"):
        assert _requirement(EXTRAS["test"], name), name


def test_onnx_range_covers_the_generated_dialect() -> None:
    """The generated dialect's onnx release lies inside the onnx range, which has an upper bound."""
    header = (ROOT / "onnxforge" / "dialects" / "onnx" / "generated.py").read_text().splitlines()[0]
    generated = tuple(int(p) for p in re.search(r"from onnx ([0-9.]+) schemas", header).group(1).split("."))
    requirement = _requirement(DEPENDENCIES, "onnx")
    upper = re.search(r"<\s*([0-9.]+)", requirement)
    assert upper, f"{requirement!r} has no upper bound"
    assert _lower_bound(requirement) <= generated < tuple(int(p) for p in upper.group(1).split("."))


def test_xdsl_is_pinned() -> None:
    """xDSL's API changes between minor releases: one exact release."""
    assert re.fullmatch(r"xdsl==[0-9.]+", _requirement(DEPENDENCIES, "xdsl"))


def test_models_extra_has_no_torchvision() -> None:
    """PyPI's torchvision wheel is CUDA-linked and breaks transformers' imports beside the CPU torch."""
    assert _requirement(EXTRAS["models"], "torchvision") is None


def _version(text: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in text.split("."))
    return parts + (0,) * (3 - len(parts))


def test_check_installs_tries_the_floors() -> None:
    """tools/check_installs.py's ``oldest`` scenario installs exactly the lower bounds declared here."""
    tree = ast.parse((ROOT / "tools" / "check_installs.py").read_text())
    oldest = next(ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["OLDEST"])
    floors = {name: _requirement(DEPENDENCIES, name) or _requirement(EXTRAS["ort"], name) for name in oldest}
    assert {name: _version(version) for name, version in oldest.items()} == {
        name: _version(".".join(map(str, _lower_bound(requirement)))) for name, requirement in floors.items()}
