"""Settings: API keys (secret shown once, revoke) and users (create, change role). Super admins only."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from recurra.accounts.models import ApiKey, User
from recurra.accounts.services import api_key_authenticate, hash_secret
from tests.conftest import T0
from tests.web.html import field_errors, form_errors, messages, table_rows, text, value_of

USER = {
    "username": "bob",
    "email": "bob@example.com",
    "first_name": "Bob",
    "role": "editor",
    "password": "a long enough passphrase",
    "password_again": "a long enough passphrase",
}


def test_create_api_key_shows_the_secret_once(admin: Client) -> None:
    assert value_of(admin.get("/settings/api-keys/new/"), "role") == "viewer"
    created = admin.post("/settings/api-keys/new/", {"name": " Accounting sync ", "role": "editor"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    shown = re.search(
        r'<input id="secret" class="secret" type="text" value="([^"]*)" readonly', created.content.decode()
    )
    assert shown is not None and re.fullmatch(r"rk_[A-Za-z0-9_-]{43}", shown[1])
    secret = shown[1]
    assert "Copy this key now. It is shown only this once" in text(created.content)
    key = ApiKey.objects.get()
    assert (key.name, key.role, key.prefix, key.secret_hash) == (
        "Accounting sync",
        "editor",
        secret[:10],
        hash_secret(secret),
    )
    assert key.created_by == User.objects.get(username="super_admin")
    assert api_key_authenticate(secret=secret, at=T0) == key  # also notes "last used"

    listing = admin.get("/settings/api-keys/")
    assert secret not in listing.content.decode()
    assert table_rows(listing.content) == [
        [
            "Accounting sync by super_admin",
            f"{secret[:10]}…",
            "Editor",
            "15 Jan 2027, 09:30",
            "15 Jan 2027, 09:30",
            "Active",
            "Revoke",
        ]
    ]
    for page in ("/settings/api-keys/new/", f"/settings/api-keys/{key.pk}/revoke/", "/settings/users/"):
        assert secret not in admin.get(page).content.decode()


def test_create_api_key_needs_a_name_and_a_role(admin: Client) -> None:
    response = admin.post("/settings/api-keys/new/", {"name": "  ", "role": "owner"})
    assert response.status_code == 422
    assert field_errors(response, "id_name") == ["This field is required."]
    assert field_errors(response, "id_role") == [
        "Select a valid choice. owner is not one of the available choices."
    ]
    assert not ApiKey.objects.exists()


def test_revoke_asks_then_revokes(admin: Client) -> None:
    admin.post("/settings/api-keys/new/", {"name": "CI", "role": "viewer"})
    key = ApiKey.objects.get()
    url = f"/settings/api-keys/{key.pk}/revoke/"
    ask = admin.get(url)
    assert "Programs using it stop working at once." in text(ask.content)
    key.refresh_from_db()
    assert key.revoked_at is None

    done = admin.post(url, follow=True)
    assert done.redirect_chain == [("/settings/api-keys/", 302)]
    assert messages(done) == ["API key CI revoked."]
    assert table_rows(done.content)[0][-2:] == ["Revoked 15 Jan 2027", ""]
    key.refresh_from_db()
    assert key.revoked_at == T0

    again = admin.post(url)
    assert again.status_code == 409
    assert form_errors(again) == [f"API key {key.pk} is already revoked."]


def test_users_list_and_create(admin: Client) -> None:
    done = admin.post("/settings/users/new/", USER, follow=True)
    assert done.redirect_chain == [("/settings/users/", 302)]
    assert messages(done) == ["User created."]
    bob = User.objects.get(username="bob")
    assert (bob.email, bob.first_name, bob.role, bob.check_password(USER["password"])) == (
        "bob@example.com",
        "Bob",
        "editor",
        True,
    )
    rows = table_rows(done.content)  # newest first
    assert rows[0][:3] == ["bob Bob", "bob@example.com", "Active"]
    assert rows[1] == [
        "super_admin Super_Admin",
        "super_admin@recurra.example",
        "Active",
        "Super admin (you)",
    ]
    assert value_of(done, "role") == "editor"  # bob's role selector


def test_create_user_rejects_bad_input(admin: Client) -> None:
    short = admin.post("/settings/users/new/", {**USER, "password": "short", "password_again": "short"})
    assert short.status_code == 422
    assert field_errors(short, "id_password") == [
        "This password is too short. It must contain at least 10 characters."
    ]
    differ = admin.post("/settings/users/new/", {**USER, "password_again": "something else entirely"})
    assert field_errors(differ, "id_password_again") == ["The two passwords differ."]
    assert value_of(differ, "password") == ""  # passwords are never sent back
    assert value_of(differ, "username") == "bob"
    taken = admin.post("/settings/users/new/", {**USER, "username": "SUPER_ADMIN"})
    assert field_errors(taken, "id_username") == ["Is taken"]
    assert list(User.objects.values_list("username", flat=True)) == ["super_admin"]


def test_change_role(admin: Client, records: Any) -> None:
    admin.post("/settings/users/new/", USER, follow=True)
    bob = User.objects.get(username="bob")
    done = admin.post(f"/settings/users/{bob.pk}/role/", {"role": "viewer"}, follow=True)
    assert done.redirect_chain == [("/settings/users/", 302)]
    assert messages(done) == ["bob is now Viewer."]
    bob.refresh_from_db()
    assert bob.role == "viewer"
    bad = admin.post(f"/settings/users/{bob.pk}/role/", {"role": "owner"}, follow=True)
    assert messages(bad) == ["Choose one of the roles."]
    bob.refresh_from_db()
    assert bob.role == "viewer"
