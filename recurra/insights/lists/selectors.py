"""Reads behind the lists API and pages: a list's members as a query (an active list's filters
compiled for today, a static list's rows), in keyset pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.crm.models import Contact
from recurra.insights.lists.query import list_condition
from recurra.insights.lists.services import MODELS
from recurra.insights.lists.spec import parse_list_filters
from recurra.insights.models import ListKind, ListMember, RecordList


def list_all(*, object: str | None = None, kind: str | None = None) -> QuerySet[RecordList]:
    """Every list, or those of ``object`` (contacts, companies) and of ``kind`` (active, static)."""
    found = RecordList.objects.select_related("created_by")
    if object is not None:
        found = found.filter(object=object)
    if kind is not None:
        found = found.filter(kind=kind)
    return found


def list_get(pk: str) -> RecordList | None:
    return RecordList.objects.filter(pk=pk).select_related("created_by").first()


def members(record_list: RecordList, *, at: datetime) -> QuerySet[Any]:
    """The list's members (contacts or companies) as they are at ``at``: an active list's filters
    resolved for the account-local day of ``at``; a static list's rows."""
    zone = account_zone()
    return members_on(record_list, today=local_date(at, zone), zone=zone)


def members_on(record_list: RecordList, *, today: date, zone: ZoneInfo) -> QuerySet[Any]:
    """:func:`members` on the account-local day ``today``."""
    model = MODELS[record_list.object]
    if record_list.kind == ListKind.STATIC:
        rows = ListMember.objects.filter(list=record_list, record_id=OuterRef("pk"))
        return model.objects.filter(Exists(rows))  # type: ignore[no-any-return]
    filters = parse_list_filters(record_list.filters, object=record_list.object)
    condition = list_condition(filters, object=record_list.object, today=today, zone=zone)
    return model.objects.filter(condition)  # type: ignore[no-any-return]


def in_list_condition(list_id: str, *, today: date, zone: ZoneInfo) -> Q:
    """Subscriptions whose contact (or company: by the list's object) is a member of the list
    ``list_id`` on ``today``; none when there is no such list (the port behind the filter
    language's ``{"in_list": id}``)."""
    found = RecordList.objects.filter(pk=list_id).first()
    if found is None:
        return Q(pk__in=[])
    field = "contact" if found.object == "contacts" else "company"
    return Q(**{f"{field}__in": members_on(found, today=today, zone=zone).values("pk")})


def member_contacts(record_list: RecordList, *, at: datetime) -> QuerySet[Contact]:
    """Whom an email to the list goes to: its contacts, or the contacts of its companies."""
    found = members(record_list, at=at)
    if record_list.object == "contacts":
        return found
    return Contact.objects.filter(company__in=found.values("pk"))


def member_ids(record_list: RecordList, *, at: datetime) -> list[str]:
    return list(members(record_list, at=at).values_list("pk", flat=True))


def size(record_list: RecordList, *, at: datetime) -> int:
    return members(record_list, at=at).count()
