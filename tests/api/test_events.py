"""The audit trail: every change made through the API is an event naming the API key, before and after."""

from __future__ import annotations

import pytest

from recurra.accounts.roles import Role
from recurra.core.models import Event
from tests.api.support import T0_TEXT, assert_problem, key_of, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")


def events(api, **params):
    return ok(api.get("/events", **params))["data"]


def actor_of(client):
    key = key_of(client)
    return {"type": "api_key", "id": key.pk, "name": key.name}


def test_create_update_delete_write_events_with_the_key_as_actor(api, api_as):
    editor = api_as(Role.EDITOR)
    ada = ok(editor.post("/contacts", {"email": "ada@example.com", "first_name": "Ada"}), 201)
    ok(editor.patch(f"/contacts/{ada['id']}", {"first_name": "Augusta", "last_name": "King"}))
    assert editor.delete(f"/contacts/{ada['id']}").status_code == 204

    deleted, updated, created = events(api, object_id=ada["id"])

    assert [e["type"] for e in (created, updated, deleted)] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    for event in (created, updated, deleted):
        assert event["id"].startswith("evt_")
        assert (event["object_type"], event["object_id"]) == ("contact", ada["id"])
        assert event["actor"] == actor_of(editor)
        assert event["created_at"] == T0_TEXT
    assert created["data"]["after"] | {} == {
        "id": ada["id"],
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "",
        "phone": "",
        "company_id": None,
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "country": "",
        "owner_id": None,
        "email_opt_out": False,
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert "before" not in created["data"]
    assert updated["data"] == {
        "before": {"first_name": "Ada", "last_name": ""},
        "after": {"first_name": "Augusta", "last_name": "King"},
    }
    assert set(deleted["data"]) == {"before"}
    assert deleted["data"]["before"]["first_name"] == "Augusta"


def test_a_change_that_changes_nothing_writes_no_event(api, make):
    ada = make("contacts", email="ada@example.com", first_name="Ada")

    ok(api.patch(f"/contacts/{ada['id']}", {"first_name": "Ada"}))
    ok(api.patch(f"/contacts/{ada['id']}", {}))

    assert [e["type"] for e in events(api, object_id=ada["id"])] == ["contact.created"]


def test_refused_requests_write_no_event(api, api_as, make):
    ada = make("contacts", email="ada@example.com")
    viewer = api_as(Role.VIEWER)
    before = Event.objects.count()

    assert_problem(api.patch(f"/contacts/{ada['id']}", {"email": "nope"}), 422)
    assert_problem(viewer.delete(f"/contacts/{ada['id']}"), 403)
    assert_problem(api.post("/companies", {"name": ""}), 422)

    assert Event.objects.count() == before


def test_deal_line_items_are_in_the_trail(api, product):
    deal = ok(
        api.post("/deals", {"name": "Deal", "line_items": [{"product_id": product["id"], "quantity": 2}]}),
        201,
    )
    ok(api.patch(f"/deals/{deal['id']}", {"line_items": []}))

    deal_updated, removed, added, created = events(api, object_id=deal["id"])

    assert [e["type"] for e in (created, added, removed, deal_updated)] == [
        "deal.created",
        "deal.line_items_replaced",
        "deal.line_items_replaced",
        "deal.updated",
    ]
    assert created["data"]["after"]["amount"] == 3998
    assert added["data"]["before"] == {"line_items": []}
    (line,) = added["data"]["after"]["line_items"]
    assert (line["product_id"], line["name"], line["unit_amount"], line["quantity"]) == (
        product["id"],
        "Pro plan",
        1999,
        2,
    )
    assert removed["data"] == {"before": added["data"]["after"], "after": {"line_items": []}}
    assert deal_updated["data"] == {"before": {"amount": 3998}, "after": {"amount": 0}}


def test_product_archive_and_restore_are_events(api, product):
    ok(api.post(f"/products/{product['id']}/archive"))
    ok(api.patch(f"/products/{product['id']}", {"archived": False}))

    restored, archived, _ = events(api, object_id=product["id"])

    assert (archived["type"], archived["data"]) == (
        "product.archived",
        {"before": {"archived_at": None}, "after": {"archived_at": T0_TEXT}},
    )
    assert (restored["type"], restored["data"]) == (
        "product.unarchived",
        {"before": {"archived_at": T0_TEXT}, "after": {"archived_at": None}},
    )


def test_filter_by_object_and_type(api, make):
    ada = make("contacts", email="ada@example.com")
    grace = make("contacts", email="grace@example.com")
    acme = make("companies", name="Acme")
    ok(api.patch(f"/contacts/{ada['id']}", {"first_name": "Ada"}))

    def ids(**params):
        return [(e["type"], e["object_id"]) for e in events(api, **params)]

    assert ids(type="contact.created") == [("contact.created", grace["id"]), ("contact.created", ada["id"])]
    assert ids(type="contact.updated") == [("contact.updated", ada["id"])]
    assert ids(object_id=acme["id"]) == [("company.created", acme["id"])]
    assert ids(object_id=ada["id"], type="contact.created") == [("contact.created", ada["id"])]
    assert ids(type="nothing.happened") == []
    assert ids(object_id="con_unknown") == []
