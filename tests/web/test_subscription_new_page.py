"""The "Create subscription" page: the link on the list, prefilling from a contact or a company, the
payment method choices, creating (send invoice, charge automatically), errors beside their fields.

``records``: Ingrid Hansen at Fjordline, the Pro plan product ($49.00 monthly). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from recurra.crm.services import contact_create
from recurra.payments.models import PaymentMethod
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, form_errors, messages, value_of

URL = "/subscriptions/new/"
ROW = {"quantity": "1", "billing_terms": "auto_renew", "billing_start_type": "at_purchase"}


def form_data(contact: Any, items: list[dict[str, str]], **fields: str) -> dict[str, str]:
    """The POST body: the subscription's fields, then each line item row of the deal's formset."""
    data = {
        "contact": contact.pk,
        "company": "",
        "name": "",
        "currency": "USD",
        "collection_method": "send_invoice",
        "payment_method": "",
        "payment_terms": "net_30",
        **fields,
    }
    data |= {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        data |= {f"items-{index}-{name}": value for name, value in {**ROW, **item}.items()}
    return data


def options(response: Any, name: str) -> list[str]:
    """The option values of the select ``name`` (blank left out)."""
    html = response.content.decode()
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [value for value in re.findall(r'<option value="([^"]*)"', select[1]) if value]


def checked(response: Any, name: str) -> str | None:
    """The value of the checked radio button ``name``."""
    for tag in re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', response.content.decode()):
        if re.search(r"\bchecked\b", tag):
            return re.search(r'\bvalue="([^"]*)"', tag)[1]  # type: ignore[index]
    return None


def test_the_list_links_to_the_page_for_editors_only(editor: Client, viewer: Client) -> None:
    link = f'<a class="btn btn-primary" href="{URL}">Create subscription</a>'
    assert link in editor.get("/subscriptions/").content.decode()
    assert "Create subscription" not in viewer.get("/subscriptions/").content.decode()
    assert viewer.get(URL).status_code == 403
    assert viewer.post(URL, {}).status_code == 403


def test_a_blank_page_sends_invoices_net_30_and_offers_no_payment_method(
    editor: Client, records: Any
) -> None:
    page = editor.get(URL)

    assert page.status_code == 200
    assert (
        value_of(page, "contact"),
        checked(page, "collection_method"),
        value_of(page, "payment_terms"),
    ) == (
        "",
        "send_invoice",
        "net_30",
    )
    assert options(page, "payment_method") == []
    html = page.content.decode()
    assert 'hx-get="/deals/line-items/new/"' in html  # the deal's "+ Add line item" row
    # a new contact reloads the payment method field: this page with ?contact=, that field picked out
    assert 'hx-include="#id_contact" hx-target="#payment-method" hx-select="#payment-method"' in html
    assert '<div id="payment-method">' in html


def test_prefilled_from_a_contact_with_a_saved_method_charges_it(editor: Client, records: Any) -> None:
    old = payment_method_add(contact=records.contact, token="tok_mastercard", actor=SYSTEM, at=T0)
    newest = payment_method_add(contact=records.contact, token="tok_visa", actor=SYSTEM, at=T0)
    other = contact_create(actor=SYSTEM, email="ola@example.com")
    payment_method_add(contact=other, token="tok_visa", actor=SYSTEM, at=T0)

    page = editor.get(URL, {"contact": records.contact.pk})

    assert value_of(page, "contact") == records.contact.pk
    assert (checked(page, "collection_method"), value_of(page, "payment_method")) == (
        "charge_automatically",
        newest.pk,
    )
    assert sorted(options(page, "payment_method")) == sorted([old.pk, newest.pk])  # theirs only
    assert f'<a class="back" href="/contacts/{records.contact.pk}/">' in page.content.decode()


def test_prefilled_from_a_company_picks_its_first_contact(editor: Client, records: Any) -> None:
    newest = contact_create(actor=SYSTEM, email="per@fjordline.example", company_id=records.company.pk)

    page = editor.get(URL, {"company": records.company.pk})

    assert (value_of(page, "company"), value_of(page, "contact")) == (records.company.pk, newest.pk)
    assert checked(page, "collection_method") == "send_invoice"  # no saved method


def test_creating_a_send_invoice_subscription(editor: Client, records: Any) -> None:
    items = [
        {"product_id": records.product.pk, "quantity": "2"},
        {"name": "Extra seat", "unit_price": "10.50", "billing_frequency": "monthly"},
    ]

    done = editor.post(URL, form_data(records.contact, items, payment_terms="net_15"), follow=True)

    sub = Subscription.objects.get()
    assert done.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert messages(done) == ["Subscription created."]
    assert (sub.name, sub.contact_id, sub.company_id, sub.status) == (
        "Pro plan + 1 more",
        records.contact.pk,
        records.company.pk,
        "active",
    )
    assert (sub.collection_method, sub.payment_terms, sub.payment_method_id, sub.next_payment_amount) == (
        "send_invoice",
        "net_15",
        None,
        9800 + 1050,
    )
    assert [(i.name, i.quantity) for i in sub.line_items.all()] == [("Pro plan", 2), ("Extra seat", 1)]


def test_charging_automatically_uses_the_chosen_method_and_ignores_the_terms(
    editor: Client, records: Any
) -> None:
    method = payment_method_add(contact=records.contact, token="tok_visa", actor=SYSTEM, at=T0)
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        name="Ingrid's plan",
        collection_method="charge_automatically",
        payment_method=method.pk,
    )

    assert editor.post(URL, data).status_code == 302

    sub = Subscription.objects.get()
    assert (sub.name, sub.collection_method, sub.payment_method_id, sub.payment_terms) == (
        "Ingrid's plan",
        "charge_automatically",
        method.pk,
        "due_on_receipt",
    )


def test_errors_are_shown_beside_their_fields_and_nothing_is_made(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}, {"name": "Setup", "unit_price": "100"}],  # custom: one time
        collection_method="charge_automatically",
    )

    refused = editor.post(URL, data)

    assert refused.status_code == 422
    assert field_errors(refused, "id_payment_method") == ["Is required to charge automatically"]
    assert field_errors(refused, "id_items-1-billing_frequency") == [
        "One-time items are invoiced, not subscribed"
    ]
    assert value_of(refused, "items-1-name") == "Setup"  # the input is kept
    assert Subscription.objects.count() == 0
    assert PaymentMethod.objects.count() == 0


def test_a_method_of_another_contact_is_refused(editor: Client, records: Any) -> None:
    other = contact_create(actor=SYSTEM, email="ola@example.com")
    theirs = payment_method_add(contact=other, token="tok_visa", actor=SYSTEM, at=T0)
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        collection_method="charge_automatically",
        payment_method=theirs.pk,
    )

    refused = editor.post(URL, data)

    assert refused.status_code == 422  # not one of the choices for this contact
    assert field_errors(refused, "id_payment_method")
    assert form_errors(refused) == []
    assert Subscription.objects.count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_contact_picks_the_payment_methods(signed_in_page: Any, live_server: Any) -> None:
    ingrid = contact_create(actor=SYSTEM, email="ingrid@fjordline.example", first_name="Ingrid")
    ola = contact_create(actor=SYSTEM, email="ola@example.com")
    card = payment_method_add(contact=ingrid, token="tok_visa", actor=SYSTEM, at=T0)
    payment_method_add(contact=ola, token="tok_mastercard", actor=SYSTEM, at=T0)
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Create subscription").click()

    methods = page.locator("#id_payment_method option")
    assert methods.all_inner_texts() == ["—"]
    page.get_by_label("Contact", exact=True).select_option(label="Ingrid · ingrid@fjordline.example")
    page.wait_for_selector(f'#id_payment_method option[value="{card.pk}"]', state="attached")  # htmx swap
    assert methods.all_inner_texts() == ["—", str(card)]  # Ingrid's only
    page.get_by_label("Charge automatically").check()
    page.locator("#id_payment_method").select_option(card.pk)
    page.locator("#id_items-0-name").fill("Hosting")
    page.locator("#id_items-0-unit_price").fill("25")
    page.locator("#id_items-0-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="+ Add line item").click()  # the deal's htmx row
    page.locator("#id_items-1-name").fill("Seats")
    page.locator("#id_items-1-unit_price").fill("5")
    page.locator("#id_items-1-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="Create subscription").click()
    page.wait_for_selector("text=Subscription created.")

    sub = Subscription.objects.get()
    assert (sub.contact_id, sub.payment_method_id, sub.name, sub.next_payment_amount) == (
        ingrid.pk,
        card.pk,
        "Hosting + 1 more",
        3000,
    )
