"""The audit trail: every state change writes one event in the same transaction.

``data`` holds ``before`` and ``after``: for a creation only ``after``, for a
deletion only ``before``, for an update the changed fields on both sides.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from django.db import models

from recurra.core import ids
from recurra.core.actors import Actor
from recurra.core.instances import plain_attributes
from recurra.core.models import Event

_PLAIN = frozenset({str, int, bool, float})
EVENT_ID_PREFIX = "evt"

# Told of every audit event written, inside its transaction (a port: outgoing webhooks, above,
# follow every change without the services calling up to them). ``listener(rows)``: Events or EventRows.
_listeners: list[Callable[[Sequence[Any]], None]] = []


def register_listener(listener: Callable[[Sequence[Any]], None]) -> None:
    """Call ``listener(rows)`` after audit events are written (once per write, in its transaction)."""
    if listener not in _listeners:
        _listeners.append(listener)


def written(rows: Sequence[Any]) -> None:
    """Tell the listeners of audit events just written; their writer calls it in their transaction."""
    for listener in _listeners:
        listener(rows)


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


_SEEN: dict[int, tuple[Any, Any]] = {}  # id → (value, its JSON): values met again and again
_DAYS: dict[dt.date, str] = {}  # a day's JSON by the day (equal days are often distinct objects)
_REMEMBERED = 1024


def _json_default(value: Any) -> Any:
    """``jsonable`` of a value JSON has no type for (dates, Decimals, UUIDs; all immutable).

    The same object comes back often (a batch's ``at`` is every row's
    ``created_at``), and so do the same days (a batch's periods), so the last
    thousand of each are remembered: objects by identity (each kept, so its id
    is not reused meanwhile), days by value.
    """
    seen = _SEEN.get(id(value))
    if seen is not None and seen[0] is value:
        return seen[1]
    if type(value) is dt.date:
        day = _DAYS.get(value)
        if day is None:
            if len(_DAYS) >= _REMEMBERED:
                _DAYS.clear()
            day = _DAYS[value] = value.isoformat()
        return day
    converted = jsonable(value)
    if converted is value:  # not a type jsonable converts: refused, as json.dumps refuses it
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    if len(_SEEN) >= _REMEMBERED:
        _SEEN.clear()
    _SEEN[id(value)] = (value, converted)
    return converted


# json.dumps's own C encoder, made once (JSONEncoder.encode makes one per call) and without the
# circular-reference check (the values are trees of fresh dicts and lists): json.dumps's text.
_C_ENCODE = (
    c_make_encoder(None, _json_default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    if c_make_encoder is not None
    else None
)
_ENCODER = json.JSONEncoder(default=_json_default)


def dumps(value: Any) -> str:
    """``json.dumps(jsonable(value))``, the same text, in one pass of the C encoder: it calls back
    only for the values JSON has no type for (dates, Decimals, UUIDs), so nothing walks the plain ones."""
    if _C_ENCODE is None or type(value) is not dict:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


@functools.cache
def _getter(model: type[models.Model]) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    names = tuple(field.attname for field in model._meta.concrete_fields)
    get = operator.itemgetter(*names)  # from __dict__: no descriptor call per foreign key
    return names, (get if len(names) > 1 else lambda values: (get(values),))


def values_of(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete fields (foreign keys as ``<name>_id``) as they are: JSON-ready
    once through :func:`dumps` (``core.bulk`` writes JSON columns so), the hot paths' snapshot."""
    names, get = _getter(type(instance))
    try:
        if not plain_attributes(type(instance)):
            raise KeyError
        values = get(instance.__dict__)
    except KeyError:  # a deferred field (or a wrapped one): read as attribute access does
        values = tuple(getattr(instance, name) for name in names)
    return dict(zip(names, values, strict=True))


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The instance's concrete fields (foreign keys as ``<name>_id``), JSON-ready."""
    if exclude:
        return {
            field.attname: jsonable(getattr(instance, field.attname))
            for field in instance._meta.concrete_fields
            if field.attname not in exclude and field.name not in exclude
        }
    plain = _PLAIN
    return {
        name: value if value is None or type(value) in plain else jsonable(value)
        for name, value in values_of(instance).items()
    }


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
        data=_data(before, after, extra, actor.depth),
        **({"created_at": at} if at is not None else {}),
    )


@dataclass(slots=True)
class EventRow:
    """An event as plain values, for the billing run's bulk writes
    (``core.bulk.insert_objects(rows, model=Event)``): no model instance per event
    (and not frozen: a frozen dataclass pays for every field it sets). Its ``data`` may hold
    values not yet JSON-ready (:func:`values_of`): the insert writes it through :func:`dumps`."""

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
    numbered: bool = True,
) -> EventRow:
    """An event row; ``numbered=False`` leaves its id empty for the caller to give it, who
    makes its rows' ids all at once (:func:`number`)."""
    return EventRow(
        id=ids.new_id(EVENT_ID_PREFIX) if numbered else "",
        type=type,
        object_type=_object_type(obj, type),
        object_id=str(obj.pk),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        data=_data(before, after, None, actor.depth),
        created_at=at,
    )


def number(rows: list[EventRow]) -> None:
    """Give event rows made with ``numbered=False`` their ids, in their order (``ids.new_ids``)."""
    for event, id_ in zip(rows, ids.new_ids(EVENT_ID_PREFIX, len(rows)), strict=True):
        event.id = id_


def _object_type(obj: models.Model, type: str) -> str:
    return obj._meta.model_name or type.split(".")[0]


def _data(
    before: dict[str, Any] | None, after: dict[str, Any] | None, extra: dict[str, Any] | None, depth: int = 0
) -> dict[str, Any]:
    """An event's data; ``depth``: a workflow's action (``Actor.depth``), kept to stop loops."""
    data: dict[str, Any] = {"depth": depth} if depth else {}
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
    at: dt.datetime | None = None,
) -> Event:
    """Append one event for ``obj`` (made ``at``, default now). Call inside the transaction that
    made the change."""
    event = build(type=type, obj=obj, actor=actor, before=before, after=after, extra=extra, at=at)
    event.save(force_insert=True)
    if _listeners:
        written((event,))
    return event


def record_update(*, type: str, obj: models.Model, actor: Actor, before: dict[str, Any]) -> Event | None:
    """An update event with the changed fields; nothing when nothing changed."""
    old, new = changes(before, snapshot(obj))
    if not new:
        return None
    return record(type=type, obj=obj, actor=actor, before=old, after=new)
