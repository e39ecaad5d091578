"""Scenario: pause and resume over simulated months (nothing billed while paused; re-anchored after).

1. Monthly 25.00 anchored on Jan 31 (tok_visa):
   2027-01-31 INV-1 25.00 (Jan 31 – Feb 28) paid
   Feb 3 paused ─ Feb 14 (would-be reminder), Feb 28, Mar 31, Apr 30 (would-be charges): nothing
   May 10 resumed with next payment date May 10 → anchor May 10 (period 1)
   May 10 INV-2 25.00 │ May 27 reminder │ Jun 10 INV-3 25.00 │ Jun 26 reminder │ Jul 10 INV-4 25.00
2. Fixed term, 6 × 49.00 from Mar 1 (end Sep 1): Mar 1, Apr 1 paid; paused Apr 5; resumed Jun 15
   through the API without a date → the next anchor date on or after Jun 15 = Jul 1; end Nov 1;
   Jul 1, Aug 1, Sep 1, Oct 1 paid → 6 payments, expired, and nothing after.
3. Scheduled resumes, monthly 30.00 from Jan 15: ``later`` paused Feb 3 with resume_on Apr 20,
   ``on_day`` with resume_on Apr 15 (an anchor date). One jump of the clock to Jun 30: the clock
   stops at each resume day; ``on_day`` resumes and is billed on Apr 15 in the same pass,
   ``later`` resumes on Apr 20 and is billed from the next anchor date, May 15.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.subscriptions.pausing import subscription_pause, subscription_resume
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "paula@example.com"
EDITOR = Actor("user", "1", "Eddie Editor")


def test_paused_for_three_months_then_resumed_on_a_chosen_date(scenario):
    freeze_at(2027, 1, 31, 9, 30)
    sub = scenario.subscribe(scenario.contact(BUYER, "Paula"), item(name="Pro plan", amount=2500))
    scenario.advance(datetime(2027, 1, 31, 9, 30, tzinfo=UTC))
    assert [(i.number, i.period_start, i.period_end, i.total, i.status) for i in scenario.invoices(sub)] == [
        ("INV-1", date(2027, 1, 31), date(2027, 2, 28), 2500, "paid")
    ]

    scenario.advance(date(2027, 2, 3))
    subscription_pause(subscription=sub, reason="Travelling", resume_on=None, actor=EDITOR, at=clock.now())
    rows = scenario.counts()
    for day in (
        date(2027, 2, 14),
        date(2027, 2, 28),
        date(2027, 3, 17),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ):
        scenario.advance(day)
        assert scenario.counts() == rows, day  # nothing invoiced, charged, reminded (not even an event)
    scenario.advance(date(2027, 5, 10))
    assert scenario.counts() == rows
    paused = scenario.fresh(sub)
    assert (paused.status, paused.periods_billed, paused.payments_made, paused.next_payment_date) == (
        "paused",
        1,
        1,
        date(2027, 2, 28),
    )

    resumed = subscription_resume(
        subscription=sub, next_payment_date=date(2027, 5, 10), actor=EDITOR, at=clock.now()
    )
    assert (resumed.status, resumed.next_payment_date, resumed.anchor) == (
        "active",
        date(2027, 5, 10),
        (date(2027, 5, 10), 1),
    )
    scenario.advance(datetime(2027, 5, 10, 9, 30, tzinfo=UTC))
    for day in (date(2027, 6, 10), date(2027, 7, 10)):
        scenario.advance(day)

    assert [(i.number, i.period_start, i.period_end, i.total, i.status) for i in scenario.invoices(sub)] == [
        ("INV-1", date(2027, 1, 31), date(2027, 2, 28), 2500, "paid"),
        ("INV-2", date(2027, 5, 10), date(2027, 6, 10), 2500, "paid"),
        ("INV-3", date(2027, 6, 10), date(2027, 7, 10), 2500, "paid"),
        ("INV-4", date(2027, 7, 10), date(2027, 8, 10), 2500, "paid"),
    ]
    assert [(p.amount, p.status) for p in scenario.payments(sub)] == [(2500, "succeeded")] * 4
    assert scenario.kinds(sub) == [
        ("receipt", BUYER, date(2027, 1, 31)),
        ("receipt", BUYER, date(2027, 5, 10)),
        ("payment_reminder", BUYER, date(2027, 5, 27)),
        ("receipt", BUYER, date(2027, 6, 10)),
        ("payment_reminder", BUYER, date(2027, 6, 26)),
        ("receipt", BUYER, date(2027, 7, 10)),
    ]
    now = scenario.fresh(sub)
    assert (now.status, now.payments_made, now.total_collected, now.next_payment_date) == (
        "active",
        4,
        10000,
        date(2027, 8, 10),
    )
    assert [
        e.type for e in Event.objects.filter(object_id=sub.pk, actor_type="user").order_by("created_at")
    ] == [
        "subscription.paused",
        "subscription.active",
    ]
    scenario.check_invariants()


def test_a_paused_fixed_term_still_makes_all_its_payments_and_ends_later(scenario, api):
    freeze_at(2027, 3, 1, 9, 30)
    sub = scenario.subscribe(scenario.contact(BUYER, "Paula"), item(name="Course", amount=4900, payments=6))
    assert sub.end_date == date(2027, 9, 1)
    scenario.advance(datetime(2027, 3, 1, 9, 30, tzinfo=UTC))
    scenario.advance(date(2027, 4, 1))
    scenario.advance(date(2027, 4, 5))
    assert scenario.fresh(sub).payments_made == 2
    body = api.post(f"/subscriptions/{sub.pk}/pause", {"reason": "Parental leave"}).json()
    assert (body["status"], body["pause_reason"]) == ("paused", "Parental leave")

    scenario.advance_api(api, date(2027, 6, 15))
    assert len(scenario.invoices(sub)) == 2
    body = api.post(f"/subscriptions/{sub.pk}/resume", {}).json()
    assert (body["status"], body["next_payment_date"], body["end_date"], body["payments_made"]) == (
        "active",
        "2027-07-01",
        "2027-11-01",
        2,
    )
    for day in (date(2027, 7, 1), date(2027, 8, 1), date(2027, 9, 1), date(2027, 10, 1)):
        scenario.advance(day)

    assert [(i.number, i.period_start, i.period_end, i.total, i.status) for i in scenario.invoices(sub)] == [
        ("INV-1", date(2027, 3, 1), date(2027, 4, 1), 4900, "paid"),
        ("INV-2", date(2027, 4, 1), date(2027, 5, 1), 4900, "paid"),
        ("INV-3", date(2027, 7, 1), date(2027, 8, 1), 4900, "paid"),
        ("INV-4", date(2027, 8, 1), date(2027, 9, 1), 4900, "paid"),
        ("INV-5", date(2027, 9, 1), date(2027, 10, 1), 4900, "paid"),
        ("INV-6", date(2027, 10, 1), date(2027, 11, 1), 4900, "paid"),
    ]
    ended = scenario.fresh(sub)
    assert (
        ended.status,
        ended.payments_made,
        ended.total_collected,
        ended.next_payment_date,
        ended.end_date,
    ) == (
        "expired",
        6,
        29400,
        None,
        date(2027, 11, 1),
    )
    rows = scenario.counts()
    for day in (date(2027, 11, 1), date(2027, 12, 1), date(2028, 6, 1)):
        scenario.advance(day)
    assert scenario.counts() == rows  # the term is over
    scenario.check_invariants()


def test_scheduled_resumes_happen_by_themselves_when_the_clock_passes_them(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    contact = scenario.contact(BUYER, "Paula")
    later = scenario.subscribe(contact, item(name="Later", amount=3000))
    on_day = scenario.subscribe(contact, item(name="On day", amount=3000))
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    scenario.advance(date(2027, 2, 3))
    for sub, day in ((later, date(2027, 4, 20)), (on_day, date(2027, 4, 15))):
        subscription_pause(subscription=sub, reason=None, resume_on=day, actor=EDITOR, at=clock.now())

    report = scenario.advance(date(2027, 6, 30))  # one jump
    assert report.invoices == 5

    def billed(sub):
        return [(i.period_start, i.period_end, i.total) for i in scenario.invoices(sub)]

    assert billed(on_day) == [
        (date(2027, 1, 15), date(2027, 2, 15), 3000),
        (date(2027, 4, 15), date(2027, 5, 15), 3000),  # resumed and billed in the same pass
        (date(2027, 5, 15), date(2027, 6, 15), 3000),
        (date(2027, 6, 15), date(2027, 7, 15), 3000),
    ]
    assert billed(later) == [
        (date(2027, 1, 15), date(2027, 2, 15), 3000),
        (date(2027, 5, 15), date(2027, 6, 15), 3000),  # the next anchor date on or after Apr 20
        (date(2027, 6, 15), date(2027, 7, 15), 3000),
    ]
    resumes = {
        e.object_id: (e.created_at, e.actor_type, e.data["after"]["next_payment_date"])
        for e in Event.objects.filter(type="subscription.active", data__before__status="paused")
    }
    assert resumes == {
        on_day.pk: (datetime(2027, 4, 15, tzinfo=UTC), "system", "2027-04-15"),
        later.pk: (datetime(2027, 4, 20, tzinfo=UTC), "system", "2027-05-15"),
    }
    for sub in (later, on_day):
        now = scenario.fresh(sub)
        assert (now.status, now.resume_on, now.paused_at, now.next_payment_date) == (
            "active",
            None,
            None,
            date(2027, 7, 15),
        )
    reminders = sorted(
        (e.created_at.date(), e.data["charge_on"], e.subscription_id)
        for e in scenario.emails(kind="payment_reminder")
    )
    assert reminders == sorted(  # none while paused; Apr 15 was billed on its resume day (no reminder)
        [
            (date(2027, 2, 1), "2027-02-15", later.pk),  # sent before the pause
            (date(2027, 2, 1), "2027-02-15", on_day.pk),
            (date(2027, 5, 1), "2027-05-15", later.pk),
            (date(2027, 5, 1), "2027-05-15", on_day.pk),
            (date(2027, 6, 1), "2027-06-15", later.pk),
            (date(2027, 6, 1), "2027-06-15", on_day.pk),
        ]
    )
    scenario.check_invariants()
