"""Bad input is a 4xx application/problem+json naming the field, and changes nothing.

Malformed JSON is a 400 (the body cannot be read at all); everything that
parses but is wrong is a 422 whose ``errors`` name each field.
"""

from __future__ import annotations

import pytest

from recurra.catalog.models import Product
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal
from tests.api.support import assert_problem, ok

pytestmark = pytest.mark.usefixtures("frozen_clock")

LONG = "x" * 201
PRODUCT = {"name": "P", "unit_amount": 100, "currency": "USD"}


def nothing_written() -> bool:
    models = (Contact, Company, Deal, Product)
    return (
        not any(m.objects.exists() for m in models)
        and not Event.objects.exclude(type="api_key.created").exists()
    )


@pytest.mark.parametrize("path", ["/contacts", "/companies", "/deals", "/products"])
@pytest.mark.parametrize("body", ["{", '{"name": "x",}', "not json", "\xff\xfe", '{"a": 1} trailing'])
def test_malformed_json_is_a_400_naming_the_body(api, path, body):
    problem = assert_problem(api.post(path, body), 400, "body")

    assert problem["type"] == "urn:recurra:problem:bad-request"
    assert nothing_written()


@pytest.mark.parametrize("path", ["/contacts", "/companies", "/deals", "/products"])
@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_422_naming_the_body(api, path, body):
    assert_problem(api.post(path, body), 422, "body")
    assert nothing_written()


def test_an_empty_body_is_a_422_naming_the_body(api):
    body = assert_problem(api.post("/contacts", ""), 422, "body")

    assert body["errors"] == [{"field": "body", "message": "is required"}]


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        # wrong types
        ("/contacts", {"email": 42}, ["email"]),
        ("/contacts", {"email": "a@b.test", "first_name": ["Ada"]}, ["first_name"]),
        ("/contacts", {"email": "a@b.test", "address": "Oslo"}, ["address"]),
        ("/deals", {"name": "D", "close_date": "next week"}, ["close_date"]),
        ("/deals", {"name": "D", "close_date": 0}, ["close_date"]),
        ("/deals", {"name": "D", "close_date": "2027-01-01T00:00:00"}, ["close_date"]),
        ("/deals", {"name": "D", "close_date": "2027-02-30"}, ["close_date"]),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "billing_start": {"type": "date", "date": 20270101}}]},
            ["line_items[0].billing_start.date"],
        ),
        ("/deals", {"name": "D", "line_items": {"product_id": "x"}}, ["line_items"]),
        ("/deals", {"name": "D", "line_items": [{**PRODUCT, "quantity": "2"}]}, ["line_items[0].quantity"]),
        ("/deals", {"name": "D", "line_items": [{**PRODUCT, "quantity": 1.5}]}, ["line_items[0].quantity"]),
        ("/products", {**PRODUCT, "tax_rate_percent": 12.5}, ["tax_rate_percent"]),
        ("/products", {**PRODUCT, "tax_rate_percent": True}, ["tax_rate_percent"]),
        ("/products", {**PRODUCT, "tax_rate_percent": "1e1"}, ["tax_rate_percent"]),
        ("/products", {**PRODUCT, "tax_rate_percent": "12.5\n"}, ["tax_rate_percent"]),
        # unknown enum values
        ("/products", {**PRODUCT, "billing_frequency": "daily"}, ["billing_frequency"]),
        ("/deals", {"name": "D", "stage": "won"}, ["stage"]),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "billing_terms": "forever"}]},
            ["line_items[0].billing_terms"],
        ),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "billing_start": {"type": "someday"}}]},
            ["line_items[0].billing_start.type"],
        ),
        # money: negative, float, string, bool, too large
        ("/products", {**PRODUCT, "unit_amount": -1}, ["unit_amount"]),
        ("/products", {**PRODUCT, "unit_amount": 19.99}, ["unit_amount"]),
        ("/products", {**PRODUCT, "unit_amount": 20.0}, ["unit_amount"]),
        ("/products", {**PRODUCT, "unit_amount": "1999"}, ["unit_amount"]),
        ("/products", {**PRODUCT, "unit_amount": True}, ["unit_amount"]),
        ("/products", {**PRODUCT, "unit_amount": 10**12}, ["unit_amount"]),
        ("/deals", {"name": "D", "amount": -5}, ["amount"]),
        ("/deals", {"name": "D", "amount": 10**20}, ["amount"]),
        ("/deals", {"name": "D", "amount": 1.5}, ["amount"]),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "unit_amount": "100"}]},
            ["line_items[0].unit_amount"],
        ),
        # unknown currencies
        ("/products", {**PRODUCT, "currency": "XXX"}, ["currency"]),
        ("/products", {**PRODUCT, "currency": "US"}, ["currency"]),
        ("/products", {**PRODUCT, "currency": "DEM"}, ["currency"]),
        ("/deals", {"name": "D", "currency": "ABC"}, ["currency"]),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "currency": "EURO"}]},
            ["line_items[0].currency"],
        ),
        # overlong strings
        ("/contacts", {"email": "a@b.test", "first_name": "x" * 101}, ["first_name"]),
        ("/contacts", {"email": "a@b.test", "phone": "1" * 41}, ["phone"]),
        ("/contacts", {"email": "a@b.test", "address": {"postal_code": "1" * 21}}, ["address.postal_code"]),
        ("/contacts", {"email": "x" * 250 + "@b.test"}, ["email"]),
        ("/companies", {"name": LONG}, ["name"]),
        ("/products", {**PRODUCT, "name": LONG}, ["name"]),
        ("/products", {**PRODUCT, "sku": "S" * 65}, ["sku"]),
        ("/deals", {"name": LONG}, ["name"]),
        (
            "/deals",
            {"name": "D", "line_items": [{**PRODUCT, "description": "d" * 5001}]},
            ["line_items[0].description"],
        ),
        # text no database stores
        ("/contacts", {"email": "a@b.test", "first_name": "A\x00da"}, ["first_name"]),
        ("/companies", {"name": "Ac\x00me"}, ["name"]),
        # unknown fields
        ("/contacts", {"email": "a@b.test", "nickname": "Ada"}, ["nickname"]),
        ("/contacts", {"email": "a@b.test", "address": {"planet": "Earth"}}, ["address.planet"]),
        ("/deals", {"name": "D", "line_items": [{**PRODUCT, "price": 1}]}, ["line_items[0].price"]),
        # ids that do not exist
        ("/contacts", {"email": "a@b.test", "company_id": "com_nope"}, ["company_id"]),
        ("/deals", {"name": "D", "contact_id": "con_nope"}, ["contact_id"]),
        ("/deals", {"name": "D", "company_id": "com_nope"}, ["company_id"]),
        ("/deals", {"name": "D", "line_items": [{"product_id": "prod_nope"}]}, ["line_items[0].product_id"]),
        # several at once: every one is named
        (
            "/products",
            {"name": "", "unit_amount": -1, "currency": "XXX"},
            ["name", "unit_amount", "currency"],
        ),
    ],
)
def test_invalid_input_is_a_422_naming_the_field(api, path, body, fields):
    problem = assert_problem(api.post(path, body), 422, *fields)

    assert problem["type"] == "urn:recurra:problem:validation-error"
    assert problem["title"] == "Invalid input"
    assert nothing_written()


