"""Subscriptions on a record's page: the card in the sidebar of contacts, companies, deals, invoices
and payments (its rows, "All subscriptions", the editors' "Add" menu), the preview of a subscription,
and "Associate existing" (search, pick, the service's rules) from contacts, companies and deals.

``records``: Ingrid Hansen at Fjordline, her deal "Fjordline Pro" (a monthly product line). Other
subscriptions belong to Ola Nordmann (no company). ``make_subscription``: active, $98.00 a month,
started 15 Jan 2027, next payment 15 Feb 2027. Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.crm.services import contact_create, deal_create
from recurra.notifications.models import EmailMessage
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, messages, subscription_rows, table_rows, text
from tests.web.test_subscription_pages import make_invoice, make_payment, make_subscription

ROW = "Start date 15 Jan 2027 Next payment 15 Feb 2027 · $98.00"  # make_subscription's facts


@pytest.fixture
def ola(records: Any) -> Any:
    return contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")


def updates(sub: Subscription) -> list[dict[str, Any]]:
    return [
        e.data for e in Event.objects.filter(object_id=sub.pk, type="subscription.updated").order_by("id")
    ]


def sidebar(response: Any) -> str:
    """The page's sidebar (the record layout's <aside>), empty when the page has none."""
    found = re.search(r'<aside class="record-sidebar"[^>]*>(.*?)</aside>', response.content.decode(), re.S)
    return found[1] if found else ""


def card_rows(response: Any) -> list[str]:
    """The rows of the Subscriptions card in the sidebar, as text."""
    return subscription_rows(sidebar(response))


def add_menu(response: Any) -> list[tuple[str, str]]:
    """The "Add" menu's items as (link, label), [] when there is no menu."""
    menu = re.search(r'<details class="menu">(.*?)</details>', sidebar(response), re.S)
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', unescape(menu[1])) if menu else []


def facts(html: str) -> dict[str, str]:
    """The ``<dt>``/``<dd>`` pairs of a fragment, as text."""
    return {text(dt): text(dd) for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)}


def test_the_contact_card_in_the_sidebar_lists_theirs_newest_first(
    viewer: Client, records: Any, ola: Any
) -> None:
    make_subscription(
        records.contact,
        name="Old plan",
        status="canceled",
        start_date=date(2026, 3, 1),
        next_payment_date=None,
    )
    make_subscription(records.contact, name="Pro monthly")
    make_subscription(ola, name="Ola's plan")

    page = viewer.get(f"/contacts/{records.contact.pk}/")

    assert card_rows(page) == [
        f"Pro monthly Active {ROW}",
        "Old plan Canceled Start date 1 Mar 2026 Next payment —",
    ]
    html = page.content.decode()
    assert html.count('id="subscriptions"') == 1 and 'id="subscriptions"' in sidebar(page)  # not in main too
    assert "All subscriptions" not in html  # all of them are shown


def test_the_company_card_shows_its_subscriptions_with_their_contacts(
    viewer: Client, records: Any, ola: Any
) -> None:
    sub = make_subscription(records.contact, name="Pro monthly")
    make_subscription(ola, name="Ola's plan")

    page = viewer.get(f"/companies/{records.company.pk}/")

    assert card_rows(page) == [f"Pro monthly Active Contact Ingrid Hansen {ROW}"]
    assert f'<a href="/contacts/{records.contact.pk}/">Ingrid Hansen</a>' in sidebar(page)
    assert f'<a class="sub-link" href="/subscriptions/{sub.pk}/"' in sidebar(page)


