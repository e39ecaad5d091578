"""Payment link pages: list with search, create and edit with line items and the checkout rules,
deactivate and activate, delete with confirmation, the record with its checkout URL, purchases and
subscriptions; viewers read only."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.commerce.checkout import Buyer, checkout
from recurra.commerce.links import checkout_url
from recurra.commerce.models import PaymentLink
from recurra.commerce.payment_links import payment_link_create, payment_link_delete
from recurra.core import clock
from recurra.core.models import Event
from recurra.payments.services import PaymentDeclined
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, form_errors, messages, subscription_rows, table_rows, text, value_of

ROW = {"quantity": "1", "billing_terms": "auto_renew", "billing_start_type": "at_purchase"}
SETTINGS = {
    "name": "Nordlys course",
    "currency": "USD",
    "allowed_payment_methods": ["card", "ach"],
    "save_payment_method": "on",
    "active": "on",
}
SETUP = LineItemInput(name="Setup", unit_amount=15000, currency="USD")
MONTHLY = LineItemInput(name="Support", unit_amount=2500, currency="USD", billing_frequency="monthly")
LATER = LineItemInput(
    name="Licence",
    unit_amount=12000,
    currency="USD",
    billing_frequency="annually",
    billing_start=BillingStart(type="delay_months", months=1),
)
DECLINED = "Your card was declined."  # the sandbox's reason for tok_decline
BOXES = (
    "active",
    "allowed_payment_methods",
    "collect_billing_address",
    "collect_shipping_address",
    "save_payment_method",
)
CHANGES = ("edit", "delete", "activate", "deactivate")


def link_data(items: list[dict[str, str]], initial: int = 0, **fields: Any) -> dict[str, Any]:
    """The POST body of the link form: its fields (None leaves one out), then each line item row."""
    data = {name: value for name, value in {**SETTINGS, **fields}.items() if value is not None}
    data |= {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": str(initial)}
    for index, item in enumerate(items):
        data |= {f"items-{index}-{name}": value for name, value in {**ROW, **item}.items()}
    return data


def ticked(response: Any, *names: str) -> list[str]:
    """The checkboxes of ``names`` shown ticked, in page order (``name=value`` when they have a value)."""
    boxes = re.findall(r'<input type="checkbox" name="([^"]+)"([^>]*)>', response.content.decode())
    shown = []
    for name, attrs in boxes:
        value = re.search(r'value="([^"]*)"', attrs)
        if name in names and re.search(r"\bchecked\b", attrs):
            shown.append(f"{name}={value[1]}" if value else name)
    return shown


def make_link(*items: LineItemInput, name: str = "Course", **settings: Any) -> PaymentLink:
    return payment_link_create(name=name, line_items=list(items), actor=SYSTEM, at=clock.now(), **settings)


def test_list_search_and_deleted_links_not_listed(editor: Client, viewer: Client, records: Any) -> None:
    make_link(LineItemInput(product_id=records.product.pk, quantity=2), name="Pro for teams")
    make_link(SETUP, LATER, name="Licence bundle", active=False)
    payment_link_delete(link=make_link(SETUP, name="Old offer"), actor=SYSTEM, at=T0)
    make_link(*[SETUP, MONTHLY] * 2, name="Everything")

    page = viewer.get("/payment-links/")
    assert table_rows(page.content) == [
        ["Everything", "Setup, Support, Setup and 1 more", "$350.00", "Active", "15 Jan 2027"],
        ["Licence bundle", "Setup, Licence", "$150.00", "Inactive", "15 Jan 2027"],  # licence: later
        ["Pro for teams", "Pro plan × 2", "$98.00", "Active", "15 Jan 2027"],
    ]
    assert "New payment link" not in text(page.content)
    assert table_rows(viewer.get("/payment-links/", {"q": "licence"}).content) == [
        ["Licence bundle", "Setup, Licence", "$150.00", "Inactive", "15 Jan 2027"]
    ]
    assert table_rows(viewer.get("/payment-links/", {"q": "old"}).content) == []
    assert "Nothing matches “old”." in text(viewer.get("/payment-links/", {"q": "old"}).content)
    listed = editor.get("/payment-links/", {"cursor": "not-a-cursor"})  # starts again from the first page
    assert len(table_rows(listed.content)) == 3
    html = listed.content.decode()
    assert '<a class="btn btn-primary" href="/payment-links/new/">New payment link</a>' in html
    assert '<a href="/payment-links/" aria-current="page">Payment links</a>' in html  # the nav entry


def test_create_with_a_product_a_custom_item_and_a_deal(editor: Client, records: Any) -> None:
    form = editor.get("/payment-links/new/")
    assert form.status_code == 200
    assert 'hx-get="/deals/line-items/new/"' in form.content.decode()  # the deal's "+ Add line item" row
    assert ticked(form, *BOXES) == [
        "active",
        "allowed_payment_methods=card",
        "allowed_payment_methods=ach",
        "save_payment_method",
    ]
    items = [
        {"product_id": records.product.pk, "quantity": "2", "discount_percent": "10"},
        {"name": "Setup", "unit_price": "150", "tax_rate_percent": "25"},
        {},  # the blank row the form always offers
    ]
    data = link_data(
        items,
        deal=records.deal.pk,
        allowed_payment_methods=["card"],
        collect_billing_address="on",
        active=None,  # unticked
    )
    done = editor.post("/payment-links/new/", data, follow=True)
    link = PaymentLink.objects.get()
    assert done.redirect_chain == [(f"/payment-links/{link.pk}/", 302)]
    assert messages(done) == ["Payment link created."]
    settings = ("name", "currency", "deal_id", "active", "allowed_payment_methods")
    settings += ("collect_billing_address", "collect_shipping_address", "save_payment_method")
    assert tuple(getattr(link, name) for name in settings) == (
        "Nordlys course",
        "USD",
        records.deal.pk,
        False,
        ["card"],
        True,
        False,
        True,
    )
    fields = ("name", "product_id", "unit_amount", "quantity", "discount_percent", "tax_rate_percent")
    fields += ("billing_frequency",)
    assert [tuple(getattr(i, f) for f in fields) for i in link.line_items.all()] == [
        ("Pro plan", records.product.pk, 4900, 2, Decimal(10), Decimal(0), "monthly"),
        ("Setup", None, 15000, 1, Decimal(0), Decimal(25), "one_time"),
    ]
    assert Event.objects.filter(type="paymentlink.created", object_id=link.pk).count() == 1
    page = text(done.content)
    assert "Inactive: its checkout page says it is not taking payments right now." in page
    assert f"Deal {records.deal}" in page
    assert "Payment methods Card Billing address Collected Shipping address Not collected" in page
    edit = editor.get(f"/payment-links/{link.pk}/edit/")
    shown = ["allowed_payment_methods=card", "collect_billing_address", "save_payment_method"]
    assert ticked(edit, *BOXES) == shown  # not active
    assert (value_of(edit, "deal"), value_of(edit, "currency")) == (records.deal.pk, "USD")


def test_each_checkout_rule_is_shown_beside_its_field(editor: Client, records: Any) -> None:
    def post(items: list[dict[str, str]], **fields: Any) -> Any:
        response = editor.post("/payment-links/new/", link_data(items, **fields))
        assert response.status_code == 422
        return response

    below = post([{"name": "Sticker", "unit_price": "0.49"}])
    assert field_errors(below, "id_line_items") == [
        "Today&#x27;s payment ($0.49) is below the minimum charge in USD ($0.50)"
    ]
    assert form_errors(below)[0] == "Some line items need changes; see the messages below."
    euros = post([{"name": "Sticker", "unit_price": "0.99"}], currency="EUR")
    assert field_errors(euros, "id_line_items") == [
        "Today&#x27;s payment (€0.99) is below the minimum charge in EUR (€1.00)"
    ]
    later = {"billing_frequency": "monthly", "billing_start_type": "delay_days", "billing_start_delay": "30"}
    nothing_today = post([{"name": "Support", "unit_price": "25", **later}])
    assert field_errors(nothing_today, "id_line_items") == [
        "Every item starts later, but a checkout must charge something today: "
        "add a one-time item or one that starts at purchase"
    ]
    assert value_of(nothing_today, "items-0-billing_start_delay") == "30"
    not_saved = post([{"product_id": records.product.pk}], save_payment_method=None)
    assert field_errors(not_saved, "id_save_payment_method") == [
        "Must be on for recurring items: their later payments are charged to the saved method"
    ]
    no_method = post([{"name": "Setup", "unit_price": "150"}], allowed_payment_methods=None)
    assert field_errors(no_method, "id_allowed_payment_methods") == ["Needs at least one payment method"]
    past = {"billing_frequency": "monthly", "billing_start_type": "date", "billing_start_date": "2027-01-14"}
    started = post([{"name": "Setup", "unit_price": "150"}, {"name": "Support", "unit_price": "25", **past}])
    assert field_errors(started, "id_items-1-billing_start_date") == ["Must be today (2027-01-15) or later"]
    no_items = post([{}], name="")
    assert field_errors(no_items, "id_name") == ["This field is required."]
    no_items = post([{}])
    assert field_errors(no_items, "id_line_items") == ["A payment link needs at least one line item"]
    custom = post([{"name": "Setup"}])
    assert field_errors(custom, "id_items-0-unit_price") == ["Is required for a custom line item"]
    assert value_of(custom, "name") == "Nordlys course"
    assert not PaymentLink.objects.exists()


def test_edit_keeps_untouched_items_and_replaces_changed_ones(editor: Client, records: Any) -> None:
    link = make_link(LineItemInput(product_id=records.product.pk, quantity=2))
    url = f"/payment-links/{link.pk}/edit/"
    form = editor.get(url)
    assert (value_of(form, "name"), value_of(form, "items-0-product_id")) == ("Course", records.product.pk)
    assert (value_of(form, "items-0-unit_price"), value_of(form, "items-0-quantity")) == ("49.00", "2")
    item = {"product_id": records.product.pk, "name": "Pro plan", "unit_price": "49.00", "quantity": "2"}
    unchanged = {**item, "discount_percent": "0", "tax_rate_percent": "0", "billing_frequency": "monthly"}
    before = list(link.line_items.values_list("pk", flat=True))
    replaced = Event.objects.filter(object_id=link.pk, type="paymentlink.line_items_replaced")
    assert replaced.count() == 1  # when created

    done = editor.post(url, link_data([unchanged, {}], initial=1, collect_shipping_address="on"), follow=True)
    assert messages(done) == ["Payment link saved."]
    link.refresh_from_db()
    assert (link.name, link.collect_shipping_address) == ("Nordlys course", True)
    assert list(link.line_items.values_list("pk", flat=True)) == before  # not replaced
    assert replaced.count() == 1

    removed = {**unchanged, "DELETE": "on"}
    added = {"name": "Workshop", "unit_price": "1500"}
    done = editor.post(url, link_data([removed, added], initial=1), follow=True)
    assert messages(done) == ["Payment link saved."]
    assert [(i.name, i.unit_amount) for i in link.line_items.all()] == [("Workshop", 150000)]
    assert table_rows(done.content, "table-today") == [["Workshop", "One time", "$1,500.00"]]

    refused = editor.post(url, link_data([unchanged], initial=1, save_payment_method=None))
    assert refused.status_code == 422
    assert field_errors(refused, "id_save_payment_method") == [
        "Must be on for recurring items: their later payments are charged to the saved method"
    ]
    link.refresh_from_db()
    assert link.save_payment_method is True


def test_deactivate_and_activate(editor: Client, records: Any) -> None:
    link = make_link(SETUP)
    url = f"/payment-links/{link.pk}/"
    assert editor.get(f"{url}deactivate/").status_code == 405  # changes are POSTs

    off = editor.post(f"{url}deactivate/", follow=True)
    assert off.redirect_chain == [(url, 302)]
    assert messages(off) == [
        "Payment link Course deactivated: its checkout page says it is not taking payments."
    ]
    link.refresh_from_db()
    assert link.active is False
    page = off.content.decode()
    assert f'action="/payment-links/{link.pk}/activate/"' in page
    assert f'action="/payment-links/{link.pk}/deactivate/"' not in page
    assert "Inactive: its checkout page says it is not taking payments right now." in text(page)

    on = editor.post(f"{url}activate/", follow=True)
    assert messages(on) == ["Payment link Course activated: it takes payments again."]
    link.refresh_from_db()
    assert link.active is True
    assert f'action="/payment-links/{link.pk}/deactivate/"' in on.content.decode()
    assert Event.objects.filter(object_id=link.pk, type="paymentlink.updated").count() == 2


def test_delete_asks_first_then_the_link_shows_a_deleted_page(editor: Client, records: Any) -> None:
    link = make_link(SETUP)
    url = f"/payment-links/{link.pk}/delete/"
    asked = editor.get(url)
    question = "Delete the payment link Course? Its checkout page stops taking payments at once"
    assert question in text(asked.content)
    link.refresh_from_db()
    assert link.deleted_at is None

    done = editor.post(url, follow=True)
    assert done.redirect_chain == [("/payment-links/", 302)]
    assert messages(done) == ["Payment link Course deleted."]
    assert table_rows(done.content) == []
    link.refresh_from_db()
    assert (link.deleted_at, link.active) == (T0, False)

    gone = editor.get(f"/payment-links/{link.pk}/")
    assert gone.status_code == 410
    assert "This payment link was deleted on 15 Jan 2027, 09:30." in text(gone.content)
    assert f"/payment-links/{link.pk}/edit/" not in gone.content.decode()
    for again in (editor.get(f"/payment-links/{link.pk}/edit/"), editor.post(url)):
        assert again.status_code == 410
    refused = editor.post(f"/payment-links/{link.pk}/activate/", follow=True)
    assert messages(refused) == [f"Payment link {link.pk} is deleted."]
    link.refresh_from_db()
    assert link.active is False
    assert Event.objects.filter(object_id=link.pk, type="paymentlink.deleted").count() == 1


def test_viewers_see_no_change_buttons_and_get_403_on_posts(viewer: Client, records: Any) -> None:
    link = make_link(SETUP)
    page = viewer.get(f"/payment-links/{link.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for action in CHANGES:
        assert f"/payment-links/{link.pk}/{action}/" not in html
    base = f"/payment-links/{link.pk}"
    for url in ("/payment-links/new/", f"{base}/edit/", f"{base}/delete/"):  # the forms too
        assert viewer.get(url).status_code == 403
    data = link_data([{"name": "Setup", "unit_price": "150"}], name="Taken over")
    for url in ("/payment-links/new/", *(f"{base}/{action}/" for action in CHANGES)):
        assert viewer.post(url, data).status_code == 403
    link.refresh_from_db()
    assert (link.name, link.active, link.deleted_at, PaymentLink.objects.count()) == ("Course", True, None, 1)


def test_detail_shows_the_checkout_url_charges_purchases_and_subscriptions(
    viewer: Client, records: Any
) -> None:
    link = make_link(SETUP, MONTHLY, LATER)
    url = checkout_url(link)
    buyer = Buyer(email="mia@example.com", first_name="Mia", last_name="Hansen")
    bought = checkout(source=link, buyer=buyer, token="tok_visa", at=clock.now())
    clock.freeze(T0 + timedelta(hours=1))
    with pytest.raises(PaymentDeclined):
        checkout(source=link, buyer=Buyer(email="ola@example.com"), token="tok_decline", at=clock.now())

    page = viewer.get(f"/payment-links/{link.pk}/")
    html = page.content.decode()
    assert f'<input type="text" id="checkout-url" value="{url}" readonly>' in html
    assert f'<a class="btn btn-sm" href="{url}" target="_blank" rel="noopener">Open checkout</a>' in html
    assert "$175.00 charged today" in text(html)
    assert table_rows(html, "table-today") == [
        ["Setup", "One time", "$150.00"],
        ["Support", "Monthly", "$25.00"],
    ]
    assert table_rows(html, "table-future") == [["15 Feb 2027", "Annually", "Licence", "$120.00"]]
    assert [row[0] for row in table_rows(html, "table-lines")] == [
        "Setup Custom item",
        "Support Custom item",
        "Licence Custom item",
    ]
    assert table_rows(html, "table-purchases") == [
        ["15 Jan 2027, 10:30", "ola@example.com", "$175.00", f"Declined {DECLINED}", "Visa •••• 0002"],
        ["15 Jan 2027, 09:30", "Mia Hansen", "$175.00", "Completed", "Visa •••• 4242 Payment"],
    ]
    assert f'<a href="/contacts/{bought.contact.pk}/">Mia Hansen</a>' in html
    annual, monthly = sorted(bought.subscriptions, key=lambda sub: sub.billing_frequency)
    shown = {
        annual.pk: f"{annual.name} Scheduled Contact Mia Hansen Start date 15 Feb 2027 "
        "Next payment 15 Feb 2027 · $120.00",
        monthly.pk: f"{monthly.name} Active Contact Mia Hansen Start date 15 Jan 2027 "
        "Next payment 15 Feb 2027 · $25.00",
    }
    newest_first = sorted(shown, reverse=True)
    assert subscription_rows(html) == [shown[pk] for pk in newest_first]
    for sub in (annual, monthly):
        link = f'<a class="sub-link" href="/subscriptions/{sub.pk}/" aria-describedby="preview-{sub.pk}">'
        assert f"{link}{sub.name}</a>" in html
