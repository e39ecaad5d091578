"""Scenario 9: with the daily digest on, super admins get one summary a day instead of a notice per payment.

Account zone Europe/Oslo; two super admins; 20 buyers subscribe on 2027-01-15
(10:30 local), 10.00 a month each: 17 on tok_visa, 3 on tok_fail_renewals.

    2027-01-15 10:30 Oslo  20 charges succeed: 20 receipts, no admin notice
    Jan 16 00:00 Oslo      admin_digest to each admin: 20 succeeded (200.00), 0 failed
    Feb 15 00:00 Oslo      20 renewals: 17 succeed, 3 declined: no admin notice
    Feb 16 00:00 Oslo      admin_digest to each admin: 17 succeeded (170.00), 3 failed, listed
    days without payments: no digest; the same on Mar 15/16 and Apr 15/16
    2027-04-16             digest turned off: May 15 2027 … Sep 15 2028 a notice per payment
                           (17 admin_payment_succeeded + 3 admin_payment_failed per admin), no digest
    2028-09-20             digest on again: Oct 15/16 2028 … Jan 15/16 2029 digests as above

(While the digest is on the test clock stops at every local midnight, where
each day's digest job falls due; the middle stretch keeps the run short.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recurra.notifications.models import EmailMessage
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
OSLO = ZoneInfo("Europe/Oslo")
ADMINS = ["ann@example.com", "ben@example.com"]


def _digests() -> list[tuple[str, datetime, str, int, list, int]]:
    """(to, created_at local, day, succeeded count, succeeded totals, failed count) of each digest."""
    return [
        (
            e.to,
            e.created_at.astimezone(OSLO),
            e.data["day"],
            e.data["succeeded"]["count"],
            e.data["succeeded"]["totals"],
            e.data["failed"]["count"],
        )
        for e in EmailMessage.objects.filter(kind="admin_digest").order_by("created_at", "to")
    ]


def _digest(day: date, succeeded: int, failed: int) -> list[tuple]:
    sent = _midnight(day + timedelta(days=1))
    totals = [{"currency": "USD", "amount": 1000 * succeeded}]
    return [(to, sent, day.isoformat(), succeeded, totals, failed) for to in ADMINS]


def test_one_digest_per_admin_the_next_local_midnight_and_no_per_payment_notices(scenario):
    freeze_at(2027, 1, 15, 10, 30, zone="Europe/Oslo")
    scenario.settings(timezone="Europe/Oslo", admin_notifications_digest=True, retry_schedule_days=[])
    for email in ADMINS:
        scenario.user(email)
    subs = [
        scenario.subscribe(
            scenario.contact(f"buyer{n}@example.com"),
            item(amount=1000),
            token="tok_fail_renewals" if n >= 17 else "tok_visa",
        )
        for n in range(20)
    ]

    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    assert len(scenario.emails(kind="receipt")) == 20
    assert _digests() == []
    scenario.advance(datetime(2027, 1, 15, 23, 59, tzinfo=OSLO))
    assert _digests() == []  # not before the local day is over
    scenario.advance(datetime(2027, 1, 16, tzinfo=OSLO))
    assert _digests() == _digest(date(2027, 1, 15), 20, 0)

    expected = _digest(date(2027, 1, 15), 20, 0)
    renewals = months(date(2027, 2, 15), 24)  # Feb 15 2027 … Jan 15 2029
    for day in renewals[:3]:  # Feb … Apr 2027: digests
        expected += _renew_with_digest(scenario, day, expected)
    scenario.settings(admin_notifications_digest=False)

    for day in renewals[3:20]:  # May 2027 … Sep 2028: a notice per payment again
        scenario.advance(_midnight(day))
        notices = EmailMessage.objects.filter(kind__startswith="admin_payment_", created_at=_midnight(day))
        assert sorted((e.kind, e.to) for e in notices) == sorted(
            [("admin_payment_succeeded", to) for to in ADMINS] * 17
            + [("admin_payment_failed", to) for to in ADMINS] * 3
        )
    assert _digests() == expected
    scenario.advance(_midnight(date(2028, 9, 20)))  # a day without payments
    scenario.settings(admin_notifications_digest=True)

    for day in renewals[20:]:  # Oct 2028 … Jan 2029: digests again
        expected += _renew_with_digest(scenario, day, expected)

    last = EmailMessage.objects.filter(kind="admin_digest").order_by("-created_at").first()
    assert last is not None
    assert [(i["contact_name"], i["amount"]) for i in last.data["failed"]["items"]] == [
        ("Ada Buyer", 1000)
    ] * 3
    notices = EmailMessage.objects.filter(kind__startswith="admin_payment_")
    assert notices.count() == (17 + 3) * len(ADMINS) * 17  # only the 17 renewal days with the digest off
    assert {e.created_at.astimezone(OSLO).date() for e in notices} == set(renewals[3:20])
    assert len(scenario.emails(kind="payment_failed")) == 3 * 24
    assert {scenario.fresh(s).status for s in subs[:17]} == {"active"}
    assert {scenario.fresh(s).status for s in subs[17:]} == {"past_due"}
    scenario.check_invariants()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=OSLO)


def _renew_with_digest(scenario, day: date, expected: list[tuple]) -> list[tuple]:
    """Renewal day: no admin email at all; the next local midnight: one digest per admin."""
    scenario.advance(_midnight(day))
    assert not EmailMessage.objects.filter(
        kind__startswith="admin_payment_", created_at=_midnight(day)
    ).exists()
    assert _digests() == expected  # the renewals' digest waits for the day to end
    scenario.advance(_midnight(day + timedelta(days=1)))
    new = _digest(day, 17, 3)
    assert _digests() == expected + new, day
    return new


def test_turning_the_digest_off_mid_day_does_not_lose_that_days_notices(scenario):
    # 2027-01-15 10:30 Oslo: a charge declined, digest on (no per-payment notice)
    # 12:00: digest turned off  ──►  Jan 16 00:00: the admins must still hear of the failure
    freeze_at(2027, 1, 15, 10, 30, zone="Europe/Oslo")
    scenario.settings(timezone="Europe/Oslo", admin_notifications_digest=True, retry_schedule_days=[])
    scenario.user(ADMINS[0])
    scenario.subscribe(scenario.contact("late@example.com"), item(amount=1000), token="tok_decline")
    scenario.advance(datetime(2027, 1, 15, 10, 30, tzinfo=OSLO))
    assert not EmailMessage.objects.filter(kind__startswith="admin_").exists()
    scenario.advance(datetime(2027, 1, 15, 12, tzinfo=OSLO))
    scenario.settings(admin_notifications_digest=False)

    scenario.advance(_midnight(date(2027, 1, 16)))

    assert EmailMessage.objects.filter(kind__startswith="admin_", to=ADMINS[0]).count() == 1
