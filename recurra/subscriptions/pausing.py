"""Pausing and resuming a subscription (``POST /subscriptions/{id}/pause`` and ``/resume``).

Rules:
- Active, Unpaid (``past_due``) and scheduled subscriptions can be paused, with an
  optional reason and an optional ``resume_on`` (after today, in the account's zone).
  While paused nothing is invoiced, charged or reminded: the billing run and the
  reminders only look at billable statuses. ``next_payment_date`` is kept for display
  but not billed; it is recomputed on resume.
- Resuming needs the next payment date: today or later, and after the start of the
  last billed period (so no period is billed twice). Left out, it is the next anchor
  date on or after today: the first start, from period ``periods_billed`` on, of the
  current schedule that is not in the past (the day of the month is kept; the periods
  that fell in the pause are skipped, not billed).
- Resuming re-anchors the schedule: the next unbilled period (``periods_billed``)
  starts on the chosen date and each later one whole steps after it; periods billed
  before keep their dates. A fixed term keeps its number of payments, so its end date
  moves. A fixed term already fully invoiced has nothing to re-anchor (no date).
- A resumed subscription is Unpaid when it still has an overdue open invoice, else
  active. The audit events are ``subscription.paused`` and ``subscription.<new status>``.
- Scheduled resumes (:func:`resume_due`, run by the worker) happen by themselves on
  the ``resume_on`` day, with the same default rule applied on that day: billing starts
  again on the next anchor date on or after ``resume_on`` (HubSpot would bill on the
  resume day itself; keeping the billing day the buyer knows is the issue's default).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext

from recurra.accounts.selectors import account_zone
from recurra.catalog import schedule
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.due import day_due
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.subscriptions.lifecycle import check_transition
from recurra.subscriptions.models import Subscription, SubscriptionStatus

SYSTEM = Actor.system()
BATCH = 100


def _fully_billed(sub: Subscription) -> bool:
    return sub.number_of_payments is not None and sub.periods_billed >= sub.number_of_payments


def next_anchor_date(sub: Subscription, on: date) -> date | None:
    """The first period start of ``sub``'s current schedule on or after ``on``, from period
    ``periods_billed`` on (pure); None when a fixed term has nothing left to bill."""
    if _fully_billed(sub):
        return None
    anchor, anchor_period = sub.anchor
    step = schedule.step_for(sub.billing_frequency)
    index = max(sub.periods_billed - anchor_period, 0)  # counted from the anchor
    index = max(index, schedule.index_on(anchor, step, on) or 0)  # jump close, then step on
    start = schedule.period_start(anchor, step, index)
    while start < on:
        index += 1
        start = schedule.period_start(anchor, step, index)
    return start


def _today(at: datetime) -> date:
    return schedule.local_date(at, account_zone())


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


def subscription_pause(
    *, subscription: Subscription, reason: str | None, resume_on: date | None, actor: Actor, at: datetime
) -> Subscription:
    """Pause ``subscription`` now (409 unless active, Unpaid or scheduled); one ``subscription.paused``."""
    today = _today(at)
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status == SubscriptionStatus.PAUSED:
            raise Conflict(gettext("subscription %(id)s is already paused") % {"id": sub.pk})
        check_transition(sub.status, SubscriptionStatus.PAUSED)
        errors = []
        text = (reason or "").strip()
        limit = Subscription._meta.get_field("pause_reason").max_length or 500
        if len(text) > limit:
            errors.append(
                FieldError("reason", gettext("must be at most %(limit)s characters") % {"limit": limit})
            )
        if resume_on is not None and resume_on <= today:
            errors.append(
                FieldError(
                    "resume_on",
                    gettext("must be after today (%(today)s) in the account's time zone")
                    % {"today": today.isoformat()},
                )
            )
        if errors:
            raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
        return records.update(
            sub,
            actor=actor,
            verb=SubscriptionStatus.PAUSED,
            status=SubscriptionStatus.PAUSED,
            paused_at=at,
            pause_reason=text,
            resume_on=resume_on,
        )


def _last_billed_start(sub: Subscription) -> date | None:
    found: date | None = Invoice.objects.filter(subscription=sub).aggregate(d=Max("period_start"))["d"]
    return found


def next_date_errors(sub: Subscription, day: date, today: date) -> list[FieldError]:
    """Why ``day`` cannot be ``sub``'s next payment date (seen ``today``): all billed, past, too early."""
    if _fully_billed(sub):
        return [
            FieldError(
                "next_payment_date",
                gettext("nothing is left to bill: all %(count)s payments are invoiced")
                % {"count": sub.number_of_payments},
            )
        ]
    if day < today:
        return [
            FieldError(
                "next_payment_date",
                gettext("must be today (%(today)s) or later in the account's time zone")
                % {"today": today.isoformat()},
            )
        ]
    last = _last_billed_start(sub)
    if last is not None and day <= last:
        return [
            FieldError(
                "next_payment_date",
                gettext("must be after %(day)s, the start of the last billed period")
                % {"day": last.isoformat()},
            )
        ]
    return []


