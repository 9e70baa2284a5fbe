"""Shared test helpers: the committed fixtures and onnxruntime sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_MODELS = sorted(FIXTURES.glob("*.onnx"))


@pytest.fixture(params=FIXTURE_MODELS, ids=lambda p: p.stem)
def fixture_model(request: pytest.FixtureRequest) -> Path:
    return request.param
