"""CRM → Lists with the test client: the lists page, "Create list" (the editor's form posted as a
browser sends it, its buttons, its own-property and subscriptions conditions), edit, the errors beside
the fields they name (the form's own and the spec's: ``filters.groups[0].conditions[0]
.subscriptions.match``), junk posts that are never a 500, roles, a list's members with the column
chooser and pages, "Save as static list", removing a member, "Add to list" from the Contacts and
Companies pages, and delete.

    ada   Acme; A1 active, ends 30 Jun 2027
    bo    B1 active, no end; B2 Unpaid, ends 31 Mar 2027
    cy    C1 canceled, no end
    di    no subscription
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.models import User
from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Company, Contact
from recurra.insights.lists.services import list_create, list_members_add
from recurra.insights.models import ListMember, RecordList
from recurra.subscriptions.models import Subscription
from tests.api.test_lists_api import sub
from tests.conftest import SYSTEM
from tests.web.html import messages, options, table_rows, text, value_of
from tests.web.test_workflow_pages import form_data, post

pytestmark = pytest.mark.django_db

END_KNOWN = {"groups": [{"conditions": [{"property": "end_date", "operator": "is_not_empty"}]}]}
ENDS_KNOWN_LIST = {"groups": [{"conditions": [{"subscriptions": {"match": "any", "filters": END_KNOWN}}]}]}
# The editor's fields of "any of their subscriptions has an end date".
ENDS_KNOWN_FORM = {
    "name": "Known end date",
    "object": "contacts",
    "kind": "active",
    "f0.0.m": "any",
    "f0.0.c0.0.p": "end_date",
    "f0.0.c0.0.o": "is_not_empty",
}


def make_people() -> SimpleNamespace:
    """Ada (of Acme), Bo, Cy and Di Lee and their subscriptions (the table above)."""
    acme = Company.objects.create(name="Acme", domain="acme.example")
    made = {
        name: Contact.objects.create(email=f"{name}@example.com", first_name=name.title(), last_name="Lee")
        for name in ("ada", "bo", "cy", "di")
    }
    Contact.objects.filter(pk=made["ada"].pk).update(company=acme)
    sub(made["ada"], "A1", end=date(2027, 6, 30), company=acme)
    sub(made["bo"], "B1")
    sub(made["bo"], "B2", status="past_due", end=date(2027, 3, 31))
    sub(made["cy"], "C1", status="canceled")
    return SimpleNamespace(acme=acme, **made)


@pytest.fixture
def people(frozen_clock: Any) -> SimpleNamespace:
    return make_people()


def make_list(name: str = "Known end date", *, kind: str = "active", filters: Any = None, **more: Any) -> Any:
    return list_create(
        name=name,
        object=more.pop("object", "contacts"),
        kind=kind,
        filters=ENDS_KNOWN_LIST if filters is None and kind == "active" else filters,
        actor=SYSTEM,
        at=clock.now(),
        **more,
    )


def member_names(response: Any) -> list[str]:
    return [row[0] for row in table_rows(response.content, "members-table")]


def headers(response: Any) -> list[str]:
    """The members table's column headers (not the remove buttons' column, named for screen readers)."""
    html = response.content.decode()
    table = html[html.index('data-testid="members"') :]
    found = re.findall(r'<th scope="col">(.*?)</th>', table[: table.index("</thead>")], re.S)
    return [text(h) for h in found if "visually-hidden" not in h]


def beside(response: Any, field_id: str) -> list[str]:
    """The error messages shown right after the field with this id (before the next field)."""
    html = response.content.decode()
    start = html.index(f'id="{field_id}"')
    ends = [
        html.find(marker, start + 1)
        for marker in (
            '<div class="condition',
            '<div class="field',
            '<div class="subs-conditions"',
            "</fieldset>",
            "</section>",
        )
    ]
    part = html[start : min(e for e in ends if e > 0)]
    found = re.findall(r'<p class="errorlist condition-error" role="alert">(.*?)</p>', part, re.S)
    found += re.findall(
        r"<li>(.*?)</li>", "".join(re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', part, re.S))
    )
    return [text(f) for f in found]


def card_errors(response: Any, prefix: str) -> list[str]:
    """The errors at the top of a subscriptions condition's own conditions."""
    html = response.content.decode()
    start = html.index(f'id="{prefix}.m"')
    part = html[html.index('<div class="subs-conditions">', start) :]
    part = part[: part.index('<p class="help">')]
    return [text(li) for li in re.findall(r"<li>(.*?)</li>", part, re.S)]