def _resume(sub: Subscription, next_payment_date: date | None, *, actor: Actor) -> Subscription:
    """Re-anchor on ``next_payment_date`` (None: a fully billed fixed term) and leave the pause."""
    overdue = Invoice.objects.filter(
        subscription=sub, status=InvoiceStatus.OPEN, overdue_at__isnull=False
    ).exists()
    target = check_transition(
        sub.status, SubscriptionStatus.PAST_DUE if overdue else SubscriptionStatus.ACTIVE
    )
    changes: dict[str, Any] = {}
    if next_payment_date is not None:
        step = schedule.step_for(sub.billing_frequency)
        changes = {"anchor_date": next_payment_date, "anchor_period": sub.periods_billed}
        if sub.number_of_payments is not None:
            remaining = sub.number_of_payments - sub.periods_billed
            changes["end_date"] = schedule.period_start(next_payment_date, step, remaining)
    return records.update(
        sub,
        actor=actor,
        verb=target,
        status=target,
        next_payment_date=next_payment_date,
        paused_at=None,
        pause_reason="",
        resume_on=None,
        **changes,
    )


def subscription_resume(
    *, subscription: Subscription, next_payment_date: date | None, actor: Actor, at: datetime
) -> Subscription:
    """Resume a paused subscription; billing starts again on ``next_payment_date`` (default: the
    next anchor date on or after today). One ``subscription.active`` (or ``.past_due``) event."""
    today = _today(at)
    with transaction.atomic():
        sub = _locked(subscription)
        if sub.status != SubscriptionStatus.PAUSED:
            raise Conflict(
                gettext("subscription %(id)s is not paused (it is %(status)s)")
                % {"id": sub.pk, "status": SubscriptionStatus(sub.status).label.lower()}
            )
        if next_payment_date is None:
            next_payment_date = next_anchor_date(sub, today)
        else:
            errors = next_date_errors(sub, next_payment_date, today)
            if errors:
                raise ValidationFailed(f"next_payment_date: {errors[0].message}", errors=errors)
        return _resume(sub, next_payment_date, actor=actor)


def resume_due(*, at: datetime) -> int:
    """Resume every paused subscription whose ``resume_on`` has come (account-local); how many.

    Billing restarts on the next anchor date on or after ``resume_on`` (a late worker may
    find that day already past: the billing run then bills it at once, as any due period).
    """
    today = _today(at)
    due = Subscription.objects.filter(status=SubscriptionStatus.PAUSED, resume_on__lte=today).order_by("pk")
    resumed = 0
    while True:
        with transaction.atomic():
            subs = list(due.select_for_update(of=("self",))[:BATCH])
            if not subs:
                return resumed
            for sub in subs:
                assert sub.resume_on is not None
                _resume(sub, next_anchor_date(sub, sub.resume_on), actor=SYSTEM)
            resumed += len(subs)


def resume_next_due(*, after: datetime) -> datetime | None:
    """When :func:`resume_due` next has a subscription to resume (``core.due``)."""
    day = Subscription.objects.filter(status=SubscriptionStatus.PAUSED, resume_on__isnull=False).aggregate(
        d=Min("resume_on")
    )["d"]
    return day_due(day, account_zone(), after=after)


def next_resume_on(*, after: date) -> date | None:
    """The first scheduled resume day after ``after`` (for the test clock's stops)."""
    found: date | None = Subscription.objects.filter(
        status=SubscriptionStatus.PAUSED, resume_on__gt=after
    ).aggregate(d=Min("resume_on"))["d"]
    return found
