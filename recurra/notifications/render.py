"""Rendering an email from its kind, language and snapshotted data; reads no table.

Templates live in ``templates/notifications/email/<kind>/`` as ``subject.txt``,
``body.txt`` and ``body.html``, translated with Django's i18n tags (catalogue:
``locale/nb``). Text templates render without HTML escaping. :data:`REQUIRED`
lists, per kind, the data keys the templates need; anything else they use is
optional (may be absent or null). Ints are minor units of ``currency``; dates
are ISO strings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine
from django.template.backends.django import get_installed_libraries
from django.template.loader import render_to_string
from django.utils import translation

from recurra.notifications.models import EmailKind, EmailLanguage

_CONTACT = ("business_name", "contact_name", "contact_email", "subscription_name", "currency")
REQUIRED: dict[str, tuple[str, ...]] = {
    EmailKind.RECEIPT: (
        *_CONTACT,
        # No period: a checkout's receipt (its invoice bills items and first periods alike).
        *("amount", "invoice_number", "paid_on", "payment_method", "lines"),
    ),
    EmailKind.PAYMENT_REMINDER: (*_CONTACT, "amount", "charge_on", "payment_method"),
    EmailKind.INVOICE: (
        *_CONTACT,
        *("invoice_number", "amount_due", "issued_on", "due_on", "payment_terms", "pay_url", "lines"),
    ),
    EmailKind.PAYMENT_FAILED: (*_CONTACT, "amount", "invoice_number", "failure_message"),
    EmailKind.PAYMENT_ACTION_REQUIRED: (*_CONTACT, "amount", "invoice_number", "pay_url"),
    EmailKind.PAYMENT_METHOD_UPDATE: (*_CONTACT, "update_url"),
    EmailKind.CANCELLATION: (*_CONTACT, "canceled_on"),
    EmailKind.SUBSCRIPTION_CHANGED: (*_CONTACT, "next_payment_amount", "lines"),
    EmailKind.ADMIN_PAYMENT_SUCCEEDED: (*_CONTACT, "amount", "invoice_number"),
    EmailKind.ADMIN_PAYMENT_FAILED: (*_CONTACT, "amount", "invoice_number", "failure_message"),
    EmailKind.ADMIN_PAYMENT_DISPUTED: (*_CONTACT, "amount", "invoice_number", "outcome"),
    EmailKind.EXPORT_READY: ("business_name", "download_url", "expires_on", "format"),
    EmailKind.ADMIN_DIGEST: ("business_name", "day", "succeeded", "failed"),
    EmailKind.ADMIN_WEBHOOK_DISABLED: ("business_name", "url", "failing_since", "reason"),
    # An internal email a workflow writes (its author's subject and body, placeholders filled).
    EmailKind.WORKFLOW_NOTIFICATION: ("business_name", "subject", "body", "workflow_name", "record_url"),
    # An email to a list (``notifications.bulk``): its author's subject and body, placeholders filled,
    # and the contact's unsubscribe link (also in its List-Unsubscribe header).
    EmailKind.LIST_EMAIL: ("business_name", "subject", "body", "unsubscribe_url"),
}
# Optional keys, for reference: receipt next_payment_date; payment_failed update_url;
# payment_method_update expires_on; cancellation access_until, refund_amount;
# subscription_changed next_payment_date; admin_* app_url; admin_digest app_url;
# admin_payment_disputed (outcome "opened" | "won" | "lost") reason, respond_by; list_email test
# (true: a test message, its unsubscribe link a sample).

_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\n]+")


class MissingData(ValueError):
    """An email's data lacks keys its templates need."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def missing_keys(kind: str, data: Mapping[str, Any]) -> list[str]:
    """Required keys absent from ``data`` (null counts as present only for optional keys)."""
    if kind not in REQUIRED:
        raise ValueError(f"unknown email kind {kind!r}")
    return [key for key in REQUIRED[kind] if data.get(key) is None]


def supported_language(language: str) -> str:
    """``nb``, ``nb-NO`` → ``nb``; languages without a catalogue fall back to English."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in EmailLanguage.values else EmailLanguage.EN


def render(kind: str, language: str, data: Mapping[str, Any]) -> Rendered:
    """Subject (one line), plain-text body and HTML body of an email, in ``language``."""
    missing = missing_keys(kind, data)
    if missing:
        raise MissingData(f"{kind} email data lacks {', '.join(missing)}")
    folder = f"notifications/email/{kind}"
    context = {**data, "kind": kind}
    with translation.override(supported_language(language)):
        subject = _text(f"{folder}/subject.txt", context)
        text = _text(f"{folder}/body.txt", context)
        html = render_to_string(f"{folder}/body.html", context)
    return Rendered(subject=_one_line(subject), text=_tidy(text), html=html.strip() + "\n")


@functools.cache
def _text_engine() -> Engine:
    """Django templates without HTML escaping, with the installed tag libraries (i18n, ours)."""
    return Engine(app_dirs=True, autoescape=False, libraries=get_installed_libraries())


def _text(name: str, context: dict[str, Any]) -> str:
    return _text_engine().get_template(name).render(Context(context, autoescape=False))


def _one_line(text: str) -> str:
    """Line breaks and runs of ASCII spaces to one space (no-break spaces in amounts stay)."""
    return _SPACES.sub(" ", text).strip()


def _tidy(text: str) -> str:
    """Strip trailing spaces and collapse the blank lines template tags leave behind."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_RUNS.sub("\n\n", lines) + "\n"
