"""Deal pages: list with stage filter, record with line items, create and edit with line items, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from recurra.catalog.services import product_archive, product_create
from recurra.crm.models import Deal
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, form_errors, messages, table_rows, text, value_of

ROW = {"quantity": "1", "billing_terms": "auto_renew", "billing_start_type": "at_purchase"}


def deal_data(items: list[dict[str, str]], initial: int = 0, **deal: str) -> dict[str, str]:
    """The POST body of the deal form: deal fields, then each line item row of the formset."""
    data = {"name": "Nordlys support", "stage": "qualified_to_buy", "currency": "USD", **deal}
    data |= {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": str(initial)}
    for index, item in enumerate(items):
        data |= {f"items-{index}-{name}": value for name, value in {**ROW, **item}.items()}
    return data


def test_list_and_stage_filter(viewer: Client, records: Any) -> None:
    row = ["Fjordline Pro", "Appointment scheduled", "$98.00", "Ingrid Hansen", "Fjordline", "—"]
    assert table_rows(viewer.get("/deals/").content) == [row]
    assert table_rows(viewer.get("/deals/", {"stage": "appointment_scheduled"}).content) == [row]
    assert table_rows(viewer.get("/deals/", {"stage": "closed_won"}).content) == []
    assert table_rows(viewer.get("/deals/", {"q": "ingrid"}).content) == [row]
    by_contact = viewer.get("/deals/", {"contact_id": records.contact.pk})
    assert table_rows(by_contact.content) == [row]
    assert "Deals of Ingrid Hansen · All deals" in text(by_contact.content)


def test_detail_shows_associations_and_line_items(viewer: Client, records: Any) -> None:
    response = viewer.get(f"/deals/{records.deal.pk}/")
    html = response.content.decode()
    assert f'<a href="/contacts/{records.contact.pk}/">Ingrid Hansen</a>' in html
    assert f'<a href="/companies/{records.company.pk}/">Fjordline</a>' in html
    assert table_rows(html, "table-lines") == [
        [
            "Pro plan From the product library",
            "Monthly Until cancelled",
            "2",
            "$49.00",
            "—",
            "$98.00",
            "—",
            "$98.00",
        ]
    ]
    assert "Totals $98.00 — $98.00" not in text(html)  # tax total is money, not a dash
    assert "Totals $98.00 $0.00 $98.00" in text(html)


def test_create_with_a_product_and_a_custom_line_item(editor: Client, records: Any) -> None:
    items = [
        {"product_id": records.product.pk, "quantity": "3", "discount_percent": "10"},
        {
            "name": "Setup",
            "unit_price": "250.50",
            "tax_rate_percent": "25",
            "billing_frequency": "monthly",
            "billing_terms": "fixed",
            "number_of_payments": "6",
        },
        {},  # the blank row the form always offers
    ]
    data = deal_data(items, contact_id=records.contact.pk, close_date="2027-03-01")
    done = editor.post("/deals/new/", data, follow=True)
    deal = Deal.objects.get(name="Nordlys support")
    assert done.redirect_chain == [(f"/deals/{deal.pk}/", 302)]
    assert messages(done) == ["Deal created."]
    assert (deal.amount, deal.currency, deal.contact_id, str(deal.close_date)) == (
        13230 + 25050,
        "USD",
        records.contact.pk,
        "2027-03-01",
    )
    fields = ("name", "product_id", "unit_amount", "quantity", "discount_percent", "tax_rate_percent")
    fields += ("billing_frequency", "billing_terms", "number_of_payments")
    lines = [tuple(getattr(i, f) for f in fields) for i in deal.line_items.all()]
    assert lines == [
        ("Pro plan", records.product.pk, 4900, 3, Decimal(10), Decimal(0), "monthly", "auto_renew", None),
        ("Setup", None, 25050, 1, Decimal(0), Decimal(25), "monthly", "fixed", 6),
    ]
    assert table_rows(done.content, "table-lines")[1] == [
        "Setup Custom item",
        "Monthly 6 payments",
        "1",
        "$250.50",
        "—",
        "$250.50",
        "$62.63 25 %",
        "$313.13",
    ]


def test_create_shows_line_item_errors_on_their_row(editor: Client, records: Any) -> None:
    euro = product_create(actor=SYSTEM, name="Euro plan", unit_amount=900, currency="EUR")
    items = [
        {"name": "Setup"},
        {"name": "Retainer", "unit_price": "10", "billing_frequency": "monthly", "billing_terms": "fixed"},
        {"product_id": euro.pk},
    ]
    response = editor.post("/deals/new/", deal_data(items))
    assert response.status_code == 422
    assert form_errors(response) == ["Some line items need changes; see the messages below."]
    assert field_errors(response, "id_items-0-unit_price") == ["Is required for a custom line item"]
    assert field_errors(response, "id_items-1-number_of_payments") == [
        "Fixed terms need a number of payments from 1 to 1000"
    ]
    assert field_errors(response, "id_items-2-product_id") == ["Every line item must be in USD"]
    assert (value_of(response, "items-0-name"), value_of(response, "items-2-product_id")) == (
        "Setup",
        euro.pk,
    )
    assert value_of(response, "name") == "Nordlys support"
    assert Deal.objects.count() == 1

    bad_price = editor.post("/deals/new/", deal_data([{"name": "Setup", "unit_price": "1.234"}]))
    assert field_errors(bad_price, "id_items-0-unit_price") == ["USD takes at most 2 decimal places."]
    huge = editor.post("/deals/new/", deal_data([{"name": "Setup", "unit_price": "10000000000"}]))
    assert field_errors(huge, "id_items-0-unit_price") == ["Enter at most 9999999999.99 USD."]
    blank_name = editor.post("/deals/new/", deal_data([], name=" "))
    assert field_errors(blank_name, "id_name") == ["This field is required."]
    assert Deal.objects.count() == 1


def test_edit_keeps_untouched_line_items_even_with_an_archived_product(editor: Client, records: Any) -> None:
    product_archive(product=records.product, actor=SYSTEM, at=T0)
    url = f"/deals/{records.deal.pk}/edit/"
    form = editor.get(url)
    assert value_of(form, "items-0-product_id") == records.product.pk
    assert (value_of(form, "items-0-unit_price"), value_of(form, "items-0-quantity")) == ("49.00", "2")
    assert "Pro plan · $49.00 monthly (archived)" in form.content.decode()
    item = {"product_id": records.product.pk, "name": "Pro plan", "unit_price": "49.00", "quantity": "2"}
    unchanged = {**item, "discount_percent": "0", "tax_rate_percent": "0", "billing_frequency": "monthly"}
    data = deal_data([unchanged, {}], initial=1, name="Fjordline Pro+", stage="contract_sent")
    done = editor.post(url, data, follow=True)
    assert messages(done) == ["Deal saved."]
    records.deal.refresh_from_db()
    assert (records.deal.name, records.deal.stage, records.deal.amount) == (
        "Fjordline Pro+",
        "contract_sent",
        9800,
    )
    assert [i.quantity for i in records.deal.line_items.all()] == [2]


def test_changing_the_currency_rechecks_the_line_items(editor: Client, records: Any) -> None:
    item = {"product_id": records.product.pk, "name": "Pro plan", "unit_price": "49.00", "quantity": "2"}
    unchanged = {**item, "discount_percent": "0", "tax_rate_percent": "0", "billing_frequency": "monthly"}
    response = editor.post(
        f"/deals/{records.deal.pk}/edit/", deal_data([unchanged], initial=1, currency="EUR")
    )
    assert response.status_code == 422
    assert field_errors(response, "id_items-0-product_id") == ["Every line item must be in EUR"]
    records.deal.refresh_from_db()
    assert records.deal.currency == "USD"


def test_edit_replaces_line_items(editor: Client, records: Any) -> None:
    removed = {"product_id": records.product.pk, "quantity": "2", "DELETE": "on"}
    added = {"name": "Workshop", "unit_price": "1500"}
    done = editor.post(f"/deals/{records.deal.pk}/edit/", deal_data([removed, added], initial=1), follow=True)
    assert messages(done) == ["Deal saved."]
    records.deal.refresh_from_db()
    assert [(i.name, i.unit_amount) for i in records.deal.line_items.all()] == [("Workshop", 150000)]
    assert records.deal.amount == 150000


def test_htmx_adds_a_line_item_row(editor: Client, viewer: Client, records: Any) -> None:
    response = editor.get(
        "/deals/line-items/new/", {"items-TOTAL_FORMS": "2"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<legend>Line item 3</legend>" in html
    assert 'name="items-2-product_id"' in html
    assert '<label for="id_items-2-unit_price">Unit price</label>' in html
    assert '<input type="hidden" name="items-TOTAL_FORMS" value="3" id="id_items-TOTAL_FORMS" ' in html
    assert 'id="id_items-TOTAL_FORMS" hx-swap-oob="true">' in html
    assert viewer.get("/deals/line-items/new/").status_code == 403


def test_delete(editor: Client, records: Any) -> None:
    url = f"/deals/{records.deal.pk}/delete/"
    assert "Delete the deal Fjordline Pro and its line items?" in text(editor.get(url).content)
    done = editor.post(url, follow=True)
    assert done.redirect_chain == [("/deals/", 302)]
    assert not Deal.objects.exists()
