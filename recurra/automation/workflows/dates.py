"""Date triggers: ``offset_days`` before or after a subscription's date, once a day in the account's zone.

On each account-local day ``d`` a date workflow enrolls the subscriptions whose date is
``d - offset_days`` (7 days before the next payment: the date is ``d + 7``), once per date value
(the occurrence ``next_payment_date:2027-03-31``): moving to the next period makes a new date, and
so a new enrollment. A day the worker missed is caught up the next time (its subscriptions enroll
late, never twice); a workflow starts with the day it was enabled. The last day looked at is
looked at again on each pass (a subscription created later that day, its payment 7 days out,
enrolls then, or the next day at the latest; the occurrence keeps it to one). The test clock
stops only on days some subscription is due (:func:`dates_next_due`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Min, Q

from recurra.accounts.selectors import account_zone
from recurra.automation.models import Workflow
from recurra.automation.workflows.enrolling import Candidate, enroll
from recurra.automation.workflows.live import Live, live_workflows
from recurra.automation.workflows.spec import DateTrigger, trigger_json
from recurra.catalog.schedule import local_date
from recurra.saved_views.query import filters_condition
from recurra.subscriptions.models import Subscription


def _date_workflows() -> list[tuple[Live, DateTrigger]]:
    return [(w, t) for w in live_workflows() if isinstance(t := w.definition.trigger, DateTrigger)]


def workflows_dates(*, at: datetime) -> int:
    """Enroll what each date workflow has due by the account-local day of ``at``; how many enrolled."""
    zone = account_zone()
    today = local_date(at, zone)
    made = 0
    for w, trigger in _date_workflows():
        with transaction.atomic():
            locked = Workflow.objects.select_for_update(skip_locked=True).filter(pk=w.id).first()
            if locked is None:
                continue  # another worker is at it
            first = min(locked.dates_through or today, today)  # the last day looked at, again
            made += enroll(_due(w, trigger, first, today, zone), at=at)
            locked.dates_through = today
            locked.save(update_fields=["dates_through"])
    return made


def _due(w: Live, trigger: DateTrigger, first: date, last: date, zone: ZoneInfo) -> list[Candidate]:
    """The subscriptions whose date falls on a day from ``first`` to ``last``, less the offset."""
    low, high = first - timedelta(days=trigger.offset_days), last - timedelta(days=trigger.offset_days)
    column = trigger.property
    condition = Q(**{f"{column}__gte": low, f"{column}__lte": high})
    if not w.definition.filters.is_empty:
        condition &= filters_condition(w.definition.filters, today=last, zone=zone)
    shown = trigger_json(trigger)
    return [
        Candidate(
            w,
            pk,
            f"{column}:{value.isoformat()}",
            {
                **shown,
                "date": value.isoformat(),
                "day": (value + timedelta(days=trigger.offset_days)).isoformat(),
            },
            "",
            1,
        )
        for pk, value in Subscription.objects.filter(condition).values_list("pk", column).iterator()
    ]


def dates_next_due(*, after: datetime) -> datetime | None:
    """The start (account-local midnight) of the next day some date workflow has a subscription due."""
    zone = account_zone()
    today = local_date(after, zone)
    best: date | None = None
    for w, trigger in _date_workflows():
        through = Workflow.objects.filter(pk=w.id).values_list("dates_through", flat=True).first()
        first = through + timedelta(days=1) if through else today  # the first day not looked at
        low = first - timedelta(days=trigger.offset_days)
        condition = Q(**{f"{trigger.property}__gte": low})
        if not w.definition.filters.is_empty:
            condition &= filters_condition(w.definition.filters, today=today, zone=zone)
        value = Subscription.objects.filter(condition).aggregate(m=Min(trigger.property))["m"]
        if value is not None:
            day = max(value + timedelta(days=trigger.offset_days), first)
            best = day if best is None else min(best, day)
    if best is None:
        return None
    if best <= today:
        return after
    return datetime.combine(best, time.min, tzinfo=zone)
