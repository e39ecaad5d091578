"""Filters for the email templates: money, dates and payment terms in the active language."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_interval
from django import template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from recurra.core.money import Money

register = template.Library()

PAYMENT_TERMS = {
    "due_on_receipt": _("due on receipt"),
    "net_15": _("net 15 days"),
    "net_30": _("net 30 days"),
    "net_45": _("net 45 days"),
    "net_60": _("net 60 days"),
    "net_90": _("net 90 days"),
}


def babel_locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


@register.filter
def money(amount: int, currency: str) -> str:
    """``{{ amount|money:currency }}``: minor units as the language writes them (``1 234,50 kr``)."""
    return Money(amount, currency).format(babel_locale())


@register.filter
def day(value: str | date) -> str:
    """``{{ paid_on|day }}``: an ISO date, long form (``January 5, 2027`` / ``5. januar 2027``)."""
    return format_date(_date(value), format="long", locale=babel_locale())


@register.filter
def until(start: str | date, end: str | date) -> str:
    """``{{ period_start|until:period_end }}``: a range (``Jan 15 – Feb 14, 2027``), ends as given."""
    return format_interval(_date(start), _date(end), skeleton="yMMMd", locale=babel_locale())


def _date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@register.filter
def terms(code: str) -> str:
    """``{{ payment_terms|terms }}``: ``net_30`` → ``net 30 days``; unknown codes as given."""
    return str(PAYMENT_TERMS.get(code, code))