# The lists page ---------------------------------------------------------------------------------


def test_the_lists_page_says_each_list_and_its_size(viewer: Client, editor: Client, people: Any) -> None:
    author = User.objects.get(username="editor")
    make_list(created_by_id=author.pk)
    vip = make_list("VIP", kind="static")
    list_members_add(record_list=vip, ids=[people.cy.pk], actor=SYSTEM, at=clock.now())
    make_list("Companies without a subscription", object="companies", filters={})

    page = viewer.get("/lists/")
    assert page.status_code == 200
    assert '<a href="/lists/" aria-current="page">Lists</a>' in page.content.decode()
    assert table_rows(page.content) == [
        ["Companies without a subscription", "Companies", "Active list", "1", "15 Jan 2027, 09:30", "—"],
        ["VIP", "Contacts", "Static list", "1", "15 Jan 2027, 09:30", "—"],
        ["Known end date", "Contacts", "Active list", "2", "15 Jan 2027, 09:30", "Editor"],
    ]
    assert "Create list" not in page.content.decode()
    assert 'href="/lists/new/"' in editor.get("/lists/").content.decode()
    assert "No lists yet." not in page.content.decode()


def test_no_lists_yet(editor: Client) -> None:
    page = editor.get("/lists/")
    assert "No lists yet." in text(page.content)


# Create -----------------------------------------------------------------------------------------


def test_contacts_with_a_known_subscription_end_date_built_in_the_form(editor: Client, people: Any) -> None:
    new = editor.get("/lists/new/")
    assert options(new, "object") == ["contacts", "companies"]
    assert options(new, "kind") == ["active", "static"]
    assert "No filters: every contact is a member." in text(new.content)

    data = form_data(new, "list-form")
    data["name"] = ["Known end date"]
    shown = post(editor, "/lists/new/", data, op="subs_group")  # + A condition on their subscriptions
    assert value_of(shown, "f0.0.m") == "any"
    assert options(shown, "f0.0.m") == ["any", "all", "none"]
    shown = post(editor, "/lists/new/", form_data(shown, "list-form"), op="cond:0.0:add_group")
    assert "end_date" in options(shown, "f0.0.c0.0.p")  # the subscriptions' properties
    data = form_data(shown, "list-form")
    data["f0.0.c0.0.p"] = ["end_date"]
    shown = post(editor, "/lists/new/", data, op="refresh")
    assert options(shown, "f0.0.c0.0.o") == [
        "is",
        "before",
        "after",
        "between",
        "within_next_days",
        "within_last_days",
        "is_empty",
        "is_not_empty",
    ]
    data = form_data(shown, "list-form")
    data["f0.0.c0.0.o"] = ["is_not_empty"]
    saved = post(editor, "/lists/new/", data, op="save")

    made = RecordList.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/lists/{made.pk}/"
    assert (made.name, made.object, made.kind, made.filters) == (
        "Known end date",
        "contacts",
        "active",
        ENDS_KNOWN_LIST,
    )
    assert made.created_by == User.objects.get(username="editor")
    assert Event.objects.filter(type="list.created", object_id=made.pk).count() == 1
    page = editor.get(saved["Location"])
    assert messages(page) == ["List created."]
    assert member_names(page) == ["Bo Lee", "Ada Lee"]  # newest first
    assert "2 members" in text(page.content)
    filters = page.content.decode().split('data-testid="list-filters"')[1].split("</section>")[0]
    assert "Their subscriptions: at least one matches: End date is not empty" in text(filters)


