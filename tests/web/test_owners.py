"""Owners on the pages: the Owner select of each create and edit form, the owner on each record,
the Owner column and filter of the Subscriptions page, and "Assign owner" to ticked rows.

``records``: Ingrid Hansen at Fjordline, the Pro plan, a deal. Users: the signed-in one (editor or
viewer), Ada Lovelace (editor) and Gone Away (deactivated). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal
from recurra.subscriptions.models import Subscription
from tests.web.conftest import make_user
from tests.web.html import carried, messages, options, table_rows, text, value_of
from tests.web.subscription_form import URL, form_data
from tests.web.test_subscription_edit_page import form as edit_form
from tests.web.test_subscription_pages import make_subscription


@pytest.fixture
def team(frozen_clock: Any) -> SimpleNamespace:
    ada = make_user(Role.EDITOR, "ada")
    ada.first_name, ada.last_name = "Ada", "Lovelace"
    ada.save()
    gone = make_user(Role.EDITOR, "gone")
    gone.first_name, gone.last_name, gone.is_active = "Gone", "Away", False
    gone.save()
    return SimpleNamespace(ada=ada, gone=gone)


def owner_of(model: Any, pk: str) -> int | None:
    return model.objects.values_list("owner_id", flat=True).get(pk=pk)


def test_the_contact_form_offers_active_users_and_sets_the_owner(
    editor: Client, records: Any, team: Any
) -> None:
    page = editor.get("/contacts/new/")
    offered = options(page, "owner_id")
    assert str(team.ada.pk) in offered and str(team.gone.pk) not in offered
    assert '<option value="" selected>No owner</option>' in page.content.decode()

    made = editor.post(
        "/contacts/new/",
        {"email": "tor@example.com", "first_name": "Tor", "owner_id": team.ada.pk},
        follow=True,
    )
    contact = Contact.objects.get(email="tor@example.com")
    assert owner_of(Contact, contact.pk) == team.ada.pk
    assert "Owner Ada Lovelace" in text(made.content)

    edit = editor.get(f"/contacts/{contact.pk}/edit/")
    assert value_of(edit, "owner_id") == str(team.ada.pk)
    values = {"email": "tor@example.com", "first_name": "Tor", "owner_id": ""}
    editor.post(f"/contacts/{contact.pk}/edit/", values)
    assert owner_of(Contact, contact.pk) is None
    assert "Owner No owner" in text(editor.get(f"/contacts/{contact.pk}/").content)
    changes = [(e.data["before"], e.data["after"]) for e in Event.objects.filter(type="contact.updated")]
    assert changes == [({"owner_id": team.ada.pk}, {"owner_id": None})]


def test_a_deactivated_owner_stays_offered_on_their_record_only(
    editor: Client, records: Any, team: Any
) -> None:
    Company.objects.filter(pk=records.company.pk).update(owner=team.gone)
    edit = editor.get(f"/companies/{records.company.pk}/edit/")
    assert value_of(edit, "owner_id") == str(team.gone.pk)
    assert "Gone Away (deactivated)" in edit.content.decode()
    kept = editor.post(
        f"/companies/{records.company.pk}/edit/", {"name": "Fjordline", "owner_id": team.gone.pk}, follow=True
    )
    assert messages(kept) == ["Company saved."] and owner_of(Company, records.company.pk) == team.gone.pk
    assert "Owner Gone Away (deactivated)" in text(kept.content)
    # offered nowhere else: a forged choice is a form error, nothing saved
    refused = editor.post("/companies/new/", {"name": "Other", "owner_id": team.gone.pk})
    assert refused.status_code == 422 and not Company.objects.filter(name="Other").exists()


def test_the_deal_form_sets_the_owner_and_the_deal_shows_it(editor: Client, records: Any, team: Any) -> None:
    deal = records.deal
    edit = editor.get(f"/deals/{deal.pk}/edit/")
    values = {
        "name": deal.name,
        "stage": deal.stage,
        "currency": "USD",
        "contact_id": deal.contact_id,
        "company_id": deal.company_id,
        "owner_id": team.ada.pk,
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-0-product_id": value_of(edit, "items-0-product_id"),
        "items-0-quantity": "2",
        "items-0-billing_terms": "auto_renew",
        "items-0-billing_start_type": "at_purchase",
    }
    saved = editor.post(f"/deals/{deal.pk}/edit/", values, follow=True)
    assert messages(saved) == ["Deal saved."]
    assert owner_of(Deal, deal.pk) == team.ada.pk
    assert "Owner Ada Lovelace" in text(saved.content)
    assert Deal.objects.get(pk=deal.pk).line_items.count() == 1


def test_create_subscription_with_an_owner(editor: Client, records: Any, team: Any) -> None:
    data = form_data(records.contact, [{"product_id": records.product.pk}], owner_id=str(team.ada.pk))
    asked = editor.post(URL, data)
    assert "Owner Ada Lovelace" in text(asked.content)
    assert Subscription.objects.count() == 0
    done = editor.post(URL, {**carried(asked)}, follow=True)
    sub = Subscription.objects.get()
    assert messages(done) == ["Subscription created."]
    assert sub.owner_id == team.ada.pk
    assert "Owner Ada Lovelace" in text(done.content)


def test_edit_subscription_changes_only_the_owner(editor: Client, records: Any, team: Any) -> None:
    sub = make_subscription(records.contact, collection_method="send_invoice", payment_terms="net_30")
    url = f"/subscriptions/{sub.pk}/edit/"
    assert value_of(editor.get(url), "owner_id") == ""
    preview = editor.post(url, edit_form(action="preview", owner_id=str(team.ada.pk)))
    assert "Owner No owner Ada Lovelace" in text(preview.content)
    assert owner_of(Subscription, sub.pk) is None
    done = editor.post(url, edit_form(action="confirm", owner_id=str(team.ada.pk)), follow=True)
    assert messages(done) == ["Subscription “Pro monthly” for Fjordline saved."]
    assert owner_of(Subscription, sub.pk) == team.ada.pk
    page = text(done.content)
    assert "Owner Ada Lovelace" in page
    assert "Subscription updated 15 Jan 2027, 09:30 · Editor Owner: — → Ada Lovelace" in page  # the timeline


def test_the_index_shows_the_owner_column_and_filters_by_owner(
    viewer: Client, records: Any, team: Any
) -> None:
    make_subscription(records.contact, name="Owned", owner=team.ada)
    make_subscription(records.contact, name="Unowned")
    shown = viewer.get("/subscriptions/", {"columns": "name,owner", "sort": "name"})
    assert table_rows(shown.content, "index-table") == [["Owned", "Ada Lovelace"], ["Unowned", "—"]]
    assert 'name="ids"' not in shown.content.decode()  # a viewer ticks nothing
    assert 'id="bulk-owner"' not in shown.content.decode()

    query = {
        "columns": "name,owner",
        "sort": "name",
        "c0.0.p": "owner",
        "c0.0.o": "is",
        "c0.0.v": team.ada.pk,
    }
    mine = viewer.get("/subscriptions/", query)
    assert [row[0] for row in table_rows(mine.content, "index-table")] == ["Owned"]
    html = mine.content.decode()
    assert f'name="c0.0.v" value="{team.ada.pk}" checked> Ada Lovelace' in html
    assert "Gone Away" not in html  # deactivated, and not in the filter: not offered
    empty = viewer.get("/subscriptions/", {**query, "c0.0.o": "is_empty", "c0.0.v": ""})
    assert [row[0] for row in table_rows(empty.content, "index-table")] == ["Unowned"]


def test_assign_owner_to_ticked_rows(editor: Client, records: Any, team: Any) -> None:
    first = make_subscription(records.contact, name="First")
    second = make_subscription(records.contact, name="Second")
    third = make_subscription(records.contact, name="Third")
    index = editor.get("/subscriptions/", {"columns": "name,owner", "sort": "name"})
    html = index.content.decode()
    assert (
        f'<input type="checkbox" name="ids" value="{first.pk}" form="bulk-owner" data-no-autosubmit' in html
    )
    assert options(index, "owner") == ["none", *[str(pk) for pk in sorted_users(team)]]
    back = "/subscriptions/?view=all&edited=1&sort=name&columns=name%2Cowner"  # the page as it is
    assert f'<input type="hidden" name="next" value="{back.replace("&", "&amp;")}">' in html

    done = editor.post(
        "/subscriptions/owners/",
        {"ids": [first.pk, second.pk], "owner": str(team.ada.pk), "next": back},
        follow=True,
    )
    assert messages(done) == ["Owner assigned to 2 subscriptions."]
    assert done.redirect_chain == [(back, 302)]
    assert table_rows(done.content, "index-table") == [
        ["First", "Ada Lovelace"],
        ["Second", "Ada Lovelace"],
        ["Third", "—"],
    ]
    assert [owner_of(Subscription, s.pk) for s in (first, second, third)] == [team.ada.pk, team.ada.pk, None]
    assert Event.objects.filter(type="subscription.updated", data__after__owner_id=team.ada.pk).count() == 2

    removed = editor.post("/subscriptions/owners/", {"ids": [first.pk], "owner": "none"}, follow=True)
    assert messages(removed) == ["Owner removed from 1 subscription."]
    assert removed.redirect_chain == [("/subscriptions/", 302)]
    assert owner_of(Subscription, first.pk) is None


def sorted_users(team: Any) -> list[int]:
    """The active users by name, as the select offers them."""
    return [
        u.pk for u in sorted(User.objects.filter(is_active=True), key=lambda u: (str(u).casefold(), u.pk))
    ]


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"owner": "ADA"}, "Tick at least one subscription."),
        ({"ids": ["PICK"]}, "Choose an owner, or No owner."),
        ({"ids": ["PICK"], "owner": "GONE"}, "That user cannot be made an owner."),
        ({"ids": ["PICK", "sub_nope"], "owner": "ADA"}, "No subscription sub_nope."),
    ],
)
def test_assigning_nothing_or_to_no_one_changes_nothing(
    editor: Client, records: Any, team: Any, posted: dict[str, Any], message: str
) -> None:
    sub = make_subscription(records.contact, name="First")
    swap = {"PICK": sub.pk, "ADA": str(team.ada.pk), "GONE": str(team.gone.pk)}
    body = {
        k: [swap.get(v, v) for v in v] if isinstance(v, list) else swap.get(v, v) for k, v in posted.items()
    }
    before = Event.objects.count()
    done = editor.post("/subscriptions/owners/", {**body, "next": "https://evil.example/"}, follow=True)
    assert done.redirect_chain == [("/subscriptions/", 302)]  # never off the site
    assert messages(done) == [message]
    assert owner_of(Subscription, sub.pk) is None and Event.objects.count() == before


def test_assigning_needs_an_editor_a_post_and_the_csrf_token(viewer: Client, records: Any, team: Any) -> None:
    sub = make_subscription(records.contact, name="First")
    body = {"ids": [sub.pk], "owner": str(team.ada.pk)}
    assert viewer.post("/subscriptions/owners/", body).status_code == 403
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="ada"))
    assert client.post("/subscriptions/owners/", body).status_code == 403
    assert client.get("/subscriptions/owners/").status_code == 405
    assert owner_of(Subscription, sub.pk) is None