def test_more_than_five_shows_the_five_newest_and_all_subscriptions_of_the_record(
    viewer: Client, records: Any
) -> None:
    subs = [make_subscription(records.contact, name=f"Plan {n}", deal=records.deal) for n in range(1, 7)]

    contact = viewer.get(f"/contacts/{records.contact.pk}/")
    company = viewer.get(f"/companies/{records.company.pk}/")
    deal = viewer.get(f"/deals/{records.deal.pk}/")

    newest = [f"Plan {n} Active {ROW}" for n in range(6, 1, -1)]
    assert card_rows(contact) == newest
    assert card_rows(company) == [row.replace("Active", "Active Contact Ingrid Hansen") for row in newest]
    assert card_rows(deal) == newest
    link = '<p class="sub-card-more"><a href="/subscriptions/?{}">All subscriptions</a></p>'
    assert link.format(f"contact_id={records.contact.pk}") in sidebar(contact)
    assert link.format(f"company_id={records.company.pk}") in sidebar(company)
    # The list cannot filter by deal: the deal's card says how many it shows instead.
    assert "All subscriptions" not in sidebar(deal) and "The 5 newest are shown." in sidebar(deal)
    assert subs[0].name not in sidebar(contact)


def test_the_deal_card_shows_only_the_subscriptions_of_the_deal(
    viewer: Client, records: Any, ola: Any
) -> None:
    other = deal_create(actor=SYSTEM, name="Ola's deal", contact_id=ola.pk)
    make_subscription(records.contact, name="Converted", deal=records.deal)
    make_subscription(records.contact, name="Not from a deal")
    make_subscription(ola, name="Another deal's", deal=other)

    assert card_rows(viewer.get(f"/deals/{records.deal.pk}/")) == [f"Converted Active {ROW}"]
    assert card_rows(viewer.get(f"/deals/{other.pk}/")) == [f"Another deal's Active {ROW}"]


def test_an_invoice_and_its_payment_show_their_subscription_without_add(editor: Client, records: Any) -> None:
    sub = make_subscription(records.contact, name="Pro monthly")
    make_subscription(records.contact, name="Another of hers")
    invoice = make_invoice(sub)
    payment = make_payment(invoice)

    for url in (f"/invoices/{invoice.pk}/", f"/payments/{payment.pk}/"):
        page = editor.get(url)
        assert card_rows(page) == [f"Pro monthly Active {ROW}"], url
        assert add_menu(page) == [] and "Add" not in text(sidebar(page)), url


def test_a_one_off_invoice_and_its_payment_have_no_subscription(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact)
    invoice = make_invoice(sub, number="INV-9", subscription=None)
    payment = make_payment(invoice)
    billed = make_invoice(sub, number="INV-10", subscription_id="sub_deleted")  # its subscription is gone

    on_invoice = viewer.get(f"/invoices/{invoice.pk}/")
    on_payment = viewer.get(f"/payments/{payment.pk}/")
    gone = viewer.get(f"/invoices/{billed.pk}/")

    assert card_rows(on_invoice) == card_rows(on_payment) == card_rows(gone) == []
    assert "A one-off invoice: no subscription." in unescape(text(sidebar(on_invoice)))
    assert "A one-off invoice's payment: no subscription." in unescape(text(sidebar(on_payment)))
    assert "Its subscription was deleted." in unescape(text(sidebar(gone)))


def test_editors_get_one_add_menu_viewers_none(editor: Client, viewer: Client, records: Any) -> None:
    contact, company, deal = records.contact, records.company, records.deal
    pages = {
        f"/contacts/{contact.pk}/": [
            (f"/subscriptions/new/?contact={contact.pk}", "Create new subscription"),
            (f"/contacts/{contact.pk}/subscriptions/associate/", "Associate existing"),
        ],
        f"/companies/{company.pk}/": [
            (f"/subscriptions/new/?company={company.pk}", "Create new subscription"),
            (f"/companies/{company.pk}/subscriptions/associate/", "Associate existing"),
        ],
        f"/deals/{deal.pk}/": [
            (
                f"/subscriptions/new/?deal={deal.pk}&contact={contact.pk}&company={company.pk}",
                "Create new subscription",
            ),
            (f"/deals/{deal.pk}/subscriptions/associate/", "Associate existing"),
            (f"/deals/{deal.pk}/convert/", "Convert deal to subscription"),
        ],
    }
    for url, items in pages.items():
        assert add_menu(editor.get(url)) == items, url
        shown = viewer.get(url)
        assert add_menu(shown) == [] and '<details class="menu">' not in shown.content.decode(), url
        for link, _label in items:
            assert f'href="{link}"' not in unescape(sidebar(shown)), url


