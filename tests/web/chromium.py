"""Debian's Chromium for Playwright, launched the same way by the browser tests and scripts/screenshots.py,
and the browser tests' screenshots (``shoot``).

No Django here: the screenshot script imports it before any settings exist.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (never a downloaded one: ``playwright install`` is not used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def shoot(page: Any, name: str, tmp_path: Path, *, full_page: bool = True) -> None:
    """A PNG of ``page`` (all of it, or the window: a modal dialog's backdrop covers only the window)
    as ``name`` under ``tmp_path``, and into ``docs/screenshots/`` when ``RECURRA_SCREENSHOTS`` is set
    (how the docs' pictures are refreshed)."""
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=full_page)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("RECURRA_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        (DOCS / name).write_bytes(target.read_bytes())
