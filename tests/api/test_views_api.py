"""/views: saved views of the subscriptions list through the API: made, read, changed, deleted, and whose.

A key's views belong to the user who made the key; a key made without one (the CLI's) makes team views.
"""

from __future__ import annotations

import pytest

from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create
from recurra.core.models import Event
from recurra.saved_views.models import SavedView
from tests.api.support import assert_problem, ok
from tests.conftest import SYSTEM, ApiClient
from tests.web.conftest import make_user

pytestmark = pytest.mark.usefixtures("frozen_clock")

BODY = {
    "name": "Unpaid annual",
    "filters": {
        "status": ["past_due"],
        "next_payment_date": {"preset": "next_30_days"},
        "groups": [
            {"conditions": [{"property": "billing_frequency", "operator": "is", "value": ["annually"]}]}
        ],
    },
    "columns": ["name", "contact", "mrr"],
    "sort": "-mrr",
}


def client_of(username: str, role: str = Role.EDITOR) -> ApiClient:
    user = make_user(role, username)
    return ApiClient(api_key_create(name=username, role=role, actor=SYSTEM, created_by=user).secret)


@pytest.fixture
def ingrid() -> ApiClient:
    return client_of("ingrid")


def test_a_view_is_saved_as_sent_and_is_its_makers(ingrid: ApiClient) -> None:
    body = ok(ingrid.post("/views", BODY), 201)
    assert body["id"].startswith("view_")
    assert {k: body[k] for k in ("name", "object", "filters", "columns", "sort", "visibility")} == {
        **BODY,
        "object": "subscriptions",
        "visibility": "private",
    }
    assert body["owner"]["name"] == "Ingrid"
    assert ok(ingrid.get(f"/views/{body['id']}")) == body
    assert [v["id"] for v in ok(ingrid.get("/views"))["data"]] == [body["id"]]
    assert (
        Event.objects.filter(type="savedview.created", object_id=body["id"], actor_type="api_key").count()
        == 1
    )


def test_filters_are_stored_in_their_one_form(ingrid: ApiClient) -> None:
    one = {"property": "status", "operator": "is", "value": "active"}  # a choice: any of, always a list
    body = ok(
        ingrid.post(
            "/views", {"name": "Active", "filters": {"status": "paused", "groups": [{"conditions": [one]}]}}
        ),
        201,
    )
    assert body["filters"] == {
        "status": ["paused"],
        "groups": [{"conditions": [{"property": "status", "operator": "is", "value": ["active"]}]}],
    }


def test_defaults_and_an_ownerless_key_makes_team_views(api: ApiClient) -> None:
    body = ok(api.post("/views", {"name": "Everything"}), 201)
    assert (body["visibility"], body["owner"], body["filters"], body["sort"]) == (
        "team",
        None,
        {},
        "next_payment_date",
    )
    assert body["columns"] == [
        "name", "contact", "company", "status", "next_payment_date", "next_payment_amount",
        "billing_frequency", "mrr", "created_at",
    ]  # fmt: skip
    assert_problem(api.post("/views", {"name": "Mine", "visibility": "private"}), 422, "visibility")


def test_bad_filters_columns_and_sort_are_422s_naming_the_place(ingrid: ApiClient) -> None:
    bad = {
        "name": "Bad",
        "filters": {"groups": [{"conditions": [{"property": "mrr", "operator": "contains", "value": "x"}]}]},
    }
    assert_problem(ingrid.post("/views", bad), 422, "filters.groups[0].conditions[0].operator")
    assert_problem(ingrid.post("/views", {"name": "Bad", "columns": ["shoe_size"]}), 422, "columns")
    assert_problem(ingrid.post("/views", {"name": "Bad", "sort": "shoe_size"}), 422, "sort")
    assert_problem(ingrid.post("/views", {"name": "Unpaid"}), 422, "name")  # a default view's name
    assert_problem(ingrid.post("/views", {"name": "Bad", "filters": {"q": "a\u0000"}}), 422, "filters.q")
    assert not SavedView.objects.exists()


def test_private_views_are_their_owners_team_views_everyones(ingrid: ApiClient) -> None:
    ola = client_of("ola")
    mine = ok(ingrid.post("/views", {**BODY, "name": "Mine"}), 201)
    ours = ok(ingrid.post("/views", {**BODY, "name": "Ours", "visibility": "team"}), 201)
    assert [v["name"] for v in ok(ola.get("/views"))["data"]] == ["Ours"]
    assert_problem(ola.get(f"/views/{mine['id']}"), 404)
    assert_problem(ola.patch(f"/views/{ours['id']}", {"name": "Taken"}), 403)
    assert_problem(ola.delete(f"/views/{ours['id']}"), 403)
    admin = client_of("boss", Role.SUPER_ADMIN)
    assert ok(admin.patch(f"/views/{ours['id']}", {"name": "Team unpaid"}))["name"] == "Team unpaid"


def test_patch_changes_only_what_is_sent_and_delete_removes(ingrid: ApiClient) -> None:
    view = ok(ingrid.post("/views", BODY), 201)
    changed = ok(ingrid.patch(f"/views/{view['id']}", {"sort": "name", "visibility": "team"}))
    assert (changed["sort"], changed["visibility"], changed["filters"]) == ("name", "team", BODY["filters"])
    assert_problem(ingrid.patch(f"/views/{view['id']}", {"name": None}), 422, "name")
    assert ingrid.delete(f"/views/{view['id']}").status_code == 204
    assert_problem(ingrid.get(f"/views/{view['id']}"), 404)


def test_a_viewer_key_reads_but_does_not_write(ingrid: ApiClient) -> None:
    ok(ingrid.post("/views", {**BODY, "visibility": "team"}), 201)
    viewer = client_of("vera", Role.VIEWER)
    assert len(ok(viewer.get("/views"))["data"]) == 1
    assert_problem(viewer.post("/views", BODY), 403)
