"""Display helpers for templates: money, dates, percentages, codes by their labels, navigation links.

No business rules. Dates and times go through ``core.formats`` (one format everywhere); times
are shown in the account's time zone (``web.middleware.page_zone``). Amounts, numbers and
percentages are Babel's, in the page's language (the active one: ``translation.get_language()``),
never written by hand:

>>> from datetime import UTC
>>> with translation.override("nb"):
...     money(123450, "NOK"), day(date(2026, 12, 7)), moment(datetime(2026, 12, 7, 9, 30, tzinfo=UTC), "UTC")
('1\xa0234,50\xa0kr', '7. des. 2026', '7. des. 2026, 09:30')
>>> with translation.override("nb"):
...     number(1234567), percent(Decimal("12.5000")), money(None)
('1\xa0234\xa0567', '12,5 %', '—')
>>> with translation.override("en"):
...     money(123450, "USD"), day(date(2026, 12, 7)), number(1234567), percent(Decimal("12.5000"))
('$1,234.50', '7 Dec 2026', '1,234,567', '12.5 %')
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from recurra.automation.webhooks import failures
from recurra.core.formats import active_locale, day_text, moment_text, money_text, period_text
from recurra.core.money import Money
from recurra.exports.languages import LANGUAGES
from recurra.payments.brands import method_text
from recurra.payments.models import MethodType
from recurra.web.forms.base import percent_value
from recurra.web.middleware import page_zone

register = template.Library()


@register.filter
def money(value: Money | int | None, currency: str | None = None) -> str:
    """``{{ product.price|money }}`` or ``{{ deal.amount|money:deal.currency }}``, in the page's locale."""
    if value is None:
        return "—"
    amount = value if isinstance(value, Money) else Money(int(value), currency or "")
    return money_text(amount.amount, amount.currency, translation.get_language())


@register.filter
def day(value: date | datetime | None) -> str:
    """``{{ invoice.due_on|day }}``: ``7 Jan 2027`` (a datetime: its day in the account's zone); None: ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(page_zone())
    return day_text(value, translation.get_language())


@register.filter
def moment(value: datetime | None, zone: str | None = None) -> str:
    """``{{ payment.created_at|moment }}``: ``7 Jan 2027, 09:30`` in the account's zone (or in
    ``zone``: ``{{ sandbox_now|moment:"UTC" }}``); "" for None."""
    if value is None or value == "":
        return ""
    shown_in = ZoneInfo(zone) if zone else page_zone()
    return moment_text(value, shown_in, translation.get_language())


@register.filter
def period(start: date | None, end: date | None) -> str:
    """``{{ line.period_start|period:line.period_end }}``: ``7 Jan 2027 – 7 Feb 2027``."""
    if start is None or end is None:
        return ""
    return period_text(start, end, translation.get_language())


@register.filter
def language_name(code: str) -> str:
    """``nb`` → ``Norsk bokmål``: a language by its own name (unknown codes as they are)."""
    return LANGUAGES.get(code, code)


@register.filter
def method_types(codes: Iterable[str]) -> str:
    """``["card", "ach"]`` → ``Card, Bank debit (ACH)``: payment method types by their labels."""
    labels = dict(MethodType.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes)


@register.filter
def method_shown(record: Any) -> str:
    """A purchase's method (any record's with ``method_type``, ``brand``, ``last4``): ``Visa •••• 4242``."""
    label = dict(MethodType.choices).get(record.method_type, record.method_type)
    return method_text(type_label=str(label), brand=record.brand, last4=record.last4)


@register.filter
def number(value: int) -> str:
    """A whole number with the page locale's grouping: 1234567 → "1,234,567"."""
    return format_decimal(value, locale=active_locale())


@register.filter
def percent(value: Decimal | None) -> str:
    """``{{ line.item.tax_rate_percent|percent }}``: the rate as stored, without trailing zeros, in the
    page's language (``12.5 %``, bokmål ``12,5 %``); "—" for None."""
    if value is None:
        return "—"
    return f"{format_decimal(percent_value(value), locale=active_locale(), decimal_quantization=False)} %"


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, url_name: str, label: str) -> SafeString:
    """A navigation link, marked ``aria-current="page"`` on its own section's pages."""
    url = reverse(url_name)
    request = context.get("request")
    current = request is not None and request.path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def webhook_failure(error: str) -> str:
    """``{{ attempt.error|webhook_failure }}``: a delivery's stored failure in the page's language."""
    return failures.failure_text(error or "")
