"""A subscription's properties, as the index, its filters, saved views and exports know them.

One table (:data:`PROPERTIES`) says, for each property, its label, its kind
(which decides its filter operators, how a value is typed and shown) and
where it lives in the database. The index's columns, its sort keys and its
advanced filters, and the export's columns, all read this table: a property
added here is listable, sortable, filterable and exportable at once.

Rules and surprises:
- ``key`` is the public name (API filters, saved views' columns and sort).
- A property whose ``sort`` is empty cannot be sorted by.
- A reference (contact, company, deal) filters and sorts by its name; its
  ``text`` paths are what "contains" searches.
- Money is compared in minor units, whatever each subscription's currency.
- ``nullable`` properties can be "empty" in the database (no next payment
  date once ended, no company); text is "empty" when blank too.
- A user (the owner) is filtered by the user's id (``is`` any of, ``is not``
  any of, which no owner also matches, empty) and shown, sorted and exported
  by their name: the full name, else the username.
- A value is read from ``fields`` (ORM paths: ``contact__first_name``), then
  ``combine``d when there are several: the same rule on a model instance
  (:meth:`Property.of`) and on fetched plain values (:meth:`Property.from_values`,
  what an export of a million rows reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Expression, F, Value
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recurra.catalog.terms import BillingFrequency, BillingTerms, CollectionMethod, PaymentTerms
from recurra.subscriptions.models import Subscription, SubscriptionStatus


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    DATETIME = "datetime"
    MONEY = "money"
    NUMBER = "number"
    BOOLEAN = "boolean"
    USER = "user"  # a user's id when filtered; their name when shown


@dataclass(frozen=True)
class Property:
    key: str
    label: str | Promise
    kind: Kind
    path: str  # the ORM path compared by filters ("contact__email")
    sort: tuple[Expression | F, ...] = ()  # the sort key's columns (before the id); () = not sortable
    nullable: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    text: tuple[str, ...] = ()  # ORM paths "contains" searches; () = ``path``
    fields: tuple[str, ...] = ()  # ORM paths its value is read from; () = (``key``,)
    combine: Callable[..., Any] | None = None  # the value of several fields; None: the only one
    related: str | None = None  # the relation to select with the row to show it

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields or (self.key,)

    def of(self, sub: Subscription) -> Any:
        """This property's raw value on ``sub`` (an id, a date, minor units, a choice's value)."""
        return self.from_values(*(_follow(sub, path) for path in self.reads))

    def from_values(self, *values: Any) -> Any:
        """The value from its :attr:`reads`' values, fetched as plain values (``values_list``)."""
        return self.combine(*values) if self.combine else values[0]

    def label_of(self, value: Any) -> str:
        """A choice's label ("past_due" → "Unpaid"); other values as they are."""
        return dict(self.choices).get(value, value) if self.choices else value

    @property
    def sortable(self) -> bool:
        return bool(self.sort)


def _plain(key: str, label: Promise, kind: Kind, **options: Any) -> Property:
    """A column of the subscription itself, sorted by its own value."""
    return Property(key, label, kind, key, sort=(F(key),), **options)


def _choice(key: str, label: Promise, choices: Any) -> Property:
    return _plain(key, label, Kind.CHOICE, choices=tuple(choices.choices))


def _follow(obj: Any, path: str) -> Any:
    """``contact__first_name`` of an instance (None past an empty relation)."""
    for name in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _address(part: str, label: Promise) -> Property:
    column = f"address_{part}" if part.startswith("line") else part
    return Property(f"billing_{part}", label, Kind.TEXT, column, fields=(column,))


def person_name(first: str, last: str, email: str) -> str:
    """A contact as it is shown: their name, else their email (``Contact.__str__``)."""
    return f"{first} {last}".strip() or email


CONTACT_NAME = ("contact__first_name", "contact__last_name", "contact__email")


def user_name(first: str | None, last: str | None, username: str | None) -> str | None:
    """A user as they are shown: their full name, else their username; None without a user
    (``accounts.selectors.user_name`` of fetched values)."""
    if username is None:
        return None
    return f"{first or ''} {last or ''}".strip() or username


def user_name_sql(relation: str) -> Expression:
    """:func:`user_name` of the user ``relation`` names, in SQL (NULL without one)."""
    full = Trim(Concat(F(f"{relation}__first_name"), Value(" "), F(f"{relation}__last_name")))
    return Coalesce(NullIf(full, Value("")), F(f"{relation}__username"))


