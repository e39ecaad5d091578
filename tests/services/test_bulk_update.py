"""core.bulk.update_rows: many rows to different values in one statement, converted like the ORM."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from recurra.catalog.models import Product
from recurra.core.bulk import update_rows
from recurra.crm.models import Contact, Deal, DealLineItem

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_others_are_untouched() -> None:
    deals = [Deal.objects.create(name=f"d{i}", currency="USD", amount=i) for i in range(3)]
    contact = Contact.objects.create(email="a@example.com")
    rows = [
        {"pk": deals[0].pk, "amount": 100, "close_date": date(2027, 2, 28), "contact": contact},
        {"pk": deals[1].pk, "amount": 250, "close_date": None, "contact": None},
    ]
    assert update_rows(Deal, rows, ["amount", "close_date", "contact"]) == 2
    got = {d.pk: (d.amount, d.close_date, d.contact_id) for d in Deal.objects.all()}
    assert got == {
        deals[0].pk: (100, date(2027, 2, 28), contact.pk),
        deals[1].pk: (250, None, None),
        deals[2].pk: (2, None, None),
    }


def test_decimals_keep_their_exact_value() -> None:
    product = Product.objects.create(name="p", unit_amount=1, currency="USD")
    deal = Deal.objects.create(name="d", currency="USD")
    item = DealLineItem.objects.create(
        deal=deal, product=product, name="x", unit_amount=1, currency="USD", billing_frequency="monthly"
    )
    update_rows(DealLineItem, [{"pk": item.pk, "discount_percent": Decimal("12.3456")}], ["discount_percent"])
    item.refresh_from_db()
    assert item.discount_percent == Decimal("12.3456")


def test_nothing_to_write_is_no_statement() -> None:
    assert update_rows(Deal, [], ["amount"]) == 0


def test_update_columns_writes_json_as_events_dumps_it() -> None:
    from recurra.core.bulk import update_columns
    from recurra.notifications.models import EmailMessage

    at = datetime(2027, 1, 15, tzinfo=UTC)
    emails = [EmailMessage.objects.create(to=f"{i}@example.com", kind="receipt", run_at=at) for i in range(2)]
    data = [{"on": date(2027, 2, 28), "amount": Decimal("1.50")}, {"lines": [{"n": 1}]}]
    assert update_columns(EmailMessage, [e.pk for e in emails], {"data": data, "attempts": [2, 3]}) == 2
    got = dict(EmailMessage.objects.values_list("to", "data"))
    assert got == {
        "0@example.com": {"on": "2027-02-28", "amount": "1.50"},
        "1@example.com": {"lines": [{"n": 1}]},
    }
    assert sorted(EmailMessage.objects.values_list("attempts", flat=True)) == [2, 3]
