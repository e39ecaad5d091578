"""The "Create subscription" page: the link on the list, prefilling from a contact or a company, the
contact and company searches, the payment method choices and the billing address following the contact,
every field reaching the service, the confirmation before anything is created, errors beside their fields.

``records``: Ingrid Hansen at Fjordline, the Pro plan product ($49.00 monthly). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.core import clock
from recurra.crm.services import company_create, contact_create, contact_update
from recurra.payments.models import PaymentMethod
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, form_errors, messages, text, value_of

URL = "/subscriptions/new/"
ROW = {"quantity": "1", "billing_terms": "auto_renew"}
INGRID = {"line1": "Strandkaien 3", "city": "Bergen", "postal_code": "5013", "country": "NO"}


def form_data(contact: Any, items: list[dict[str, str]], **fields: Any) -> dict[str, Any]:
    """The POST body: the subscription's fields (as a blank page has them), then each line item row."""
    data = {
        "contact": contact.pk,
        "company": "",
        "name": "",
        "currency": "USD",
        "billing_start_type": "at_purchase",
        "collection_method": "send_invoice",
        "payment_method": "",
        "payment_terms": "net_30",
        "accept_online_payment": "on",
        "allowed_payment_methods": ["card", "ach"],
        "save_payment_method": "on",
        **fields,
    }
    data |= {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        data |= {f"items-{index}-{name}": value for name, value in {**ROW, **item}.items()}
    return data


def confirmed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "confirmed": "1"}


def options(response: Any, name: str) -> list[str]:
    """The option values of the select ``name`` (blank left out)."""
    html = response.content.decode()
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return [value for value in re.findall(r'<option value="([^"]*)"', select[1]) if value]


def radios(response: Any, name: str) -> list[tuple[str, bool]]:
    """The radio buttons ``name`` in order: (value, checked)."""
    tags = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', response.content.decode())
    return [
        (re.search(r'\bvalue="([^"]*)"', tag)[1], bool(re.search(r"\bchecked\b", tag)))  # type: ignore[index]
        for tag in tags
        if 'type="radio"' in tag
    ]


def checked(response: Any, name: str) -> str | None:
    """The value of the checked radio button ``name``."""
    return next((value for value, on in radios(response, name) if on), None)


def picked_labels(response: Any, name: str) -> list[str]:
    """The labels of a picker's radio buttons, in order."""
    html = response.content.decode()
    return [
        unescape(text(label)) for label in re.findall(rf'<label for="pick-{name}-[^"]*">(.*?)</label>', html)
    ]


def dialog(response: Any) -> str:
    """The confirmation dialog's text ("" when there is none)."""
    match = re.search(r"<dialog open.*?</dialog>", response.content.decode(), re.S)
    return text(match[0]) if match else ""


def carried(response: Any) -> dict[str, list[str]]:
    """What the dialog's "Create subscription" posts: its hidden inputs (without the CSRF token)."""
    form = re.search(r"<dialog open.*?</dialog>", response.content.decode(), re.S)
    assert form, "no confirmation dialog"
    values: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[0]):
        if name != "csrfmiddlewaretoken":
            values.setdefault(name, []).append(value)
    return values


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


def test_a_valid_submit_asks_first_and_creates_nothing(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk, "quantity": "2"}],
        billing_start_type="delay_months",
        billing_start_delay="1",
        name="Fjordline Pro",
    )

    asked = editor.post(URL, data)

    assert asked.status_code == 200
    assert Subscription.objects.count() == 0
    shown = dialog(asked)
    assert "Create this subscription?" in shown
    for part in (
        "Name Fjordline Pro",
        "Contact Ingrid Hansen · ingrid@fjordline.example",
        "Company Fjordline",
        "Collection Send an invoice each period, net 30; payable online (Card, Bank debit (ACH))",
        "Billing frequency Monthly",
        "Billing terms Renews automatically until cancelled",
        "First payment 15 Feb 2027 · $98.00 Scheduled",
        "Pro plan 2 $49.00 $98.00",
        "Each payment (monthly) $98.00",
        "Payments on 15 Feb 2027, 15 Mar 2027, 15 Apr 2027, …",
    ):
        assert part in shown, part
    html = asked.content.decode()
    assert 'id="new-subscription" novalidate inert>' in html  # the form behind the dialog
    assert '<dialog open class="confirm-dialog" id="confirm" aria-labelledby="confirm-heading"' in html
    assert 'tabindex="-1" autofocus>' in html

    done = editor.post(URL, {**carried(asked), "csrfmiddlewaretoken": "x"}, follow=True)

    sub = Subscription.objects.get()
    assert done.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert messages(done) == ["Subscription created."]
    assert (sub.name, sub.status, sub.start_date, sub.next_payment_amount) == (
        "Fjordline Pro",
        "scheduled",
        date(2027, 2, 15),
        9800,
    )


