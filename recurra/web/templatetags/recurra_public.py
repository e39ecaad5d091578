"""Filters of the buyer's pages, every word in the page's language (``web.languages``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from recurra.catalog.terms import BillingTerms, is_recurring

register = template.Library()

# "$10.00 monthly": how often, as a buyer reads it after an amount.
FREQUENCY_WORDS = {
    "one_time": gettext_lazy("once"),
    "weekly": gettext_lazy("every week"),
    "biweekly": gettext_lazy("every two weeks"),
    "monthly": gettext_lazy("every month"),
    "quarterly": gettext_lazy("every quarter"),
    "per_six_months": gettext_lazy("every six months"),
    "annually": gettext_lazy("every year"),
    "per_two_years": gettext_lazy("every two years"),
    "per_three_years": gettext_lazy("every three years"),
    "per_four_years": gettext_lazy("every four years"),
    "per_five_years": gettext_lazy("every five years"),
}
ADDRESS_LABELS = {
    "line1": gettext_lazy("Address"),
    "line2": gettext_lazy("Address line 2"),
    "city": gettext_lazy("City"),
    "state": gettext_lazy("State or region"),
    "postal_code": gettext_lazy("Postal code"),
    "country": gettext_lazy("Country (two letters, e.g. NO)"),
}
ADDRESS_AUTOCOMPLETE = {
    "line1": "address-line1",
    "line2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "postal_code": "postal-code",
    "country": "country",
}
REQUIRED_PARTS = ("line1", "city", "postal_code", "country")


@register.filter
def frequency_words(frequency: str) -> str:
    return str(FREQUENCY_WORDS.get(frequency, frequency))


@register.filter
def billing_words(item: Any) -> str:
    """How a line item is billed: "once", "every month", "every month, 6 payments"."""
    words = frequency_words(item.billing_frequency)
    if is_recurring(item.billing_frequency) and item.billing_terms == BillingTerms.FIXED:
        count = item.number_of_payments or 0
        payments = ngettext("%(count)d payment", "%(count)d payments", count) % {"count": count}
        return _("%(every)s, %(payments)s") % {"every": words, "payments": payments}
    return words


METHOD_WORDS = {
    "card": gettext_lazy("card"),
    "ach": gettext_lazy("bank debit (ACH)"),
    "sepa_debit": gettext_lazy("bank debit (SEPA)"),
}


@register.filter
def methods_words(methods: list[str]) -> str:
    """``{{ link.allowed_payment_methods|methods_words }}``: "card, bank debit (ACH)"."""
    return ", ".join(str(METHOD_WORDS.get(m, m)) for m in methods)


@register.filter
def address_label(part: str) -> str:
    return str(ADDRESS_LABELS.get(part, part))


@register.filter
def address_required(part: str) -> bool:
    return part in REQUIRED_PARTS


@register.filter
def address_autocomplete(prefix: str, part: str) -> str:
    section = "billing" if prefix == "billing" else "shipping"
    return f"{section} {ADDRESS_AUTOCOMPLETE.get(part, 'on')}"


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``{{ values|get_item:name }}``: a dict's (or QueryDict's) value for a computed key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