def test_own_properties_and_subscriptions_in_groups(editor: Client, people: Any) -> None:
    fields = {
        "name": "Lee, no active subscription; or Di",
        "object": "contacts",
        "kind": "active",
        "f0.0.p": "last_name",
        "f0.0.o": "is",
        "f0.0.v": "Lee",
        "f0.1.m": "none",
        "f0.1.c0.0.p": "status",
        "f0.1.c0.0.o": "is",
        "f0.1.c0.0.v": ["active", "past_due"],
        "f1.0.p": "first_name",
        "f1.0.o": "contains",
        "f1.0.v": "Di",
    }
    saved = editor.post("/lists/new/", fields)
    assert saved.status_code == 302
    made = RecordList.objects.get()
    assert made.filters == {
        "groups": [
            {
                "conditions": [
                    {"property": "last_name", "operator": "is", "value": "Lee"},
                    {
                        "subscriptions": {
                            "match": "none",
                            "filters": {
                                "groups": [
                                    {
                                        "conditions": [
                                            {
                                                "property": "status",
                                                "operator": "is",
                                                "value": ["active", "past_due"],
                                            }
                                        ]
                                    }
                                ]
                            },
                        }
                    },
                ]
            },
            {"conditions": [{"property": "first_name", "operator": "contains", "value": "Di"}]},
        ]
    }
    page = editor.get(saved["Location"])
    assert member_names(page) == ["Di Lee", "Cy Lee"]
    assert [text(li) for li in re.findall(r"<li>(.*?)</li>", page.content.decode().split("list-words")[1])][
        :2
    ] == [
        "Last name is “Lee”",
        "and Their subscriptions: none of them matches: Status is Active, Unpaid",
    ]


def test_a_list_of_companies_offers_their_properties(editor: Client, people: Any) -> None:
    new = editor.get("/lists/new/?object=companies")
    assert value_of(new, "object") == "companies"
    data = form_data(new, "list-form")
    shown = post(editor, "/lists/new/", data, op="add_group")
    assert options(shown, "f0.0.p") == [
        "name",
        "domain",
        "phone",
        "owner",
        "city",
        "country",
        "created_at",
        "updated_at",
    ]
    saved = editor.post(
        "/lists/new/",
        {
            "name": "Acme and co",
            "object": "companies",
            "kind": "active",
            "f0.0.p": "domain",
            "f0.0.o": "contains",
            "f0.0.v": "acme",
        },
    )
    page = editor.get(saved["Location"])
    assert headers(page) == ["Name", "Domain", "Owner", "Create date"]
    assert table_rows(page.content, "members-table") == [["Acme", "acme.example", "—", "15 Jan 2027"]]


def test_another_object_redraws_the_conditions_on_its_properties(editor: Client, people: Any) -> None:
    fields = {
        "name": "x",
        "object": "companies",
        "kind": "active",
        "f0.0.p": "email",
        "f0.0.o": "contains",
        "f0.0.v": "a",
    }
    shown = editor.post("/lists/new/", fields, HTTP_HX_REQUEST="true")  # the object select changed
    assert shown.status_code == 200
    assert value_of(shown, "f0.0.p") is None  # a contact's email is no company property: to choose again
    assert "domain" in options(shown, "f0.0.p")
    assert RecordList.objects.count() == 0


def test_a_static_list_has_no_filters(editor: Client, people: Any) -> None:
    shown = editor.get("/lists/new/?kind=static")
    assert 'data-testid="list-filters"' not in shown.content.decode()
    assert "tick rows on the Contacts or Companies page" in text(shown.content)
    saved = editor.post("/lists/new/", {**ENDS_KNOWN_FORM, "name": "VIP", "kind": "static"})
    made = RecordList.objects.get()
    assert (made.kind, made.filters) == ("static", {})
    page = editor.get(saved["Location"])
    assert "No members yet: on the Contacts page, tick rows and choose “Add to list”." in text(page.content)
    assert "Save as static list" not in page.content.decode()


