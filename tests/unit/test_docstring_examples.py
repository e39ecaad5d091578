"""Every docstring example in recurra runs and says what it shows (dateutil's habit: examples are tests)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "recurra"
MODULES = sorted(
    ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    for path in ROOT.rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8") and "migrations" not in path.parts
)


def test_examples_are_found() -> None:
    assert "recurra.payments.gateways.stripe_amounts" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed, f"{result.failed} of {result.attempted} failed in {name}"
