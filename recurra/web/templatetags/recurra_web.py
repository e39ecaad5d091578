"""Display helpers for templates: money, percentages and navigation links. No business rules."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from recurra.core.money import Money
from recurra.web.forms.base import percent_text

register = template.Library()


def _locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


@register.filter
def money(value: Money | int | None, currency: str | None = None) -> str:
    """``{{ product.price|money }}`` or ``{{ deal.amount|money:deal.currency }}``, in the page's locale."""
    if value is None:
        return "—"
    amount = value if isinstance(value, Money) else Money(int(value), currency or "")
    return amount.format(_locale())


@register.filter
def number(value: int) -> str:
    """A whole number with the page locale's grouping: 1234567 → "1,234,567"."""
    return format_decimal(value, locale=_locale())


@register.filter
def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{percent_text(value)} %"


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, url_name: str, label: str) -> SafeString:
    """A navigation link, marked ``aria-current="page"`` on its own section's pages."""
    url = reverse(url_name)
    request = context.get("request")
    current = request is not None and request.path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)
