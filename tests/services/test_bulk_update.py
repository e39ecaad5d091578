"""core.bulk.update_rows: many rows to different values in one statement, converted like the ORM."""

from __future__ import annotations

from datetime import date
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