def test_a_fixed_term_shows_its_end_date(editor: Client, records: Any) -> None:
    item = {"product_id": records.product.pk, "billing_terms": "fixed", "number_of_payments": "6"}
    asked = editor.post(URL, form_data(records.contact, [item]))

    assert "Billing terms 6 payments, ending 15 Jul 2027" in dialog(asked)
    assert "First payment 15 Jan 2027 · $49.00 Active" in dialog(asked)
    assert "Payments on 15 Jan 2027, 15 Feb 2027, 15 Mar 2027, …" in dialog(asked)
    assert Subscription.objects.count() == 0


def test_back_to_the_form_keeps_everything(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact,
        [{"name": "Hosting", "unit_price": "25", "billing_frequency": "monthly"}],
        name="Hosting",
    )
    asked = editor.post(URL, data)

    back = editor.post(URL, {**carried(asked), "back": "1"})

    assert back.status_code == 200
    assert dialog(back) == ""
    assert "novalidate inert" not in back.content.decode()
    assert (value_of(back, "name"), value_of(back, "items-0-name"), value_of(back, "items-0-unit_price")) == (
        "Hosting",
        "Hosting",
        "25",
    )
    assert radios(back, "contact") == [(records.contact.pk, True)]
    assert Subscription.objects.count() == 0


def test_creating_a_send_invoice_subscription(editor: Client, records: Any) -> None:
    items = [
        {"product_id": records.product.pk, "quantity": "2"},
        {"name": "Extra seat", "unit_price": "10.50", "billing_frequency": "monthly"},
    ]

    done = editor.post(URL, confirmed(form_data(records.contact, items, payment_terms="net_15")), follow=True)

    sub = Subscription.objects.get()
    assert done.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert messages(done) == ["Subscription created."]
    assert (sub.name, sub.contact_id, sub.company_id, sub.status, sub.start_date) == (
        "Pro plan + 1 more",
        records.contact.pk,
        records.company.pk,
        "active",
        date(2027, 1, 15),
    )
    assert (sub.collection_method, sub.payment_terms, sub.payment_method_id, sub.next_payment_amount) == (
        "send_invoice",
        "net_15",
        None,
        9800 + 1050,
    )
    assert [(i.name, i.quantity) for i in sub.line_items.all()] == [("Pro plan", 2), ("Extra seat", 1)]
    assert sub.address == dict.fromkeys(("line1", "line2", "city", "state", "postal_code", "country"), "")


def test_every_field_reaches_the_service(editor: Client, records: Any) -> None:
    acme = company_create(actor=SYSTEM, name="Acme")
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        company=acme.pk,
        name="Ingrid's plan",
        billing_start_type="date",
        billing_start_date="2027-02-01",
        payment_terms="net_45",
        accept_online_payment="on",
        allowed_payment_methods=["ach"],
        collect_billing_address="on",
        collect_shipping_address="on",
        save_payment_method="",  # unchecked: not posted
        line1="Karl Johans gate 1",
        line2="4th floor",
        city="Oslo",
        state="Oslo",
        postal_code="0154",
        country="no",
        invoice_comments="Thank you!",
        invoice_footer="Org. 999 888 777",
        invoice_po_number="PO-118",
        invoice_tax_id="NO999888777MVA",
        invoice_language="nb",
    )
    del data["save_payment_method"]

    assert editor.post(URL, confirmed(data)).status_code == 302

    sub = Subscription.objects.get()
    assert (sub.name, sub.company_id, sub.status, sub.start_date, sub.next_payment_date) == (
        "Ingrid's plan",
        acme.pk,
        "scheduled",
        date(2027, 2, 1),
        date(2027, 2, 1),
    )
    assert (
        sub.collection_method,
        sub.payment_terms,
        sub.accept_online_payment,
        sub.allowed_payment_methods,
    ) == (
        "send_invoice",
        "net_45",
        True,
        ["ach"],
    )
    assert (sub.collect_billing_address, sub.collect_shipping_address, sub.save_payment_method) == (
        True,
        True,
        False,
    )
    assert sub.address == {
        "line1": "Karl Johans gate 1",
        "line2": "4th floor",
        "city": "Oslo",
        "state": "Oslo",
        "postal_code": "0154",
        "country": "NO",
    }
    invoice = (sub.invoice_comments, sub.invoice_footer, sub.invoice_po_number, sub.invoice_tax_id)
    assert invoice == ("Thank you!", "Org. 999 888 777", "PO-118", "NO999888777MVA")
    assert sub.invoice_language == "nb"


