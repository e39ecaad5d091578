"""The use cases of lists (keyword-only, ``<entity>_<action>``), each in one transaction with its
audit event.

Rules:
- A list is of ``contacts`` or ``companies``, ``active`` (its filters decide its members, always
  up to date) or ``static`` (members added and removed by hand; its filters, if any, are a note of
  how it was made). The object and the kind never change.
- ``list_snapshot`` makes a static list of an active list's members now.
- Adding a member who is one already, or removing one who is not, changes nothing. Ids that are not
  records of the list's object are a 422 naming them (nothing changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.insights.lists.spec import OBJECTS, list_filters_json, parse_list_filters
from recurra.insights.models import ListKind, ListMember, RecordList

MAX_NAME = 200
MAX_IDS = 1000
MODELS: dict[str, Any] = {"contacts": Contact, "companies": Company}


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME or "\x00" in name:
        raise ValidationFailed.field("name", f"must be text of 1 to {MAX_NAME} characters")
    return name.strip()


def _canonical(filters: Mapping[str, Any] | None, *, object: str) -> dict[str, Any]:
    return list_filters_json(parse_list_filters(filters, object=object), object=object)


def list_create(
    *,
    name: str,
    object: str,
    kind: str,
    filters: Mapping[str, Any] | None = None,
    created_by_id: int | None = None,
    actor: Actor,
    at: datetime,
) -> RecordList:
    """A new list (no members yet when static)."""
    if object not in OBJECTS:
        raise ValidationFailed.field("object", "must be contacts or companies")
    if kind not in ListKind.values:
        raise ValidationFailed.field("kind", "must be active or static")
    made = RecordList(
        name=_checked_name(name),
        object=object,
        kind=kind,
        filters=_canonical(filters, object=object),
        created_by_id=created_by_id,
        created_at=at,
    )
    with transaction.atomic():
        made.save(force_insert=True)
        events.record(type="list.created", obj=made, actor=actor, after=events.snapshot(made))
    return made


def list_update(
    *,
    record_list: RecordList,
    actor: Actor,
    name: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> RecordList:
    """Rename a list, or change an active list's filters (its members follow)."""
    before = events.snapshot(record_list)
    if name is not None:
        record_list.name = _checked_name(name)
    if filters is not None:
        if record_list.kind != ListKind.ACTIVE:
            raise Conflict("a static list's members are edited by hand, not by filters")
        record_list.filters = _canonical(filters, object=record_list.object)
    with transaction.atomic():
        record_list.save()
        events.record_update(type="list.updated", obj=record_list, actor=actor, before=before)
    return record_list


def list_delete(*, record_list: RecordList, actor: Actor) -> None:
    with transaction.atomic():
        events.record(type="list.deleted", obj=record_list, actor=actor, before=events.snapshot(record_list))
        record_list.delete()


def _records(record_list: RecordList, ids: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(ids))
    if not wanted or len(wanted) > MAX_IDS or not all(isinstance(pk, str) and pk for pk in wanted):
        raise ValidationFailed.field("ids", f"must be 1 to {MAX_IDS} record ids")
    found = set(MODELS[record_list.object].objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        noun = "contact" if record_list.object == "contacts" else "company"
        raise ValidationFailed.field("ids", f"no {noun}: {', '.join(missing[:10])}")
    return wanted


def _static(record_list: RecordList) -> None:
    if record_list.kind != ListKind.STATIC:
        raise Conflict("an active list's members follow its filters; make a static copy to edit them by hand")


def members_write(
    *,
    record_list: RecordList,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    actor: Actor,
    at: datetime,
) -> tuple[list[str], list[str]]:
    """Record the joins and leaves of ``record_list`` (any kind), one event each, in the caller's
    transaction; only real changes. Returns (added, removed)."""
    current = set(
        ListMember.objects.filter(list=record_list, record_id__in=[*added, *removed]).values_list(
            "record_id", flat=True
        )
    )
    joins = [pk for pk in dict.fromkeys(added) if pk not in current]
    leaves = [pk for pk in dict.fromkeys(removed) if pk in current]
    ListMember.objects.bulk_create(
        [ListMember(list=record_list, record_id=pk, added_at=at) for pk in joins], ignore_conflicts=True
    )
    if leaves:
        ListMember.objects.filter(list=record_list, record_id__in=leaves).delete()
    made = [
        events.build(
            type=f"list.{verb}",
            obj=record_list,
            actor=actor,
            extra={"record_id": pk, "object": record_list.object},
            at=at,
        )
        for verb, pks in (("member_added", joins), ("member_removed", leaves))
        for pk in pks
    ]
    if made:
        Event.objects.bulk_create(made, batch_size=1000)
        events.written(made)
    return joins, leaves


def list_members_add(*, record_list: RecordList, ids: Sequence[str], actor: Actor, at: datetime) -> int:
    """Add records to a static list; how many were not members yet."""
    _static(record_list)
    wanted = _records(record_list, ids)
    with transaction.atomic():
        joins, _ = members_write(record_list=record_list, added=wanted, actor=actor, at=at)
    return len(joins)


def list_members_remove(*, record_list: RecordList, ids: Sequence[str], actor: Actor, at: datetime) -> int:
    """Remove records from a static list; how many were members."""
    _static(record_list)
    wanted = list(dict.fromkeys(ids))
    if not wanted or len(wanted) > MAX_IDS:
        raise ValidationFailed.field("ids", f"must be 1 to {MAX_IDS} record ids")
    with transaction.atomic():
        _, leaves = members_write(record_list=record_list, removed=wanted, actor=actor, at=at)
    return len(leaves)


def list_snapshot(
    *,
    record_list: RecordList,
    name: str,
    member_ids: Sequence[str],
    created_by_id: int | None,
    actor: Actor,
    at: datetime,
) -> RecordList:
    """A static list holding ``member_ids`` (an active list's members now: ``selectors.member_ids``)."""
    with transaction.atomic():
        made = list_create(
            name=name,
            object=record_list.object,
            kind=ListKind.STATIC,
            filters=record_list.filters,
            created_by_id=created_by_id,
            actor=actor,
            at=at,
        )
        ListMember.objects.bulk_create(
            [ListMember(list=made, record_id=pk, added_at=at) for pk in member_ids], batch_size=1000
        )
    return made
