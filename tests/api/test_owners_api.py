"""Owners in the API: owner_id on subscriptions, contacts, companies and deals; GET /users."""

from __future__ import annotations

import pytest

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.core.models import Event
from recurra.notifications.models import EmailMessage
from recurra.subscriptions.models import Subscription
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")


@pytest.fixture
def ada(db) -> User:
    return User.objects.create(
        username="ada", first_name="Ada", last_name="Lovelace", email="ada@example.com", role="editor"
    )


@pytest.fixture
def bob(db) -> User:
    return User.objects.create(username="bob", role="viewer")


@pytest.fixture
def gone(db) -> User:
    return User.objects.create(username="gone", first_name="Old", last_name="Timer", is_active=False)


def owner_updates(object_id: str) -> list[tuple[dict, dict]]:
    found = Event.objects.filter(object_id=object_id, type__endswith=".updated").order_by("created_at", "id")
    return [(e.data["before"], e.data["after"]) for e in found if "owner_id" in e.data.get("after", {})]


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("contacts", {"email": "cy@example.com"}),
        ("companies", {"name": "Acme"}),
        ("deals", {"name": "Big deal"}),
    ],
)
def test_crm_records_round_trip_their_owner(api, ada, bob, resource, body):
    made = ok(api.post(f"/{resource}", {**body, "owner_id": ada.pk}), 201)
    assert made["owner_id"] == ada.pk
    assert ok(api.get(f"/{resource}/{made['id']}"))["owner_id"] == ada.pk

    changed = ok(api.patch(f"/{resource}/{made['id']}", {"owner_id": bob.pk}))
    assert changed["owner_id"] == bob.pk
    unset = ok(api.patch(f"/{resource}/{made['id']}", {"owner_id": None}))
    assert unset["owner_id"] is None
    untouched = ok(api.patch(f"/{resource}/{made['id']}", {}))  # left out: kept
    assert untouched["owner_id"] is None
    assert owner_updates(made["id"]) == [
        ({"owner_id": ada.pk}, {"owner_id": bob.pk}),
        ({"owner_id": bob.pk}, {"owner_id": None}),
    ]

    others = ok(
        api.post(f"/{resource}", {**body, "email": "dee@example.com"} if "email" in body else body), 201
    )
    ok(api.patch(f"/{resource}/{others['id']}", {"owner_id": ada.pk}))
    listed = ok(api.get(f"/{resource}", owner_id=ada.pk))["data"]
    assert [row["id"] for row in listed] == [others["id"]]
    assert ok(api.get(f"/{resource}"))["data"][0]["owner_id"] == ada.pk


@pytest.mark.parametrize("resource", ["contacts", "companies", "deals", "subscriptions"])
def test_an_unknown_deactivated_or_malformed_owner_is_a_422(api, sub, gone, resource):
    target = sub["id"] if resource == "subscriptions" else None
    if target is None:
        first = {"contacts": {"email": "eve@example.com"}, "companies": {"name": "X"}, "deals": {"name": "Y"}}
        target = ok(api.post(f"/{resource}", first[resource]), 201)["id"]
    before = Event.objects.count()
    for owner_id in (999_999, gone.pk):
        body = assert_problem(api.patch(f"/{resource}/{target}", {"owner_id": owner_id}), 422, "owner_id")
        assert body["errors"][0]["message"] in ("no user 999999", f"user {gone.pk} is deactivated")
    for owner_id in ("1", 1.5, True, 0, -3, 2**64):
        assert_problem(api.patch(f"/{resource}/{target}", {"owner_id": owner_id}), 422)
    assert_problem(api.get(f"/{resource}", owner_id="me"), 422)
    assert_problem(api.get(f"/{resource}", owner_id=str(2**64)), 422)
    assert Event.objects.count() == before


def test_a_subscription_round_trips_its_owner_without_an_edit(api, make, ada, bob, sub):
    contact_id = sub["contact_id"]
    line = {"name": "Seats", "unit_amount": 900, "currency": "USD", "billing_frequency": "monthly"}
    made = make(
        "subscriptions",
        contact_id=contact_id,
        line_items=[line],
        collection_method="send_invoice",
        payment_terms="net_30",
        owner_id=ada.pk,
    )
    assert made["owner_id"] == ada.pk and made["subscriptions"][0]["owner_id"] == ada.pk
    assert ok(api.get(f"/subscriptions/{made['id']}"))["owner_id"] == ada.pk

    body = ok(api.patch(f"/subscriptions/{sub['id']}", {"owner_id": bob.pk}))
    assert (body["owner_id"], body["changed"], body["proration"]) == (bob.pk, ["owner_id"], None)
    assert EmailMessage.objects.filter(kind="subscription_changed").count() == 0
    assert owner_updates(sub["id"]) == [({"owner_id": None}, {"owner_id": bob.pk})]
    listed = ok(api.get("/subscriptions", owner_id=bob.pk))["data"]
    assert [row["id"] for row in listed] == [sub["id"]]

    # previewed: what would change, nothing saved
    preview = ok(api.post(f"/subscriptions/{sub['id']}/preview-change", {"owner_id": None}))
    assert (preview["owner_id"], preview["changed"]) == (None, ["owner_id"])
    assert Subscription.objects.get(pk=sub["id"]).owner_id == bob.pk


def test_a_canceled_subscription_changes_owner_but_no_more(api, ada, sub):
    ok(api.post(f"/subscriptions/{sub['id']}/cancel", {"confirm": True, "when": "now"}))
    assert ok(api.patch(f"/subscriptions/{sub['id']}", {"owner_id": ada.pk}))["owner_id"] == ada.pk
    assert_problem(api.patch(f"/subscriptions/{sub['id']}", {"owner_id": None, "name": "Renamed"}), 409)
    assert Subscription.objects.get(pk=sub["id"]).owner_id == ada.pk


def test_an_edit_with_the_owner_saves_both(api, ada, sub):
    body = ok(api.patch(f"/subscriptions/{sub['id']}", {"owner_id": ada.pk, "name": "Gold"}))
    assert (body["name"], body["owner_id"], body["changed"]) == ("Gold", ada.pk, ["name", "owner_id"])
    (email,) = EmailMessage.objects.filter(kind="subscription_changed")
    assert email.data["changed"] == ["name"]


def test_a_viewer_key_lists_the_active_users(api_as, ada, bob, gone):
    viewer = api_as(Role.VIEWER)
    body = ok(viewer.get("/users"))
    assert body == {
        "data": [
            {"id": bob.pk, "name": "bob", "email": "", "role": "viewer"},
            {"id": ada.pk, "name": "Ada Lovelace", "email": "ada@example.com", "role": "editor"},
        ],
        "has_more": False,
        "next_cursor": None,
    }
    everyone = ok(viewer.get("/users", include_deactivated="true"))["data"]
    assert [u["id"] for u in everyone] == [gone.pk, bob.pk, ada.pk]
    first = ok(viewer.get("/users", limit=1))
    assert (len(first["data"]), first["has_more"]) == (1, True)
    rest = ok(viewer.get("/users", limit=1, cursor=first["next_cursor"]))
    assert [u["id"] for u in rest["data"]] == [ada.pk]
    assert_problem(api_as(None).get("/users"), 401)
    assert viewer.post("/users", {}).status_code == 405


def test_a_viewer_key_may_not_assign(api_as, ada, sub):
    assert_problem(api_as(Role.VIEWER).patch(f"/subscriptions/{sub['id']}", {"owner_id": ada.pk}), 403)
    assert Subscription.objects.get(pk=sub["id"]).owner_id is None
