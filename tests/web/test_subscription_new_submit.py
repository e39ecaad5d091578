"""Sending the "Create subscription" form: the confirmation before anything is created, every field
reaching the service, one start for every line item, errors beside their fields, a subscription
made from a deal's record.

``records``: Ingrid Hansen at Fjordline, the Pro plan product ($49.00 monthly). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

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
from tests.web.html import (
    carried,
    dialog,
    field_errors,
    form_errors,
    messages,
    radios,
    value_of,
)
from tests.web.subscription_form import INGRID, URL, confirmed, form_data


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


def test_items_of_two_frequencies_make_two_subscriptions_and_the_dialog_says_so(
    editor: Client, records: Any
) -> None:
    items = [
        {"name": "Basic", "unit_price": "25", "billing_frequency": "monthly"},
        {"name": "Archive", "unit_price": "120", "billing_frequency": "annually"},
        {"name": "Seats", "unit_price": "5", "quantity": "3", "billing_frequency": "monthly"},
    ]
    data = form_data(records.contact, items, payment_terms="net_15")

    asked = editor.post(URL, data)

    assert asked.status_code == 200
    assert Subscription.objects.count() == 0
    shown = dialog(asked)
    assert "Create these 2 subscriptions?" in shown
    assert (
        "This creates 2 subscriptions: monthly (2 items, $40.00/month) and annually (1 item, $120.00/year)."
        in shown
    )
    for part in (
        "Subscription 1: Monthly Name Basic + 1 more Billing frequency Monthly",
        "First payment 15 Jan 2027 · $40.00 Active",
        "Basic 1 $25.00 $25.00 Seats 3 $5.00 $15.00 Each payment (monthly) $40.00",
        "Subscription 2: Annually Name Archive Billing frequency Annually",
        "First payment 15 Jan 2027 · $120.00 Active",
        "Archive 1 $120.00 $120.00 Each payment (annually) $120.00",
        "Payments on 15 Jan 2027, 15 Jan 2028, 15 Jan 2029, …",
        "Create 2 subscriptions",
    ):
        assert part in shown, part

    done = editor.post(URL, {**carried(asked), "csrfmiddlewaretoken": "x"}, follow=True)

    assert done.redirect_chain == [(f"/contacts/{records.contact.pk}/", 302)]  # its card lists both
    assert messages(done) == ["2 subscriptions created: Basic + 1 more and Archive."]
    made = [
        (s.name, s.billing_frequency, s.payment_terms, s.next_payment_amount, s.line_items_mrr)
        for s in Subscription.objects.order_by("id")
    ]
    assert made == [
        ("Basic + 1 more", "monthly", "net_15", 4000, 4000),
        ("Archive", "annually", "net_15", 12000, 1000),
    ]
    lines = [
        [(i.name, i.quantity, i.unit_amount) for i in s.line_items.all()]
        for s in Subscription.objects.order_by("id")
    ]
    assert lines == [[("Basic", 1, 2500), ("Seats", 3, 500)], [("Archive", 1, 12000)]]


def test_with_items_that_split_a_refused_item_is_still_shown_on_its_own_row(
    editor: Client, records: Any
) -> None:
    items = [
        {"name": "Archive", "unit_price": "120", "billing_frequency": "annually"},
        {"name": "Basic", "unit_price": "25", "billing_frequency": "monthly"},
        {"name": "Setup", "unit_price": "100"},  # custom: one time
    ]

    refused = editor.post(URL, form_data(records.contact, items))

    assert refused.status_code == 422
    assert dialog(refused) == ""
    assert field_errors(refused, "id_items-2-billing_frequency") == [
        "One-time items are invoiced, not subscribed"
    ]
    assert field_errors(refused, "id_items-0-billing_frequency") == []
    assert field_errors(refused, "id_items-1-billing_frequency") == []
    assert Subscription.objects.count() == 0
