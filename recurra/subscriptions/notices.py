"""The emails about a subscription and its invoices, as drafts whose ``data`` holds everything they say.

The billing engine queues most (receipts, invoices, failures, reminders,
merchant notices); the subscription services queue the rest (a cancellation,
an edit's ``subscription_changed``, an update link).

Each email snapshots its amounts, names, dates and links when it is queued,
so that it tells what was true then, and rendering reads no other table.
Which emails go out at all follows the account settings: receipts and
invoices always; payment-failed emails, reminders and merchant notices only
when their setting is on; merchant notices per payment unless the daily
digest is chosen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from recurra.accounts.models import AccountSettings
from recurra.invoicing.links import pay_url
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.notifications.services import EmailDraft
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription

if TYPE_CHECKING:
    from recurra.subscriptions.editing import ProrationResult


_labels: dict[tuple[str, str, str, str | None], str] = {}


def method_label(method: PaymentMethod | None) -> str:
    """``str(method)`` (``Visa •••• 4242``), remembered by what it is made of: every receipt names
    one, and Django's ``get_type_display`` rebuilds the choices each time. Only a method without
    a brand shows its (translated) type, so only its label depends on the language."""
    if method is None:
        return ""
    key = (method.type, method.brand, method.last4, None if method.brand else translation.get_language())
    label = _labels.get(key)
    if label is None:
        if len(_labels) >= 4096:
            _labels.clear()
        label = _labels[key] = str(method)
    return label


def _common(sub: Subscription, account: AccountSettings) -> dict[str, Any]:
    contact = sub.contact
    return {
        "business_name": account.business_name,
        "contact_name": contact.full_name or contact.email,
        "contact_email": contact.email,
        "subscription_id": sub.pk,
        "subscription_name": sub.name,
        "currency": sub.currency,
        "app_url": _app_url(sub.pk),
    }


def _about(sub: Subscription | None, invoice: Invoice, account: AccountSettings) -> dict[str, Any]:
    """What every email says of its subject: the subscription, else the invoice (a checkout's)."""
    if sub is not None:
        return _common(sub, account)
    contact = invoice.contact
    return {
        "business_name": account.business_name,
        "contact_name": contact.full_name or contact.email,
        "contact_email": contact.email,
        "subscription_id": None,
        "subscription_name": invoice.subscription_name or invoice.number,
        "currency": invoice.currency,
        "app_url": settings.RECURRA_BASE_URL + reverse("web:invoice", args=[invoice.pk]),
    }


@functools.cache
def _app_url_template() -> str:
    return settings.RECURRA_BASE_URL + reverse("web:subscription", args=["ID"])


def _app_url(pk: str) -> str:
    """The subscription's page in the web app (``reverse`` once, not per email)."""
    return _app_url_template().replace("/ID/", f"/{pk}/")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _lines(lines: Iterable[InvoiceLine]) -> list[dict[str, Any]]:
    return [{"name": line.name, "quantity": line.quantity, "amount": line.amount_total} for line in lines]


def _draft(kind: str, to: str, sub: Subscription, data: dict[str, Any], **links: Any) -> EmailDraft:
    return EmailDraft(
        kind=kind,
        to=to,
        language=sub.invoice_language,
        data=data,
        contact_id=sub.contact_id,
        subscription_id=sub.pk,
        **links,
    )


def receipt(
    sub: Subscription | None,
    invoice: Invoice,
    lines: Iterable[InvoiceLine],
    payment: Payment,
    account: AccountSettings,
    *,
    bought: Iterable[Subscription] = (),
) -> EmailDraft:
    """The buyer's receipt. A checkout's (``bought``: the subscriptions it started) is about its
    invoice, and names the earliest next payment of those subscriptions."""
    bought = list(bought)
    upcoming = [s.next_payment_date for s in bought or ([sub] if sub else []) if s.next_payment_date]
    data = _about(None if bought else sub, invoice, account) | {
        "amount": payment.amount,
        "invoice_number": invoice.number,
        "paid_on": _iso((payment.settled_at or payment.created_at).date()),
        "period_start": _iso(invoice.period_start),
        "period_end": _iso(invoice.period_end),
        "payment_method": method_label(payment.payment_method),
        "next_payment_date": _iso(min(upcoming, default=None)),
        "lines": _lines(lines),
    }
    links = {"invoice_id": invoice.pk, "payment_id": payment.pk}
    if sub is not None and not bought:
        return _draft("receipt", sub.contact.email, sub, data, **links)
    return EmailDraft(
        kind="receipt",
        to=invoice.contact.email,
        language=invoice.language,
        data=data,
        contact_id=invoice.contact_id,
        subscription_id=sub.pk if sub else None,
        **links,
    )


def payment_failed(
    sub: Subscription,
    invoice: Invoice,
    payment: Payment | None,
    account: AccountSettings,
    update_url: str | None = None,
) -> EmailDraft:
    """``update_url``: a payment-method update link (``subscriptions.update_links``); without
    one the email asks the buyer to get in touch."""
    data = _common(sub, account) | {
        "amount": invoice.amount_due,
        "invoice_number": invoice.number,
        "failure_message": payment.failure_message if payment else "No payment method is saved.",
        "update_url": update_url,
    }
    return _draft(
        "payment_failed",
        sub.contact.email,
        sub,
        data,
        invoice_id=invoice.pk,
        payment_id=payment.pk if payment else None,
    )


def payment_action_required(
    sub: Subscription, invoice: Invoice, payment: Payment, account: AccountSettings
) -> EmailDraft:
    """The bank wants the buyer to authenticate a charge made while they were away: they confirm
    it on the invoice's page (a signed link), 3-D Secure there."""
    data = _common(sub, account) | {
        "amount": invoice.amount_due,
        "invoice_number": invoice.number,
        "pay_url": pay_url(invoice, at=payment.created_at),
    }
    return _draft(
        "payment_action_required", sub.contact.email, sub, data, invoice_id=invoice.pk, payment_id=payment.pk
    )


def payment_method_update(
    sub: Subscription, account: AccountSettings, *, url: str, expires_at: datetime
) -> EmailDraft:
    """The buyer's ``payment_method_update`` email: the update link, and the last whole day it
    works (in the account's zone: the day before it expires, so the email never over-promises)."""
    last_day = expires_at.astimezone(ZoneInfo(account.timezone)).date() - timedelta(days=1)
    data = _common(sub, account) | {"update_url": url, "expires_on": _iso(last_day)}
    return _draft("payment_method_update", sub.contact.email, sub, data)


def invoice_sent(
    sub: Subscription | None, invoice: Invoice, lines: Iterable[InvoiceLine], account: AccountSettings
) -> EmailDraft:
    """The ``invoice`` email with its pay link; without ``sub``, an invoice of its own (a converted
    deal's or quote's one-time items)."""
    data = _about(sub, invoice, account) | {
        "invoice_number": invoice.number,
        "amount_due": invoice.amount_due,
        "issued_on": _iso(invoice.issued_on),
        "due_on": _iso(invoice.due_on),
        "payment_terms": invoice.payment_terms,
        "pay_url": pay_url(invoice, at=invoice.created_at),
        "lines": _lines(lines),
    }
    if sub is not None:
        return _draft("invoice", sub.contact.email, sub, data, invoice_id=invoice.pk)
    return EmailDraft(
        kind="invoice",
        to=invoice.contact.email,
        language=invoice.language,
        data=data,
        contact_id=invoice.contact_id,
        invoice_id=invoice.pk,
    )


def reminder(sub: Subscription, account: AccountSettings) -> EmailDraft:
    data = _common(sub, account) | {
        "amount": sub.next_payment_amount,
        "charge_on": _iso(sub.next_payment_date),
        "payment_method": method_label(sub.payment_method),
    }
    key = f"reminder:{sub.pk}:{sub.next_payment_date}"  # one reminder per payment date
    return replace(_draft("payment_reminder", sub.contact.email, sub, data), dedupe_key=key)


def admin_notices(
    kind: str,
    sub: Subscription | None,
    invoice: Invoice,
    payment: Payment | None,
    account: AccountSettings,
    recipients: list[str],
) -> list[EmailDraft]:
    """One ``admin_payment_succeeded``/``_failed`` per super admin, unless off or sent as a daily
    digest. Without ``sub`` (a checkout's payment) it is about the invoice."""
    if not account.admin_notifications_enabled or account.admin_notifications_digest:
        return []
    data = _about(sub, invoice, account) | {
        "amount": payment.amount if payment else invoice.amount_due,
        "invoice_number": invoice.number,
        "failure_message": payment.failure_message if payment else "",
    }
    links = {"invoice_id": invoice.pk, "payment_id": payment.pk if payment else None}
    return [
        EmailDraft(
            kind=kind,
            to=to,
            language=account.default_language,
            data=data,
            subscription_id=sub.pk if sub else None,
            **links,
        )
        for to in recipients
    ]


@dataclass(frozen=True, slots=True)
class DisputeNews:
    """What an admin is told of a dispute: ``outcome`` is ``opened``, ``won`` or ``lost``."""

    dispute_id: str
    outcome: str
    amount: int  # disputed, in the payment's minor units
    reason: str = ""
    respond_by: date | None = None


def admin_dispute_notices(
    sub: Subscription | None,
    invoice: Invoice,
    payment: Payment,
    account: AccountSettings,
    recipients: list[str],
    *,
    dispute: DisputeNews,
) -> list[EmailDraft]:
    """One ``admin_payment_disputed`` per super admin when a dispute opens or closes, unless merchant
    notices are off. Sent at once even with the daily digest chosen (a dispute has a deadline, and
    the digest counts payments, not disputes); one per dispute, stage and admin, however often the
    processor tells."""
    if not account.admin_notifications_enabled:
        return []
    data = _about(sub, invoice, account) | {
        "amount": dispute.amount,
        "currency": payment.currency,
        "invoice_number": invoice.number,
        "outcome": dispute.outcome,
        "reason": dispute.reason.replace("_", " "),
        "respond_by": _iso(dispute.respond_by),
        "app_url": settings.RECURRA_BASE_URL + reverse("web:payment", args=[payment.pk]),
    }
    stage = "opened" if dispute.outcome == "opened" else "closed"
    return [
        EmailDraft(
            kind="admin_payment_disputed",
            to=to,
            language=account.default_language,
            data=data,
            subscription_id=sub.pk if sub else None,
            invoice_id=invoice.pk,
            payment_id=payment.pk,
            dedupe_key=f"dispute:{dispute.dispute_id}:{stage}:{to}"[:200],
        )
        for to in recipients
    ]


def cancellation(
    sub: Subscription, account: AccountSettings, *, canceled_on: date, access_until: date | None, refund: int
) -> EmailDraft:
    """The buyer's ``cancellation`` email: when, until when it still runs, what comes back."""
    data = _common(sub, account) | {
        "canceled_on": _iso(canceled_on),
        "access_until": _iso(access_until),
        "refund_amount": refund or None,
    }
    return _draft("cancellation", sub.contact.email, sub, data)


def subscription_changed(
    sub: Subscription,
    changed: Mapping[str, Any],
    proration: ProrationResult | None,
    account: AccountSettings,
) -> EmailDraft:
    """The ``subscription_changed`` email of an edit: the new lines and amount per payment, the
    next payment date, which fields changed, and the prorated amount billed (or credited) at once.
    It goes to the subscription's contact as it is after the edit: a new contact gets it."""
    items = list(sub.line_items.all())
    data = _common(sub, account) | {
        "next_payment_amount": sub.next_payment_amount,
        "next_payment_date": _iso(sub.next_payment_date),
        "lines": [{"name": i.name, "quantity": i.quantity, "amount": i.amounts.total} for i in items],
        "changed": sorted(changed),
        "prorated_amount": proration.total if proration is not None else None,  # < 0: a credit
        "prorated_credit": -proration.total if proration is not None and proration.total < 0 else None,
    }
    return _draft("subscription_changed", sub.contact.email, sub, data)
