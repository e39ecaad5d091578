"""Active lists kept in ``ListMember`` as their members come and go, each join and leave an event.

An active list's members are always its query (``selectors.members``); this reader of the audit
trail (``core.cursors``, the cursor ``lists``) also keeps them as rows, so that a join or a leave is
an event (``list.member_added`` / ``list.member_removed``, what workflows and webhooks follow). A
pass re-evaluates, for every active list, the records the events after the cursor touched (a
contact or company that changed; a subscription's contact and company, before and after a move).
A list whose filters changed is evaluated whole; a new list is filled silently (its first members
did not join: they were there). Relative dates (``within_next_days``...) move with the calendar, so
each active list is also evaluated whole once a day (the account-local day).
"""

from __future__ import annotations

import time as wall
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.core import cursors
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.insights.lists import selectors
from recurra.insights.lists.services import members_write
from recurra.insights.models import ListKind, ListMember, RecordList
from recurra.subscriptions.models import Subscription

CURSOR = "lists"
BATCH = 5000
ACTOR = Actor("system", "lists", "Recurra (list membership)")
FOLLOWED = ("contact", "company", "subscription", "recordlist")


def lists_refresh(*, at: datetime, limit: int = BATCH) -> int:
    """One pass: the joins and leaves since the last one; how many it recorded."""
    if not RecordList.objects.filter(kind=ListKind.ACTIVE).exists():
        return 0
    changed = 0
    waited = False
    while True:
        with transaction.atomic():
            cursor = cursors.locked(CURSOR)
            if cursor is None:
                return changed  # another worker is at it
            horizon = cursors.horizon()
            rows = list(
                Event.objects.filter(id__gt=cursor.position, id__lt=horizon, object_type__in=FOLLOWED)
                .order_by("id")
                .values_list("id", "type", "object_type", "object_id", "data")[:limit]
            )
            touched, whole, new = _touched(rows)
            changed += _apply(touched, whole, new, at=at)
            full = len(rows) == limit
            cursors.move(cursor, rows[-1][0] if full else horizon, at=at)
        if full:
            continue
        if not waited and Event.objects.filter(id__gte=horizon, object_type__in=FOLLOWED).exists():
            waited = True  # the events just written settle (the test clock's pass sees them)
            wall.sleep(settings.WORKFLOW_SETTLE_MS / 1000)
            continue
        return changed


def _touched(
    rows: Iterable[tuple[str, str, str, str, dict]],
) -> tuple[dict[str, set[str]], set[str], set[str]]:
    """(object → record ids touched, lists whose filters changed, lists created)."""
    touched: dict[str, set[str]] = defaultdict(set)
    whole: set[str] = set()
    new: set[str] = set()
    subs: set[str] = set()
    for _, type_, object_type, object_id, data in rows:
        if object_type == "contact":
            touched["contacts"].add(object_id)
        elif object_type == "company":
            touched["companies"].add(object_id)
        elif object_type == "subscription":
            subs.add(object_id)
            for side in ("before", "after"):  # a move from one contact or company to another
                values = data.get(side) or {}
                for key, obj in (("contact_id", "contacts"), ("company_id", "companies")):
                    if values.get(key):
                        touched[obj].add(str(values[key]))
        elif type_ == "list.created":
            new.add(object_id)
        elif type_ == "list.updated" and "filters" in (data.get("after") or {}):
            whole.add(object_id)
    for contact, company in Subscription.objects.filter(pk__in=subs).values_list("contact_id", "company_id"):
        touched["contacts"].add(contact)
        if company:
            touched["companies"].add(company)
    return touched, whole, new


def _apply(touched: dict[str, set[str]], whole: set[str], new: set[str], *, at: datetime) -> int:
    changed = 0
    today = local_date(at, account_zone())
    for found in RecordList.objects.filter(kind=ListKind.ACTIVE):
        if found.pk in new or found.refreshed_on is None:
            ListMember.objects.bulk_create(
                [
                    ListMember(list=found, record_id=pk, added_at=at)
                    for pk in selectors.member_ids(found, at=at)
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
            found.refreshed_on = today
            found.save(update_fields=["refreshed_on"])
            continue
        if found.pk in whole or found.refreshed_on < today:
            changed += _evaluate(found, None, at=at)
            found.refreshed_on = today
            found.save(update_fields=["refreshed_on"])
        elif touched.get(found.object):
            changed += _evaluate(found, touched[found.object], at=at)
    return changed


def _evaluate(found: RecordList, ids: set[str] | None, *, at: datetime) -> int:
    """Record the joins and leaves of ``found`` among ``ids`` (all its records when None)."""
    now = selectors.members(found, at=at)
    kept = ListMember.objects.filter(list=found)
    if ids is not None:
        now, kept = now.filter(pk__in=ids), kept.filter(record_id__in=ids)
    members = set(now.values_list("pk", flat=True))
    before = set(kept.values_list("record_id", flat=True))
    joins, leaves = members_write(
        record_list=found,
        added=sorted(members - before),
        removed=sorted(before - members),
        actor=ACTOR,
        at=at,
    )
    return len(joins) + len(leaves)


def lists_next_due(*, after: datetime) -> datetime | None:
    """``after`` while events wait after the cursor; else the next account-local midnight, when an
    active list exists (its daily evaluation)."""
    if not RecordList.objects.filter(kind=ListKind.ACTIVE).exists():
        return None
    position = cursors.position(CURSOR)
    if Event.objects.filter(id__gt=position, object_type__in=FOLLOWED).exists():
        return after
    zone = account_zone()
    tomorrow = local_date(after, zone) + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=zone)