def test_a_deal_offers_conversion_only_while_it_would_make_subscriptions(
    editor: Client, records: Any
) -> None:
    bare = deal_create(actor=SYSTEM, name="No items", contact_id=records.contact.pk)
    editor.post(f"/deals/{records.deal.pk}/convert/", {"payment_terms": "net_30"})

    converted = [label for _link, label in add_menu(editor.get(f"/deals/{records.deal.pk}/"))]
    empty = add_menu(editor.get(f"/deals/{bare.pk}/"))

    assert converted == ["Create new subscription", "Associate existing"]
    assert empty == [
        (f"/subscriptions/new/?deal={bare.pk}&contact={records.contact.pk}", "Create new subscription"),
        (f"/deals/{bare.pk}/subscriptions/associate/", "Associate existing"),
    ]


def test_each_name_loads_its_preview_once_and_is_described_by_it(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact)

    html = sidebar(viewer.get(f"/contacts/{records.contact.pk}/"))

    assert f'href="/subscriptions/{sub.pk}/" aria-describedby="preview-{sub.pk}"' in html
    assert (
        f'<div class="sub-preview" id="preview-{sub.pk}" role="tooltip" aria-live="polite">'
        f'<span class="muted" hx-get="/subscriptions/{sub.pk}/preview/" '
        'hx-trigger="mouseenter once from:closest .has-preview, focusin once from:closest .has-preview" '
        'hx-swap="outerHTML">Loading…</span></div>'
    ) in html


def test_the_preview_shows_the_properties_to_any_signed_in_user(
    viewer: Client, client: Client, records: Any
) -> None:
    sub = make_subscription(
        records.contact, name="Pro monthly", collection_method="send_invoice", line_items_mrr=8167
    )
    ended = make_subscription(
        records.contact, name="Ended", status="canceled", company=None, next_payment_date=None
    )
    url = f"/subscriptions/{sub.pk}/preview/"

    shown = viewer.get(url)
    other = viewer.get(f"/subscriptions/{ended.pk}/preview/")

    assert shown.status_code == 200
    html = shown.content.decode()
    assert html.startswith('<p class="sub-preview-title">')  # the box's content, not a page
    assert text(re.search(r'<p class="sub-preview-title">(.*?)</p>', html, re.S)[1]) == "Pro monthly Active"
    assert facts(html) == {
        "Contact": "Ingrid Hansen",
        "Company": "Fjordline",
        "Next payment": "15 Feb 2027 · $98.00",
        "Frequency": "Monthly",
        "MRR": "$81.67",
        "Start date": "15 Jan 2027",
        "Collection": "Send invoice",
    }
    assert facts(other.content.decode())["Company"] == "—"
    assert facts(other.content.decode())["Next payment"] == "—"
    assert "<a " not in html  # a tooltip holds text only
    assert client.get(url)["Location"] == f"/login/?next={url}"
    assert viewer.get("/subscriptions/sub_nope/preview/").status_code == 404
    assert viewer.post(url).status_code == 405


def test_each_row_has_a_preview_that_opens_the_side_panel_and_is_its_page_without_script(
    viewer: Client, records: Any
) -> None:
    sub = make_subscription(records.contact, name="Pro monthly")

    pages = [
        viewer.get(f"/contacts/{records.contact.pk}/"),
        viewer.get(f"/companies/{records.company.pk}/"),
    ]

    for page in pages:
        html = sidebar(page)
        assert (
            f'<a class="btn btn-sm btn-quiet sub-panel-link" href="/subscriptions/{sub.pk}/" '
            f'hx-get="/subscriptions/{sub.pk}/panel/" hx-target="#record-panel" hx-swap="innerHTML" '
            f'hx-push-url="false" aria-controls="record-panel" data-record-preview="{sub.pk}">'
            'Preview<span class="visually-hidden"> Pro monthly</span></a>'
        ) in html
        assert html.count('id="record-panel"') == 1
        host = '<div id="record-panel" class="record-panel" role="region" aria-label="Subscription preview"'
        assert host in html


