"""Settings: the account, notification and dunning pages; API keys (secret shown once, revoke) and users
(create, change role). Super admins only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.models import AccountSettings, ApiKey, User
from recurra.accounts.selectors import account_settings
from recurra.accounts.services import api_key_authenticate, hash_secret
from recurra.core.events import snapshot
from recurra.core.models import Event
from tests.conftest import T0
from tests.web.conftest import make_user
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


# The account, notification and dunning pages ------------------------------------------------------

ACCOUNT = {
    "business_name": "Nordlys Programvare AS",
    "timezone": "Europe/Oslo",
    "default_currency": "NOK",
    "default_language": "nb",
    "invoice_number_prefix": "NP-",
    "seller_email": "faktura@nordlys.example",
    "seller_phone": "+47 55 00 00 00",
    "seller_tax_id": "NO 912 345 678 MVA",
    "seller_website": "nordlys.example",
    "line1": "Strandkaien 2",
    "line2": "",
    "city": "Bergen",
    "state": "",
    "postal_code": "5003",
    "country": "no",
}
NOTIFICATIONS = {
    "reminder_days_before": "7",
    "failed_payment_emails_enabled": "on",
    "admin_notifications_digest": "digest",
}


def checked(response: Any, name: str) -> list[str]:
    """The values of the checked inputs named ``name`` ("on" for a checkbox without a value)."""
    inputs = re.findall(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', response.content.decode())
    found = [re.search(r'\bvalue="([^"]*)"', tag) for tag in inputs if re.search(r"\bchecked\b", tag)]
    return [match[1] if match else "on" for match in found]


def updates() -> list[Event]:
    return list(Event.objects.filter(type="accountsettings.updated"))


def test_settings_open_on_the_account_tab(admin: Client) -> None:
    assert admin.get("/settings/")["Location"] == "/settings/account/"
    html = admin.get("/settings/account/").content.decode()
    tabs = re.search(r'<nav class="tabs" aria-label="Settings">(.*?)</nav>', html, re.S)
    assert tabs is not None
    assert re.findall(r"<a [^>]*>([^<]*)</a>", tabs[1]) == [
        "Account",
        "Notifications",
        "Dunning",
        "Payments",
        "API keys",
        "Users",
        "Developers · Webhooks",
        "Profile",
    ]
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', tabs[1]) == ["Account"]


def test_the_account_page_shows_the_current_settings(admin: Client) -> None:
    page = admin.get("/settings/account/")
    assert page.status_code == 200
    shown = {name: value_of(page, name) for name in ACCOUNT}
    assert shown == {
        **dict.fromkeys(ACCOUNT, ""),
        "business_name": "Recurra demo business",
        "timezone": "UTC",
        "default_currency": "USD",
        "default_language": "en",
        "invoice_number_prefix": "INV-",
    }
    html = page.content.decode()
    assert '<optgroup label="Europe">' in html and '<option value="Europe/Oslo">Oslo</option>' in html
    assert '<option value="America/New_York">New York</option>' in html
    assert "US/Eastern" not in html  # an older alias, not offered


def test_an_alias_time_zone_already_chosen_stays_chosen(admin: Client) -> None:
    AccountSettings.objects.update_or_create(pk=1, defaults={"timezone": "US/Eastern"})
    page = admin.get("/settings/account/")
    assert value_of(page, "timezone") == "US/Eastern"
    assert '<optgroup label="Other">' in page.content.decode()


def test_a_super_admin_saves_the_account_settings_and_sees_them(admin: Client) -> None:
    done = admin.post("/settings/account/", ACCOUNT, follow=True)
    assert done.redirect_chain == [("/settings/account/", 302)]
    # The account's default language is now bokmål and the admin chose none of their own: the next
    # page is in bokmål, and so is the message on it.
    assert messages(done) == ["Kontoinnstillingene er lagret."]
    shown = {name: value_of(done, name) for name in ACCOUNT}
    assert shown == {**ACCOUNT, "country": "NO", "seller_website": "https://nordlys.example"}
    row = account_settings()
    assert (row.timezone, row.default_currency, row.default_language, row.invoice_number_prefix) == (
        "Europe/Oslo",
        "NOK",
        "nb",
        "NP-",
    )
    assert row.address == {
        "line1": "Strandkaien 2",
        "line2": "",
        "city": "Bergen",
        "state": "",
        "postal_code": "5003",
        "country": "NO",
    }
    [event] = updates()
    assert (event.actor_type, event.actor_name) == ("user", "Super_Admin")
    assert event.data["after"]["seller_tax_id"] == "NO 912 345 678 MVA"
    assert set(event.data["after"]) == {
        "business_name",
        "timezone",
        "default_currency",
        "default_language",
        "invoice_number_prefix",
        "seller_email",
        "seller_phone",
        "seller_tax_id",
        "seller_website",
        "address_line1",
        "city",
        "postal_code",
        "country",
    }

    again = admin.post("/settings/account/", ACCOUNT, follow=True)  # nothing changed: no event
    assert messages(again) == ["Kontoinnstillingene er lagret."]
    assert len(updates()) == 1


def test_account_errors_are_beside_the_fields_with_the_input_kept_and_nothing_saved(admin: Client) -> None:
    before = snapshot(account_settings())
    bad = {
        **ACCOUNT,
        "timezone": "Mars/Olympus_Mons",
        "country": "Norway",
        "seller_email": "faktura at nordlys",
        "business_name": "   ",
        "invoice_number_prefix": "np-",
    }
    response = admin.post("/settings/account/", bad)
    assert response.status_code == 422
    assert field_errors(response, "id_timezone") == ["Is not an IANA time zone name such as Europe/Oslo"]
    assert field_errors(response, "id_country") == ["Must be a two-letter ISO 3166 country code"]
    assert field_errors(response, "id_seller_email") == [
        "Is not a valid email address (at most 254 characters)"
    ]
    assert field_errors(response, "id_business_name") == ["Must be 1 to 200 characters, not all blank"]
    assert field_errors(response, "id_invoice_number_prefix") == ["Must be 1 to 20 of A-Z, 0-9, - and /"]
    assert field_errors(response, "id_city") == []
    assert form_errors(response) == []
    for name in (
        "country",
        "seller_email",
        "invoice_number_prefix",
        "city",
        "seller_tax_id",
        "default_currency",
    ):
        assert value_of(response, name) == bad[name], name
    assert messages(response) == []
    assert snapshot(account_settings()) == before
    assert updates() == []


def test_lengths_are_the_services_to_judge(admin: Client) -> None:
    response = admin.post("/settings/account/", {**ACCOUNT, "seller_phone": "5" * 41, "line1": "x" * 201})
    assert response.status_code == 422
    assert field_errors(response, "id_seller_phone") == ["Must be one line of at most 40 characters"]
    assert field_errors(response, "id_line1") == ["Must be text of at most 200 characters"]
    assert 'maxlength="40"' in response.content.decode()  # still a typing hint in the browser
    assert updates() == []


def test_the_notifications_page_shows_and_saves_the_settings(admin: Client) -> None:
    page = admin.get("/settings/notifications/")
    assert page.status_code == 200
    assert value_of(page, "reminder_days_before") == "14"
    assert [
        checked(page, name) for name in ("payment_reminders_enabled", "failed_payment_emails_enabled")
    ] == [
        ["on"],
        ["on"],
    ]
    assert checked(page, "admin_notifications_enabled") == ["on"]
    assert checked(page, "admin_notifications_digest") == ["each"]

    done = admin.post("/settings/notifications/", NOTIFICATIONS, follow=True)
    assert done.redirect_chain == [("/settings/notifications/", 302)]
    assert messages(done) == ["Notification settings saved."]
    row = account_settings()
    assert (
        row.payment_reminders_enabled,
        row.reminder_days_before,
        row.failed_payment_emails_enabled,
        row.admin_notifications_enabled,
        row.admin_notifications_digest,
    ) == (False, 7, True, False, True)
    assert checked(done, "payment_reminders_enabled") == [] and checked(
        done, "admin_notifications_digest"
    ) == ["digest"]
    [event] = updates()
    assert event.data == {
        "before": {
            "payment_reminders_enabled": True,
            "reminder_days_before": 14,
            "admin_notifications_enabled": True,
            "admin_notifications_digest": False,
        },
        "after": {
            "payment_reminders_enabled": False,
            "reminder_days_before": 7,
            "admin_notifications_enabled": False,
            "admin_notifications_digest": True,
        },
    }


@pytest.mark.parametrize(
    ("days", "error"),
    [
        ("0", "Must be a whole number of days from 1 to 90"),
        ("91", "Must be a whole number of days from 1 to 90"),
        ("", "Must be a whole number of days from 1 to 90"),
        ("two", "Enter a whole number."),
    ],
)
def test_bad_reminder_days_are_refused_beside_the_field(admin: Client, days: str, error: str) -> None:
    response = admin.post("/settings/notifications/", {**NOTIFICATIONS, "reminder_days_before": days})
    assert response.status_code == 422
    assert field_errors(response, "id_reminder_days_before") == [error]
    assert value_of(response, "reminder_days_before") == days
    assert checked(response, "admin_notifications_digest") == ["digest"]  # the rest as typed
    assert checked(response, "payment_reminders_enabled") == []
    assert account_settings().reminder_days_before == 14
    assert updates() == []


def test_the_dunning_page_shows_the_rule_and_saves_the_schedule(admin: Client) -> None:
    page = admin.get("/settings/dunning/")
    assert page.status_code == 200
    assert value_of(page, "retry_schedule_days") == "3, 5, 7"
    assert checked(page, "final_failure_action") == ["keep_past_due"]
    shown = text(page.content)
    assert "Strictly increasing, 1 to 90, at most 10 days, such as 3, 5, 7. Empty: no retries." in shown
    assert "Keep as Unpaid The subscription stays Unpaid and nothing more is tried" in shown
    assert "Cancel the subscription The subscription is canceled at once, nothing refunded" in shown
    assert (
        "Pause the subscription The subscription is paused: nothing is billed until someone resumes it."
        in shown
    )

    done = admin.post(
        "/settings/dunning/",
        {"retry_schedule_days": "1,2  4, 8", "final_failure_action": "cancel"},
        follow=True,
    )
    assert done.redirect_chain == [("/settings/dunning/", 302)]
    assert messages(done) == ["Dunning settings saved."]
    assert (account_settings().retry_schedule_days, account_settings().final_failure_action) == (
        [1, 2, 4, 8],
        "cancel",
    )
    assert value_of(done, "retry_schedule_days") == "1, 2, 4, 8"
    assert checked(done, "final_failure_action") == ["cancel"]
    [event] = updates()
    assert event.data["after"] == {"retry_schedule_days": [1, 2, 4, 8], "final_failure_action": "cancel"}

    admin.post("/settings/dunning/", {"retry_schedule_days": " ", "final_failure_action": "cancel"})
    assert account_settings().retry_schedule_days == []  # no retries


@pytest.mark.parametrize(
    ("days", "error"),
    [
        ("7, 3", "Must be up to 10 days from 1 to 90, each later than the one before"),
        ("3, 3", "Must be up to 10 days from 1 to 90, each later than the one before"),
        ("3, 91", "Must be up to 10 days from 1 to 90, each later than the one before"),
        ("1 2 3 4 5 6 7 8 9 10 11", "Must be up to 10 days from 1 to 90, each later than the one before"),
        ("3, five", "Enter whole numbers of days separated by commas, such as 3, 5, 7."),
        ("3.5", "Enter whole numbers of days separated by commas, such as 3, 5, 7."),
        ("-3", "Enter whole numbers of days separated by commas, such as 3, 5, 7."),
    ],
)
def test_a_bad_retry_schedule_is_refused_beside_the_field(admin: Client, days: str, error: str) -> None:
    response = admin.post(
        "/settings/dunning/", {"retry_schedule_days": days, "final_failure_action": "pause"}
    )
    assert response.status_code == 422
    assert field_errors(response, "id_retry_schedule_days") == [error]
    assert value_of(response, "retry_schedule_days") == days
    assert checked(response, "final_failure_action") == ["pause"]
    row = account_settings()
    assert (row.retry_schedule_days, row.final_failure_action) == ([3, 5, 7], "keep_past_due")
    assert updates() == []


def test_an_unknown_final_action_is_the_services_error(admin: Client) -> None:
    response = admin.post(
        "/settings/dunning/", {"retry_schedule_days": "7, 3", "final_failure_action": "explode"}
    )
    assert response.status_code == 422
    assert field_errors(response, "id_retry_schedule_days") != []  # both reported at once
    assert field_errors(response, "id_final_failure_action") == [
        "Must be one of keep_past_due, cancel, pause"
    ]
    assert updates() == []


SETTINGS_POSTS = {
    "/settings/account/": ACCOUNT,
    "/settings/notifications/": NOTIFICATIONS,
    "/settings/dunning/": {"retry_schedule_days": "1", "final_failure_action": "cancel"},
}


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_super_admins_may_open_or_change_them(frozen_clock: Any, role: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(role))
    page = client.get("/contacts/")  # a page they may open, for a real CSRF token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    before = snapshot(account_settings())
    for url, data in SETTINGS_POSTS.items():
        assert client.get(url).status_code == 403, url
        posted = client.post(url, {**data, "csrfmiddlewaretoken": token[1]})
        assert posted.status_code == 403, url
        assert b"does not allow this" in posted.content
    assert client.get("/settings/").status_code == 403
    assert snapshot(account_settings()) == before
    assert updates() == []
