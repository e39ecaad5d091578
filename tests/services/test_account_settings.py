"""account_settings_update with the seller's details: optional, cleaned, validated all at once."""

from __future__ import annotations

from typing import Any

import pytest

from recurra.accounts.selectors import account_settings
from recurra.accounts.services import account_settings_update
from recurra.core.errors import ValidationFailed
from recurra.core.models import Event
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

SELLER = {
    "seller_address": {
        "line1": " Strandkaien 2 ",
        "line2": "",
        "city": "Bergen",
        "state": "",
        "postal_code": "5013",
        "country": "no",
    },
    "seller_email": " billing@nordlys.example ",
    "seller_phone": "+47 55 00 00 00",
    "seller_tax_id": "NO 999 888 777 MVA",
    "seller_website": "nordlys.example",
}


def _seller(row: Any) -> dict[str, Any]:
    return {
        "address": row.address,
        "email": row.seller_email,
        "phone": row.seller_phone,
        "tax_id": row.seller_tax_id,
        "website": row.seller_website,
    }


def test_the_seller_details_start_empty_and_are_saved_cleaned_with_one_event() -> None:
    assert _seller(account_settings()) == {
        "address": dict.fromkeys(("line1", "line2", "city", "state", "postal_code", "country"), ""),
        "email": "",
        "phone": "",
        "tax_id": "",
        "website": "",
    }
    row = account_settings_update(actor=SYSTEM, at=T0, **SELLER)

    saved = {
        "address": {
            "line1": "Strandkaien 2",
            "line2": "",
            "city": "Bergen",
            "state": "",
            "postal_code": "5013",
            "country": "NO",
        },
        "email": "billing@nordlys.example",
        "phone": "+47 55 00 00 00",
        "tax_id": "NO 999 888 777 MVA",
        "website": "https://nordlys.example",
    }
    assert _seller(row) == saved
    assert _seller(account_settings()) == saved
    [event] = Event.objects.filter(type="accountsettings.updated")
    assert event.data["after"] == {
        "address_line1": "Strandkaien 2",
        "city": "Bergen",
        "postal_code": "5013",
        "country": "NO",
        "seller_email": "billing@nordlys.example",
        "seller_phone": "+47 55 00 00 00",
        "seller_tax_id": "NO 999 888 777 MVA",
        "seller_website": "https://nordlys.example",
    }
    assert set(event.data["before"].values()) == {""}


def test_an_address_part_left_out_is_kept_and_blank_or_none_clears_one() -> None:
    account_settings_update(actor=SYSTEM, at=T0, **SELLER)
    row = account_settings_update(
        actor=SYSTEM, at=T0, seller_address={"city": "Oslo", "postal_code": None}, seller_website=""
    )
    assert row.address == {
        "line1": "Strandkaien 2",
        "line2": "",
        "city": "Oslo",
        "state": "",
        "postal_code": "",
        "country": "NO",
    }
    assert row.seller_website == ""
    assert row.seller_email == "billing@nordlys.example"


def test_a_website_keeps_its_own_scheme() -> None:
    assert account_settings_update(actor=SYSTEM, seller_website="http://old.example/").seller_website == (
        "http://old.example/"
    )


def test_every_bad_seller_detail_is_reported_at_once_and_nothing_changes() -> None:
    with pytest.raises(ValidationFailed) as caught:
        account_settings_update(
            actor=SYSTEM,
            at=T0,
            business_name="Fjord AS",
            seller_address={"line1": "x" * 201, "city": 7, "country": "Norway", "zip": "5013"},
            seller_email="billing at nordlys",
            seller_phone="+47\n55",
            seller_tax_id="9" * 101,
            seller_website="ftp://nordlys.example",
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("seller_email", "is not a valid email address (at most 254 characters)"),
        ("seller_phone", "must be one line of at most 40 characters"),
        ("seller_tax_id", "must be one line of at most 100 characters"),
        ("seller_website", "is not a web address such as https://example.com (at most 200 characters)"),
        ("seller_address.line1", "must be text of at most 200 characters"),
        ("seller_address.city", "must be text of at most 100 characters"),
        ("seller_address.country", "must be a two-letter ISO 3166 country code"),
        ("seller_address.zip", "is not a part of an address"),
    ]
    row = account_settings()
    assert (row.business_name, row.address_line1, row.country, row.seller_email) == (
        "Recurra demo business",
        "",
        "",
        "",
    )
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seller_address", "Strandkaien 2, Bergen"),
        ("seller_email", None),
        ("seller_email", "x" * 250 + "@a.no"),
        ("seller_phone", 4755000000),
        ("seller_tax_id", None),
        ("seller_website", "https://" + "a" * 190 + ".example"),
        ("seller_website", "not a web address"),
    ],
)
def test_a_seller_detail_of_the_wrong_kind_is_refused(name: str, value: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        account_settings_update(actor=SYSTEM, at=T0, **{name: value})
    assert [e.field for e in caught.value.errors] == [name]
    assert not Event.objects.exists()