def test_no_online_payment_and_no_address_typed(editor: Client, records: Any) -> None:
    contact_update(contact=records.contact, actor=SYSTEM, address=INGRID)
    data = form_data(records.contact, [{"product_id": records.product.pk}], allowed_payment_methods=[])
    del data["accept_online_payment"]

    assert editor.post(URL, confirmed(data)).status_code == 302

    sub = Subscription.objects.get()
    assert (sub.accept_online_payment, sub.allowed_payment_methods) == (False, [])
    assert (sub.address_line1, sub.city, sub.country) == ("Strandkaien 3", "Bergen", "NO")  # the contact's
    assert sub.invoice_language == "en"  # the account's default


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ({"billing_start_type": "delay_days", "billing_start_delay": "10"}, date(2027, 1, 25)),
        ({"billing_start_type": "delay_months", "billing_start_delay": "2"}, date(2027, 3, 15)),
        ({"billing_start_type": "date", "billing_start_date": "2027-01-15"}, date(2027, 1, 15)),
    ],
)
def test_one_start_for_every_line_item(
    editor: Client, records: Any, start: dict[str, str], expected: date
) -> None:
    items = [
        {"product_id": records.product.pk},
        {"name": "Seats", "unit_price": "5", "billing_frequency": "monthly"},
    ]

    assert editor.post(URL, confirmed(form_data(records.contact, items, **start))).status_code == 302

    sub = Subscription.objects.get()
    assert (sub.start_date, sub.status) == (
        expected,
        "active" if expected == date(2027, 1, 15) else "scheduled",
    )
    assert [(i.name, i.billing_start_type) for i in sub.line_items.all()] == [
        ("Pro plan", start["billing_start_type"]),
        ("Seats", start["billing_start_type"]),
    ]


def test_a_start_without_its_value_is_shown_beside_it(editor: Client, records: Any) -> None:
    items = [{"product_id": records.product.pk}]

    no_date = editor.post(URL, form_data(records.contact, items, billing_start_type="date"))
    no_delay = editor.post(URL, form_data(records.contact, items, billing_start_type="delay_days"))

    assert no_date.status_code == no_delay.status_code == 422
    assert field_errors(no_date, "id_billing_start_date") == ["Enter the start date."]
    assert field_errors(no_delay, "id_billing_start_delay") == ["Enter the number of days."]
    assert Subscription.objects.count() == 0


def test_a_start_in_the_past_at_confirm_time_goes_back_to_the_form(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        billing_start_type="date",
        billing_start_date="2027-01-15",
        invoice_po_number="PO-7",
    )
    asked = editor.post(URL, data)
    assert "First payment 15 Jan 2027 · $49.00" in dialog(asked)
    clock.freeze(T0.replace(day=16))  # the seller confirms the next day

    refused = editor.post(URL, {**carried(asked), "csrfmiddlewaretoken": "x"})

    assert refused.status_code == 422
    assert dialog(refused) == ""
    assert [unescape(e) for e in field_errors(refused, "id_billing_start_date")] == [
        "Must be today (2027-01-16) or later in the account's time zone"
    ]
    assert (value_of(refused, "billing_start_date"), value_of(refused, "invoice_po_number")) == (
        "2027-01-15",
        "PO-7",
    )
    assert '<details class="advanced" open>' in refused.content.decode()  # a setting is filled in
    assert radios(refused, "contact") == [(records.contact.pk, True)]
    assert Subscription.objects.count() == 0


def test_charging_automatically_uses_the_chosen_method_and_ignores_the_terms_and_options(
    editor: Client, records: Any
) -> None:
    method = payment_method_add(contact=records.contact, token="tok_visa", actor=SYSTEM, at=T0)
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        name="Ingrid's plan",
        collection_method="charge_automatically",
        payment_method=method.pk,
        allowed_payment_methods=["ach"],  # manual collection's options: not sent
        collect_billing_address="on",
    )

    asked = editor.post(URL, data)
    assert "Collection Charge automatically: Visa •••• 4242" in dialog(asked)
    assert editor.post(URL, confirmed(data)).status_code == 302

    sub = Subscription.objects.get()
    assert (sub.name, sub.collection_method, sub.payment_method_id, sub.payment_terms) == (
        "Ingrid's plan",
        "charge_automatically",
        method.pk,
        "due_on_receipt",
    )
    assert (sub.allowed_payment_methods, sub.collect_billing_address) == (["card", "ach"], False)


