"""subscription_pause / subscription_resume / resume_due: rules, re-anchoring, refusals, audit.

Subscriptions are made at 2027-01-15 09:30 UTC (account zone UTC) by subscription_create,
send_invoice net 30 (no gateway), monthly 19.99 from Jan 15 unless a test says otherwise.

    Jan 15 ── billed (period 0) ── paused Feb 2 (next_payment_date Feb 15 kept, not billed)
    resume May 10, no date → next anchor date on or after May 10 = May 15 (period 1)
    resume May 10 with May 10 → anchor_date May 10, anchor_period 1: Jun 10, Jul 10, …
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.accounts.services import account_settings_update
from recurra.billing.overdue import mark_overdue
from recurra.billing.reminders import send_reminders
from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.lifecycle import InvalidTransition
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.pausing import (
    next_anchor_date,
    next_resume_on,
    resume_due,
    subscription_pause,
    subscription_resume,
)
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
USER = Actor("user", "7", "Eddie Editor")


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def contact(db) -> Contact:
    return Contact.objects.create(email="ada@example.com", first_name="Ada")


def subscribe(
    contact: Contact, *, payments: int | None = None, frequency: str = "monthly", **values
) -> Subscription:
    item = LineItemInput(
        name="Pro plan",
        unit_amount=1999,
        currency="USD",
        billing_frequency=frequency,
        billing_terms="fixed" if payments else "auto_renew",
        number_of_payments=payments,
    )
    values.setdefault("collection_method", "send_invoice")
    values.setdefault("payment_terms", "net_30")
    return subscription_create(contact=contact, line_items=[item], actor=SYSTEM, at=T0, **values)


def fresh(sub: Subscription) -> Subscription:
    return Subscription.objects.get(pk=sub.pk)


def bill(day: date) -> None:
    billing_run(at=at(day, 0))


def pause(sub: Subscription, day: date = date(2027, 2, 2), **values) -> Subscription:
    values.setdefault("reason", None)
    values.setdefault("resume_on", None)
    return subscription_pause(subscription=sub, actor=USER, at=at(day), **values)


def resume(sub: Subscription, day: date, next_payment_date: date | None = None) -> Subscription:
    return subscription_resume(subscription=sub, next_payment_date=next_payment_date, actor=USER, at=at(day))


def events(sub: Subscription, *types: str) -> list[Event]:
    return list(Event.objects.filter(object_id=sub.pk, type__in=types).order_by("created_at", "id"))


@pytest.fixture
def billed(contact) -> Subscription:
    """Monthly from Jan 15, period 0 billed on Jan 15."""
    sub = subscribe(contact)
    bill(date(2027, 1, 15))
    assert (fresh(sub).periods_billed, fresh(sub).next_payment_date) == (1, date(2027, 2, 15))
    return fresh(sub)


# -- pause --------------------------------------------------------------------------------------


def test_pause_keeps_the_schedule_and_writes_one_event(billed):
    paused = pause(billed, reason="  Travelling  ", resume_on=date(2027, 6, 1))
    row = fresh(billed)
    assert (row.status, row.paused_at, row.pause_reason, row.resume_on) == (
        "paused",
        at(date(2027, 2, 2)),
        "Travelling",
        date(2027, 6, 1),
    )
    assert (paused.status, paused.pk) == ("paused", billed.pk)
    assert (row.next_payment_date, row.periods_billed, row.anchor) == (
        date(2027, 2, 15),
        1,
        (date(2027, 1, 15), 0),
    )
    [event] = events(billed, "subscription.paused")
    assert (event.actor_type, event.actor_id, event.actor_name) == ("user", "7", "Eddie Editor")
    assert event.data == {
        "before": {"status": "active", "paused_at": None, "pause_reason": "", "resume_on": None},
        "after": {
            "status": "paused",
            "paused_at": "2027-02-02T09:00:00Z",
            "pause_reason": "Travelling",
            "resume_on": "2027-06-01",
        },
    }


def test_scheduled_and_unpaid_subscriptions_can_be_paused(contact):
    later = subscribe(contact)
    later.status = "scheduled"
    later.save()
    assert pause(later).status == "paused"
    unpaid = subscribe(contact)
    unpaid.status = "past_due"
    unpaid.save()
    assert pause(unpaid).status == "paused"


def test_pause_refusals_write_nothing(billed, contact):
    pause(billed)
    ended = subscribe(contact)
    ended.status = "canceled"
    ended.save()
    other = subscribe(contact)
    rows = Event.objects.count()
    with pytest.raises(Conflict, match="already paused"):
        pause(billed)
    with pytest.raises(InvalidTransition, match="canceled cannot become paused"):
        pause(ended)
    with pytest.raises(ValidationFailed) as caught:
        pause(other, reason="x" * 501, resume_on=date(2027, 2, 2))  # resume_on must be after today
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("reason", "must be at most 500 characters"),
        ("resume_on", "must be after today (2027-02-02) in the account's time zone"),
    ]
    assert Event.objects.count() == rows
    assert fresh(other).status == "active"
    assert fresh(ended).status == "canceled"


# -- what a pause stops ---------------------------------------------------------------------------


def test_nothing_is_invoiced_or_reminded_while_paused(contact):
    """Charged automatically (a card), due Feb 15: paused, no reminder on Feb 1, no invoice on Feb 15."""
    method = PaymentMethod.objects.create(
        contact=contact, gateway="sandbox", gateway_method_id="gw_1", type="card", brand="Visa", last4="4242"
    )
    sub = subscribe(
        contact, collection_method="charge_automatically", payment_method=method, payment_terms=None
    )
    Subscription.objects.filter(pk=sub.pk).update(periods_billed=1, next_payment_date=date(2027, 2, 15))
    assert send_reminders(at=at(date(2027, 1, 31), 0)) == 0  # 15 days ahead: not yet
    pause(sub, date(2027, 1, 31))
    assert send_reminders(at=at(date(2027, 2, 1), 0)) == 0
    for day in (date(2027, 2, 15), date(2027, 3, 15), date(2027, 4, 15)):
        assert billing_run(at=at(day, 0)).invoices == 0
    assert Invoice.objects.filter(subscription=sub).count() == 0
    assert fresh(sub).reminded_for is None


# -- resume ---------------------------------------------------------------------------------------


def test_resume_on_a_chosen_date_re_anchors_the_next_period(billed):
    pause(billed, reason="Travelling", resume_on=date(2027, 6, 1))
    resumed = resume(billed, date(2027, 5, 10), date(2027, 5, 10))
    row = fresh(billed)
    assert (resumed.status, row.status) == ("active", "active")
    assert (row.anchor_date, row.anchor_period, row.next_payment_date, row.end_date) == (
        date(2027, 5, 10),
        1,
        date(2027, 5, 10),
        None,
    )
    assert (row.paused_at, row.pause_reason, row.resume_on) == (None, "", None)
    [event] = events(billed, "subscription.active")
    assert event.data["before"] == {
        "status": "paused",
        "next_payment_date": "2027-02-15",
        "anchor_date": None,
        "anchor_period": 0,
        "paused_at": "2027-02-02T09:00:00Z",
        "pause_reason": "Travelling",
        "resume_on": "2027-06-01",
    }
    assert event.data["after"] == {
        "status": "active",
        "next_payment_date": "2027-05-10",
        "anchor_date": "2027-05-10",
        "anchor_period": 1,
        "paused_at": None,
        "pause_reason": "",
        "resume_on": None,
    }
    for day in (date(2027, 5, 10), date(2027, 6, 10), date(2027, 7, 10)):
        bill(day)
    invoices = Invoice.objects.filter(subscription=billed).order_by("period_start")
    assert [(i.period_start, i.period_end, i.total) for i in invoices] == [
        (date(2027, 1, 15), date(2027, 2, 15), 1999),  # billed before: unchanged
        (date(2027, 5, 10), date(2027, 6, 10), 1999),
        (date(2027, 6, 10), date(2027, 7, 10), 1999),
        (date(2027, 7, 10), date(2027, 8, 10), 1999),
    ]
    assert fresh(billed).next_payment_date == date(2027, 8, 10)


def test_resume_defaults_to_the_next_anchor_date_on_or_after_today(billed):
    pause(billed)
    assert resume(billed, date(2027, 5, 10)).next_payment_date == date(2027, 5, 15)  # Feb 15 … Apr 15 skipped
    assert (fresh(billed).anchor_date, fresh(billed).anchor_period) == (date(2027, 5, 15), 1)
    pause(billed, date(2027, 5, 12))
    assert resume(billed, date(2027, 5, 15)).next_payment_date == date(2027, 5, 15)  # today is one


def test_resume_before_the_kept_date_keeps_it(billed):
    pause(billed, date(2027, 2, 2))
    assert resume(billed, date(2027, 2, 10)).next_payment_date == date(2027, 2, 15)


def test_next_anchor_date_clamps_month_ends_and_steps_weeks():
    jan31 = Subscription(
        billing_frequency="monthly", start_date=date(2027, 1, 31), periods_billed=1, anchor_period=0
    )
    assert next_anchor_date(jan31, date(2027, 2, 3)) == date(2027, 2, 28)
    assert next_anchor_date(jan31, date(2027, 4, 30)) == date(2027, 4, 30)
    assert next_anchor_date(jan31, date(2027, 5, 1)) == date(2027, 5, 31)
    assert next_anchor_date(jan31, date(2027, 1, 1)) == date(2027, 2, 28)  # never a billed period
    weekly = Subscription(billing_frequency="weekly", start_date=date(2027, 1, 4), periods_billed=3)
    assert next_anchor_date(weekly, date(2027, 3, 2)) == date(2027, 3, 8)
    moved = Subscription(
        billing_frequency="monthly",
        start_date=date(2027, 1, 31),
        anchor_date=date(2027, 5, 10),
        anchor_period=1,
        periods_billed=2,
    )
    assert next_anchor_date(moved, date(2027, 5, 11)) == date(2027, 6, 10)
    done = Subscription(
        billing_frequency="monthly", start_date=date(2027, 1, 31), periods_billed=6, number_of_payments=6
    )
    assert next_anchor_date(done, date(2027, 9, 1)) is None


def test_resume_refusals(billed, contact):
    with pytest.raises(Conflict, match="is not paused \\(it is active\\)"):
        resume(billed, date(2027, 2, 2))
    pause(billed)
    rows = Event.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        resume(billed, date(2027, 3, 1), date(2027, 2, 28))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("next_payment_date", "must be today (2027-03-01) or later in the account's time zone")
    ]
    # billed today, paused today: the next period cannot start on the day the billed one did
    today = subscribe(contact)
    bill(date(2027, 1, 15))
    pause(today, date(2027, 1, 15))
    rows = Event.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        resume(today, date(2027, 1, 15), date(2027, 1, 15))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("next_payment_date", "must be after 2027-01-15, the start of the last billed period")
    ]
    assert Event.objects.count() == rows
    assert fresh(today).status == fresh(billed).status == "paused"
    assert resume(today, date(2027, 1, 15)).next_payment_date == date(2027, 2, 15)  # the default


def test_resume_with_an_overdue_open_invoice_is_unpaid_again(billed):
    """Net 30 from Jan 15: due Feb 14, overdue on Feb 15 (Unpaid); paused, resumed: Unpaid."""
    mark_overdue(at=at(date(2027, 2, 15), 0))
    assert fresh(billed).status == "past_due"
    pause(billed, date(2027, 2, 16))
    assert resume(billed, date(2027, 3, 1)).status == "past_due"
    resumed = [
        e.data for e in events(billed, "subscription.past_due") if e.data["before"]["status"] == "paused"
    ]
    assert [(d["before"]["status"], d["after"]["status"]) for d in resumed] == [("paused", "past_due")]


def test_a_fixed_term_keeps_its_number_of_payments_and_its_end_date_moves(contact):
    """6 monthly payments from Jan 15 (end Jul 15); 2 billed, paused, resumed on May 10 → end Sep 10."""
    sub = subscribe(contact, payments=6)
    assert sub.end_date == date(2027, 7, 15)
    bill(date(2027, 1, 15))
    bill(date(2027, 2, 15))
    pause(sub, date(2027, 2, 20))
    row = resume(sub, date(2027, 5, 10), date(2027, 5, 10))
    assert (row.next_payment_date, row.end_date, row.anchor_period) == (
        date(2027, 5, 10),
        date(2027, 9, 10),
        2,
    )
    for day in (
        date(2027, 5, 10),
        date(2027, 6, 10),
        date(2027, 7, 10),
        date(2027, 8, 10),
        date(2027, 9, 10),
    ):
        bill(day)
    starts = list(
        Invoice.objects.filter(subscription=sub)
        .order_by("period_start")
        .values_list("period_start", "period_end")
    )
    assert starts == [
        (date(2027, 1, 15), date(2027, 2, 15)),
        (date(2027, 2, 15), date(2027, 3, 15)),
        (date(2027, 5, 10), date(2027, 6, 10)),
        (date(2027, 6, 10), date(2027, 7, 10)),
        (date(2027, 7, 10), date(2027, 8, 10)),
        (date(2027, 8, 10), date(2027, 9, 10)),
    ]
    assert fresh(sub).next_payment_date is None


def test_a_fully_invoiced_fixed_term_resumes_with_nothing_left_to_bill(contact):
    sub = subscribe(contact, payments=1)
    bill(date(2027, 1, 15))
    pause(sub, date(2027, 1, 20))
    with pytest.raises(ValidationFailed, match="nothing is left to bill: all 1 payments are invoiced"):
        resume(sub, date(2027, 1, 25), date(2027, 2, 1))
    row = resume(sub, date(2027, 1, 25))
    assert (row.status, row.next_payment_date, row.end_date, row.anchor_date) == (
        "active",
        None,
        date(2027, 2, 15),
        None,
    )


# -- scheduled resumes ---------------------------------------------------------------------------------


def test_resume_due_resumes_on_its_day_at_the_next_anchor_date(billed, contact):
    pause(billed, resume_on=date(2027, 5, 10))
    other = subscribe(contact)
    pause(other, resume_on=date(2027, 5, 20))
    assert next_resume_on(after=date(2027, 2, 2)) == date(2027, 5, 10)
    assert next_resume_on(after=date(2027, 5, 10)) == date(2027, 5, 20)
    assert resume_due(at=at(date(2027, 5, 9), 23)) == 0
    assert resume_due(at=at(date(2027, 5, 10), 0)) == 1
    assert resume_due(at=at(date(2027, 5, 10), 0)) == 0
    row = fresh(billed)
    assert (row.status, row.next_payment_date, row.anchor_date, row.anchor_period, row.resume_on) == (
        "active",
        date(2027, 5, 15),
        date(2027, 5, 15),
        1,
        None,
    )
    [event] = events(billed, "subscription.active")
    assert (event.actor_type, event.actor_name) == ("system", "Recurra")
    assert fresh(other).status == "paused"
    assert next_resume_on(after=date(2027, 5, 10)) == date(2027, 5, 20)


def test_resume_due_reads_the_day_in_the_account_zone(billed):
    account_settings_update(actor=SYSTEM, at=T0, timezone="Asia/Tokyo")
    pause(billed, resume_on=date(2027, 5, 10))
    assert resume_due(at=datetime(2027, 5, 9, 14, 59, tzinfo=UTC)) == 0  # 23:59 in Tokyo
    assert resume_due(at=datetime(2027, 5, 9, 15, 0, tzinfo=UTC)) == 1  # midnight May 10 there
