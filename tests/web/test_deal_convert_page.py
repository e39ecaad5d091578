"""Converting a deal from its page: the button (editors, once), the confirmation page with the plan and
payment terms, the redirect and message, refusals shown on the page.

``records.deal``: Fjordline Pro, 2 × Pro plan ($49.00 monthly), contact Ingrid Hansen at Fjordline.
The clock is frozen at 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

from django.test import Client

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.crm.services import deal_create
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web.html import form_errors, messages, subscription_rows, text, value_of

SETUP = LineItemInput(name="Setup", unit_amount=15000, currency="USD")  # custom: one time


def _deal(records: Any, *items: LineItemInput, contact: bool = True) -> Any:
    return deal_create(
        actor=SYSTEM,
        name="Fjordline extras",
        contact_id=records.contact.pk if contact else None,
        line_items=list(items),
    )


def test_editors_see_the_convert_button_viewers_do_not(editor: Client, viewer: Client, records: Any) -> None:
    url = f"/deals/{records.deal.pk}/"
    assert (
        f'<a class="btn btn-primary" href="/deals/{records.deal.pk}/convert/">Convert to subscription</a>'
        in (editor.get(url).content.decode())
    )
    assert "Convert to" not in viewer.get(url).content.decode()
    assert viewer.get(f"{url}convert/").status_code == 403
    assert viewer.post(f"{url}convert/").status_code == 403
    assert Subscription.objects.count() == 0


def test_a_deal_of_one_time_items_converts_to_an_invoice_and_one_without_items_not_at_all(
    editor: Client, records: Any
) -> None:
    one_time = _deal(records, SETUP)
    empty = _deal(records)

    assert ">Convert to invoice</a>" in editor.get(f"/deals/{one_time.pk}/").content.decode()
    assert "Convert to" not in editor.get(f"/deals/{empty.pk}/").content.decode()
    page = editor.get(f"/deals/{empty.pk}/convert/")
    assert "The deal needs at least one line item to convert it." in text(page.content)
    assert value_of(page, "payment_terms") is None  # no form to convert with


def test_the_confirmation_page_shows_what_converting_makes(editor: Client, records: Any) -> None:
    mixed = _deal(
        records,
        LineItemInput(product_id=records.product.pk),
        LineItemInput(name="Support", unit_amount=60000, currency="USD", billing_frequency="annually"),
        SETUP,
    )

    page = editor.get(f"/deals/{mixed.pk}/convert/")

    assert page.status_code == 200
    shown = text(page.content)
    assert (
        f'For <a href="/contacts/{records.contact.pk}/">Ingrid Hansen</a>, this makes:'
        in page.content.decode()
    )
    assert "A subscription billed monthly, from 15 Jan 2027: Pro plan" in shown
    assert "A subscription billed annually, from 15 Jan 2027: Support" in shown
    assert "An invoice of the one-time items, issued today: Setup" in shown
    assert value_of(page, "payment_terms") == "net_30"
    assert Subscription.objects.count() == Invoice.objects.count() == 0  # a GET makes nothing


def test_converting_goes_to_the_new_subscription_with_a_message(editor: Client, records: Any) -> None:
    done = editor.post(f"/deals/{records.deal.pk}/convert/", {"payment_terms": "net_45"}, follow=True)

    sub = Subscription.objects.get()
    assert done.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert messages(done) == ["Deal Fjordline Pro converted into subscription Pro plan."]
    assert (sub.deal_id, sub.contact_id, sub.collection_method, sub.payment_terms) == (
        records.deal.pk,
        records.contact.pk,
        "send_invoice",
        "net_45",
    )

    deal_page = editor.get(f"/deals/{records.deal.pk}/")
    assert "Convert to" not in deal_page.content.decode()
    assert subscription_rows(deal_page.content) == [
        "Pro plan Active Start date 15 Jan 2027 Next payment 15 Jan 2027 · $98.00"
    ]


def test_a_mixed_deal_names_everything_made_and_one_time_only_goes_to_the_invoice(
    editor: Client, records: Any
) -> None:
    mixed = _deal(records, LineItemInput(product_id=records.product.pk), SETUP)
    done = editor.post(f"/deals/{mixed.pk}/convert/", {"payment_terms": "net_30"}, follow=True)
    assert messages(done) == ["Deal Fjordline extras converted into subscription Pro plan and invoice INV-1."]

    one_time = _deal(records, SETUP)
    done = editor.post(f"/deals/{one_time.pk}/convert/", {"payment_terms": "due_on_receipt"}, follow=True)

    invoice = Invoice.objects.get(number="INV-2")
    assert done.redirect_chain == [(f"/invoices/{invoice.pk}/", 302)]
    assert messages(done) == ["Deal Fjordline extras converted into invoice INV-2."]
    assert (invoice.total, invoice.payment_terms, invoice.subscription_id) == (15000, "due_on_receipt", None)
    after = editor.get(f"/deals/{one_time.pk}/")
    assert "Convert to" not in after.content.decode()
    assert f"Deal {one_time.pk} was converted into invoice INV-2." in text(after.content)


def test_converting_again_is_refused_on_the_page(editor: Client, records: Any) -> None:
    editor.post(f"/deals/{records.deal.pk}/convert/", {"payment_terms": "net_30"})
    sub = Subscription.objects.get()

    page = editor.get(f"/deals/{records.deal.pk}/convert/")
    assert f"Deal {records.deal.pk} already has subscription(s) {sub.pk}: a deal is converted once." in text(
        page.content
    )
    again = editor.post(f"/deals/{records.deal.pk}/convert/", {"payment_terms": "net_30"})
    assert again.status_code == 409
    assert Subscription.objects.count() == 1


def test_a_deal_without_a_contact_says_so(editor: Client, records: Any) -> None:
    orphan = _deal(records, SETUP, contact=False)

    page = editor.get(f"/deals/{orphan.pk}/convert/")
    assert "The deal needs a contact to convert it: add one to the deal first." in text(page.content)
    refused = editor.post(f"/deals/{orphan.pk}/convert/", {"payment_terms": "net_30"})
    assert refused.status_code == 422
    assert form_errors(refused) == ["The deal needs a contact to convert it: add one to the deal first."]
    assert Invoice.objects.count() == 0


def test_a_line_items_refusal_names_the_line_item(editor: Client, records: Any, frozen_clock: Any) -> None:
    late = LineItemInput(
        name="Training",
        unit_amount=900,
        currency="USD",
        billing_frequency="quarterly",
        billing_start=BillingStart(type="date", date=date(2027, 1, 1)),
    )
    sold = _deal(records, SETUP, late)

    refused = editor.post(f"/deals/{sold.pk}/convert/", {"payment_terms": "net_30"})

    assert refused.status_code == 422
    assert [unescape(e) for e in form_errors(refused)] == [
        "Line item 2 (billing start date): must be today (2027-01-15) or later in the account's time zone"
    ]
    assert Subscription.objects.count() == Invoice.objects.count() == 0


def _card(response: Any) -> str:
    """The text of the conversion page's card (not the navigation around it), as read (no space
    before punctuation where a link ends)."""
    html = response.content.decode()
    start = html.index('<section class="card card-narrow"')
    card = unescape(text(html[start : html.index("</section>", start)]))
    return re.sub(r" ([,.:])", r"\1", card)


def test_the_convert_to_invoice_page_speaks_only_of_the_invoice(editor: Client, records: Any) -> None:
    one_time = _deal(records, SETUP)
    card = _card(editor.get(f"/deals/{one_time.pk}/convert/"))
    assert card == (
        "For Ingrid Hansen, this makes: "
        "An invoice of the one-time items, issued today: Setup "
        "The invoice is emailed to ingrid@fjordline.example now. It belongs to no subscription, so it is "
        "paid as agreed with the buyer rather than online: mark it paid when the money arrives. "
        "Payment terms Due on receipt Net 15 Net 30 Net 45 Net 60 Net 90 "
        "Of the one-time items' invoice. Convert to invoice Cancel"
    )
    assert "subscription sends" not in card.lower()


def test_a_mixed_deal_page_names_the_subscription_and_the_invoice(editor: Client, records: Any) -> None:
    mixed = _deal(records, LineItemInput(product_id=records.product.pk, quantity=1), SETUP)
    card = _card(editor.get(f"/deals/{mixed.pk}/convert/"))
    assert "The subscription sends an invoice on every payment date" in card
    assert "It is tied to deal “Fjordline extras”." in card
    assert "The invoice is emailed to ingrid@fjordline.example now." in card
    assert "Of the subscription's invoices and of the one-time items' invoice." in card