# Edit -------------------------------------------------------------------------------------------


def test_edit_shows_the_saved_filters_and_saves_the_change(editor: Client, people: Any) -> None:
    made = make_list()
    shown = editor.get(f"/lists/{made.pk}/edit/")
    assert (value_of(shown, "name"), value_of(shown, "f0.0.m"), value_of(shown, "f0.0.c0.0.p")) == (
        "Known end date",
        "any",
        "end_date",
    )
    assert value_of(shown, "object") is None  # chosen once: said, not asked
    assert "Contacts · Active list" in text(shown.content)
    data = form_data(shown, "list-form")
    data.update(
        {"name": ["No end date anywhere"], "f0.0.m": ["none"], "object": ["companies"], "kind": ["static"]}
    )
    saved = post(editor, f"/lists/{made.pk}/edit/", data, op="save")
    assert saved.status_code == 302 and saved["Location"] == f"/lists/{made.pk}/"
    made.refresh_from_db()
    assert (made.name, made.object, made.kind) == ("No end date anywhere", "contacts", "active")
    assert made.filters["groups"][0]["conditions"][0]["subscriptions"]["match"] == "none"
    page = editor.get(saved["Location"])
    assert messages(page) == ["List saved."]
    assert member_names(page) == ["Di Lee", "Cy Lee"]
    assert Event.objects.filter(type="list.updated", object_id=made.pk).count() == 1


def test_a_static_list_is_renamed_and_keeps_its_members(editor: Client, people: Any) -> None:
    vip = make_list("VIP", kind="static")
    list_members_add(record_list=vip, ids=[people.ada.pk], actor=SYSTEM, at=clock.now())
    shown = editor.get(f"/lists/{vip.pk}/edit/")
    assert 'data-testid="list-filters"' not in shown.content.decode()
    saved = editor.post(f"/lists/{vip.pk}/edit/", {**ENDS_KNOWN_FORM, "name": "Very important"})
    assert saved.status_code == 302
    vip.refresh_from_db()
    assert (vip.name, vip.kind, vip.filters) == ("Very important", "static", {})
    assert list(ListMember.objects.filter(list=vip).values_list("record_id", flat=True)) == [people.ada.pk]


# Errors -----------------------------------------------------------------------------------------


def test_the_forms_own_errors_beside_their_fields(editor: Client, people: Any) -> None:
    fields = {
        **ENDS_KNOWN_FORM,
        "name": " ",
        "f0.1.p": "email",
        "f0.1.o": "contains",
        "f0.0.c0.1.p": "mrr",
        "f0.0.c0.1.o": "greater_than",
        "f0.0.c0.1.v": "lots",
    }
    shown = editor.post("/lists/new/", fields)
    assert shown.status_code == 422
    assert "The list was not saved: see the messages beside the fields." in text(shown.content)
    assert beside(shown, "list-name") == ["Give the list a name."]
    assert beside(shown, "f0.1.p") == ["Enter a value."]
    assert beside(shown, "f0.0.c0.1.p") == ["Enter an amount in USD, such as 49.00."]
    assert beside(shown, "f0.0.c0.0.p") == []
    assert "Some conditions need a change; see the messages beside them." in text(shown.content)
    assert value_of(shown, "f0.0.c0.1.v") == "lots"  # as typed
    junk = editor.post("/lists/new/", {**ENDS_KNOWN_FORM, "object": "deals", "kind": "sometimes"})
    assert junk.status_code == 422
    assert beside(junk, "list-object") == ["Choose contacts or companies."]
    assert beside(junk, "list-kind") == ["Choose active or static."]
    assert RecordList.objects.count() == 0