def test_the_panel_asked_from_a_record_comes_back_to_it_open_and_from_the_index_to_the_index(
    editor: Client, records: Any
) -> None:
    sub = make_subscription(records.contact, name="Pro monthly")
    url = f"/subscriptions/{sub.pk}/panel/"
    record = f"http://testserver/contacts/{records.contact.pk}/"

    from_record = editor.get(url, headers={"HX-Request": "true", "HX-Current-URL": record}).content.decode()
    from_index = editor.get(
        url, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/subscriptions/?view=all"}
    ).content.decode()

    back = f"/contacts/{records.contact.pk}/?preview={sub.pk}"
    assert f'<input type="hidden" name="next" value="{back}">' in from_record  # the menu's POST actions
    asked = back.replace("?", "%3F").replace("=", "%3D")
    assert f'href="/subscriptions/{sub.pk}/pause/?next={asked}"' in from_record  # and its dialogs
    assert f'name="next" value="/subscriptions/?view=all&amp;panel={sub.pk}"' in from_index
    assert "preview=" not in from_index


def test_associating_with_a_deal_ties_it_once(editor: Client, records: Any, ola: Any) -> None:
    theirs = make_subscription(ola, name="Pro yearly")
    url = f"/deals/{records.deal.pk}/subscriptions/associate/"
    assert (
        table_rows(editor.get(url, {"q": "yearly"}).content, "table-found")[0][0] == f"Pro yearly {theirs.pk}"
    )

    done = editor.post(url, {"subscription": theirs.pk}, follow=True)

    assert done.redirect_chain == [(f"/deals/{records.deal.pk}/", 302)]
    assert messages(done) == ["Subscription associated with Fjordline Pro."]
    theirs.refresh_from_db()
    assert (theirs.deal_id, theirs.contact_id, theirs.company_id, theirs.updated_at) == (
        records.deal.pk,
        ola.pk,
        None,
        T0,
    )
    assert updates(theirs) == [{"before": {"deal_id": None}, "after": {"deal_id": records.deal.pk}}]
    assert card_rows(done) == [f"Pro yearly Active {ROW}"]
    assert "table-found" not in editor.get(url, {"q": "yearly"}).content.decode()  # tied: not offered

    again = editor.post(url, {"subscription": theirs.pk}, follow=True)

    assert again.redirect_chain == [(f"/deals/{records.deal.pk}/", 302)]
    assert Subscription.objects.get(pk=theirs.pk).deal_id == records.deal.pk
    assert len(updates(theirs)) == 1  # nothing more recorded


def test_the_deal_associate_page_says_what_happens(editor: Client, records: Any) -> None:
    page = editor.get(f"/deals/{records.deal.pk}/subscriptions/associate/")

    assert "With Fjordline Pro. It becomes the subscription's deal (one at a time)." in text(page.content)
    assert f'<a class="back" href="/deals/{records.deal.pk}/">← Fjordline Pro</a>' in page.content.decode()


def test_searching_finds_other_subscriptions_by_name_contact_or_id(
    editor: Client, records: Any, ola: Any
) -> None:
    own = make_subscription(records.contact, name="Pro monthly")
    theirs = make_subscription(ola, name="Pro yearly")
    url = f"/contacts/{records.contact.pk}/subscriptions/associate/"

    by_name = editor.get(url, {"q": "pro"})
    by_contact = editor.get(url, {"q": "ola@example"})
    by_id = editor.get(url, {"q": theirs.pk})

    row = [f"Pro yearly {theirs.pk}", "Ola Nordmann", "—", "Active", "Associate"]
    assert table_rows(by_name.content, "table-found") == [row]  # their own is not offered
    assert table_rows(by_contact.content, "table-found") == [row]
    assert table_rows(by_id.content, "table-found") == [row]
    mine = editor.get(url, {"q": own.pk})
    assert "No other subscription matches" in text(mine.content)


