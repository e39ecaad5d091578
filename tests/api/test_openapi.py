"""/api/v1/openapi.json and /api/v1/docs: served, valid, and telling the truth about every operation."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest

from tests.api.support import PROBLEM_JSON

# API.md: each resource has POST, GET list, GET one, PATCH, DELETE.
RESOURCES = {
    "contacts": "contact_id",
    "companies": "company_id",
    "deals": "deal_id",
    "products": "product_id",
}
CRUD = {f"/api/v1/{name}": {"get", "post"} for name in RESOURCES} | {
    f"/api/v1/{name}/{{{id_name}}}": {"get", "patch", "delete"} for name, id_name in RESOURCES.items()
}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            yield path, method, op


def resolve(document, ref):
    assert ref.startswith("#/components/schemas/"), ref
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_document_is_openapi_3_1_with_every_resource(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Recurra API"
    for path, methods in CRUD.items():
        assert methods <= set(document["paths"][path]), path
    assert {"/api/v1/products/{product_id}/archive", "/api/v1/clock", "/api/v1/events"} <= set(
        document["paths"]
    )


def test_no_object_has_a_key_twice(client):
    """An int and a str status code (200 and "200") both print as "200": Swagger UI then refuses the
    whole document ("duplicated mapping key") and /api/v1/docs shows nothing."""
    twice = []

    def pairs(items):
        keys = [key for key, _ in items]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=pairs)
    assert twice == []


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]

    assert len(ids) == len(set(ids))


def test_every_schema_is_valid_json_schema_and_every_ref_resolves(document):
    for schema in document["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)
    text = str(document)
    for ref in set(re.findall(r"'\$ref': '([^']+)'", text)):
        assert resolve(document, ref)
    for _, _, op in operations(document):
        for parameter in op.get("parameters", []):
            jsonschema_rs.meta.validate(parameter["schema"])


def test_every_operation_declares_its_security(document):
    assert document["components"]["securitySchemes"] == {"ApiKeyAuth": {"type": "http", "scheme": "bearer"}}
    for path, method, op in operations(document):
        assert op["security"] == [{"ApiKeyAuth": []}], (method, path)


def test_every_operation_declares_its_errors_as_problem_json(document):
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, method, op in operations(document):
        responses = op["responses"]
        expected = {"401", "403"}
        if "{" in path:
            expected |= {"404", "422"}
        if "requestBody" in op:
            expected |= {"400", "422"}
        if method in ("post", "delete"):
            expected.add("409")
        assert expected <= {str(code) for code in responses}, (method, path, list(responses))
        for code, response in responses.items():
            if int(code) >= 400:
                assert response["content"] == {PROBLEM_JSON: {"schema": problem}}, (method, path, code)
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True


def test_the_problem_schema(document):
    problem = document["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    field_error = resolve(document, problem["properties"]["errors"]["items"]["$ref"])
    assert set(field_error["properties"]) == {"field", "message"}


def test_every_post_declares_the_idempotency_key_header(document):
    for path, method, op in operations(document):
        headers = [p for p in op.get("parameters", []) if p["in"] == "header"]
        if method == "post":
            assert [(h["name"], h["required"]) for h in headers] == [("Idempotency-Key", False)], path
            for response in op["responses"].values():
                assert response["headers"]["Idempotent-Replayed"]["required"] is False
        else:
            assert headers == [], (method, path)


def test_deletes_answer_204_without_a_body(document):
    for path, method, op in operations(document):
        if method == "delete":
            assert op["responses"]["204"] == {"description": "No Content"}, path


def test_money_is_integer_and_currency_upper_case_iso(document):
    schemas = document["components"]["schemas"]
    for name in ("ProductIn", "LineItemIn"):
        amount = schemas[name]["properties"]["unit_amount"]
        amount = next(s for s in amount.get("anyOf", [amount]) if s.get("type") != "null")
        assert (amount["type"], amount["minimum"]) == ("integer", 0)
    currency = schemas["ProductIn"]["properties"]["currency"]
    assert "USD" in currency["enum"] and "JPY" in currency["enum"]
    assert all(re.fullmatch("[A-Z]{3}", code) for code in currency["enum"])


def test_timestamps_are_date_time(document):
    contact = document["components"]["schemas"]["ContactOut"]["properties"]

    assert contact["created_at"] == {"format": "date-time", "title": "Created At", "type": "string"}


def test_the_docs_page_loads_with_no_key(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"openapi.json" in response.content
