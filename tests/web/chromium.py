"""Debian's Chromium for Playwright, launched the same way by the browser tests and scripts/screenshots.py.

No Django here: the screenshot script imports it before any settings exist.
"""

from __future__ import annotations

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


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (never a downloaded one: ``playwright install`` is not used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