OWNER_NAME = ("owner__first_name", "owner__last_name", "owner__username")


def owner_property() -> Property:
    """The owner (a user) of a record that has one: filtered by user, shown and sorted by name
    (a subscription's, and a list's contacts' and companies')."""
    return Property(
        "owner",
        _("Owner"),
        Kind.USER,
        "owner",
        sort=(Lower(user_name_sql("owner")),),
        nullable=True,
        fields=OWNER_NAME,
        combine=user_name,
        related="owner",
    )


PROPERTIES: dict[str, Property] = {
    p.key: p
    for p in (
        Property("id", _("Record ID"), Kind.TEXT, "id"),
        _plain("name", _("Name"), Kind.TEXT),
        _choice("status", _("Status"), SubscriptionStatus),
        Property(
            "contact",
            _("Contact"),
            Kind.TEXT,
            "contact__email",
            sort=(Lower("contact__last_name"), Lower("contact__first_name"), Lower("contact__email")),
            text=CONTACT_NAME,
            fields=CONTACT_NAME,
            combine=person_name,
            related="contact",
        ),
        Property(
            "contact_email",
            _("Contact email"),
            Kind.TEXT,
            "contact__email",
            sort=(Lower("contact__email"),),
            fields=("contact__email",),
            related="contact",
        ),
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
        Property(
            "deal",
            _("Deal"),
            Kind.TEXT,
            "deal__name",
            sort=(Lower("deal__name"),),
            nullable=True,
            fields=("deal__name",),
            related="deal",
        ),
        owner_property(),
        _plain("currency", _("Currency"), Kind.TEXT),
        _choice("billing_frequency", _("Billing frequency"), BillingFrequency),
        _choice("billing_terms", _("Billing terms"), BillingTerms),
        _plain("number_of_payments", _("Number of payments"), Kind.NUMBER, nullable=True),
        _plain("payments_made", _("Payments made"), Kind.NUMBER),
        _plain("start_date", _("Start date"), Kind.DATE),
        _plain("next_payment_date", _("Next payment date"), Kind.DATE, nullable=True),
        _plain("end_date", _("End date"), Kind.DATE, nullable=True),
        _plain("next_payment_amount", _("Next payment amount"), Kind.MONEY),
        _plain("last_payment_amount", _("Last payment amount"), Kind.MONEY, nullable=True),
        _plain("total_collected", _("Total collected"), Kind.MONEY),
        _plain("mrr", _("MRR"), Kind.MONEY),
        _choice("collection_method", _("Collection method"), CollectionMethod),
        _choice("payment_terms", _("Payment terms"), PaymentTerms),
        _plain("cancel_at_period_end", _("Cancels at period end"), Kind.BOOLEAN),
        _plain("canceled_at", _("Cancellation date"), Kind.DATETIME, nullable=True),
        _plain("paused_at", _("Pause date"), Kind.DATETIME, nullable=True),
        _plain("resume_on", _("Resumes on"), Kind.DATE, nullable=True),
        _plain("pause_reason", _("Pause reason"), Kind.TEXT),
        _plain("accept_online_payment", _("Accepts online payment"), Kind.BOOLEAN),
        _plain("invoice_po_number", _("PO number"), Kind.TEXT),
        _plain("invoice_tax_id", _("Tax ID"), Kind.TEXT),
        _plain("invoice_language", _("Invoice language"), Kind.TEXT),
        _address("line1", _("Billing address line 1")),
        _address("line2", _("Billing address line 2")),
        _address("city", _("Billing city")),
        _address("state", _("Billing state or region")),
        _address("postal_code", _("Billing postal code")),
        _address("country", _("Billing country")),
        _plain("created_at", _("Create date"), Kind.DATETIME),
        _plain("updated_at", _("Last modified date"), Kind.DATETIME),
    )
}

# The index's columns when a view names none, in this order (the table).
DEFAULT_COLUMNS: tuple[str, ...] = (
    "name",
    "contact",
    "company",
    "status",
    "next_payment_date",
    "next_payment_amount",
    "billing_frequency",
    "mrr",
    "created_at",
)
# Shown in every index row whatever the columns: the row's link.
ALWAYS_SHOWN = "name"


def related_of(keys: tuple[str, ...] | list[str]) -> list[str]:
    """The relations to select with the rows to show the properties ``keys``."""
    return sorted({p.related for key in keys if (p := PROPERTIES[key]).related})
