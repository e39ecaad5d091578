"""Filters for the email templates: money, dates and payment terms in the active language.

Babel's formatting is pure but slow (a fifth of an email's rendering), and the
same amounts and dates recur across a batch of emails: ``core.formats`` remembers both.
"""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from recurra.core.formats import day_text, money_text, period_text

register = template.Library()

PAYMENT_TERMS = {
    "due_on_receipt": _("due on receipt"),
    "net_15": _("net 15 days"),
    "net_30": _("net 30 days"),
    "net_45": _("net 45 days"),
    "net_60": _("net 60 days"),
    "net_90": _("net 90 days"),
}


# English texts an email's data may hold, stored when it was queued (outside any language): each is
# put in the email's language when it is rendered (``said``). The gateways' decline messages are in
# the payments catalogue; a method's type names in the payments models'.
STORED = (
    gettext_noop("No payment method is saved."),
    gettext_noop("Card"),
    gettext_noop("Bank debit (ACH)"),
    gettext_noop("Bank debit (SEPA)"),
    # A dispute's reason: Stripe's code with spaces (``subscriptions.notices``).
    gettext_noop("bank cannot process"),
    gettext_noop("check returned"),
    gettext_noop("credit not processed"),
    gettext_noop("customer initiated"),
    gettext_noop("debit not authorized"),
    gettext_noop("duplicate"),
    gettext_noop("fraudulent"),
    gettext_noop("general"),
    gettext_noop("incorrect account details"),
    gettext_noop("insufficient funds"),
    gettext_noop("product not received"),
    gettext_noop("product unacceptable"),
    gettext_noop("subscription canceled"),
    gettext_noop("unrecognized"),
)
METHOD_DOTS = " •••• "


@register.filter
def money(amount: int, currency: str) -> str:
    """``{{ amount|money:currency }}``: minor units as the language writes them (``1 234,50 kr``)."""
    return money_text(amount, currency, translation.get_language())


@register.filter
def day(value: str | date) -> str:
    """``{{ paid_on|day }}``: an ISO date as every page and email writes it (``7 Jan 2027`` /
    ``7. jan. 2027``: ``core.formats``)."""
    return day_text(_date(value), translation.get_language())


@register.filter
def until(start: str | date, end: str | date) -> str:
    """``{{ period_start|until:period_end }}``: a period (``15 Jan 2027 – 15 Feb 2027``), ends as given."""
    return period_text(_date(start), _date(end), translation.get_language())


def _date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@register.filter
def terms(code: str) -> str:
    """``{{ payment_terms|terms }}``: ``net_30`` → ``net 30 days``; unknown codes as given."""
    return str(PAYMENT_TERMS.get(code, code))


@register.filter
def said(text: str | None) -> str:
    """``{{ failure_message|said }}``: a message stored in English (a gateway's decline, a notice's
    reason) in the email's language; one no catalogue knows (a bank's own words) as it is."""
    return gettext(text) if text else ""


@register.filter
def method(label: str | None) -> str:
    """``{{ payment_method|method }}``: a method as stored (``Visa •••• 4242``; without a brand, its
    type: ``Bank debit (SEPA) •••• 3000``) with the type in the email's language."""
    if not label:
        return ""
    name, dots, last4 = label.partition(METHOD_DOTS)
    return f"{gettext(name)}{dots}{last4}"
