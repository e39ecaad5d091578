"""The port through which a webhook's ``object`` is exactly what the API's ``GET`` returns.

The API's serializers sit above automation (ARCHITECTURE rule 14), so the API app registers, at
start-up (``api/apps.py``), one renderer per public object type: ``render(ids) → {id: JSON-ready
dict}``, many objects in few queries. An object the renderer cannot find (gone) is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Renderer = Callable[[Sequence[str]], dict[str, dict[str, Any]]]

_RENDERERS: dict[str, Renderer] = {}


def register_renderer(object_type: str, renderer: Renderer) -> None:
    _RENDERERS[object_type] = renderer


def registered() -> frozenset[str]:
    return frozenset(_RENDERERS)


def render(object_type: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The objects of ``ids`` as ``GET`` shows them now; ``{"id": ...}`` alone for a type no renderer
    is registered for (the API app is not installed)."""
    renderer = _RENDERERS.get(object_type)
    if renderer is None:
        return {pk: {"id": pk} for pk in ids}
    return renderer(list(dict.fromkeys(ids)))
