"""/companies: create, read, update, delete, search by name or domain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.core import clock
from recurra.crm.models import Company
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")

EMPTY_ADDRESS = {"line1": "", "line2": "", "city": "", "state": "", "postal_code": "", "country": ""}


def test_create_returns_the_company(api):
    body = ok(
        api.post("/companies", {"name": " Acme ", "domain": "https://www.Acme.test/", "phone": "555"}), 201
    )

    assert body["id"].startswith("com_")
    assert body == {
        "id": body["id"],
        "name": "Acme",
        "domain": "acme.test",
        "phone": "555",
        "address": EMPTY_ADDRESS,
        "owner_id": None,
        "created_at": T0_TEXT,
        "updated_at": T0_TEXT,
    }
    assert ok(api.get(f"/companies/{body['id']}")) == body


@pytest.mark.parametrize("domain", ["not a domain", "acme", "-acme.test", "acme..test", "ac_me.test"])
def test_invalid_domain_is_a_422(api, domain):
    assert_problem(api.post("/companies", {"name": "Acme", "domain": domain}), 422, "domain")
    assert not Company.objects.exists()


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_is_a_422(api, name):
    assert_problem(api.post("/companies", {"name": name}), 422, "name")
    assert not Company.objects.exists()


def test_name_is_required(api):
    body = assert_problem(api.post("/companies", {"domain": "acme.test"}), 422, "name")

    assert body["errors"] == [{"field": "name", "message": "is required"}]


def test_patch_changes_only_what_it_sends(api, make):
    acme = make("companies", name="Acme", domain="acme.test", address={"city": "Oslo"})
    clock.freeze(T0 + timedelta(minutes=5))

    body = ok(api.patch(f"/companies/{acme['id']}", {"name": "Acme Inc", "address": {"postal_code": "0150"}}))

    assert body == {
        **acme,
        "name": "Acme Inc",
        "address": {**EMPTY_ADDRESS, "city": "Oslo", "postal_code": "0150"},
        "updated_at": "2027-01-15T09:35:00Z",
    }


def test_patch_clears_the_domain_with_an_empty_string(api, make):
    acme = make("companies", name="Acme", domain="acme.test")

    assert ok(api.patch(f"/companies/{acme['id']}", {"domain": ""}))["domain"] == ""


@pytest.mark.parametrize("field", ["name", "domain", "phone", "address"])
def test_patch_refuses_null(api, make, field):
    acme = make("companies", name="Acme", domain="acme.test")

    assert_problem(api.patch(f"/companies/{acme['id']}", {field: None}), 422, field)
    assert ok(api.get(f"/companies/{acme['id']}")) == acme


def test_delete_keeps_its_contacts_and_deals_without_it(api, make):
    acme = make("companies", name="Acme")
    ada = make("contacts", email="ada@acme.test", company_id=acme["id"])
    deal = make("deals", name="Big one", company_id=acme["id"], contact_id=ada["id"])

    response = api.delete(f"/companies/{acme['id']}")

    assert (response.status_code, response.content) == (204, b"")
    assert_problem(api.get(f"/companies/{acme['id']}"), 404)
    assert ok(api.get(f"/contacts/{ada['id']}"))["company_id"] is None
    assert ok(api.get(f"/deals/{deal['id']}"))["company_id"] is None
    assert ok(api.get(f"/deals/{deal['id']}"))["contact_id"] == ada["id"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", ["acme"]),
        ("GLOBEX", ["globex"]),
        ("globex.test", ["globex"]),
        ("corp", ["initech", "globex"]),
        ("globex corp", ["globex"]),
        ("nothing", []),
    ],
)
def test_search_by_name_or_domain(api, make, q, expected):
    made = {
        "acme": make("companies", name="Acme", domain="acme.test"),
        "globex": make("companies", name="Globex Corp", domain="globex.test"),
        "initech": make("companies", name="Initech", domain="initech-corp.test"),
    }

    found = ok(api.get("/companies", q=q))["data"]

    assert [c["id"] for c in found] == [made[name]["id"] for name in expected]
