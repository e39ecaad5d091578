"""Template context every page gets: the mode (for the sandbox banner) and the nav."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def recurra(request: HttpRequest) -> dict[str, Any]:
    return {"recurra_mode": settings.RECURRA_MODE, "sandbox": settings.RECURRA_MODE == "sandbox"}
