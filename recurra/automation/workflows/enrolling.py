"""Enrollments decided from the audit trail by a cursor: no service calls up to the workflows.

A pass (:func:`workflows_enroll`) reads the audit events after the cursor in id order (ids sort by
the millisecond they were made), a batch at a time, asks each enabled workflow's trigger about each
event, narrows by the workflow's filters (one query per workflow and batch), writes the
enrollments (rows of the ``workflows`` queue, run by the job runner right after) and moves the
cursor, all in one transaction that holds the cursor's row: one worker at a time evaluates, and a
racing one skips the pass.

Settled events only (``core.cursors``: the cursor ``workflows``): events of transactions that may
still be open wait for the next pass (the test clock's pass waits them out, once).

Rules: an event made by a workflow's action carries its depth (``core.actors``), and enrolls at
depth + 1; beyond :data:`MAX_DEPTH` the enrollment is written *stopped* and logged, never run (a
loop ends there). A workflow sees only the events after its ``enabled_from``. An enrollment is one
per (workflow, subscription, occurrence): the occurrence is ``once`` unless the workflow re-enrolls
(then the id of the event that enrolled it), and one at a time while it is enrolled.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from recurra.automation.models import (
    ENROLLED,
    Enrollment,
    EnrollmentStatus,
    WorkflowMatch,
)
from recurra.automation.workflows import matching, triggers
from recurra.automation.workflows.live import Live, live_workflows
from recurra.automation.workflows.spec import LIST_EVENTS, FilterTrigger, PropertyChange, trigger_json
from recurra.core import cursors
from recurra.core.models import AuditCursor, Event
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription

log = logging.getLogger("recurra.workflows")

CURSOR = "workflows"
MAX_DEPTH = 3
BATCH = 2000
ONCE = "once"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An enrollment to write (if its keys are free)."""

    live: Live
    subscription_id: str
    occurrence: str
    trigger: dict[str, Any]
    event_id: str
    depth: int


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: str
    type: str
    object_type: str
    object_id: str
    data: dict[str, Any]


# The cursor ---------------------------------------------------------------------------------------


def _listening() -> list[Live]:
    """The enabled workflows whose triggers follow events (date triggers follow the calendar)."""
    return [w for w in live_workflows() if triggers.audit_types(w.definition.trigger) != frozenset()]


def workflows_enroll(*, at: datetime, limit: int = BATCH) -> int:
    """Evaluate the settled audit events after the cursor; returns how many enrollments it wrote.

    Events not yet settled are waited for once (the margin), so that the test clock, which runs
    a pass right after the change, sees them."""
    written = 0
    waited = False
    if not _listening():
        return 0  # the idle worker's pass: one query
    while True:
        with transaction.atomic():
            cursor = cursors.locked(CURSOR)
            if cursor is None:
                return written  # another worker is at it
            made, more, pending = _pass(cursor, at=at, limit=limit)
            written += made
        if more:
            continue
        if pending and not waited:
            waited = True
            time.sleep(settings.WORKFLOW_SETTLE_MS / 1000)
            continue
        return written


def _pass(cursor: AuditCursor, *, at: datetime, limit: int) -> tuple[int, bool, bool]:
    """(enrollments written, a full batch was read, events after the horizon wait)."""
    live = _listening()
    if not live:  # nothing to evaluate, nothing to write: a workflow enabled later starts after now
        return 0, False, False
    horizon = cursors.horizon()
    start = max(cursor.position, min(w.enabled_from for w in live))
    rows = [
        AuditRow(*values)
        for values in Event.objects.filter(wanted(live), id__gt=start, id__lt=horizon)
        .order_by("id")
        .values_list("id", "type", "object_type", "object_id", "data")[:limit]
    ]
    made = enroll(evaluate(rows, live, at=at), at=at)
    full = len(rows) == limit
    cursors.move(cursor, rows[-1].id if full else max(start, horizon), at=at)
    pending = not full and Event.objects.filter(id__gte=horizon).exists()
    return made, full, pending