def test_unknown_field_message(api):
    problem = assert_problem(api.post("/contacts", {"email": "a@b.test", "nickname": "Ada"}), 422, "nickname")

    assert problem["errors"][0]["message"] == "is not a known field"


def test_lone_surrogate_is_a_422(api):
    body = '{"email": "a@b.test", "first_name": "\\ud800"}'

    assert_problem(api.post("/contacts", body), 422, "first_name")
    assert nothing_written()


def test_invalid_patch_changes_nothing(api, make):
    ada = make("contacts", email="ada@example.com", first_name="Ada")

    assert_problem(api.patch(f"/contacts/{ada['id']}", {"first_name": "A", "phone": 5}), 422, "phone")
    assert ok(api.get(f"/contacts/{ada['id']}")) == ada


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"q": "x" * 201}, "q"),
        ({"company_id": "x" * 41}, "company_id"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_invalid_query_parameters_are_a_422_naming_them(api, params, field):
    assert_problem(api.get("/contacts", **params), 422, field)


@pytest.mark.parametrize("resource", ["contacts", "companies", "deals", "products"])
def test_an_unknown_id_in_the_path_is_a_404(api, resource):
    path = f"/{resource}/xyz_0000000000000000000000000"

    body = assert_problem(api.get(path), 404)
    assert body["type"] == "urn:recurra:problem:not-found"
    assert_problem(api.patch(path, {}), 404)
    assert_problem(api.delete(path), 404)


def test_an_unknown_product_cannot_be_archived(api):
    assert_problem(api.post("/products/prod_nope/archive"), 404)


@pytest.mark.parametrize("path", ["/nowhere", "/contacts/x/y", "/", "/deals/d1/convert-to-nothing"])
def test_an_unknown_path_is_a_404_problem(api, path):
    assert_problem(api.get(path), 404)
    assert_problem(api.post(path, {}), 404)


def test_an_unknown_path_needs_no_key_to_be_a_404(api_as):
    assert_problem(api_as(None).get("/nowhere"), 404)


def test_a_method_the_path_lacks_is_a_405_problem_with_allow(api):
    response = api.client.put(
        "/api/v1/contacts", data="{}", content_type="application/json", headers=api.headers
    )

    assert_problem(response, 405)
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "big-1"}])
def test_a_body_too_large_is_a_413_problem(api, settings, headers):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"email": "a@b.test", "first_name": "x" * 2000}

    assert_problem(api.post("/contacts", body, headers=headers), 413)
    assert nothing_written()
