"""/contacts/{id}/payment-methods: save from a gateway token, list; editors write, viewers read."""

from __future__ import annotations

import pytest

from recurra.core.models import Event
from recurra.payments.models import PaymentMethod
from tests.api.support import T0_TEXT, assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")


@pytest.fixture
def contact(make):
    return make("contacts", email="ada@example.com")


def path(contact_id: str) -> str:
    return f"/contacts/{contact_id}/payment-methods"


def test_save_a_card(api, contact):
    body = ok(api.post(path(contact["id"]), {"token": "tok_visa"}), 201)

    assert body["id"].startswith("pm_")
    assert body == {
        "id": body["id"],
        "contact_id": contact["id"],
        "type": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 1,
        "exp_year": 2030,
        "created_at": T0_TEXT,
    }
    assert Event.objects.filter(object_id=body["id"], type="paymentmethod.created").count() == 1


def test_save_a_bank_debit(api, contact):
    body = ok(api.post(path(contact["id"]), {"token": "tok_ach_fail"}), 201)

    assert (body["type"], body["brand"], body["last4"], body["exp_month"], body["exp_year"]) == (
        "ach",
        "Test Bank",
        "2227",
        None,
        None,
    )


def test_list_newest_first_with_paging(api, contact, make):
    other = make("contacts", email="grace@example.com")
    ids = [
        ok(api.post(path(contact["id"]), {"token": t}), 201)["id"]
        for t in ("tok_visa", "tok_ach", "tok_decline")
    ]
    ok(api.post(path(other["id"]), {"token": "tok_visa"}), 201)

    page = ok(api.get(path(contact["id"]), limit=2))
    rest = ok(api.get(path(contact["id"]), limit=2, cursor=page["next_cursor"]))

    assert [m["id"] for m in page["data"]] == ids[:0:-1] and page["has_more"] is True
    assert [m["id"] for m in rest["data"]] == ids[:1] and rest["has_more"] is False
    assert rest["data"][0]["brand"] == "visa"


@pytest.mark.parametrize("token", ["tok_nope", "4242424242424242"])
def test_an_unknown_token_is_a_422_on_token(api, contact, token):
    assert_problem(api.post(path(contact["id"]), {"token": token}), 422, "token")
    assert not PaymentMethod.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"token": ""}, {"token": None}, {"token": "tok_visa", "number": "4242"}]
)
def test_a_malformed_body_is_a_422(api, contact, body):
    assert_problem(api.post(path(contact["id"]), body), 422)
    assert not PaymentMethod.objects.exists()


def test_an_unknown_contact_is_a_404(api):
    assert_problem(api.post(path("con_missing"), {"token": "tok_visa"}), 404)
    assert_problem(api.get(path("con_missing")), 404)
    assert not PaymentMethod.objects.exists()


def test_editors_write_and_viewers_only_read(api_as, contact):
    viewer, editor = api_as("viewer"), api_as("editor")

    assert_problem(viewer.post(path(contact["id"]), {"token": "tok_visa"}), 403)
    assert not PaymentMethod.objects.exists()
    created = ok(editor.post(path(contact["id"]), {"token": "tok_visa"}), 201)
    assert [m["id"] for m in ok(viewer.get(path(contact["id"])))["data"]] == [created["id"]]
    assert_problem(api_as(None).get(path(contact["id"])), 401)


def test_an_idempotency_key_replays_the_saved_method(api, contact):
    headers = {"Idempotency-Key": "save-card-1"}

    first = api.post(path(contact["id"]), {"token": "tok_visa"}, headers=headers)
    again = api.post(path(contact["id"]), {"token": "tok_visa"}, headers=headers)

    assert ok(again, 201) == ok(first, 201) and again["Idempotent-Replayed"] == "true"
    assert PaymentMethod.objects.count() == 1