def wanted(live: Sequence[Live]) -> Q:
    """The events some workflow may want: any about a subscription when a trigger looks at them
    all (property changes, filters), and the audit types event triggers follow."""
    types: set[str] = set()
    condition = Q(pk__in=[])
    for w in live:
        found = triggers.audit_types(w.definition.trigger)
        if found is None:
            condition = Q(object_type=triggers.SUBSCRIPTION)
        else:
            types |= found
    return condition | Q(type__in=sorted(types)) if types else condition


def enroll_next_due(*, after: datetime) -> datetime | None:
    """``after`` while audit events wait after the cursor and a workflow listens; else None."""
    live = _listening()
    if not live:
        return None
    start = max(cursors.position(CURSOR), min(w.enabled_from for w in live))
    return after if Event.objects.filter(wanted(live), id__gt=start).exists() else None


# Evaluation ---------------------------------------------------------------------------------------


def evaluate(rows: Sequence[AuditRow], live: Sequence[Live], *, at: datetime) -> list[Candidate]:
    """The enrollments ``rows`` make in ``live`` workflows (filters applied, loops stopped)."""
    if not rows:
        return []
    linked = _linked_subscriptions(rows)
    fired: dict[str, list[tuple[AuditRow, str]]] = defaultdict(list)  # workflow id → (row, sub id)
    by_id = {w.id: w for w in live}
    types_of = {w.id: triggers.audit_types(w.definition.trigger) for w in live}
    for row in rows:
        for w in live:
            if row.id < w.enabled_from:
                continue
            types = types_of[w.id]
            if types is not None and row.type not in types:
                continue
            if not triggers.fires(w.definition.trigger, row.type, row.object_type, row.data):
                continue
            subs = [row.object_id] if row.object_type == triggers.SUBSCRIPTION else linked.get(row.id, [])
            fired[w.id].extend((row, sub) for sub in subs)
    found: list[Candidate] = []
    for workflow_id, hits in fired.items():
        w = by_id[workflow_id]
        if isinstance(w.definition.trigger, FilterTrigger):
            found += _starts_matching(w, hits, at=at)
            continue
        ok = matching.matching(w.definition.filters, (sub for _, sub in hits), at=at)
        found += [_candidate(w, row, sub) for row, sub in hits if sub in ok]
    return found


def _candidate(w: Live, row: AuditRow, sub: str) -> Candidate:
    depth = int(row.data.get("depth") or 0) + 1
    trigger = {**trigger_json(w.definition.trigger), "event_id": row.id, "event_type": row.type}
    if isinstance(w.definition.trigger, PropertyChange):
        column = triggers.column_of(w.definition.trigger.property)
        trigger["from_value"] = (row.data.get("before") or {}).get(column)
        trigger["to_value"] = (row.data.get("after") or {}).get(column)
    occurrence = row.id if w.definition.reenroll else ONCE
    return Candidate(w, sub, occurrence, trigger, row.id, depth)


def _starts_matching(w: Live, hits: list[tuple[AuditRow, str]], *, at: datetime) -> list[Candidate]:
    """Filter triggers: the touched subscriptions that match now and had no match row."""
    touched = {sub: row for row, sub in hits}  # the last event of each
    now = matching.matching(w.definition.filters, touched, at=at)
    before = set(
        WorkflowMatch.objects.filter(workflow_id=w.id, subscription_id__in=list(touched)).values_list(
            "subscription_id", flat=True
        )
    )
    started = [sub for sub in touched if sub in now and sub not in before]
    stopped = [sub for sub in touched if sub in before and sub not in now]
    if stopped:
        WorkflowMatch.objects.filter(workflow_id=w.id, subscription_id__in=stopped).delete()
    WorkflowMatch.objects.bulk_create(
        [WorkflowMatch(workflow_id=w.id, subscription_id=sub) for sub in started], ignore_conflicts=True
    )
    return [_candidate(w, touched[sub], sub) for sub in started]


