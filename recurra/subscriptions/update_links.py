"""Payment-method update links: the buyer saves a new method, and every past-due invoice is charged to it.

- The token is 32 random bytes (URL-safe base64, 43 characters). Only its
  SHA-256 is stored; a token is found by looking its hash up, so no stored
  secret is ever compared character by character. The token appears only in
  the URL handed out (the email, the API's answer); never log it.
- A link opens one subscription, for :data:`LINK_DAYS` days; it is dead once
  revoked, or when its subscription has ended (canceled or expired). A
  tampered, unknown, expired, revoked or foreign token finds nothing
  (:func:`update_link_for_token` answers None) and changes nothing.
- Creating a link does not revoke the earlier ones: a buyer may act on any of
  the emails they got while it lasts (at most ``LINK_DAYS``), and the failure
  email's link is one bulk insert in the billing run. Staff revoke every
  live link of a subscription at once (:func:`update_link_revoke`). A link
  stays usable after a use, so a buyer whose new card is declined tries another.
- Using a link saves the method (a type the subscription allows, else a 422
  on ``token`` and nothing is saved), makes it the subscription's method, and
  queues a charge of every past-due invoice to it in the same transaction
  (``invoicing.charge_requests``, origin ``update_link``); right after the
  commit each of those jobs runs now (``jobs.runner.job_run_now``, handled by
  ``billing.follow_ups``), and the answer is the payments they made.
  Racing the dunning job, each invoice is captured once: the billing layer
  lets one attempt at a time through, and an invoice whose dunning attempt
  (with the old method) is at the gateway keeps its queued charge, which the
  worker makes to the new method once that attempt has been answered and left
  it unpaid (the buyer does not wait; that invoice is not in the answer).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from recurra.accounts.selectors import account_settings
from recurra.catalog.terms import CollectionMethod
from recurra.core import events, records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.invoicing.charge_requests import invoice_charge_queue
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.jobs.runner import job_run_now
from recurra.notifications.services import email_queue
from recurra.payments.models import IN_FLIGHT, Payment, PaymentOrigin, PaymentStatus
from recurra.payments.services import payment_method_add
from recurra.subscriptions import notices
from recurra.subscriptions.lifecycle import TERMINAL
from recurra.subscriptions.models import PaymentMethodUpdateLink, Subscription

LINK_DAYS = 7
TOKEN_BYTES = 32  # 256 bits


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _url_template() -> str:
    return settings.RECURRA_BASE_URL + reverse("web:update_payment_method", args=["TOKEN"])


def update_link_url(token: str) -> str:
    """The absolute URL of the public page a token opens (``reverse`` once, not per link)."""
    return _url_template().replace("/TOKEN/", f"/{token}/")


def update_link_new(subscription: Subscription, *, at: datetime) -> tuple[PaymentMethodUpdateLink, str]:
    """An unsaved link and its URL (for the billing run's bulk insert; else :func:`update_link_create`)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PaymentMethodUpdateLink(
        subscription=subscription,
        token_hash=token_hash(token),
        created_at=at,
        expires_at=at + timedelta(days=LINK_DAYS),
    )
    return link, update_link_url(token)


def update_link_create(
    *, subscription: Subscription, actor: Actor, at: datetime, email: bool
) -> tuple[PaymentMethodUpdateLink, str]:
    """A new link for ``subscription`` (``paymentmethodupdatelink.created``) and its URL; with
    ``email``, a ``payment_method_update`` email to the contact too. 409 when it has ended."""
    if subscription.status in TERMINAL:
        raise Conflict(f"subscription {subscription.pk} is {subscription.status}: nothing to update")
    link, url = update_link_new(subscription, at=at)
    with transaction.atomic():
        link.save(force_insert=True)
        events.record(
            type="paymentmethodupdatelink.created", obj=link, actor=actor, after=events.snapshot(link)
        )
        if email:
            draft = notices.payment_method_update(
                subscription, account_settings(), url=url, expires_at=link.expires_at
            )
            email_queue(draft, at=at)
    return link, url


def update_link_revoke(*, subscription: Subscription, actor: Actor, at: datetime) -> int:
    """Revoke every live link of ``subscription`` (one event each); how many were live."""
    with transaction.atomic():
        live = list(_live(subscription, at).select_for_update())
        for link in live:
            records.update(link, actor=actor, verb="revoked", revoked_at=at)
    return len(live)


