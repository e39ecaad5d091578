"""Subscriptions on a contact's and a company's record: the card and its links, "Associate existing"
(search, pick, the service's rules).

``records``: Ingrid Hansen at Fjordline. Other subscriptions belong to Ola Nordmann (no company).
Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.crm.services import contact_create
from recurra.notifications.models import EmailMessage
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import field_errors, messages, table_rows, text
from tests.web.test_subscription_pages import make_subscription


@pytest.fixture
def ola(records: Any) -> Any:
    return contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")


def updates(sub: Subscription) -> list[dict[str, Any]]:
    return [
        e.data for e in Event.objects.filter(object_id=sub.pk, type="subscription.updated").order_by("id")
    ]


def test_the_contact_card_lists_theirs_with_links_for_editors(
    editor: Client, viewer: Client, records: Any, ola: Any
) -> None:
    make_subscription(records.contact, name="Pro monthly")
    make_subscription(ola, name="Ola's plan")
    url = f"/contacts/{records.contact.pk}/"

    html = editor.get(url).content.decode()

    assert table_rows(html, "table-subscriptions") == [["Pro monthly", "Active", "15 Feb 2027 · $98.00"]]
    new = f"/subscriptions/new/?contact={records.contact.pk}"
    assert f'<a class="btn btn-sm" href="{new}">Create subscription</a>' in html
    assert f'<a class="btn btn-sm" href="{url}subscriptions/associate/">Associate existing</a>' in html
    shown = viewer.get(url).content.decode()
    assert "Create subscription" not in shown and "Associate existing" not in shown
    assert viewer.get(f"{url}subscriptions/associate/").status_code == 403


def test_the_company_card_lists_its_subscriptions_with_their_contacts(
    editor: Client, records: Any, ola: Any
) -> None:
    make_subscription(records.contact, name="Pro monthly")
    make_subscription(ola, name="Ola's plan")
    url = f"/companies/{records.company.pk}/"

    html = editor.get(url).content.decode()

    assert table_rows(html, "table-subscriptions") == [
        ["Pro monthly", "Ingrid Hansen", "Active", "15 Feb 2027 · $98.00"]
    ]
    assert f'href="/subscriptions/new/?company={records.company.pk}">Create subscription</a>' in html
    assert f'href="{url}subscriptions/associate/">Associate existing</a>' in html


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
    assert table_rows(done.content, "table-subscriptions") == [
        ["Pro yearly", "Active", "15 Feb 2027 · $98.00"]
    ]


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
    ):
        assert viewer.post(url, {"subscription": theirs.pk}).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.contact_id, theirs.company_id) == (ola.pk, None)
