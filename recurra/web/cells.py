"""A subscription property as an index cell: formatted by its kind, linked where it is a record.

The name opens the side panel (htmx) and is a plain link to the record
without script; the contact and company link to their pages; a status is its
badge; money is in the subscription's currency and the page's locale; an
empty value is a dash. A page's cells share one :class:`Cells`: its links are
worked out once, not per cell (a page has hundreds).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES, Kind, Property
from recurra.web.templatetags.recurra_web import day, money

_ID = "ID"


def _link(name: str) -> str:
    """The URL of view ``name`` with ``{}`` where a record's id goes."""
    return reverse(name, args=[_ID]).replace(_ID, "{}")


class Cells:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.record, self.panel = _link("web:subscription"), _link("web:subscription_panel")
        self.contact, self.company = _link("web:contact"), _link("web:company")
        self.empty = format_html('<span class="muted" aria-label="{}">—</span>', gettext("none"))

    def cell(self, sub: Subscription, key: str) -> SafeString:
        """The HTML of property ``key`` of ``sub`` in an index row (date-times in the account's zone)."""
        if key == "name":
            return format_html(
                '<a class="row-link" href="{}" hx-get="{}" hx-target="#panel" hx-select="unset" '
                'hx-swap="innerHTML" hx-push-url="false" data-panel-link>{}</a>',
                self.record.format(sub.pk),
                self.panel.format(sub.pk),
                sub.name,
            )
        if key == "status":
            return format_html(
                '<span class="badge status-{}">{}</span>', sub.status, sub.get_status_display()
            )
        if key == "contact":
            return format_html('<a href="{}">{}</a>', self.contact.format(sub.contact_id), sub.contact)
        if key == "company" and sub.company_id:
            return format_html('<a href="{}">{}</a>', self.company.format(sub.company_id), sub.company)
        prop = PROPERTIES[key]
        value = prop.of(sub)
        if value is None or value == "":
            return self.empty
        return format_html("{}", text(prop, value, sub.currency, self.zone))


def text(prop: Property, value: object, currency: str, zone: ZoneInfo) -> str:
    """A non-empty value of ``prop`` as the page shows it."""
    if prop.kind == Kind.MONEY:
        return money(value, currency)  # type: ignore[arg-type]
    if prop.kind == Kind.DATETIME and isinstance(value, datetime):
        return day(value.astimezone(zone).date())
    if prop.kind == Kind.DATE and isinstance(value, date):
        return day(value)
    if prop.kind == Kind.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    return str(prop.label_of(value))


class MemberCells:
    """A contact's or a company's property as a list's member table shows it: the name links to
    the record, a contact's company to the company; the rest as the index shows a value."""

    def __init__(self, object: str, zone: ZoneInfo) -> None:
        self.zone = zone
        self.record = _link("web:contact" if object == "contacts" else "web:company")
        self.company = _link("web:company")
        self.empty = format_html('<span class="muted" aria-label="{}">—</span>', gettext("none"))

    def cell(self, record: Any, prop: Property) -> SafeString:
        value = prop.from_values(*(_follow(record, path) for path in prop.reads))
        if prop.key == "name":
            return format_html(
                '<a class="row-link" href="{}">{}</a>',
                self.record.format(record.pk),
                value or gettext("(no name)"),
            )
        if prop.key == "company" and getattr(record, "company_id", None):
            return format_html('<a href="{}">{}</a>', self.company.format(record.company_id), value)
        if value is None or value == "":
            return self.empty
        return format_html("{}", text(prop, value, "", self.zone))


def _follow(obj: Any, path: str) -> Any:
    """``owner__first_name`` of a record (None past an empty relation)."""
    for name in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj
