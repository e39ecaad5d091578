"""The Owner property (subscriptions.properties): filtered by user id, shown, sorted and exported
by name, in saved views' filters, the index's advanced filter and every export.

Frozen at 2027-01-15 09:30 UTC. Four subscriptions of Ada (contact):

    name     owner
    Alpha    Ada Lovelace (user "ada")
    Bravo    bob (a user without a name: shown by username)
    Charlie  —
    Delta    Ada Lovelace
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict

from recurra.accounts.models import User
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.crm.models import Contact
from recurra.saved_views.listing import index_page, matching
from recurra.saved_views.spec import (
    Filters,
    Sort,
    Spec,
    filters_json,
    operators_for,
    parse_filters,
    stored_filters,
)
from recurra.subscriptions.properties import PROPERTIES
from recurra.web import index_state
from tests.services.test_exports import ALL, exported, read_csv
from tests.web.test_subscription_pages import make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Any) -> Any:
    settings.RECURRA_DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def book(db: None) -> SimpleNamespace:
    ada = User.objects.create(username="ada", first_name="Ada", last_name="Lovelace")
    bob = User.objects.create(username="bob")
    contact = Contact.objects.create(email="ada@example.com", first_name="Ada")
    subs = {
        name: make_subscription(contact, name=name, owner=owner)
        for name, owner in (("Alpha", ada), ("Bravo", bob), ("Charlie", None), ("Delta", ada))
    }
    return SimpleNamespace(ada=ada, bob=bob, **{k.lower(): v for k, v in subs.items()})


def named(*conditions: dict[str, Any]) -> list[str]:
    filters = parse_filters({"groups": [{"conditions": list(conditions)}]})
    return sorted(s.name for s in matching(filters, at=clock.now()))


def test_owner_filters_by_user_any_of_not_and_empty(book: Any) -> None:
    assert named({"property": "owner", "operator": "is", "value": book.ada.pk}) == ["Alpha", "Delta"]
    assert named({"property": "owner", "operator": "is", "value": [book.ada.pk, book.bob.pk]}) == [
        "Alpha",
        "Bravo",
        "Delta",
    ]
    # "is not" Ada: Bob's and the one without an owner
    assert named({"property": "owner", "operator": "is_not", "value": [book.ada.pk]}) == ["Bravo", "Charlie"]
    assert named({"property": "owner", "operator": "is_empty"}) == ["Charlie"]
    assert named({"property": "owner", "operator": "is_not_empty"}) == ["Alpha", "Bravo", "Delta"]
    assert named({"property": "owner", "operator": "is", "value": 999_999}) == []
    assert operators_for(PROPERTIES["owner"]) == ("is", "is_not", "is_empty", "is_not_empty")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"operator": "contains", "value": "Ada"},
            "for owner must be one of is, is_not, is_empty, is_not_empty",
        ),
        ({"operator": "is", "value": "ada"}, "must be the id of a user (GET /users)"),
        ({"operator": "is", "value": True}, "must be the id of a user (GET /users)"),
        ({"operator": "is", "value": 0}, "must be the id of a user (GET /users)"),
        ({"operator": "is", "value": 2**63}, "must be the id of a user (GET /users)"),
        ({"operator": "is", "value": []}, "is takes 1 to 20 values"),
        ({"operator": "is_empty", "value": 3}, "is empty takes no value"),
    ],
)
def test_a_bad_owner_condition_is_a_422_naming_its_place(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_filters({"groups": [{"conditions": [{"property": "owner", **condition}]}]})
    assert [e.message for e in refused.value.errors] == [message]
    assert stored_filters({"groups": [{"conditions": [{"property": "owner", **condition}]}]}).groups == ((),)


def test_owner_filters_round_trip_as_json_with_a_list(book: Any) -> None:
    filters = parse_filters(
        {"groups": [{"conditions": [{"property": "owner", "operator": "is", "value": 7}]}]}
    )
    assert filters_json(filters) == {
        "groups": [{"conditions": [{"property": "owner", "operator": "is", "value": [7]}]}]
    }
    assert parse_filters(filters_json(filters)) == filters


def test_the_index_sorts_and_shows_owners_by_name_without_one_last(book: Any) -> None:
    spec = Spec(Filters(), ("name", "owner"), Sort("owner"))
    page = index_page(spec, at=clock.now())
    assert [(s.name, PROPERTIES["owner"].of(s)) for s in page.data] == [
        ("Alpha", "Ada Lovelace"),  # then by id
        ("Delta", "Ada Lovelace"),
        ("Bravo", "bob"),
        ("Charlie", None),
    ]
    backwards = index_page(Spec(Filters(), ("name", "owner"), Sort("owner", descending=True)), at=clock.now())
    assert [s.name for s in backwards.data] == ["Bravo", "Delta", "Alpha", "Charlie"]


def test_the_index_editor_reads_ticked_users_as_ids(book: Any) -> None:
    data = QueryDict(mutable=True)
    data.update({"edited": "1", "c0.0.p": "owner", "c0.0.o": "is"})
    data.setlist("c0.0.v", [str(book.ada.pk), str(book.bob.pk)])
    state = index_state.read(data, view_id="all", view_spec=Spec(), currency="USD")
    (row,) = state.rows[0]
    assert (row.error, row.condition and row.condition.values) == ("", (book.ada.pk, book.bob.pk))
    data.setlist("c0.0.v", ["ada"])
    (bad,) = index_state.read(data, view_id="all", view_spec=Spec(), currency="USD").rows[0]
    assert (bad.error, bad.condition) == ("Choose a user.", None)


def test_exports_name_the_owner_in_a_column_of_its_own(book: Any) -> None:
    bravo = book.bravo
    bravo.owner.username = "=2+3"  # a name that reads as a formula is guarded like any typed text
    bravo.owner.save()
    source = replace(ALL, spec=Spec(Filters(), ("name", "owner"), Sort("name")))
    rows = read_csv(exported("csv", source=source))
    assert rows == [
        ["Name", "Owner"],
        ["Alpha", "Ada Lovelace"],
        ["Bravo", "'=2+3"],
        ["Charlie", ""],
        ["Delta", "Ada Lovelace"],
    ]
    everything = read_csv(exported("csv", scope="all_properties", language="nb"))
    assert "Eier" in everything[0]
    column = everything[0].index("Eier")
    assert sorted(row[column] for row in everything[1:]) == ["", "'=2+3", "Ada Lovelace", "Ada Lovelace"]
