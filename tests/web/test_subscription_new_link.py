"""Create subscription → "When a customer pays": the first choice on both pages, a payment link of recurring
items (from the product library or custom) made by the payment link service, then the link's page with its
URL; one-time items refused beside their row; editors only.

``records``: Ingrid Hansen at Fjordline, the Pro plan product ($49.00 monthly), her deal "Fjordline Pro".
Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from recurra.commerce.links import checkout_url
from recurra.commerce.models import PaymentLink
from recurra.core.models import Event
from recurra.subscriptions.models import Subscription
from tests.web.html import field_errors, messages, text, value_of
from tests.web.test_payment_link_pages import link_data

URL = "/subscriptions/new/payment-link/"


def choice(html: str) -> list[tuple[str, bool, str]]:
    """The first choice's options: (link, chosen, its title)."""
    nav = re.search(r'<nav class="create-choice".*?</nav>', html, re.S)
    assert nav is not None, "no choice"
    option = r'<a class="create-option" href="([^"]+)"( aria-current="page")?>\s*<strong>([^<]+)'
    options = re.findall(option, nav[0])
    return [(href.replace("&amp;", "&"), bool(current), title) for href, current, title in options]


def test_both_pages_start_with_the_choice_and_keep_the_record_they_came_from(
    editor: Client, records: Any
) -> None:
    query = f"?deal={records.deal.pk}&contact={records.contact.pk}"
    now = editor.get(f"/subscriptions/new/{query}").content.decode()
    page = editor.get(f"{URL}{query}")
    link = page.content.decode()

    assert choice(now) == [
        (f"/subscriptions/new/?contact={records.contact.pk}&deal={records.deal.pk}", True, "Now"),
        (f"{URL}?contact={records.contact.pk}&deal={records.deal.pk}", False, "When a customer pays"),
    ]
    assert [chosen for _, chosen, _ in choice(link)] == [False, True]
    assert choice(editor.get("/subscriptions/new/").content.decode())[1][0] == URL  # from nowhere: no query
    assert f'<option value="{records.deal.pk}" selected>' in link  # the link is tied to the deal
    assert f'<a class="back" href="/deals/{records.deal.pk}/">← Fjordline Pro</a>' in link
    assert "Create payment link" in link


def test_a_link_of_a_library_product_and_a_custom_item_shows_its_page_with_the_url(
    editor: Client, records: Any
) -> None:
    items = [
        {"product_id": records.product.pk, "quantity": "2"},
        {"name": "Priority support", "unit_price": "19", "billing_frequency": "monthly"},
    ]

    done = editor.post(URL, link_data(items, name="Fjordline Pro, monthly"), follow=True)

    link = PaymentLink.objects.get()
    assert done.redirect_chain == [(f"/payment-links/{link.pk}/", 302)]
    assert messages(done) == [
        "Payment link created: send its link to the customer. Their subscription starts when they pay."
    ]
    shown = f'<input type="text" id="checkout-url" value="{checkout_url(link)}" readonly>'
    assert shown in done.content.decode()  # the URL to send, on the link's page
    assert (link.name, link.currency, link.active, link.save_payment_method) == (
        "Fjordline Pro, monthly",
        "USD",
        True,
        True,
    )
    stored = [
        (i.product_id, i.name, i.quantity, i.unit_amount, i.billing_frequency) for i in link.line_items.all()
    ]
    assert stored == [
        (records.product.pk, "Pro plan", 2, 4900, "monthly"),
        (None, "Priority support", 1, 1900, "monthly"),
    ]
    assert "Charged today $117.00" in text(done.content)
    assert [e.type for e in Event.objects.filter(object_id=link.pk).order_by("id")] == [
        "paymentlink.created",
        "paymentlink.line_items_replaced",
    ]  # as any link the service makes
    assert Subscription.objects.count() == 0  # made when the buyer pays


def test_one_time_items_are_refused_beside_their_row_and_nothing_is_made(
    editor: Client, records: Any
) -> None:
    records.product.billing_frequency = "one_time"
    records.product.save()
    items = [
        {"name": "Support", "unit_price": "25", "billing_frequency": "monthly"},
        {"name": "Setup", "unit_price": "150"},  # custom, no frequency: one time
        {"product_id": records.product.pk},  # the product's frequency: one time
        {"name": "Licence", "unit_price": "120", "billing_frequency": "one_time"},
    ]

    refused = editor.post(URL, link_data(items))

    assert refused.status_code == 422
    refusal = [
        "Choose a recurring billing frequency: the buyer subscribes to these items "
        "(a one-time item goes on a payment link of its own)."
    ]
    assert [field_errors(refused, f"id_items-{n}-billing_frequency") for n in range(4)] == [
        [],
        refusal,
        refusal,
        refusal,
    ]
    assert value_of(refused, "items-1-name") == "Setup"
    assert PaymentLink.objects.count() == 0


def test_the_link_services_rules_are_shown_on_the_page(editor: Client, records: Any) -> None:
    items = [{"name": "Support", "unit_price": "0.10", "billing_frequency": "monthly"}]

    refused = editor.post(URL, link_data(items, name=None, save_payment_method=None))

    assert refused.status_code == 422
    assert field_errors(refused, "id_name") == ["This field is required."]
    assert PaymentLink.objects.count() == 0
    fixed = editor.post(URL, link_data(items, save_payment_method=None))
    assert fixed.status_code == 422
    assert field_errors(fixed, "id_save_payment_method") == [
        "Must be on for recurring items: their later payments are charged to the saved method"
    ]
    assert PaymentLink.objects.count() == 0


def test_viewers_cannot_make_one(viewer: Client, records: Any) -> None:
    assert viewer.get(URL).status_code == 403
    items = [{"name": "Support", "unit_price": "25", "billing_frequency": "monthly"}]
    assert viewer.post(URL, link_data(items)).status_code == 403
    assert PaymentLink.objects.count() == 0
