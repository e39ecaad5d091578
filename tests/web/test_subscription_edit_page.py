"""The subscription's Edit page: prefilled form, preview (saves nothing), confirm, proration, roles, CSRF.

The clock is frozen at 2027-01-15 09:30 UTC; the subscription is monthly, 2 × 49.00 = 98.00, its
first period (Jan 15 - Feb 15, 31 days) invoiced and paid; invoices are emailed (send_invoice), so
a prorated upgrade is emailed, not charged (a charge needs the gateway outside the test's
transaction; the service's scenario tests cover it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.roles import Role
from recurra.core import clock
from recurra.core.models import Event
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from tests.web.conftest import make_user
from tests.web.html import field_errors, form_errors, table_rows, text, value_of
from tests.web.html import messages as shown_messages
from tests.web.test_subscription_pages import make_invoice, make_subscription


@pytest.fixture
def sub(records: Any) -> Subscription:
    sub = make_subscription(records.contact, collection_method="send_invoice", payment_terms="net_30")
    make_invoice(sub, number="OLD-1")  # not from the numbering sequence the prorated invoice takes
    return sub


def url(sub: Subscription) -> str:
    return f"/subscriptions/{sub.pk}/edit/"


def form(**changes: str) -> dict[str, str]:
    """The form as prefilled (one custom line item, 2 × 49.00), with ``changes``."""
    values = {
        "name": "Pro monthly",
        "next_payment_date": "2027-02-15",
        "proration": "none",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "100",
        "items-0-product_id": "",
        "items-0-name": "Pro plan",
        "items-0-quantity": "2",
        "items-0-unit_price": "49.00",
        "items-0-discount_percent": "0",
        "items-0-tax_rate_percent": "0",
        "items-0-description": "",
    }
    return {**values, **changes}


def state(sub: Subscription) -> tuple[Any, ...]:
    """Everything an edit could write: the row, its items, invoices, events, emails."""
    row = Subscription.objects.get(pk=sub.pk)
    items = list(SubscriptionLineItem.objects.filter(subscription=sub).values_list("name", "unit_amount"))
    return (
        (row.name, row.next_payment_date, row.next_payment_amount, row.mrr, row.anchor_date),
        items,
        Invoice.objects.count(),
        Event.objects.count(),
        EmailMessage.objects.count(),
    )


def messages(response: Any) -> list[str]:
    return [unescape(m) for m in shown_messages(response)]


def test_the_form_is_prefilled(editor: Client, sub: Subscription) -> None:
    page = editor.get(f"/subscriptions/{sub.pk}/")
    assert f'href="/subscriptions/{sub.pk}/edit/"' in page.content.decode()

    response = editor.get(url(sub))

    assert response.status_code == 200
    assert value_of(response, "name") == "Pro monthly"
    assert value_of(response, "next_payment_date") == "2027-02-15"
    assert value_of(response, "items-0-name") == "Pro plan"
    assert value_of(response, "items-0-quantity") == "2"
    assert value_of(response, "items-0-unit_price") == "49.00"
    assert value_of(response, "items-TOTAL_FORMS") == "1"
    assert 'name="proration" value="none"' in response.content.decode()
    assert "billing_frequency" not in response.content.decode()  # the subscription's frequency applies


def test_preview_shows_the_new_amounts_and_saves_nothing(editor: Client, sub: Subscription) -> None:
    before = state(sub)

    response = editor.post(url(sub), form(action="preview", **{"items-0-unit_price": "60.00"}))

    assert response.status_code == 200
    assert state(sub) == before
    html = response.content
    assert table_rows(html, "table-changes") == [
        ["Line items", "replaced", "as below"],
        ["Next payment amount", "$98.00", "$120.00"],
        ["MRR", "$98.00", "$120.00"],
    ]
    assert table_rows(html, "table-preview-lines") == [["Pro plan", "2", "$60.00", "—", "—", "$120.00"]]
    assert "Next payment (15 Feb 2027) $0.00 $120.00" in text(html)
    assert "table-proration" not in html.decode()  # proration: none
    assert 'value="confirm"' in html.decode()


def test_confirm_saves_and_goes_back_with_a_message(editor: Client, sub: Subscription) -> None:
    done = editor.post(
        url(sub), form(action="confirm", name="Pro monthly (team)", **{"items-0-quantity": "3"}), follow=True
    )

    assert done.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert messages(done) == ["Subscription Pro monthly (team) saved."]
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.name, row.next_payment_amount, row.mrr) == ("Pro monthly (team)", 14700, 14700)
    assert list(row.line_items.values_list("quantity", flat=True)) == [3]
    assert Invoice.objects.count() == 1  # nothing prorated
    assert Event.objects.filter(object_id=sub.pk, type="subscription.updated", actor_type="user").count() == 1
    assert EmailMessage.objects.filter(kind="subscription_changed", subscription_id=sub.pk).count() == 1


def test_confirm_with_nothing_changed_saves_nothing(editor: Client, sub: Subscription) -> None:
    before = state(sub)
    done = editor.post(url(sub), form(action="confirm"), follow=True)
    assert messages(done) == ["Nothing to save: subscription Pro monthly is unchanged."]
    assert state(sub) == before


def test_a_prorated_upgrade_shows_the_credit_and_the_charge(editor: Client, sub: Subscription) -> None:
    clock.freeze(datetime(2027, 1, 25, 9, 30, tzinfo=UTC))  # 21 of the period's 31 days left
    before = state(sub)

    preview = editor.post(
        url(sub), form(action="preview", proration="prorate", **{"items-0-unit_price": "60.00"})
    )

    assert preview.status_code == 200 and state(sub) == before
    page = text(preview.content)
    assert "21 of 31 days left in the current period (25 Jan 2027 to 15 Feb 2027, exclusive)" in page
    # 98.00 × 21/31 = 66.387… credited, 120.00 × 21/31 = 81.290… charged
    assert table_rows(preview.content, "table-proration") == [
        [
            "Unused time on Pro plan × 2 Credit for 21 of 31 days (2027-01-25 to 2027-02-14)",
            "-$66.39",
            "$0.00",
            "-$66.39",
        ],
        [
            "Remaining time on Pro plan × 2 21 of 31 days (2027-01-25 to 2027-02-14)",
            "$81.29",
            "$0.00",
            "$81.29",
        ],
    ]
    assert "Total $14.90 $0.00 $14.90" in page
    assert "The invoice is emailed to ingrid@fjordline.example." in page

    hidden = {
        unescape(name): unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', preview.content.decode()
        )
        if name != "csrfmiddlewaretoken"
    }
    assert hidden["proration"] == "prorate" and hidden["items-0-unit_price"] == "60.00"
    done = editor.post(url(sub), {**hidden, "action": "confirm"}, follow=True)

    prorated = Invoice.objects.exclude(number="OLD-1").get()
    assert (prorated.total, prorated.status, prorated.period_index) == (1490, "open", None)
    assert list(prorated.lines.values_list("amount_total", flat=True)) == [-6639, 8129]
    assert messages(done) == [
        f"Subscription Pro monthly saved. Prorated invoice {prorated.number} of $14.90 created; it is open."
    ]


def test_a_validation_error_is_shown_and_nothing_saved(editor: Client, sub: Subscription) -> None:
    before = state(sub)

    past = editor.post(url(sub), form(action="confirm", next_payment_date="2027-01-10"))
    assert past.status_code == 422
    assert field_errors(past, "id_next_payment_date")

    no_price = editor.post(
        url(sub), form(action="preview", **{"items-0-unit_price": "", "items-0-name": "X"})
    )
    assert no_price.status_code == 422
    assert field_errors(no_price, "id_items-0-unit_price")
    assert "Some line items need changes" in text(no_price.content)

    removed = editor.post(url(sub), form(action="confirm", **{"items-0-DELETE": "on"}))
    assert removed.status_code == 422
    assert any("at least one recurring line item" in e for e in form_errors(removed))

    assert state(sub) == before


def test_a_subscription_that_cannot_be_edited_sends_back_with_the_reason(
    editor: Client, sub: Subscription
) -> None:
    Subscription.objects.filter(pk=sub.pk).update(status="paused")
    assert f"/subscriptions/{sub.pk}/edit/" not in editor.get(f"/subscriptions/{sub.pk}/").content.decode()

    shown = editor.get(url(sub), follow=True)
    assert shown.redirect_chain == [(f"/subscriptions/{sub.pk}/", 302)]
    assert any("only active, scheduled and Unpaid ones can be edited" in m for m in messages(shown))

    before = state(sub)
    posted = editor.post(url(sub), form(action="confirm", name="Renamed"), follow=True)
    assert any("can be edited" in m for m in messages(posted))
    assert state(sub) == before


def test_the_add_line_item_row(editor: Client, sub: Subscription) -> None:
    response = editor.get(f"/subscriptions/{sub.pk}/edit/line-items/new/", {"items-TOTAL_FORMS": "1"})
    html = response.content.decode()
    assert 'name="items-1-unit_price"' in html and 'value="2"' in html
    assert "billing_frequency" not in html


def test_a_viewer_sees_no_edit_link_and_a_forged_post_is_refused(viewer: Client, sub: Subscription) -> None:
    assert "/edit/" not in viewer.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert viewer.get(url(sub)).status_code == 403
    before = state(sub)
    assert viewer.post(url(sub), form(action="confirm", name="Forged")).status_code == 403
    assert state(sub) == before


def test_csrf_is_enforced(frozen_clock: Any, sub: Subscription) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.EDITOR))
    before = state(sub)
    assert client.post(url(sub), form(action="confirm", name="No token")).status_code == 403
    assert state(sub) == before


def test_the_contact_payment_method_and_billing_address_change_from_the_page(
    editor: Client, sub: Subscription
) -> None:
    from recurra.crm.models import Contact
    from recurra.payments.models import PaymentMethod

    card = PaymentMethod.objects.create(
        contact=sub.contact,
        gateway="sandbox",
        gateway_method_id="sm_web",
        type="card",
        brand="Visa",
        last4="4242",
    )
    Subscription.objects.filter(pk=sub.pk).update(collection_method="charge_automatically")
    page = editor.get(url(sub)).content.decode()
    assert f'<option value="{card.pk}">' in page  # the contact's own methods

    values = form(payment_method=card.pk, line1="1 Main St", city="Oslo", country="NO")
    editor.post(url(sub), {**values, "action": "confirm"})
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.payment_method_id, row.address_line1, row.city, row.country) == (
        card.pk,
        "1 Main St",
        "Oslo",
        "NO",
    )

    other = Contact.objects.create(email="new-owner@example.com", first_name="Nora")
    refused = editor.post(url(sub), {**values, "contact": other.pk, "action": "confirm"})
    assert refused.status_code == 422  # the saved card is not Nora's: shown on the form, nothing saved
    assert Subscription.objects.get(pk=sub.pk).contact_id == sub.contact_id

    Subscription.objects.filter(pk=sub.pk).update(collection_method="send_invoice", payment_method=None)
    editor.post(url(sub), {**form(), "contact": other.pk, "action": "confirm"})
    assert (
        Subscription.objects.get(pk=sub.pk).contact_id == other.pk
    )  # invoices are emailed: no card to match


def test_the_contact_is_searched_not_listed_and_its_change_previewed(
    editor: Client, sub: Subscription
) -> None:
    from recurra.crm.models import Contact

    nora = Contact.objects.create(email="nora@berg.example", first_name="Nora", last_name="Berg")
    page = editor.get(url(sub)).content.decode()
    assert '<select name="contact"' not in page
    assert "nora@berg.example" not in page  # no list of every contact
    pick = sub.contact_id
    assert f'<input type="radio" name="contact" value="{pick}" id="pick-contact-{pick}" checked>' in page
    assert 'id="contact-q"' in page and 'form="contact-search"' in page

    found = editor.get("/contacts/search/", {"q": "nora", "contact": sub.contact_id}).content.decode()
    assert f'value="{nora.pk}"' in found and "Nora Berg · nora@berg.example" in found

    preview = editor.post(url(sub), form(action="preview", contact=nora.pk))
    assert table_rows(preview.content, "table-changes") == [
        ["Contact", "Ingrid Hansen · ingrid@fjordline.example", "Nora Berg · nora@berg.example"]
    ]
    assert f'<input type="radio" name="contact" value="{nora.pk}" id="pick-contact-{nora.pk}" checked>' in (
        preview.content.decode()
    )