def test_errors_are_shown_beside_their_fields_and_nothing_is_made(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}, {"name": "Setup", "unit_price": "100"}],  # custom: one time
        collection_method="charge_automatically",
    )

    refused = editor.post(URL, data)

    assert refused.status_code == 422
    assert dialog(refused) == ""
    assert field_errors(refused, "id_payment_method") == ["Is required to charge automatically"]
    assert field_errors(refused, "id_items-1-billing_frequency") == [
        "One-time items are invoiced, not subscribed"
    ]
    assert value_of(refused, "items-1-name") == "Setup"  # the input is kept
    assert radios(refused, "contact") == [(records.contact.pk, True)]  # the chosen contact too
    assert Subscription.objects.count() == 0
    assert PaymentMethod.objects.count() == 0


def test_no_contact_chosen_and_a_long_tax_id_are_shown_beside_them(editor: Client, records: Any) -> None:
    data = form_data(
        records.contact, [{"product_id": records.product.pk}], name="Kept", invoice_tax_id="N" * 101
    )
    data["contact"] = ""

    refused = editor.post(URL, data)

    assert refused.status_code == 422
    assert field_errors(refused, "id_contact") == ["This field is required."]
    assert '<fieldset class="picker has-error" id="contact-picker"' in refused.content.decode()
    assert field_errors(refused, "id_invoice_tax_id") == [
        "Ensure this value has at most 100 characters (it has 101)."
    ]
    assert '<details class="advanced" open>' in refused.content.decode()
    assert (value_of(refused, "name"), value_of(refused, "invoice_tax_id")) == ("Kept", "N" * 101)
    assert Subscription.objects.count() == 0


def test_a_method_of_another_contact_is_refused(editor: Client, records: Any) -> None:
    other = contact_create(actor=SYSTEM, email="ola@example.com")
    theirs = payment_method_add(contact=other, token="tok_visa", actor=SYSTEM, at=T0)
    data = form_data(
        records.contact,
        [{"product_id": records.product.pk}],
        collection_method="charge_automatically",
        payment_method=theirs.pk,
    )

    refused = editor.post(URL, confirmed(data))

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
    search = page.get_by_label("Search contacts by name or email")
    search.fill("ingrid@fjordline")
    search.press("Enter")  # searches (its own form), does not submit the subscription
    page.get_by_label("Ingrid · ingrid@fjordline.example").check()
    page.wait_for_selector(f'#id_payment_method option[value="{card.pk}"]', state="attached")  # htmx swap
    assert methods.all_inner_texts() == ["—", str(card)]  # Ingrid's only
    page.get_by_label("Charge a saved payment method automatically").check()
    page.locator("#id_payment_method").select_option(card.pk)
    page.locator("#id_items-0-name").fill("Hosting")
    page.locator("#id_items-0-unit_price").fill("25")
    page.locator("#id_items-0-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="+ Add line item").click()  # the deal's htmx row, without a start
    page.locator("#id_items-1-name").fill("Seats")
    assert page.locator("#id_items-1-billing_start_type").count() == 0
    page.locator("#id_items-1-unit_price").fill("5")
    page.locator("#id_items-1-billing_frequency").select_option("monthly")
    page.get_by_role("button", name="Review and create").click()
    page.get_by_role("dialog").get_by_role("button", name="Back to the form").click()
    assert page.locator("#id_items-1-name").input_value() == "Seats"  # kept
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


def test_a_subscription_made_from_a_deals_record_is_tied_to_the_deal(editor, records) -> None:
    page = editor.get(f"{URL}?deal={records.deal.pk}&contact={records.contact.pk}").content.decode()
    assert f'name="deal" value="{records.deal.pk}"' in page
    assert "From the deal" in page
    items = [{"product_id": records.product.pk}]
    done = editor.post(URL, confirmed(form_data(records.contact, items, deal=records.deal.pk)))
    assert done.status_code == 302
    sub = Subscription.objects.get()
    assert (sub.deal_id, sub.contact_id) == (records.deal.pk, records.contact.pk)
    assert sub.name in editor.get(f"/deals/{records.deal.pk}/").content.decode()  # on the deal's card
