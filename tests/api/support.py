"""What the API tests share: problem+json assertions, reading JSON, the key behind a client."""

from __future__ import annotations

from typing import Any

from recurra.accounts.models import ApiKey
from recurra.accounts.services import hash_secret

PROBLEM_JSON = "application/problem+json"
T0_TEXT = "2027-01-15T09:30:00Z"  # tests/conftest.py T0, as the API writes it


def assert_problem(response: Any, status: int, *fields: str) -> dict[str, Any]:
    """``response`` is a problem+json ``status``; with ``fields``, exactly those field errors, in order."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == status
    assert body["type"].startswith("urn:recurra:problem:")
    assert body["title"] and body["detail"]
    if status == 422:
        assert body["errors"], body
        assert all(set(e) == {"field", "message"} and e["message"] for e in body["errors"])
    if fields:
        assert [e["field"] for e in body["errors"]] == list(fields), body
    return body


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body of a successful response, after checking its status."""
    assert response.status_code == status, response.content
    return response.json()


def key_of(client: Any) -> ApiKey:
    """The ApiKey row behind an ApiClient's bearer secret."""
    secret = client.headers["Authorization"].removeprefix("Bearer ")
    return ApiKey.objects.get(secret_hash=hash_secret(secret))
