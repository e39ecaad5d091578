"""Public events and their deliveries, written in the transaction of the change (house rule 8).

``core.events`` tells :func:`audit_events_written` of every audit event as it is written, inside
its transaction: one call per ``record`` and one per billing batch (``billing.writes``). Each
audit event makes the public events :mod:`catalog` derives from it, but only those an enabled
endpoint wants: the enabled endpoints are read once per transaction (a transaction with no
endpoint wanting anything pays for that one small query and a dict look-up per event), and again
in it only after an endpoint changed in this process.

A public event takes its audit event's id (a second one made from the same audit event, such as
``invoice.payment_failed`` beside ``payment.failed``, a new ``evt_`` id); its object is rendered
as ``GET`` shows it (``objects``) at the end of the writes of the batch, i.e. as the transaction
leaves it; ``sequence`` counts the object's public events (1, 2, 3...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import transaction
from django.db.models import Max

from recurra.automation.models import EndpointStatus, PublicEvent, WebhookDelivery, WebhookEndpoint
from recurra.automation.webhooks import catalog, objects
from recurra.core import bulk, clock, events, ids
from recurra.core.events import EVENT_ID_PREFIX

_generation = 0  # bumped when this process changes an endpoint: the cached subscribers are stale


def endpoints_changed() -> None:
    global _generation
    _generation += 1


@dataclass(frozen=True, slots=True)
class Subscribers:
    endpoints: tuple[tuple[str, frozenset[str]], ...]  # (endpoint id, its enabled events)
    types: frozenset[str]  # every type some endpoint wants ("*" among them when one wants all)

    def wanted(self, event_type: str) -> list[str]:
        return [pk for pk, enabled in self.endpoints if catalog.wants(enabled, event_type)]

    def any_of(self, types: frozenset[str]) -> bool:
        return bool(self.types) and (catalog.WILDCARD in self.types or not self.types.isdisjoint(types))


NOBODY = Subscribers((), frozenset())
_ATTR = "_recurra_webhook_subscribers"


def subscribers() -> Subscribers:
    """The enabled endpoints and what they want, read once per transaction.

    Kept on the connection with the list Django keeps the transaction's commit hooks in: Django
    replaces that list at every commit and rollback (and savepoint rollback), so a kept answer
    whose list is no longer the connection's belongs to a finished transaction.
    """
    connection = transaction.get_connection()
    scope = connection.run_on_commit if connection.in_atomic_block else None
    kept = getattr(connection, _ATTR, None)
    if scope is not None and kept is not None and kept[0] is scope and kept[1] == _generation:
        return kept[2]  # type: ignore[no-any-return]
    rows = WebhookEndpoint.objects.filter(status=EndpointStatus.ENABLED).values_list("pk", "enabled_events")
    endpoints = tuple((pk, frozenset(enabled)) for pk, enabled in rows)
    found = Subscribers(endpoints, frozenset().union(*(e for _, e in endpoints))) if endpoints else NOBODY
    setattr(connection, _ATTR, (scope, _generation, found))
    return found


def register() -> None:
    events.register_listener(audit_events_written)


def audit_events_written(rows: Sequence[Any]) -> None:
    """Listener of ``core.events``: the public events ``rows`` (audit events or rows) make, and a
    delivery of each to every enabled endpoint that wants it."""
    may_make = catalog.MAY_MAKE
    if not any(row.type in may_make for row in rows):
        return
    who = subscribers()
    if not who.types:
        return
    chosen = [row for row in rows if row.type in may_make and who.any_of(may_make[row.type])]
    if chosen:
        publish(chosen, who)


@dataclass(slots=True)
class _Pending:
    id: str
    derived: catalog.Derived
    audit_data: dict[str, Any]
    created_at: datetime
    endpoints: list[str]
    object: dict[str, Any] | None = None


def publish(rows: Iterable[Any], who: Subscribers) -> list[PublicEvent]:
    pending: list[_Pending] = []
    for row in rows:
        data = row.data if isinstance(row.data, dict) else {}
        for n, derived in enumerate(catalog.derive(row.type, row.object_id, data)):
            endpoints = who.wanted(derived.type)
            if endpoints:
                event_id = row.id if n == 0 else ids.new_id(EVENT_ID_PREFIX)
                pending.append(_Pending(event_id, derived, data, row.created_at, endpoints))
    if not pending:
        return []
    with clock.read_once():  # one moment for every object rendered (a batch reads the clock once)
        _render(pending)
    return _write(pending)


def _render(pending: list[_Pending]) -> None:
    """Each pending event's object, as ``GET`` shows it now; a ``via`` one through its source."""
    own = [p for p in pending if p.derived.via is None]
    via = [p for p in pending if p.derived.via is not None]
    sources: dict[str, list[str]] = {}
    for p in via:  # the source of a via event is the audit event's own object
        sources.setdefault(_source_type(p), []).append(p.derived.object_id)
    shown: dict[tuple[str, str], dict[str, Any]] = {}
    wanted: dict[str, list[str]] = {}
    for p in own:
        wanted.setdefault(p.derived.object_type, []).append(p.derived.object_id)
    for object_type, pks in sources.items():
        wanted.setdefault(object_type, []).extend(pks)
    for object_type, pks in wanted.items():
        for pk, obj in objects.render(object_type, pks).items():
            shown[(object_type, pk)] = obj
    targets: dict[str, list[str]] = {}
    for p in via:
        source = shown.get((_source_type(p), p.derived.object_id)) or {}
        target = source.get(p.derived.via or "")
        p.derived = catalog.Derived(p.derived.type, p.derived.object_type, str(target or ""), None)
        if target:
            targets.setdefault(p.derived.object_type, []).append(str(target))
    for object_type, pks in targets.items():
        for pk, obj in objects.render(object_type, pks).items():
            shown[(object_type, pk)] = obj
    for p in pending:
        p.object = shown.get((p.derived.object_type, p.derived.object_id))


