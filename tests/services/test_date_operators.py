""" "Within the next / last N days" on every date property (views, workflows and lists alike): N
days starting, or ending, today in the account's zone; a date-time by its local day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from recurra.core.errors import ValidationFailed
from recurra.saved_views.query import filters_condition
from recurra.saved_views.spec import parse_filters
from recurra.subscriptions.models import Subscription
from tests.automation.rows import a_subscription

pytestmark = pytest.mark.django_db
TODAY = date(2027, 1, 30)
OSLO = ZoneInfo("Europe/Oslo")


def names(operator: str, days: int, prop: str = "next_payment_date") -> list[str]:
    filters = parse_filters(
        {"groups": [{"conditions": [{"property": prop, "operator": operator, "value": days}]}]}
    )
    found = Subscription.objects.filter(filters_condition(filters, today=TODAY, zone=OSLO))
    return sorted(found.values_list("name", flat=True))


@pytest.fixture
def dated() -> None:
    for name, day in [("past", 20), ("yesterday", 29), ("today", 30), ("in 6", 36), ("in 7", 37)]:
        sub = a_subscription(name)
        Subscription.objects.filter(pk=sub.pk).update(
            next_payment_date=date(2027, 1, day) if day <= 31 else date(2027, 2, day - 31)
        )
    a_subscription("none")
    Subscription.objects.filter(name="none").update(next_payment_date=None)


def test_within_the_next_days(dated) -> None:
    assert names("within_next_days", 7) == ["in 6", "today"]
    assert names("within_next_days", 1) == ["today"]


def test_within_the_last_days(dated) -> None:
    assert names("within_last_days", 2) == ["today", "yesterday"]
    assert names("within_last_days", 11) == ["past", "today", "yesterday"]


def test_a_date_time_by_its_local_day() -> None:
    late = a_subscription("late")
    # 23:30 UTC on 29 Jan is 00:30 on 30 Jan in Oslo: today there
    Subscription.objects.filter(pk=late.pk).update(created_at=datetime(2027, 1, 29, 23, 30, tzinfo=UTC))
    early = a_subscription("early")
    Subscription.objects.filter(pk=early.pk).update(created_at=datetime(2027, 1, 29, 22, 30, tzinfo=UTC))
    assert names("within_last_days", 1, "created_at") == ["late"]


@pytest.mark.parametrize("value", [0, -1, 4000, "7", True, None])
def test_days_are_a_whole_number_from_1(value) -> None:
    with pytest.raises(ValidationFailed) as failed:
        parse_filters(
            {
                "groups": [
                    {"conditions": [{"property": "end_date", "operator": "within_next_days", "value": value}]}
                ]
            }
        )
    assert [e.field for e in failed.value.errors] == ["filters.groups[0].conditions[0].value"]
