"""Bearer API keys: 401 without a valid one, 403 when the role may not, last_used_at noted."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from recurra.accounts.models import ApiKey
from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create, api_key_revoke
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.models import Contact
from tests.api.support import assert_problem, key_of, ok
from tests.conftest import T0, ApiClient

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _with_header(value: str) -> ApiClient:
    client = ApiClient(None)
    client.headers = {"Authorization": value}
    return client


def assert_401(response) -> None:
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="recurra"'


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token rk_whatever",
        "Bearer rk_not-a-key",
        "Bearer not-even-our-prefix",
    ],
)
def test_missing_malformed_or_unknown_key_is_a_401(api_key, authorization):
    api_key(Role.SUPER_ADMIN)  # a key exists; these requests do not present it
    client = ApiClient(None) if authorization is None else _with_header(authorization)

    assert_401(client.get("/contacts"))
    assert_401(client.post("/contacts", {"email": "a@example.com"}))
    assert_401(client.post("/contacts", {"email": "a@example.com"}, headers={"Idempotency-Key": "k1"}))
    assert not Contact.objects.exists()


def test_the_scheme_is_case_insensitive(api):
    secret = api.headers["Authorization"].removeprefix("Bearer ")

    assert _with_header(f"bearer {secret}").get("/contacts").status_code == 200


def test_a_revoked_key_is_a_401(api):
    assert api.get("/contacts").status_code == 200
    api_key_revoke(key=key_of(api), actor=Actor.system(), at=T0)

    assert_401(api.get("/contacts"))
    assert_401(api.post("/contacts", {"email": "a@example.com"}))
    assert not Contact.objects.exists()


def test_a_viewer_reads(api_as, make):
    ada = make("contacts", email="ada@example.com")
    viewer = api_as(Role.VIEWER)

    assert ok(viewer.get("/contacts"))["data"] == [ada]
    assert ok(viewer.get(f"/contacts/{ada['id']}")) == ada
    assert ok(viewer.get("/events"))["data"]


def test_a_viewer_may_not_write(api_as, make):
    ada = make("contacts", email="ada@example.com")
    product = make("products", name="P", unit_amount=1, currency="USD")
    viewer = api_as(Role.VIEWER)

    assert_problem(viewer.post("/contacts", {"email": "b@example.com"}), 403)
    assert_problem(viewer.patch(f"/contacts/{ada['id']}", {"first_name": "X"}), 403)
    assert_problem(viewer.delete(f"/contacts/{ada['id']}"), 403)
    assert_problem(viewer.post(f"/products/{product['id']}/archive"), 403)
    assert list(Contact.objects.values_list("email", "first_name")) == [("ada@example.com", "")]
    assert ok(viewer.get(f"/products/{product['id']}"))["archived"] is False


def test_role_is_checked_before_the_body(api_as):
    assert_problem(api_as(Role.VIEWER).post("/contacts", {"email": 42}), 403)


def test_an_editor_writes(api_as):
    editor = api_as(Role.EDITOR)

    ada = ok(editor.post("/contacts", {"email": "ada@example.com"}), 201)
    assert ok(editor.patch(f"/contacts/{ada['id']}", {"first_name": "Ada"}))["first_name"] == "Ada"
    assert editor.delete(f"/contacts/{ada['id']}").status_code == 204
    assert not Contact.objects.exists()


def test_last_used_at_is_noted(api_key):
    secret = api_key(Role.VIEWER)
    key = ApiKey.objects.get()
    assert key.last_used_at is None

    ApiClient(secret).get("/contacts")
    assert ApiKey.objects.get().last_used_at == T0

    later = T0 + timedelta(hours=2)
    clock.freeze(later)
    ApiClient(secret).get("/contacts")
    assert ApiKey.objects.get().last_used_at == later


def test_a_failed_authentication_notes_nothing(api_key):
    api_key(Role.VIEWER)

    _with_header("Bearer rk_wrong").get("/contacts")

    assert ApiKey.objects.get().last_used_at is None


def test_keys_are_random_and_stored_only_as_a_hash(db):
    issued = [api_key_create(name=f"k{i}", role=Role.EDITOR, actor=Actor.system()) for i in range(2)]

    first, second = (i.secret for i in issued)
    assert first != second
    assert len(first.removeprefix("rk_")) >= 43  # token_urlsafe(32): 256 random bits
    for i in issued:
        row = ApiKey.objects.filter(pk=i.key.pk).values().get()
        assert row["secret_hash"] == hashlib.sha256(i.secret.encode()).hexdigest()
        assert not any(isinstance(v, str) and i.secret in v for v in row.values())
        assert i.secret.startswith(row["prefix"]) and len(row["prefix"]) < len(i.secret) // 2
