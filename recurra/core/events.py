"""The audit trail: every state change writes one event in the same transaction.

``data`` holds ``before`` and ``after``: for a creation only ``after``, for a
deletion only ``before``, for an update the changed fields on both sides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from recurra.core import ids
from recurra.core.actors import Actor
from recurra.core.models import Event

_PLAIN = frozenset({str, int, bool, float})


def jsonable(value: Any) -> Any:
    """A model field's value as JSON: dates ISO 8601, Decimals as strings, FKs by id."""
    if value is None or type(value) in _PLAIN:  # most values: answered before the checks below
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The instance's concrete fields (foreign keys as ``<name>_id``), JSON-ready."""
    result = {}
    for field in instance._meta.concrete_fields:
        if field.attname in exclude or field.name in exclude:
            continue
        result[field.attname] = jsonable(getattr(instance, field.attname))
    return result


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, on both sides (``updated_at`` ignored)."""
    keys = [k for k in after if before.get(k) != after[k] and k != "updated_at"]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def build(
    *,
    type: str,
    obj: models.Model,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """One unsaved event for ``obj``; :func:`record` saves one, ``bulk_create`` saves many.

    ``at`` spares hot paths a read of the clock per event.
    """
    return Event(
        type=type,
        object_type=_object_type(obj, type),
        object_id=str(obj.pk),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        data=_data(before, after, extra),
        **({"created_at": at} if at is not None else {}),
    )


@dataclass(slots=True)
class EventRow:
    """An event as plain values, for the billing run's bulk writes
    (``core.bulk.insert_objects(rows, model=Event)``): no model instance per event
    (and not frozen: a frozen dataclass pays for every field it sets)."""

    id: str
    type: str
    object_type: str
    object_id: str
    actor_type: str
    actor_id: str
    actor_name: str
    data: dict[str, Any]
    created_at: dt.datetime


def row(
    *,
    type: str,
    obj: models.Model,
    actor: Actor,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> EventRow:
    return EventRow(
        id=ids.new_id("evt"),
        type=type,
        object_type=_object_type(obj, type),
        object_id=str(obj.pk),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        data=_data(before, after, None),
        created_at=at,
    )


def _object_type(obj: models.Model, type: str) -> str:
    return obj._meta.model_name or type.split(".")[0]


def _data(
    before: dict[str, Any] | None, after: dict[str, Any] | None, extra: dict[str, Any] | None
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if before is not None:
        data["before"] = before
    if after is not None:
        data["after"] = after
    if extra:
        data.update(jsonable(extra))
    return data


def record(
    *,
    type: str,
    obj: models.Model,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """Append one event for ``obj``. Call inside the transaction that made the change."""
    event = build(type=type, obj=obj, actor=actor, before=before, after=after, extra=extra)
    event.save(force_insert=True)
    return event


def record_update(*, type: str, obj: models.Model, actor: Actor, before: dict[str, Any]) -> Event | None:
    """An update event with the changed fields; nothing when nothing changed."""
    old, new = changes(before, snapshot(obj))
    if not new:
        return None
    return record(type=type, obj=obj, actor=actor, before=old, after=new)
