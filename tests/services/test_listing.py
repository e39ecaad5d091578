"""What a list spec selects from the database, its keyset pages over every sort, and its count.

The clock is frozen at 2027-01-15 09:30 UTC. Rows are written with the ORM (see
tests/web/test_subscription_pages.make_subscription: active, monthly, $98.00 from 15 Jan 2027).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from recurra.accounts.models import AccountSettings
from recurra.core.counting import RowCount, count_rows
from recurra.crm.models import Company, Contact
from recurra.saved_views.listing import index_count, index_page, matching
from recurra.saved_views.spec import Spec, parse_filters, parse_sort
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES
from tests.conftest import T0
from tests.web.test_subscription_pages import make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def contact(db: None) -> Contact:
    return Contact.objects.create(email="ingrid@fjordline.example", first_name="Ingrid", last_name="Hansen")


def selected(data: dict[str, Any], *, at: datetime = T0) -> list[str]:
    return sorted(matching(parse_filters(data), at=at).values_list("name", flat=True))


def where(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{"conditions": list(conditions)}]}


def test_a_date_time_property_is_compared_by_its_day_in_the_accounts_zone(contact: Contact) -> None:
    AccountSettings.objects.update_or_create(pk=1, defaults={"timezone": "Pacific/Auckland"})  # UTC+13 in Jan
    # 14 Jan 11:30 UTC is 15 Jan 00:30 in Auckland; 14 Jan 10:30 UTC is still the 14th there.
    make_subscription(contact, name="Late", created_at=datetime(2027, 1, 14, 11, 30, tzinfo=UTC))
    make_subscription(contact, name="Early", created_at=datetime(2027, 1, 14, 10, 30, tzinfo=UTC))
    on = {"property": "created_at", "operator": "is", "value": "2027-01-15"}
    assert selected(where(on)) == ["Late"]
    assert selected(where({**on, "operator": "before"})) == ["Early"]
    assert selected(where({**on, "operator": "after", "value": "2027-01-14"})) == ["Late"]
    assert selected(where({**on, "operator": "between", "value": ["2027-01-14", "2027-01-15"]})) == [
        "Early",
        "Late",
    ]


def test_text_choice_number_boolean_and_empty_conditions(contact: Contact) -> None:
    acme = Company.objects.create(name="Acme Analytics")
    make_subscription(
        contact, name="Alpha", company=acme, invoice_po_number="PO-7", payments_made=3, periods_billed=3
    )
    make_subscription(contact, name="Beta", cancel_at_period_end=True, payments_made=1, line_items_mrr=500)
    make_subscription(contact, name="Gamma", status="paused", number_of_payments=6, billing_terms="fixed")
    assert selected(where({"property": "company", "operator": "is", "value": "ACME analytics"})) == ["Alpha"]
    assert selected(where({"property": "company", "operator": "is_not", "value": "Acme Analytics"})) == [
        "Beta",
        "Gamma",
    ]  # no company is "not Acme" too
    assert selected(where({"property": "invoice_po_number", "operator": "is_empty"})) == ["Beta", "Gamma"]
    assert selected(where({"property": "number_of_payments", "operator": "is_empty"})) == ["Alpha", "Beta"]
    assert selected(where({"property": "payments_made", "operator": "between", "value": [2, 3]})) == ["Alpha"]
    # Gamma is paused: it carries no MRR
    assert selected(where({"property": "mrr", "operator": "less_than", "value": 9800})) == ["Beta", "Gamma"]
    assert selected(where({"property": "cancel_at_period_end", "operator": "is", "value": True})) == ["Beta"]
    assert selected(where({"property": "status", "operator": "is_not", "value": ["paused", "past_due"]})) == [
        "Alpha",
        "Beta",
    ]
    assert selected(where({"property": "contact_email", "operator": "contains", "value": "FJORD"})) == [
        "Alpha",
        "Beta",
        "Gamma",
    ]


def test_overdue_is_unpaid_or_a_passed_date_still_billable(contact: Contact) -> None:
    make_subscription(contact, name="Unpaid", status="past_due", next_payment_date=date(2027, 2, 1))
    make_subscription(contact, name="Behind", status="scheduled", next_payment_date=date(2027, 1, 14))
    make_subscription(contact, name="Paused", status="paused", next_payment_date=date(2027, 1, 1))
    make_subscription(contact, name="Today", next_payment_date=date(2027, 1, 15))
    assert selected({"next_payment_date": {"preset": "overdue"}}) == ["Behind", "Unpaid"]


def test_presets_stay_relative_to_the_day_looked_at(contact: Contact) -> None:
    make_subscription(contact, name="Feb 1", next_payment_date=date(2027, 2, 1))
    filters = {"next_payment_date": {"preset": "next_7_days"}}
    assert selected(filters) == []
    assert selected(filters, at=datetime(2027, 1, 26, tzinfo=UTC)) == ["Feb 1"]
    assert selected(filters, at=datetime(2027, 1, 25, 23, 59, tzinfo=UTC)) == []


SORTS = [k for k, p in PROPERTIES.items() if p.sortable]


@pytest.mark.parametrize("sort", SORTS + [f"-{k}" for k in SORTS])
def test_every_sort_pages_through_every_row_once_in_order(contact: Contact, sort: str) -> None:
    other = Contact.objects.create(email="ola@example.com", first_name="Ola", last_name="Nordmann")
    acme = Company.objects.create(name="Acme")
    for n in range(7):
        make_subscription(
            contact if n % 2 else other,
            name=f"Sub {n % 3}",
            company=acme if n % 3 else None,
            next_payment_date=None if n == 4 else date(2027, 2, 1 + n % 2),
            line_items_mrr=100 * (n % 4),
            last_payment_amount=None if n % 2 else 100,
        )
    spec = Spec(sort=parse_sort(sort))
    seen, cursor = [], None
    for _ in range(10):
        page = index_page(spec, at=T0, limit=2, cursor=cursor)
        seen += page.data
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert sorted(s.pk for s in seen) == sorted(Subscription.objects.values_list("pk", flat=True))
    prop = PROPERTIES[sort.removeprefix("-")]
    keys = [prop.of(s) for s in seen]
    present = [k for k in keys if k is not None]
    assert keys == present + [None] * (len(keys) - len(present))  # none last, either way
    if prop.kind.value not in ("text", "choice"):  # text orders by the database's collation
        assert present == sorted(present, reverse=sort.startswith("-"))


@pytest.mark.parametrize("sort", SORTS + [f"-{k}" for k in SORTS])
def test_every_sort_pages_back_to_the_same_pages(contact: Contact, sort: str) -> None:
    acme = Company.objects.create(name="Acme")
    for n in range(8):
        make_subscription(
            contact,
            name=f"Sub {n % 3}",
            company=acme if n % 3 else None,
            next_payment_date=None if n in (4, 6) else date(2027, 2, 1 + n % 2),
            line_items_mrr=100 * (n % 4),
            last_payment_amount=None if n % 2 else 100,
        )
    spec = Spec(sort=parse_sort(sort))
    forward = [index_page(spec, at=T0, limit=3)]
    while forward[-1].has_more:
        forward.append(index_page(spec, at=T0, limit=3, cursor=forward[-1].next_cursor))
    assert [len(p.data) for p in forward] == [3, 3, 2]
    back = [forward[-1]]
    while back[-1].previous_cursor:
        back.append(index_page(spec, at=T0, limit=3, before=back[-1].previous_cursor))
    back.reverse()
    assert [[s.pk for s in p.data] for p in back] == [[s.pk for s in p.data] for p in forward]
    assert [p.start_cursor for p in back] == [p.start_cursor for p in forward]
    assert [p.start_cursor is None for p in back] == [True, False, False]
    assert [p.has_more for p in back] == [True, True, False]


def test_the_page_before_the_second_is_the_whole_first_page(contact: Contact) -> None:
    for n in range(5):
        make_subscription(contact, name=f"Sub {n}")
    spec = Spec(sort=parse_sort("name"))
    first = index_page(spec, at=T0, limit=2)
    third = index_page(
        spec, at=T0, limit=2, cursor=index_page(spec, at=T0, limit=2, cursor=first.next_cursor).next_cursor
    )
    assert [s.name for s in third.data] == ["Sub 4"]
    Subscription.objects.filter(name__in=["Sub 1", "Sub 2"]).delete()  # fewer than a page lies before it
    back = index_page(spec, at=T0, limit=2, before=third.previous_cursor)
    assert ([s.name for s in back.data], back.start_cursor, back.previous_cursor) == (
        ["Sub 0", "Sub 3"],
        None,
        None,
    )


def test_the_count_is_exact_on_sqlite_and_below_the_threshold(contact: Contact) -> None:
    for n in range(4):
        make_subscription(contact, name=f"Sub {n}", status="active" if n else "paused")
    count = index_count(parse_filters({"status": ["active"]}), at=T0)
    assert (count.value, count.exact) == (3, True)


@pytest.mark.postgres
def test_a_count_past_its_budget_is_the_planners_estimate_and_says_so(contact: Contact) -> None:
    for n in range(30):
        make_subscription(contact, name=f"Sub {n}")
    slow = Subscription.objects.filter(
        RawSQL("pg_sleep(0.02) IS NOT NULL", [], output_field=BooleanField())
    )  # 30 × 20 ms
    count = count_rows(slow, budget_ms=100, at_least=26)
    assert count.exact is False and count.value >= 26
    assert count_rows(Subscription.objects.all(), budget_ms=100) == RowCount(30, exact=True)
    # The transaction goes on without the timeout: a slower statement than the budget still runs.
    assert Subscription.objects.filter(
        RawSQL("pg_sleep(0.2) IS NOT NULL", [], output_field=BooleanField())
    ).exists()
