"""/settings: everyone reads; only a super admin changes; every rule checked; one event per change."""

from __future__ import annotations

import pytest

from recurra.accounts.selectors import account_settings
from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.core.models import Event
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

DEFAULTS = {
    "timezone": "UTC",
    "default_currency": "USD",
    "default_language": "en",
    "business_name": "Recurra demo business",
    "invoice_number_prefix": "INV-",
    "payment_reminders_enabled": True,
    "reminder_days_before": 14,
    "failed_payment_emails_enabled": True,
    "admin_notifications_enabled": True,
    "admin_notifications_digest": False,
    "retry_schedule_days": [3, 5, 7],
    "final_failure_action": "keep_past_due",
    "seller_address": {"line1": "", "line2": "", "city": "", "state": "", "postal_code": "", "country": ""},
    "seller_email": "",
    "seller_phone": "",
    "seller_tax_id": "",
    "seller_website": "",
}
CHANGES = {
    "timezone": "Europe/Oslo",
    "default_currency": "nok",
    "default_language": "nb",
    "business_name": "  Fjord Software AS  ",
    "invoice_number_prefix": "FS-2027/",
    "payment_reminders_enabled": False,
    "reminder_days_before": 7,
    "failed_payment_emails_enabled": False,
    "admin_notifications_enabled": False,
    "admin_notifications_digest": True,
    "retry_schedule_days": [1, 2, 4, 8],
    "final_failure_action": "pause",
    "seller_address": {
        "line1": "Strandkaien 2",
        "line2": "3. etasje",
        "city": "Bergen",
        "state": "Vestland",
        "postal_code": "5013",
        "country": "NO",
    },
    "seller_email": "billing@fjord.example",
    "seller_phone": "+47 55 00 00 00",
    "seller_tax_id": "NO 999 888 777 MVA",
    "seller_website": "https://fjord.example",
}


def test_viewers_read_the_defaults(api_as):
    assert ok(api_as("viewer").get("/settings")) == {**DEFAULTS, "updated_at": T0_TEXT}


def test_a_super_admin_changes_every_setting_with_one_event(api):
    clock.freeze(T0.replace(hour=10))
    body = ok(api.patch("/settings", CHANGES))

    expected = {
        **CHANGES,
        "default_currency": "NOK",
        "business_name": "Fjord Software AS",
        "updated_at": "2027-01-15T10:30:00Z",
    }
    assert body == expected
    assert ok(api.get("/settings")) == expected
    [event] = Event.objects.filter(type="accountsettings.updated")
    assert (event.object_type, event.object_id, event.actor_type) == ("accountsettings", "1", "api_key")
    assert event.data["before"]["timezone"] == "UTC"
    assert event.data["after"]["retry_schedule_days"] == [1, 2, 4, 8]
    assert event.data["after"]["country"] == "NO"
    address_columns = {"address_line1", "address_line2", "city", "state", "postal_code", "country"}
    # updated_at is not an audited change; the address is stored (and audited) as its columns
    assert set(event.data["after"]) == set(CHANGES) - {"seller_address"} | address_columns