def _source_type(p: _Pending) -> str:
    """The object type of the audit event a ``via`` event came from (``payment.failed`` → payment)."""
    return _VIA_SOURCES[p.derived.type]


_VIA_SOURCES = {
    rule.type: catalog.OBJECT_TYPES[audit.partition(".")[0]]
    for audit, rules in catalog.RULES.items()
    for rule in rules
    if rule.about
}


def _write(pending: list[_Pending]) -> list[PublicEvent]:
    pending = [p for p in pending if p.derived.object_id]  # a via event whose target is unknown
    last = dict(
        PublicEvent.objects.filter(object_id__in={p.derived.object_id for p in pending})
        .values("object_id")
        .annotate(m=Max("sequence"))
        .values_list("object_id", "m")
        .order_by()
    )
    made: list[PublicEvent] = []
    deliveries: list[WebhookDelivery] = []
    delivery_ids = iter(ids.new_ids("whd", sum(len(p.endpoints) for p in pending)))
    for p in pending:
        sequence = last[p.derived.object_id] = (last.get(p.derived.object_id) or 0) + 1
        obj = p.object if p.object is not None else {"id": p.derived.object_id}
        body = envelope(
            event_id=p.id,
            type=p.derived.type,
            created_at=p.created_at,
            sequence=sequence,
            obj=obj,
            previous=_previous(p, obj),
        )
        event = PublicEvent(
            id=p.id,
            type=p.derived.type,
            object_type=p.derived.object_type,
            object_id=p.derived.object_id,
            sequence=sequence,
            body=body,
            created_at=p.created_at,
        )
        made.append(event)
        deliveries.extend(
            WebhookDelivery(
                id=next(delivery_ids),
                endpoint_id=endpoint,
                event_id=event.id,
                run_at=p.created_at,
                created_at=p.created_at,
                updated_at=p.created_at,
            )
            for endpoint in p.endpoints
        )
    # COPY on PostgreSQL: Django's bulk_create sends each column as an array, and psycopg escapes
    # every quote of every JSON body in Python (11 of 13 s of a billing run's webhook work).
    bulk.insert_objects(made)
    bulk.insert_objects(deliveries)
    return made


def _previous(p: _Pending, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of the object that changed, with their values before (as the audit trail has
    them); None for events that are not about a change of the object's fields."""
    if p.derived.type in _VIA_SOURCES or p.derived.type.endswith((".created", ".deleted", ".attached")):
        return None
    before = p.audit_data.get("before")
    if not isinstance(before, dict):
        return None
    found = {key: events.jsonable(value) for key, value in before.items() if key in obj}
    return found or None


def iso(at: datetime) -> str:
    """A datetime as the API writes it: ISO 8601, milliseconds when any, ``Z`` for UTC.

    >>> from datetime import UTC
    >>> iso(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    '2027-01-15T09:30:00Z'
    >>> iso(datetime(2027, 1, 15, 9, 30, 0, 123456, tzinfo=UTC))
    '2027-01-15T09:30:00.123Z'
    """
    text = at.isoformat()
    if at.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def envelope(
    *,
    event_id: str,
    type: str,
    created_at: datetime,
    sequence: int,
    obj: dict[str, Any],
    previous: dict[str, Any] | None,
) -> str:
    """The JSON body of an event, as sent."""
    body = {
        "id": event_id,
        "type": type,
        "created_at": iso(created_at),
        "sequence": sequence,
        "data": {"object": obj, "previous_attributes": previous},
    }
    return orjson.dumps(body).decode()
