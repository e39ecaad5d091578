"""A date trigger, 7 days before the next payment, in Europe/Oslo across month ends and the DST change.

Oslo moves to summer time on 28 Mar 2027. Two subscriptions:
  B  subscribed 4 Jan → payments 4 Feb, 4 Mar, 4 Apr, 4 May → reminders 28 Jan, 25 Feb, 28 Mar (the
     DST day), 27 Apr
  A  subscribed 31 Jan (month end) → payments 28 Feb, 31 Mar, 30 Apr → reminders 21 Feb, 24 Mar, 23 Apr
One email per subscription per payment date, on the account-local day it is due; moving the clock
again, or a worker pass at the same instant, sends nothing more.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from recurra.automation.models import Enrollment
from recurra.automation.workflows.services import workflow_create
from recurra.core import clock
from recurra.core.actors import Actor
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system()
OSLO = ZoneInfo("Europe/Oslo")


def test_one_reminder_per_subscription_per_payment_date(scenario):
    scenario.settings(timezone="Europe/Oslo")
    freeze_at(2027, 1, 4, 10, 0, zone="Europe/Oslo")
    workflow_create(
        name="Remind the team 7 days before the next payment",
        definition={
            "trigger": {"type": "date", "property": "next_payment_date", "offset_days": -7},
            "actions": [
                {
                    "type": "internal_email",
                    "to": ["team@example.com"],
                    "subject": "{{ subscription.name }} renews soon",
                    "body": "{{ subscription.name }}: next payment on {{ subscription.next_payment_date }}.",
                }
            ],
        },
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    b = scenario.subscribe(scenario.contact("b@example.com"), item(name="B", amount=1000), name="B")
    scenario.advance(date(2027, 1, 31))
    freeze_at(2027, 1, 31, 11, 0, zone="Europe/Oslo")
    a = scenario.subscribe(scenario.contact("a@example.com"), item(name="A", amount=1000), name="A")

    scenario.advance(date(2027, 5, 1))
    scenario.advance(date(2027, 5, 2))

    sent = [
        (m.subscription_id, m.created_at.astimezone(OSLO).date(), m.data["body"])
        for m in scenario.emails(kind="workflow_notification")
    ]
    assert sorted(sent, key=lambda s: (s[1], s[0])) == [
        (b.pk, date(2027, 1, 28), "B: next payment on 4 Feb 2027."),
        (a.pk, date(2027, 2, 21), "A: next payment on 28 Feb 2027."),
        (b.pk, date(2027, 2, 25), "B: next payment on 4 Mar 2027."),
        (a.pk, date(2027, 3, 24), "A: next payment on 31 Mar 2027."),
        (b.pk, date(2027, 3, 28), "B: next payment on 4 Apr 2027."),
        (a.pk, date(2027, 4, 23), "A: next payment on 30 Apr 2027."),
        (b.pk, date(2027, 4, 27), "B: next payment on 4 May 2027."),
    ]
    occurrences = sorted(Enrollment.objects.filter(subscription_id=a.pk).values_list("occurrence", flat=True))
    assert occurrences == [
        "next_payment_date:2027-02-28",
        "next_payment_date:2027-03-31",
        "next_payment_date:2027-04-30",
    ]
