"""The API's list envelope: ``{"data", "has_more", "next_cursor"}`` (paging itself is in core)."""

from __future__ import annotations

from pydantic import BaseModel, create_model

_LIST_SCHEMAS: dict[type[BaseModel], type[BaseModel]] = {}


def list_schema(item: type[BaseModel]) -> type[BaseModel]:
    """The list envelope for ``item``: ``<Item>List`` with data, has_more, next_cursor."""
    if item not in _LIST_SCHEMAS:
        _LIST_SCHEMAS[item] = create_model(
            f"{item.__name__.removesuffix('Out')}List",
            data=(list[item], ...),  # type: ignore[valid-type]
            has_more=(bool, ...),
            next_cursor=(str | None, ...),
        )
    return _LIST_SCHEMAS[item]