def test_the_specs_errors_beside_the_field_they_name(editor: Client, people: Any) -> None:
    # filters.groups[0].conditions[1].subscriptions.match: beside that condition's match
    fields = {**ENDS_KNOWN_FORM, "f0.0.p": "first_name", "f0.0.o": "is", "f0.0.v": "Ada", "f0.1.m": "most"}
    fields.update({f"f0.1.c0.0.{k}": v for k, v in (("p", "end_date"), ("o", "is_not_empty"))})
    del fields["f0.0.c0.0.p"], fields["f0.0.c0.0.o"]
    del fields["f0.0.m"]
    shown = editor.post("/lists/new/", fields)
    assert shown.status_code == 422
    assert beside(shown, "f0.1.m") == ["Must be one of any, all, none"]
    assert beside(shown, "f0.0.p") == []

    # ….subscriptions.filters.status (set through the API, kept): above that condition's own ones
    rest = {**ENDS_KNOWN_FORM, "f0.0.rest": '{"status": ["sometimes"]}', "f0.0.keep": "1"}
    shown = editor.post("/lists/new/", rest)
    assert shown.status_code == 422
    assert card_errors(shown, "f0.0") == [
        "Must be a list of statuses: scheduled, active, past_due, paused, canceled, expired"
    ]

    # filters.groups: too many groups, above the filters
    many = {"name": "Many", "object": "contacts", "kind": "active"}
    for g in range(11):
        many.update({f"f{g}.0.p": "email", f"f{g}.0.o": "contains", f"f{g}.0.v": "a"})
    shown = editor.post("/lists/new/", many)
    assert shown.status_code == 422
    html = shown.content.decode()
    assert "Must be a list of at most 10 groups" in text(html[html.index('id="filters-heading"') :])
    assert RecordList.objects.count() == 0