def test_a_partial_change_keeps_the_rest_and_an_unchanged_one_writes_nothing(api):
    ok(api.patch("/settings", {"reminder_days_before": 30}))
    assert ok(api.get("/settings")) == {**DEFAULTS, "reminder_days_before": 30, "updated_at": T0_TEXT}
    [event] = Event.objects.filter(type="accountsettings.updated")
    assert event.data == {"before": {"reminder_days_before": 14}, "after": {"reminder_days_before": 30}}

    ok(api.patch("/settings", {"reminder_days_before": 30}))
    ok(api.patch("/settings", {}))
    assert Event.objects.filter(type="accountsettings.updated").count() == 1


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_a_super_admin_may_change_them(api_as, role):
    assert_problem(api_as(role).patch("/settings", {"timezone": "Europe/Oslo"}), 403)
    assert account_settings().timezone == "UTC"
    assert not Event.objects.filter(type="accountsettings.updated").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"default_currency": "XYZ"}, "default_currency"),
        ({"default_language": "de"}, "default_language"),
        ({"business_name": "   "}, "business_name"),
        ({"invoice_number_prefix": "inv-"}, "invoice_number_prefix"),
        ({"invoice_number_prefix": ""}, "invoice_number_prefix"),
        ({"invoice_number_prefix": "A" * 21}, "invoice_number_prefix"),
        ({"invoice_number_prefix": "INV_"}, "invoice_number_prefix"),
        ({"reminder_days_before": 0}, "reminder_days_before"),
        ({"reminder_days_before": 91}, "reminder_days_before"),
        ({"payment_reminders_enabled": "yes"}, "payment_reminders_enabled"),
        ({"retry_schedule_days": list(range(1, 12))}, "retry_schedule_days"),
        ({"retry_schedule_days": [3, 3]}, "retry_schedule_days"),
        ({"retry_schedule_days": [5, 3]}, "retry_schedule_days"),
        ({"retry_schedule_days": [3, 91]}, "retry_schedule_days"),
        ({"final_failure_action": "explode"}, "final_failure_action"),
        ({"timezone": None}, "timezone"),
        ({"colour": "blue"}, "colour"),
        ({"seller_address": {"country": "Norway"}}, "seller_address.country"),
        ({"seller_address": {"country": "1A"}}, "seller_address.country"),
        ({"seller_address": {"city": "x" * 101}}, "seller_address.city"),
        ({"seller_address": {"zip": "5013"}}, "seller_address.zip"),
        ({"seller_address": None}, "seller_address"),
        ({"seller_email": "billing at fjord"}, "seller_email"),
        ({"seller_email": None}, "seller_email"),
        ({"seller_phone": "+47\n55"}, "seller_phone"),
        ({"seller_phone": "5" * 41}, "seller_phone"),
        ({"seller_tax_id": "9" * 101}, "seller_tax_id"),
        ({"seller_website": "ftp://fjord.example"}, "seller_website"),
        ({"seller_website": "not a web address"}, "seller_website"),
    ],
)
def test_invalid_settings_are_refused_and_nothing_changes(api, changes, field):
    problem = assert_problem(api.patch("/settings", changes), 422)
    assert problem["errors"][0]["field"].removesuffix("[1]") == field
    assert ok(api.get("/settings")) == {**DEFAULTS, "updated_at": T0_TEXT}
    assert not Event.objects.filter(type="accountsettings.updated").exists()


def test_the_boundaries_are_accepted(api):
    body = ok(api.patch("/settings", {"reminder_days_before": 90, "retry_schedule_days": list(range(1, 11))}))
    assert (body["reminder_days_before"], body["retry_schedule_days"]) == (90, list(range(1, 11)))
    body = ok(api.patch("/settings", {"reminder_days_before": 1, "retry_schedule_days": [90]}))
    assert (body["reminder_days_before"], body["retry_schedule_days"]) == (1, [90])


def test_the_seller_details_are_patched_part_by_part_and_cleared_with_blanks(api):
    ok(
        api.patch(
            "/settings", {"seller_address": CHANGES["seller_address"], "seller_email": "a@fjord.example"}
        )
    )
    body = ok(
        api.patch(
            "/settings",
            {"seller_address": {"line2": "", "country": "se"}, "seller_website": "www.fjord.example"},
        )
    )
    assert body["seller_address"] == {**CHANGES["seller_address"], "line2": "", "country": "SE"}
    assert (body["seller_email"], body["seller_website"]) == ("a@fjord.example", "https://www.fjord.example")
    body = ok(api.patch("/settings", {"seller_email": "", "seller_address": {"line1": None}}))
    assert (body["seller_email"], body["seller_address"]["line1"]) == ("", "")
    assert Event.objects.filter(type="accountsettings.updated").count() == 3


def test_an_empty_retry_schedule_means_no_retries(api):
    body = ok(api.patch("/settings", {"retry_schedule_days": []}))
    assert body["retry_schedule_days"] == []
    assert account_settings().retry_schedule_days == []


def test_the_service_checks_every_rule_itself_and_reports_all_at_once(db):
    with pytest.raises(ValidationFailed) as caught:
        account_settings_update(
            actor=SYSTEM,
            at=T0,
            timezone=["UTC"],
            default_currency=3,
            default_language="de",
            business_name="x" * 201,
            invoice_number_prefix="inv-",
            payment_reminders_enabled=1,
            reminder_days_before=True,
            retry_schedule_days=[3, "5"],
            final_failure_action="explode",
            colour="blue",
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("timezone", "is not an IANA time zone name such as Europe/Oslo"),
        ("default_currency", "is not an ISO 4217 currency code"),
        ("default_language", "must be one of en, nb"),
        ("business_name", "must be 1 to 200 characters, not all blank"),
        ("invoice_number_prefix", "must be 1 to 20 of A-Z, 0-9, - and /"),
        ("payment_reminders_enabled", "must be true or false"),
        ("reminder_days_before", "must be a whole number of days from 1 to 90"),
        ("retry_schedule_days", "must be up to 10 days from 1 to 90, each later than the one before"),
        ("final_failure_action", "must be one of keep_past_due, cancel, pause"),
        ("colour", "is not a setting"),
    ]
    assert account_settings().timezone == "UTC"
