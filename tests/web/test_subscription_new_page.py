"""The "Create subscription" page before it is sent: the link on the list, prefilling from a contact or a
company, the contact and company searches, the payment method choices and the billing address following
the contact (also in the browser).

``records``: Ingrid Hansen at Fjordline, the Pro plan product ($49.00 monthly). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from recurra.crm.services import company_create, contact_create, contact_update
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import (
    checked,
    options,
    picked_labels,
    radios,
    text,
    value_of,
)
from tests.web.subscription_form import INGRID, URL, confirmed, form_data


def test_the_list_links_to_the_page_for_editors_only(editor: Client, viewer: Client, records: Any) -> None:
    link = f'<a class="btn btn-primary" href="{URL}">Create subscription</a>'
    assert link in editor.get("/subscriptions/").content.decode()
    assert "Create subscription" not in viewer.get("/subscriptions/").content.decode()
    assert viewer.get(URL).status_code == 403
    assert viewer.post(URL, {}).status_code == 403
    forged = confirmed(form_data(records.contact, [{"product_id": records.product.pk}]))
    assert viewer.post(URL, forged).status_code == 403
    assert Subscription.objects.count() == 0


def test_a_blank_page_sends_invoices_net_30_starts_now_and_offers_no_payment_method(
    editor: Client, records: Any
) -> None:
    page = editor.get(URL)

    assert page.status_code == 200
    assert (radios(page, "contact"), radios(page, "company")) == ([], [("", True)])
    assert picked_labels(page, "company") == ["The contact's company"]
    assert (
        checked(page, "collection_method"),
        value_of(page, "payment_terms"),
        checked(page, "billing_start_type"),
    ) == ("send_invoice", "net_30", "at_purchase")
    assert options(page, "payment_method") == []
    html = page.content.decode()
    # Searches ask the server; the contact's radio buttons reload the payment methods and the address.
    assert 'hx-get="/contacts/search/"' in html
    assert 'hx-get="/companies/search/"' in html
    assert (
        'hx-include="#contact-results, #billing-address" hx-target="#payment-method" '
        'hx-select="#payment-method" hx-select-oob="#billing-address"'
    ) in html
    assert '<div id="payment-method" class="form-grid">' in html
    # The deal's line-item rows and "+ Add line item", without a start of their own.
    assert 'hx-get="/deals/line-items/new/?own_start=0"' in html
    assert 'name="items-0-product_id"' in html
    assert "billing_start" not in "".join(re.findall(r'name="items-0-[^"]*"', html))
    for name in ("accept_online_payment", "save_payment_method"):
        assert re.search(rf'<input type="checkbox" name="{name}"[^>]*checked', html), name
    assert re.findall(r'name="allowed_payment_methods" value="(\w+)"[^>]*checked', html) == ["card", "ach"]
    assert '<details class="advanced">' in html  # closed while the invoice settings are blank


def test_only_the_subscription_page_asks_for_rows_without_their_own_start(editor: Client) -> None:
    deal_row = editor.get("/deals/line-items/new/", {"items-TOTAL_FORMS": "1"}).content.decode()
    new_row = editor.get("/deals/line-items/new/", {"items-TOTAL_FORMS": "1", "own_start": "0"})

    assert 'name="items-1-billing_start_type"' in deal_row  # deals and payment links keep theirs
    html = new_row.content.decode()
    assert 'name="items-1-product_id"' in html
    assert "billing_start" not in html
    assert "<summary>Description</summary>" in html
    assert 'value="2" id="id_items-TOTAL_FORMS" hx-swap-oob="true"' in html


def test_prefilled_from_a_contact_with_a_saved_method_and_an_address(editor: Client, records: Any) -> None:
    contact_update(contact=records.contact, actor=SYSTEM, address=INGRID)
    old = payment_method_add(contact=records.contact, token="tok_mastercard", actor=SYSTEM, at=T0)
    newest = payment_method_add(contact=records.contact, token="tok_visa", actor=SYSTEM, at=T0)
    other = contact_create(actor=SYSTEM, email="ola@example.com")
    payment_method_add(contact=other, token="tok_visa", actor=SYSTEM, at=T0)

    page = editor.get(URL, {"contact": records.contact.pk})

    assert radios(page, "contact") == [(records.contact.pk, True)]
    assert picked_labels(page, "contact") == ["Ingrid Hansen · ingrid@fjordline.example"]
    assert (checked(page, "collection_method"), value_of(page, "payment_method")) == (
        "charge_automatically",
        newest.pk,
    )
    assert sorted(options(page, "payment_method")) == sorted([old.pk, newest.pk])  # theirs only
    assert [value_of(page, part) for part in ("line1", "city", "postal_code", "country")] == [
        "Strandkaien 3",
        "Bergen",
        "5013",
        "NO",
    ]
    assert value_of(page, "address_from") == records.contact.pk
    assert f'<a class="back" href="/contacts/{records.contact.pk}/">' in page.content.decode()


def test_prefilled_from_a_company_picks_its_first_contact(editor: Client, records: Any) -> None:
    newest = contact_create(actor=SYSTEM, email="per@fjordline.example", company_id=records.company.pk)

    page = editor.get(URL, {"company": records.company.pk})

    assert radios(page, "company") == [("", False), (records.company.pk, True)]
    assert picked_labels(page, "company") == ["The contact's company", "Fjordline · fjordline.example"]
    assert radios(page, "contact") == [(newest.pk, True)]
    assert checked(page, "collection_method") == "send_invoice"  # no saved method


def test_the_contact_search_finds_by_name_or_email_at_most_ten(
    editor: Client, viewer: Client, records: Any
) -> None:
    for number in range(12):
        contact_create(
            actor=SYSTEM, email=f"ola{number}@example.com", first_name="Ola", last_name=f"N{number}"
        )

    many = editor.get("/contacts/search/", {"q": "ola"})
    by_email = viewer.get("/contacts/search/", {"q": "FJORDLINE.example"})  # a read: viewers may search
    nothing = editor.get("/contacts/search/", {"q": ""})

    assert len(radios(many, "contact")) == 10
    assert not any(on for _, on in radios(many, "contact"))
    assert "The first 10 matches for “ola”: type more to narrow it." in text(many.content)
    assert radios(by_email, "contact") == [(records.contact.pk, False)]
    assert picked_labels(by_email, "contact") == ["Ingrid Hansen · ingrid@fjordline.example"]
    assert "1 match for “FJORDLINE.example”." in text(by_email.content)
    assert radios(nothing, "contact") == []
    assert "Search, then pick one." in text(nothing.content)


def test_the_chosen_contact_is_kept_first_and_checked_whatever_is_searched(
    editor: Client, records: Any
) -> None:
    ola = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola")

    found = editor.get("/contacts/search/", {"q": "ola", "contact": records.contact.pk})
    again = editor.get("/contacts/search/", {"q": "ingrid", "contact": records.contact.pk})

    assert radios(found, "contact") == [(records.contact.pk, True), (ola.pk, False)]
    assert radios(again, "contact") == [(records.contact.pk, True)]  # not twice
    assert "Nothing else matches “ingrid”." in text(again.content)


def test_the_company_search_offers_the_contacts_company_and_keeps_the_chosen(
    editor: Client, records: Any
) -> None:
    acme = company_create(actor=SYSTEM, name="Acme", domain="acme.example")

    by_domain = editor.get("/companies/search/", {"q": "acme.ex"})
    kept = editor.get("/companies/search/", {"q": "acme", "company": records.company.pk})

    assert radios(by_domain, "company") == [("", True), (acme.pk, False)]
    assert radios(kept, "company") == [("", False), (records.company.pk, True), (acme.pk, False)]


def test_a_change_of_contact_prefills_the_address_unless_the_seller_typed_one(
    editor: Client, records: Any
) -> None:
    contact_update(contact=records.contact, actor=SYSTEM, address=INGRID)
    ola = contact_create(actor=SYSTEM, email="ola@example.com", address={"city": "Oslo", "country": "NO"})
    blank = dict.fromkeys(("line1", "line2", "city", "state", "postal_code", "country"), "")
    # What the contact's radio buttons send (htmx): the new contact and the address shown.
    empty = editor.get(URL, {"contact": ola.pk, **blank, "address_from": ""})
    untouched = editor.get(URL, {"contact": ola.pk, **blank, **INGRID, "address_from": records.contact.pk})
    typed = {**blank, **INGRID, "line2": "Floor 4", "address_from": records.contact.pk}
    kept = editor.get(URL, {"contact": ola.pk, **typed})

    assert (value_of(empty, "city"), value_of(empty, "address_from")) == ("Oslo", ola.pk)
    assert (value_of(untouched, "city"), value_of(untouched, "line1")) == ("Oslo", "")
    assert (value_of(kept, "city"), value_of(kept, "line2")) == ("Bergen", "Floor 4")
    assert value_of(kept, "address_from") == records.contact.pk


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
    page.wait_for_url(f"{live_server.url}{URL}")

    methods = page.locator("#id_payment_method option")
    expect(methods).to_have_text(["—"])  # a read that waits: the page may still be loading
    search = page.get_by_label("Search contacts by name or email")
    search.fill("ingrid@fjordline")
    search.press("Enter")  # searches (its own form), does not submit the subscription
    page.get_by_label("Ingrid · ingrid@fjordline.example").check()
    expect(methods).to_have_text(["—", str(card)])  # Ingrid's only, once htmx swapped them in
    page.get_by_label("Charge a saved payment method automatically").check()
    page.locator("#id_payment_method").select_option(card.pk)
    page.locator("#id_items-0-name").fill("Hosting")
    page.locator("#id_items-0-unit_price").fill("25")
    page.locator("#id_items-0-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="+ Add line item").click()  # the deal's htmx row, without a start
    page.locator("#id_items-1-name").fill("Seats")
    expect(page.locator("#id_items-1-billing_start_type")).to_have_count(0)
    page.locator("#id_items-1-unit_price").fill("5")
    page.locator("#id_items-1-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="Review and create").click()
    # Once in a full PostgreSQL run (not reproduced in 12 reruns) the form came back with a 422
    # instead of the dialog: should it again, the failure names the form's errors.
    page.locator("dialog[open], .errorlist, .form-errors").first.wait_for()
    errors = page.locator(".errorlist, .form-errors")
    assert errors.count() == 0, errors.all_inner_texts()
    page.get_by_role("dialog").get_by_role("button", name="Back to the form").click()
    expect(page.locator("#id_items-1-name")).to_have_value("Seats")  # kept
    page.get_by_role("button", name="Review and create").click()
    page.get_by_role("dialog").get_by_role("button", name="Create subscription").click()
    page.wait_for_selector("text=Subscription created.")

    sub = Subscription.objects.get()
    assert (sub.contact_id, sub.payment_method_id, sub.name, sub.next_payment_amount) == (
        ingrid.pk,
        card.pk,
        "Hosting + 1 more",
        3000,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_search_answer_that_left_before_the_pick_keeps_the_pick(
    signed_in_page: Any, live_server: Any
) -> None:
    """A search still in flight when the seller picks a contact (here held back on purpose) must not
    redraw the choices without the pick: the form then came back "This field is required"."""
    contact_create(actor=SYSTEM, email="ingrid@fjordline.example", first_name="Ingrid")
    page = signed_in_page
    page.goto(f"{live_server.url}{URL}")
    search = page.get_by_label("Search contacts by name or email")
    search.fill("ingrid")
    search.press("Enter")
    ingrid = page.get_by_label("Ingrid · ingrid@fjordline.example")
    expect(ingrid).not_to_be_checked()

    held: list[Any] = []
    page.route("**/contacts/search/**", lambda route: held.append(route))
    search.press("Enter")  # a second search, sent before the pick: its answer is held back
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held  # Enter sends the search (and may send the form's own GET too)
    ingrid.check()
    for route in held:
        route.continue_()
    page.wait_for_load_state("networkidle")

    expect(page.get_by_label("Ingrid · ingrid@fjordline.example")).to_be_checked()