JUNK: list[dict[str, Any]] = [
    {},
    {"op": "remove:99.99"},
    {"op": "cond:0.0:remove:5.5", "f0.0.m": "any"},
    {"op": "add:²"},
    {"op": "subs:0"},
    {"op": "cond:x:add_group"},
    {"op": "cond:0.0:add:9", "f0.0.p": "email"},
    {"op": "add_group", **{f"f{g}.0.p": "email" for g in range(12)}},
    {"name": "x" * 500},
    {"name": "nul\x00"},
    {"object": "", "kind": ""},
    {"object": ["contacts", "companies"], "kind": "static"},
    {"f0.0.p": "email\x00", "f0.0.o": "contains", "f0.0.v": "a"},
    {"f0.0.p": "email", "f0.0.o": "contains", "f0.0.v": "a\x00b"},
    {"f0.0.p": "email", "f0.0.o": "nope", "f0.0.v": "x" * 5000},
    {"f0.0.p": "owner", "f0.0.o": "is", "f0.0.v": "99999999999999999999999"},
    {"f0.0.p": "owner", "f0.0.o": "is", "f0.0.v": "42"},
    {"f0.0.p": "created_at", "f0.0.o": "between", "f0.0.v": "2027-01-01"},
    {"f0.0.p": "created_at", "f0.0.o": "between", "f0.0.v": "2027-02-01", "f0.0.w": "2027-01-01"},
    {"f0.0.p": "created_at", "f0.0.o": "is", "f0.0.v": "2027-13-45"},
    {"f0.0.p": "created_at", "f0.0.o": "is", "f0.0.v": "9999-12-31"},
    {"f0.0.p": "created_at", "f0.0.o": "within_last_days", "f0.0.v": "0"},
    {"f0.0.p": "created_at", "f0.0.o": "within_next_days", "f0.0.v": "-5"},
    {"f0.0.p": "created_at", "f0.0.o": "within_next_days", "f0.0.v": "99999999999999"},
    {"f0.0.m": "any", "f0.0.c0.0.p": "mrr", "f0.0.c0.0.o": "greater_than", "f0.0.c0.0.v": "1e999"},
    {"f0.0.m": "any", "f0.0.c0.0.p": "status", "f0.0.c0.0.o": "is", "f0.0.c0.0.v": "nope"},
    {"f0.0.m": "any", "f0.0.c0.0.p": "cancel_at_period_end", "f0.0.c0.0.o": "is", "f0.0.c0.0.v": "maybe"},
    {"f0.0.m": "any", "f0.0.c0.0.p": "nope", "f0.0.c0.0.o": "is"},
    {"f0.0.m": "any", "f0.0.rest": "not json", "f0.0.keep": "1"},
    {"f0.0.m": "any", "f0.0.rest": "[1, 2]", "f0.0.keep": "1"},
    {
        "f0.0.m": "any",
        "f0.0.rest": '{"next_payment_date": {"preset": "custom", "from": "x"}}',
        "f0.0.keep": "1",
    },
    {"f0.0.m": "any", "f0.0.rest": '{"q": "' + "q" * 300 + '"}', "f0.0.keep": "1"},
    {"f0.0.m": "", "f0.0.p": "email"},
    {"f0.0.m": "all" * 100},
    {
        "f0.0.m": "any",
        **{f"f0.0.c0.{i}.p": "end_date" for i in range(25)},
        **{f"f0.0.c0.{i}.o": "is_not_empty" for i in range(25)},
    },
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_posts_are_never_an_error_page(editor: Client, people: Any, junk: dict[str, Any]) -> None:
    made = make_list()
    base = {"name": "Junk", "object": "contacts", "kind": "active"}
    for url in ("/lists/new/", f"/lists/{made.pk}/edit/"):
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            answer = editor.post(url, {**base, **junk}, **extra)
            assert answer.status_code in (200, 302, 422), (url, answer.status_code)


def test_an_unknown_list_is_not_found(editor: Client) -> None:
    for url in (
        "/lists/lst_nope/",
        "/lists/lst_nope/edit/",
        "/lists/lst_nope/delete/",
        "/lists/lst_nope/snapshot/",
    ):
        assert editor.get(url).status_code == 404, url
    assert editor.post("/lists/lst_nope/members/remove/", {"id": "x"}).status_code == 404


# Roles ------------------------------------------------------------------------------------------


def test_viewers_read_lists_and_change_nothing(viewer: Client, people: Any) -> None:
    live = make_list()
    vip = make_list("VIP", kind="static")
    list_members_add(record_list=vip, ids=[people.ada.pk], actor=SYSTEM, at=clock.now())
    page = viewer.get(f"/lists/{live.pk}/")
    assert page.status_code == 200 and member_names(page) == ["Bo Lee", "Ada Lee"]
    html = page.content.decode()
    for absent in ("Save as static list", ">Edit<", ">Delete<"):
        assert absent not in html
    assert "/members/remove/" not in viewer.get(f"/lists/{vip.pk}/").content.decode()
    assert 'data-testid="bulk-list"' not in viewer.get("/contacts/").content.decode()

    before = (RecordList.objects.count(), ListMember.objects.count(), Event.objects.count())
    for url, data in [
        ("/lists/new/", ENDS_KNOWN_FORM),
        (f"/lists/{live.pk}/edit/", ENDS_KNOWN_FORM),
        (f"/lists/{live.pk}/delete/", {}),
        (f"/lists/{live.pk}/snapshot/", {"name": "Copy"}),
        (f"/lists/{vip.pk}/members/remove/", {"id": people.ada.pk}),
        ("/lists/add-members/", {"list": vip.pk, "ids": [people.bo.pk]}),
    ]:
        assert viewer.post(url, data).status_code == 403, url
        if "members" not in url:
            assert viewer.get(url).status_code == 403, url
    assert (RecordList.objects.count(), ListMember.objects.count(), Event.objects.count()) == before


# A list's page ----------------------------------------------------------------------------------


def test_members_with_the_columns_the_address_names(editor: Client, people: Any) -> None:
    made = make_list()
    url = f"/lists/{made.pk}/"
    page = editor.get(url)
    assert headers(page) == ["Name", "Email", "Company", "Owner", "Create date"]
    assert table_rows(page.content, "members-table") == [
        ["Bo Lee", "bo@example.com", "—", "—", "15 Jan 2027"],
        ["Ada Lee", "ada@example.com", "Acme", "—", "15 Jan 2027"],
    ]
    assert f'href="/companies/{people.acme.pk}/"' in page.content.decode()
    assert options(page, "add_column") == [
        "first_name",
        "last_name",
        "phone",
        "email_opt_out",
        "city",
        "country",
        "updated_at",
    ]

    added = editor.get(url, {"columns": "name,email", "column": "add", "add_column": "phone"})
    assert added.status_code == 302 and added["Location"] == f"{url}?columns=name%2Cemail%2Cphone"
    assert headers(editor.get(added["Location"])) == ["Name", "Email", "Phone"]
    moved = editor.get(url, {"columns": "name,email,phone", "column": "up:phone"})
    assert moved["Location"] == f"{url}?columns=name%2Cphone%2Cemail"
    kept = editor.get(url, {"columns": "name,email", "column": "remove:name"})
    assert kept["Location"] == f"{url}?columns=name%2Cemail"  # the name always stays
    assert headers(editor.get(url, {"columns": "email,bogus,email"})) == ["Name", "Email"]


def test_members_in_pages_keep_their_columns(editor: Client, people: Any) -> None:
    vip = make_list("VIP", kind="static")
    many = [Contact.objects.create(email=f"c{n:02}@example.com", first_name=f"C{n:02}") for n in range(30)]
    list_members_add(record_list=vip, ids=[c.pk for c in many], actor=SYSTEM, at=clock.now())
    first = editor.get(f"/lists/{vip.pk}/", {"columns": "name,email"})
    assert len(member_names(first)) == 25 and member_names(first)[0] == "C29"
    assert "30 members" in text(first.content)
    following = re.search(r'rel="next" href="([^"]*)"', first.content.decode())
    assert following is not None and "columns=name%2Cemail" in following[1]
    second = editor.get(f"/lists/{vip.pk}/" + following[1].replace("&amp;", "&"))
    assert member_names(second) == ["C04", "C03", "C02", "C01", "C00"]
    assert headers(second) == ["Name", "Email"]
    assert member_names(editor.get(f"/lists/{vip.pk}/", {"cursor": "junk"}))[0] == "C29"


def test_save_as_static_list_then_remove_a_member(editor: Client, people: Any) -> None:
    live = make_list()
    form = editor.get(f"/lists/{live.pk}/snapshot/")
    assert value_of(form, "name") == "Known end date (15 Jan 2027)"
    saved = editor.post(f"/lists/{live.pk}/snapshot/", {"name": "Renewals, January"})
    copy = RecordList.objects.get(name="Renewals, January")
    assert saved.status_code == 302 and saved["Location"] == f"/lists/{copy.pk}/"
    page = editor.get(saved["Location"])
    assert messages(page) == ["Static list saved: the members the list has now."]
    assert (copy.kind, member_names(page)) == ("static", ["Bo Lee", "Ada Lee"])
    assert copy.created_by == User.objects.get(username="editor")

    sub(people.di, "D1", end=date(2027, 12, 31))  # the active list follows; its copy does not
    assert member_names(editor.get(f"/lists/{live.pk}/")) == ["Di Lee", "Bo Lee", "Ada Lee"]
    assert member_names(editor.get(f"/lists/{copy.pk}/")) == ["Bo Lee", "Ada Lee"]

    here = f"/lists/{copy.pk}/?columns=name%2Cemail"
    removed = editor.post(f"/lists/{copy.pk}/members/remove/", {"id": people.bo.pk, "next": here})
    assert removed["Location"] == here
    page = editor.get(here)
    assert messages(page) == ["Removed from the list."]
    assert member_names(page) == ["Ada Lee"]
    assert Event.objects.filter(type="list.member_removed", object_id=copy.pk).count() == 1

    refused = editor.post(f"/lists/{live.pk}/members/remove/", {"id": people.bo.pk}, follow=True)
    assert [unescape(m) for m in messages(refused)] == [
        "An active list's members follow its filters; make a static copy to edit them by hand."
    ]
    assert editor.post(f"/lists/{live.pk}/snapshot/", {"name": ""}).status_code == 422


def test_add_to_list_from_the_contacts_page(editor: Client, people: Any) -> None:
    assert 'data-testid="bulk-list"' not in editor.get("/contacts/").content.decode()  # no static list yet
    renewals = make_list("Renewals", kind="static")
    live = make_list()
    index = editor.get("/contacts/?q=lee")
    html = index.content.decode()
    assert options(index, "list") == [renewals.pk]  # static lists of contacts only
    assert html.count('form="bulk-list"') == 4
    assert table_rows(index.content)[0] == ["Di Lee", "di@example.com", "—", "15 Jan 2027"]

    back = "/contacts/?q=lee"
    added = editor.post(
        "/lists/add-members/", {"list": renewals.pk, "ids": [people.ada.pk, people.cy.pk], "next": back}
    )
    assert added["Location"] == back
    assert messages(editor.get(back)) == ["2 added to “Renewals”."]
    assert sorted(ListMember.objects.filter(list=renewals).values_list("record_id", flat=True)) == sorted(
        [people.ada.pk, people.cy.pk]
    )
    editor.post("/lists/add-members/", {"list": renewals.pk, "ids": [people.ada.pk], "next": back})
    assert messages(editor.get(back)) == ["They were on “Renewals” already."]

    for data, said in [
        ({"list": live.pk, "ids": [people.bo.pk]}, "Choose a static list to add to."),
        ({"list": "", "ids": [people.bo.pk]}, "Choose a static list to add to."),
        ({"list": renewals.pk}, "Tick the rows to add to the list."),
        (
            {"list": renewals.pk, "ids": [people.acme.pk]},
            "Nothing was added: “Renewals” is a list of contacts; tick contacts only.",
        ),
    ]:
        refused = editor.post("/lists/add-members/", {**data, "next": "https://elsewhere.example/"})
        assert refused["Location"] == "/contacts/"
        assert messages(editor.get("/contacts/")) == [said]
    assert ListMember.objects.filter(list=renewals).count() == 2


def test_add_to_list_from_the_companies_page(editor: Client, people: Any) -> None:
    accounts = make_list("Key accounts", kind="static", object="companies")
    make_list("VIP", kind="static")  # of contacts: not offered here
    page = editor.get("/companies/")
    assert options(page, "list") == [accounts.pk]
    editor.post("/lists/add-members/", {"list": accounts.pk, "ids": [people.acme.pk], "next": "/companies/"})
    assert messages(editor.get("/companies/")) == ["1 added to “Key accounts”."]
    assert member_names(editor.get(f"/lists/{accounts.pk}/")) == ["Acme"]


def test_delete_a_list(editor: Client, people: Any) -> None:
    made = make_list()
    question = editor.get(f"/lists/{made.pk}/delete/")
    assert "Delete the list “Known end date”? Its contacts and companies stay; only the list goes." in text(
        question.content
    )
    done = editor.post(f"/lists/{made.pk}/delete/")
    assert done["Location"] == "/lists/"
    assert messages(editor.get("/lists/")) == ["List deleted."]
    assert not RecordList.objects.exists()
    assert Contact.objects.count() == 4 and Subscription.objects.count() == 4
    assert Event.objects.filter(type="list.deleted", object_id=made.pk).count() == 1
