"""/contacts: create, read, update, delete, search; the email is unique whatever its case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.core import clock
from recurra.crm.models import Contact
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

EMPTY_ADDRESS = {"line1": "", "line2": "", "city": "", "state": "", "postal_code": "", "country": ""}


def test_create_returns_the_contact_with_defaults(api):
    body = ok(api.post("/contacts", {"email": "  ada@example.com ", "first_name": " Ada "}), 201)

    assert body["id"].startswith("con_")
    assert body == {
        "id": body["id"],
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "",
        "phone": "",
        "address": EMPTY_ADDRESS,
        "company_id": None,
        "owner_id": None,
        "email_opt_out": False,
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert ok(api.get(f"/contacts/{body['id']}")) == body


def test_create_with_address_and_company(api, make):
    company = make("companies", name="Acme")
    address = {"line1": "1 Main St", "city": "Oslo", "postal_code": "0150", "country": "no"}

    body = ok(
        api.post(
            "/contacts",
            {
                "email": "ada@acme.test",
                "phone": "+47 22 00 00 00",
                "address": address,
                "company_id": company["id"],
            },
        ),
        201,
    )

    assert body["address"] == {**EMPTY_ADDRESS, **address, "country": "NO"}
    assert body["company_id"] == company["id"]
    assert body["phone"] == "+47 22 00 00 00"


@pytest.mark.parametrize("other", ["ADA@example.com", "ada@EXAMPLE.COM", " Ada@Example.Com "])
def test_email_is_unique_whatever_its_case(api, make, other):
    make("contacts", email="Ada@Example.com")

    assert_problem(api.post("/contacts", {"email": other}), 422, "email")
    assert Contact.objects.count() == 1


def test_patch_to_another_contacts_email_in_other_case_is_refused(api, make):
    make("contacts", email="ada@example.com")
    grace = make("contacts", email="grace@example.com")

    assert_problem(api.patch(f"/contacts/{grace['id']}", {"email": "ADA@example.com"}), 422, "email")
    assert Contact.objects.get(pk=grace["id"]).email == "grace@example.com"


def test_patch_may_change_the_case_of_its_own_email(api, make):
    ada = make("contacts", email="ada@example.com")

    assert ok(api.patch(f"/contacts/{ada['id']}", {"email": "Ada@Example.com"}))["email"] == "Ada@Example.com"


def test_patch_changes_only_what_it_sends(api, make):
    ada = make(
        "contacts",
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        address={"city": "London"},
    )
    clock.freeze(T0 + timedelta(hours=1))

    body = ok(api.patch(f"/contacts/{ada['id']}", {"first_name": "Augusta", "address": {"country": "gb"}}))

    assert body == {
        **ada,
        "first_name": "Augusta",
        "address": {**EMPTY_ADDRESS, "city": "London", "country": "GB"},
        "updated_at": "2027-01-15T10:30:00Z",
    }
    assert ok(api.get(f"/contacts/{ada['id']}")) == body


def test_patch_with_an_empty_body_changes_nothing(api, make):
    ada = make("contacts", email="ada@example.com", first_name="Ada")

    assert ok(api.patch(f"/contacts/{ada['id']}", {})) == ada


@pytest.mark.parametrize("field", ["email", "first_name", "last_name", "phone", "address", "email_opt_out"])
def test_patch_refuses_null_for_a_field_that_cannot_be_empty(api, make, field):
    ada = make("contacts", email="ada@example.com", first_name="Ada")

    assert_problem(api.patch(f"/contacts/{ada['id']}", {field: None}), 422, field)
    assert ok(api.get(f"/contacts/{ada['id']}")) == ada


def test_company_is_set_and_cleared(api, make):
    company = make("companies", name="Acme")
    ada = make("contacts", email="ada@example.com")

    assert (
        ok(api.patch(f"/contacts/{ada['id']}", {"company_id": company["id"]}))["company_id"] == company["id"]
    )
    assert ok(api.patch(f"/contacts/{ada['id']}", {"company_id": None}))["company_id"] is None


def test_unknown_company_is_a_422_and_changes_nothing(api, make):
    ada = make("contacts", email="ada@example.com")

    assert_problem(
        api.post("/contacts", {"email": "b@example.com", "company_id": "com_nope"}), 422, "company_id"
    )
    assert_problem(api.patch(f"/contacts/{ada['id']}", {"company_id": "com_nope"}), 422, "company_id")
    assert list(Contact.objects.values_list("email", "company_id")) == [("ada@example.com", None)]


@pytest.mark.parametrize("email", ["not-an-email", "", "   ", "a@b@c.test"])
def test_invalid_email_is_a_422(api, email):
    assert_problem(api.post("/contacts", {"email": email}), 422, "email")
    assert not Contact.objects.exists()


def test_invalid_country_is_a_422_naming_the_address_part(api):
    assert_problem(
        api.post("/contacts", {"email": "a@b.test", "address": {"country": "1x"}}), 422, "address.country"
    )


def test_delete_removes_the_contact(api, make):
    ada = make("contacts", email="ada@example.com")

    response = api.delete(f"/contacts/{ada['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response
    assert_problem(api.get(f"/contacts/{ada['id']}"), 404)
    assert_problem(api.delete(f"/contacts/{ada['id']}"), 404)
    assert not Contact.objects.exists()


def test_deleting_a_contact_keeps_its_deals_without_it(api, make):
    ada = make("contacts", email="ada@example.com")
    deal = make("deals", name="Big one", contact_id=ada["id"])

    assert api.delete(f"/contacts/{ada['id']}").status_code == 204

    assert ok(api.get(f"/deals/{deal['id']}"))["contact_id"] is None


@pytest.fixture
def people(make):
    acme = make("companies", name="Acme")
    return {
        "ada": make(
            "contacts", email="ada@acme.test", first_name="Ada", last_name="Lovelace", company_id=acme["id"]
        ),
        "grace": make("contacts", email="grace@navy.test", first_name="Grace", last_name="Hopper"),
        "alan": make("contacts", email="turing@acme.test", first_name="Alan", last_name="Turing"),
        "acme": acme,
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ada", ["ada"]),
        ("LOVELACE", ["ada"]),
        ("hopper", ["grace"]),
        ("acme.test", ["alan", "ada"]),
        ("navy", ["grace"]),
        ("ada lovelace", ["ada"]),
        ("ada hopper", []),
        ("nobody", []),
    ],
)
def test_search_by_name_or_email(api, people, q, expected):
    found = ok(api.get("/contacts", q=q))["data"]

    assert [c["id"] for c in found] == [people[name]["id"] for name in expected]


def test_filter_by_company(api, people):
    found = ok(api.get("/contacts", company_id=people["acme"]["id"]))

    assert found == {"data": [people["ada"]], "has_more": False, "next_cursor": None}


def test_email_opt_out_is_set_on_create_and_by_patch_with_its_audit_event(api, make):
    from recurra.core.models import Event

    out = make("contacts", email="out@example.com", email_opt_out=True)
    assert out["email_opt_out"] is True
    ada = make("contacts", email="ada@example.com")

    body = ok(api.patch(f"/contacts/{ada['id']}", {"email_opt_out": True}))

    assert body == {**ada, "email_opt_out": True}
    event = Event.objects.get(object_id=ada["id"], type="contact.updated")
    assert event.data == {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}}
    assert ok(api.get("/contacts"))["data"][0]["email_opt_out"] is True


@pytest.mark.parametrize("value", ["yes", 1, "true", []])
def test_email_opt_out_is_true_or_false_only(api, make, value):
    ada = make("contacts", email="ada@example.com")

    assert_problem(api.patch(f"/contacts/{ada['id']}", {"email_opt_out": value}), 422, "email_opt_out")
    assert_problem(
        api.post("/contacts", {"email": "b@example.com", "email_opt_out": value}), 422, "email_opt_out"
    )
    assert ok(api.get(f"/contacts/{ada['id']}"))["email_opt_out"] is False