def update_link_for_token(token: str, *, at: datetime) -> PaymentMethodUpdateLink | None:
    """The live link ``token`` opens (its subscription loaded), or None: tampered, unknown,
    expired, revoked, or its subscription has ended."""
    if not token or len(token) > 200:
        return None
    link = (
        PaymentMethodUpdateLink.objects.select_related("subscription", "subscription__contact")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or not _is_live(link, at):
        return None
    return link


def past_due_invoices(subscription: Subscription) -> QuerySet[Invoice]:
    """What the buyer owes: open invoices with something due that are overdue (a failed charge
    or a passed due date), and for invoices sent to be paid, every open one; oldest first."""
    return Invoice.objects.filter(
        Q(overdue_at__isnull=False) | Q(collection_method=CollectionMethod.SEND_INVOICE),
        subscription=subscription,
        status=InvoiceStatus.OPEN,
        amount_due__gt=0,
    ).order_by("period_start", "id")


@dataclass(frozen=True)
class Charged:
    """What a link's use charged at once: the payments made to the new method, oldest invoice first."""

    payments: list[Payment]

    @property
    def succeeded(self) -> int:
        """How many were captured."""
        return sum(p.status == PaymentStatus.SUCCEEDED for p in self.payments)

    @property
    def failed(self) -> int:
        """How many the gateway declined."""
        return sum(p.status == PaymentStatus.FAILED for p in self.payments)

    @property
    def processing(self) -> int:
        """How many await the gateway's answer (a bank debit, a charge with no answer yet)."""
        return sum(p.status in IN_FLIGHT for p in self.payments)


def update_link_use(*, link: PaymentMethodUpdateLink, token: str, at: datetime) -> Charged:
    """Save the method ``token`` stands for, make it the subscription's, charge every past-due invoice.

    422 on ``token`` when the gateway does not know it or the subscription does
    not allow its type (nothing saved); 409 when the link is no longer live.
    Returns the payments made now (nothing owed, or every charge waiting for an
    attempt on its way: none).
    """
    actor = buyer(link)
    with transaction.atomic():
        link = (
            PaymentMethodUpdateLink.objects.select_for_update().select_related("subscription").get(pk=link.pk)
        )
        if not _is_live(link, at):
            raise Conflict("this link has expired or was revoked")
        sub = Subscription.objects.select_for_update().select_related("contact").get(pk=link.subscription_id)
        method = payment_method_add(contact=sub.contact, token=token, actor=actor, at=at)
        allowed = list(sub.allowed_payment_methods)
        if method.type not in allowed:
            names = " or ".join(allowed) or "none"
            raise ValidationFailed.field(
                "token", f"a {method.type} payment method is not accepted here ({names})"
            )
        records.update(sub, actor=actor, payment_method=method)
        keys = {
            pk: invoice_charge_queue(
                invoice_id=pk, origin=PaymentOrigin.UPDATE_LINK, actor=actor, at=at, method_id=method.pk
            )
            for pk in past_due_invoices(sub).values_list("pk", flat=True)
        }
    ran = [pk for pk, key in keys.items() if job_run_now(dedupe_key=key, at=at)]
    # the method was saved by this use: what was charged to it for these invoices, this use made
    made = Payment.objects.filter(invoice_id__in=ran, payment_method=method, origin=PaymentOrigin.UPDATE_LINK)
    return Charged(
        list(made.select_related("invoice", "payment_method").order_by("invoice__period_start", "pk"))
    )


def buyer(link: PaymentMethodUpdateLink) -> Actor:
    """Who acts through a link: the buyer, known only by the link (events name it)."""
    return Actor("system", link.pk, "Buyer (payment-method update link)")


def _live(subscription: Subscription, at: datetime) -> QuerySet[PaymentMethodUpdateLink]:
    return PaymentMethodUpdateLink.objects.filter(
        subscription=subscription, revoked_at__isnull=True, expires_at__gt=at
    )


def _is_live(link: PaymentMethodUpdateLink, at: datetime) -> bool:
    return link.revoked_at is None and link.expires_at > at and link.subscription.status not in TERMINAL
