"""The properties of contacts and companies a list filters on, as the subscriptions' table does
(``subscriptions.properties``: label, kind, path; the same operators and the same compiler)."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from recurra.subscriptions.properties import Kind, Property, owner_property, person_name


def _text(key: str, label: object, path: str | None = None) -> Property:
    return Property(key, label, Kind.TEXT, path or key, sort=(Lower(path or key),), fields=(path or key,))  # type: ignore[arg-type]


def _dates() -> tuple[Property, ...]:
    return (
        Property("created_at", _("Create date"), Kind.DATETIME, "created_at", sort=(F("created_at"),)),
        Property("updated_at", _("Last modified date"), Kind.DATETIME, "updated_at", sort=(F("updated_at"),)),
    )


CONTACT_PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        Property(
            "name",
            _("Name"),
            Kind.TEXT,
            "last_name",
            sort=(Lower("last_name"), Lower("first_name"), Lower("email")),
            text=("first_name", "last_name", "email"),
            fields=("first_name", "last_name", "email"),
            combine=person_name,
        ),
        _text("first_name", _("First name")),
        _text("last_name", _("Last name")),
        _text("email", _("Email")),
        _text("phone", _("Phone")),
        Property(
            "company",
            _("Company"),
            Kind.TEXT,
            "company__name",
            sort=(Lower("company__name"),),
            nullable=True,
            fields=("company__name",),
            related="company",
        ),
        owner_property(),
        Property(
            "email_opt_out",
            _("Unsubscribed from emails"),
            Kind.BOOLEAN,
            "email_opt_out",
            sort=(F("email_opt_out"),),
        ),
        _text("city", _("City")),
        _text("country", _("Country")),
        *_dates(),
    )
}

COMPANY_PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        _text("name", _("Name")),
        _text("domain", _("Domain")),
        _text("phone", _("Phone")),
        owner_property(),
        _text("city", _("City")),
        _text("country", _("Country")),
        *_dates(),
    )
}

CONTACT_COLUMNS = ("name", "email", "company", "owner", "created_at")
COMPANY_COLUMNS = ("name", "domain", "owner", "created_at")
