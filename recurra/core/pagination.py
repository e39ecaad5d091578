"""Cursor (keyset) pagination for the API and the web app: ``{"data", "has_more", "next_cursor"}``.

The cursor is the sort key of the last row returned, so a page costs one
index range scan however deep it is, and rows inserted meanwhile never shift
a page. Orderings must end in a unique column (``id``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

from recurra.core.errors import ValidationFailed

T = TypeVar("T", bound=Model)
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None

    def render(self, item: Callable[[T], Any]) -> dict[str, Any]:
        """The list envelope with each row rendered by ``item``."""
        return {
            "data": [item(row) for row in self.data],
            "has_more": self.has_more,
            "next_cursor": self.next_cursor,
        }


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != width or not all(map(_storable, values)):
        raise ValidationFailed.field("cursor", "is not a cursor this list gave out")
    return values


def _storable(value: Any) -> bool:
    """A value encode_cursor writes (text or an integer) that a database can compare with."""
    if isinstance(value, str):
        return "\x00" not in value and value == value.encode("utf-8", "ignore").decode("utf-8")
    return isinstance(value, int) and not isinstance(value, bool)


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (lexicographic, per-column direction)."""
    condition = Q()
    for depth in range(len(ordering) - 1, -1, -1):
        name = ordering[depth].lstrip("-")
        op = "lt" if ordering[depth].startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[depth]})
        if depth < len(ordering) - 1:
            step |= Q(**{name: values[depth]}) & condition
        condition = step
    return condition


def paginate(
    qs: QuerySet[T],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    ordering: tuple[str, ...] = ("-id",),
) -> Page[T]:
    """One page of ``qs`` in ``ordering`` (newest first by default)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be from 1 to {MAX_LIMIT}")
    qs = qs.order_by(*ordering)
    if cursor:
        qs = qs.filter(_after(ordering, decode_cursor(cursor, len(ordering))))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, f.lstrip("-")) for f in ordering])
    return Page(data=rows, has_more=has_more, next_cursor=next_cursor)
