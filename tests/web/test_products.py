"""Product library pages: list with the archived filter, prices typed in major units, archive, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.catalog.models import Product
from recurra.catalog.services import product_archive, product_create
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, form_errors, messages, table_rows, text, value_of

FORM = {"name": "Seat", "sku": "SEAT", "price": "19.99", "currency": "USD", "billing_frequency": "monthly"}


def test_list_with_archived_filter(viewer: Client, records: Any) -> None:
    old = product_create(actor=SYSTEM, name="Legacy", unit_amount=150000, currency="JPY")
    product_archive(product=old, actor=SYSTEM, at=T0)
    active = ["Pro plan", "PRO-M", "$49.00", "Monthly", "Active"]
    archived = ["Legacy", "—", "¥150,000", "One time", "Archived"]
    assert table_rows(viewer.get("/products/").content) == [active]
    assert table_rows(viewer.get("/products/", {"archived": "archived"}).content) == [archived]
    assert sorted(table_rows(viewer.get("/products/", {"archived": "all"}).content)) == [archived, active]
    assert value_of(viewer.get("/products/", {"archived": "bogus"}), "archived") == "active"


def test_create_converts_the_price_to_minor_units(editor: Client, frozen_clock: Any) -> None:
    done = editor.post("/products/new/", {**FORM, "tax_rate_percent": "12.5"}, follow=True)
    seat = Product.objects.get(sku="SEAT")
    assert done.redirect_chain == [(f"/products/{seat.pk}/", 302)]
    assert messages(done) == ["Product created."]
    assert (seat.unit_amount, seat.currency, seat.tax_rate_percent, seat.billing_frequency) == (
        1999,
        "USD",
        Decimal("12.5"),
        "monthly",
    )
    assert "Unit price $19.99" in text(done.content)
    assert "Tax rate 12.5 %" in text(done.content)
    editor.post("/products/new/", {**FORM, "sku": "", "price": "1500", "currency": "JPY"})
    assert Product.objects.get(currency="JPY").unit_amount == 1500


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"price": "19,99"}, "id_price", "Enter an amount such as 19.99 (digits and a decimal point only)."),
        ({"price": "-5"}, "id_price", "Enter an amount such as 19.99 (digits and a decimal point only)."),
        ({"price": "19.999"}, "id_price", "USD takes at most 2 decimal places."),
        ({"price": "10.5", "currency": "JPY"}, "id_price", "JPY takes at most 0 decimal places."),
        ({"price": ""}, "id_price", "This field is required."),
        (
            {"tax_rate_percent": "101"},
            "id_tax_rate_percent",
            "Ensure this value is less than or equal to 100.",
        ),
        ({"sku": "pro-m"}, "id_sku", "Is already in use"),
    ],
)
def test_create_rejects_bad_input_and_keeps_it(
    editor: Client, records: Any, changes: dict[str, str], field: str, error: str
) -> None:
    response = editor.post("/products/new/", {**FORM, **changes})
    assert response.status_code == 422
    assert field_errors(response, field) == [error]
    for name, typed in {**FORM, **changes}.items():
        assert value_of(response, name) == typed
    assert Product.objects.count() == 1


def test_edit_shows_major_units_and_saves(editor: Client, records: Any) -> None:
    url = f"/products/{records.product.pk}/edit/"
    form = editor.get(url)
    assert (value_of(form, "price"), value_of(form, "tax_rate_percent"), value_of(form, "currency")) == (
        "49.00",
        "0",
        "USD",
    )
    done = editor.post(url, {**FORM, "name": "Pro plan", "sku": "PRO-M", "price": "59"}, follow=True)
    assert messages(done) == ["Product saved."]
    records.product.refresh_from_db()
    assert (records.product.unit_amount, records.product.billing_frequency) == (5900, "monthly")


def test_archive_and_restore(editor: Client, records: Any) -> None:
    archive = f"/products/{records.product.pk}/archive/"
    done = editor.post(archive, follow=True)
    assert done.redirect_chain == [(f"/products/{records.product.pk}/", 302)]
    assert messages(done) == ["Product Pro plan archived; it can no longer be added to new line items."]
    assert "Restore</button>" in done.content.decode()
    records.product.refresh_from_db()
    assert records.product.archived_at == T0

    again = editor.post(archive, follow=True)
    assert messages(again) == [f"Product {records.product.pk} is already archived."]

    restored = editor.post(f"/products/{records.product.pk}/restore/", follow=True)
    assert messages(restored) == ["Product Pro plan restored."]
    records.product.refresh_from_db()
    assert records.product.archived_at is None


def test_delete_unused_product(editor: Client, frozen_clock: Any) -> None:
    spare = product_create(actor=SYSTEM, name="Spare", unit_amount=100, currency="USD")
    url = f"/products/{spare.pk}/delete/"
    assert "Delete the product Spare? This cannot be undone." in text(editor.get(url).content)
    done = editor.post(url, follow=True)
    assert done.redirect_chain == [("/products/", 302)]
    assert messages(done) == ["Product Spare deleted."]
    assert not Product.objects.exists()


def test_deleting_a_used_product_says_archive_it_instead(editor: Client, records: Any) -> None:
    response = editor.post(f"/products/{records.product.pk}/delete/")
    assert response.status_code == 409
    assert form_errors(response) == [
        f"Product {records.product.pk} is used on line items; archive it instead."
    ]
    assert f'action="/products/{records.product.pk}/archive/"' in response.content.decode()
    assert "Archive instead" in text(response.content)
    assert Product.objects.filter(pk=records.product.pk).exists()
