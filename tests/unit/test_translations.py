"""Every language Recurra speaks is complete: the catalogues hold exactly the messages the code
uses, each translated and compiled, and no template or Python string a person reads is left
unmarked (scripts/makemessages.py, scripts/i18n_lint.py, scripts/compilemessages.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_text_is_left_unmarked() -> None:
    problems = _script("i18n_lint").problems(ROOT / "recurra")
    assert problems == [], "\n".join(problems[:50])


def test_catalogues_hold_what_the_code_uses() -> None:
    stale = [str(po.relative_to(ROOT)) for po in _script("makemessages").stale()]
    assert stale == [], f"run scripts/makemessages.py: {stale}"


CATALOGUES = _script("compilemessages").catalogues()


@pytest.mark.parametrize(
    "po", _script("compilemessages").catalogues(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_catalogue_is_translated_and_compiled(po: Path) -> None:
    compilemessages = _script("compilemessages")
    assert compilemessages.problems(po, compilemessages.load(po)) == []