def _linked_subscriptions(rows: Iterable[AuditRow]) -> dict[str, list[str]]:
    """Event id → the subscriptions it is about, for events about an invoice or a payment (its
    one), and a list's joins and leaves (every subscription of the contact or company)."""
    by_type: dict[str, list[AuditRow]] = defaultdict(list)
    members: list[AuditRow] = []
    for row in rows:
        if row.object_type in triggers.LINKED:
            by_type[row.object_type].append(row)
        elif row.type in LIST_EVENTS:
            members.append(row)
    found: dict[str, list[str]] = {}
    if members:
        theirs: dict[str, list[str]] = defaultdict(list)
        records = {str(r.data.get("record_id")) for r in members}
        for pk, contact, company in Subscription.objects.filter(
            Q(contact_id__in=records) | Q(company_id__in=records)
        ).values_list("pk", "contact_id", "company_id"):
            theirs[contact].append(pk)
            if company:
                theirs[company].append(pk)
        found.update({r.id: theirs.get(str(r.data.get("record_id")), []) for r in members})
    for object_type, model in (("invoice", Invoice), ("payment", Payment)):
        some = by_type.get(object_type)
        if not some:
            continue
        subs = dict(
            model.objects.filter(pk__in={r.object_id for r in some}, subscription__isnull=False).values_list(
                "pk", "subscription_id"
            )
        )
        found.update({r.id: [subs[r.object_id]] for r in some if r.object_id in subs})
    return found


# Writing enrollments ------------------------------------------------------------------------------


def _taken(candidates: Sequence[Candidate]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    """The candidates' keys already used: (workflow, subscription, occurrence), and the
    (workflow, subscription) pairs enrolled now (waiting or running)."""
    workflows = {c.live.id for c in candidates}
    subs = {c.subscription_id for c in candidates}
    found = Enrollment.objects.filter(workflow_id__in=workflows, subscription_id__in=subs)
    used = set(
        found.filter(occurrence__in={c.occurrence for c in candidates}).values_list(
            "workflow_id", "subscription_id", "occurrence"
        )
    )
    enrolled = set(found.filter(status__in=ENROLLED).values_list("workflow_id", "subscription_id"))
    return used, enrolled


def enroll(candidates: Sequence[Candidate], *, at: datetime) -> int:
    """Write the enrollments whose keys are free (repeats write nothing; a racing worker's insert
    of the same key is ignored by the database); beyond :data:`MAX_DEPTH` as *stopped*. Returns
    how many it wrote (one more than true per key a racing worker took meanwhile)."""
    if not candidates:
        return 0
    used, enrolled = _taken(candidates)
    rows = []
    for c in candidates:
        key = (c.live.id, c.subscription_id, c.occurrence)
        if key in used or (c.depth <= MAX_DEPTH and key[:2] in enrolled):
            continue
        used.add(key)
        if c.depth <= MAX_DEPTH:
            enrolled.add(key[:2])
        stopped = c.depth > MAX_DEPTH
        if stopped:
            log.warning(
                "workflow %s not run for %s: depth %s (a loop of workflows stops at %s)",
                c.live.id,
                c.subscription_id,
                c.depth,
                MAX_DEPTH,
            )
        rows.append(
            Enrollment(
                workflow_id=c.live.id,
                version_id=c.live.version_id,
                subscription_id=c.subscription_id,
                occurrence=c.occurrence,
                trigger={**c.trigger, **({"stopped": "depth"} if stopped else {})},
                event_id=c.event_id,
                depth=c.depth,
                position=[0],
                status=EnrollmentStatus.STOPPED if stopped else EnrollmentStatus.QUEUED,
                run_at=at,
                created_at=at,
                updated_at=at,
                finished_at=at if stopped else None,
            )
        )
    Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