def test_associating_with_a_contact_makes_them_its_contact(editor: Client, records: Any, ola: Any) -> None:
    theirs = make_subscription(ola, name="Pro yearly")
    url = f"/contacts/{records.contact.pk}/subscriptions/associate/"

    done = editor.post(url, {"subscription": theirs.pk}, follow=True)

    assert done.redirect_chain == [(f"/contacts/{records.contact.pk}/", 302)]
    assert messages(done) == ["Subscription associated with Ingrid Hansen."]
    theirs.refresh_from_db()
    assert (theirs.contact_id, theirs.company_id) == (records.contact.pk, records.company.pk)
    (change,) = updates(theirs)
    assert change["before"]["contact_id"] == ola.pk and change["after"]["contact_id"] == records.contact.pk
    assert EmailMessage.objects.filter(kind="subscription_changed", to=records.contact.email).count() == 1
    assert card_rows(done) == ["Pro yearly Active Start date 15 Jan 2027 Next payment 15 Feb 2027 · $98.00"]


def test_the_editing_rules_apply_and_show_beside_the_field(editor: Client, records: Any, ola: Any) -> None:
    method = payment_method_add(contact=ola, token="tok_visa", actor=SYSTEM, at=T0)
    charged = make_subscription(ola, name="Charged", payment_method=method)
    ended = make_subscription(ola, name="Ended", status="canceled", next_payment_date=None)
    url = f"/contacts/{records.contact.pk}/subscriptions/associate/"

    wrong_method = editor.post(url, {"subscription": charged.pk})
    canceled = editor.post(url, {"subscription": ended.pk})
    unknown = editor.post(url, {"subscription": "sub_nope"})

    assert wrong_method.status_code == 422
    assert field_errors(wrong_method, "id_subscription") == [
        f"Payment method {method.pk} belongs to another contact"
    ]
    assert canceled.status_code == 409
    assert [unescape(e) for e in field_errors(canceled, "id_subscription")] == [
        f"Subscription {ended.pk} is canceled: only active, scheduled and Unpaid ones can be edited"
    ]
    assert unknown.status_code == 422
    assert field_errors(unknown, "id_subscription") == ["No subscription sub_nope."]
    assert Subscription.objects.filter(contact=ola).count() == 2
    assert updates(charged) == updates(ended) == []


def test_associating_with_a_company_sets_its_company_once(editor: Client, records: Any, ola: Any) -> None:
    theirs = make_subscription(ola, name="Pro yearly")
    url = f"/companies/{records.company.pk}/subscriptions/associate/"

    done = editor.post(url, {"subscription": theirs.pk}, follow=True)

    assert done.redirect_chain == [(f"/companies/{records.company.pk}/", 302)]
    assert messages(done) == ["Subscription associated with Fjordline."]
    theirs.refresh_from_db()
    assert (theirs.company_id, theirs.contact_id, theirs.updated_at) == (records.company.pk, ola.pk, T0)
    assert updates(theirs) == [{"before": {"company_id": None}, "after": {"company_id": records.company.pk}}]
    assert editor.get(url, {"q": "yearly"}).content.decode().count("table-found") == 0  # tied: not offered


def test_viewers_cannot_associate(viewer: Client, records: Any, ola: Any) -> None:
    theirs = make_subscription(ola)
    for url in (
        f"/contacts/{records.contact.pk}/subscriptions/associate/",
        f"/companies/{records.company.pk}/subscriptions/associate/",
        f"/deals/{records.deal.pk}/subscriptions/associate/",
    ):
        assert viewer.get(url).status_code == 403
        assert viewer.post(url, {"subscription": theirs.pk}).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.contact_id, theirs.company_id, theirs.deal_id) == (ola.pk, None, None)
    assert updates(theirs) == []
