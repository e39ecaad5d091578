"""Subscriptions and their line items (copies, owned by the subscription).

Schedule fields: ``start_date`` is the anchor; period ``n`` starts at
``schedule.period_start(start_date, step, n)``. ``periods_billed`` counts the
periods invoiced so far, so ``next_payment_date`` is the start of period
``periods_billed`` (None once a fixed term is fully billed or the
subscription has ended). The amounts and ``mrr`` are kept on the row so that
lists, filters and reports need no joins; the services keep them true, and
the database derives ``mrr`` from ``line_items_mrr`` and the status.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import LineItemFields
from recurra.catalog.terms import BillingFrequency, BillingTerms, CollectionMethod, PaymentTerms
from recurra.core import ids
from recurra.core.models import Timestamped
from recurra.crm.models import Address, Owned


class SubscriptionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Unpaid")
    PAUSED = "paused", _("Paused")
    CANCELED = "canceled", _("Canceled")
    EXPIRED = "expired", _("Expired")


# The statuses whose subscriptions carry MRR: started and not ended or paused.
MRR_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def mrr_in_status(status: str, line_items_mrr: int) -> int:
    """The MRR a subscription carries in ``status`` (what the database derives into ``mrr``).

    >>> mrr_in_status("active", 4900), mrr_in_status("past_due", 4900), mrr_in_status("canceled", 4900)
    (4900, 4900, 0)
    """
    return line_items_mrr if status in MRR_STATUSES else 0


def _all_methods() -> list[str]:
    return ["card", "ach"]


class Subscription(Timestamped, Address, Owned):
    """A recurring charge for one contact: line items sharing frequency, terms, start and payments.

    The address columns (from :class:`Address`) are the billing address.
    """

    # Not columns: set by selectors.with_associations (the API object's associations).
    loaded_line_items: list[SubscriptionLineItem]
    billed_ids: tuple[list[str], list[str]]

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("sub"))
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=SubscriptionStatus.choices)
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.PROTECT,
        related_name="subscriptions",
        db_index=False,  # led by "subscription_contact"
    )
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    deal = models.ForeignKey(
        "crm.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    # Where it came from: a payment link or a quote, and the buyer's purchase (its first payment).
    payment_link = models.ForeignKey(
        "commerce.PaymentLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    quote = models.ForeignKey(
        "commerce.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    purchase = models.ForeignKey(
        "commerce.Purchase", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    currency = models.CharField(max_length=3)
    billing_frequency = models.CharField(max_length=20, choices=BillingFrequency.choices)
    billing_terms = models.CharField(max_length=20, choices=BillingTerms.choices)
    number_of_payments = models.PositiveIntegerField(null=True, blank=True)

    start_date = models.DateField(help_text="the anchor: period n starts n steps after it")  # i18n: not text
    # Re-anchored (resumed after a pause, next payment date moved): period ``anchor_period``
    # starts on ``anchor_date`` and the others whole steps from it; None: start_date, period 0.
    anchor_date = models.DateField(null=True, blank=True)
    anchor_period = models.PositiveIntegerField(default=0)
    periods_billed = models.PositiveIntegerField(default=0)
    next_payment_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    reminded_for = models.DateField(
        null=True,
        blank=True,
        help_text="the payment date the last payment reminder was sent for",  # i18n: not text
    )

    next_payment_amount = models.BigIntegerField(default=0)
    last_payment_amount = models.BigIntegerField(null=True, blank=True)
    payments_made = models.PositiveIntegerField(default=0)
    total_collected = models.BigIntegerField(default=0)
    line_items_mrr = models.BigIntegerField(
        default=0,
        help_text="the line items' net recurring total normalised to a month, "  # i18n: not text
        "whatever the status",
    )
    # Recurring revenue counts only while it recurs: 0 when scheduled, paused, canceled or expired.
    mrr = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=MRR_STATUSES, then=models.F("line_items_mrr")),
            default=models.Value(0),
            output_field=models.BigIntegerField(),
        ),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    collection_method = models.CharField(max_length=30, choices=CollectionMethod.choices)
    payment_terms = models.CharField(
        max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.DUE_ON_RECEIPT
    )
    payment_method = models.ForeignKey(
        "payments.PaymentMethod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    accept_online_payment = models.BooleanField(default=True)
    allowed_payment_methods = models.JSONField(default=_all_methods)
    collect_billing_address = models.BooleanField(default=False)
    collect_shipping_address = models.BooleanField(default=False)
    save_payment_method = models.BooleanField(default=True)

    invoice_comments = models.TextField(blank=True, max_length=2000)
    invoice_footer = models.TextField(blank=True, max_length=2000)
    invoice_po_number = models.CharField(max_length=100, blank=True)
    invoice_tax_id = models.CharField(max_length=100, blank=True)
    invoice_language = models.CharField(max_length=10, default="en")

    cancel_at_period_end = models.BooleanField(default=False)
    cancel_refund = models.CharField(
        max_length=10,
        blank=True,
        help_text="canceled now: what its refund choice was (none or prorated); "  # i18n: not text
        "a charge still on its way then is refunded by the same choice once it succeeds",
    )
    canceled_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=500, blank=True)
    resume_on = models.DateField(
        null=True,
        blank=True,
        help_text="a paused subscription resumes by itself on this day",  # i18n: not text
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    @property
    def anchor(self) -> tuple[date, int]:
        """``(day, period)``: billing period ``period`` starts on ``day``, every other one whole
        steps from it (``schedule.period_start(day, step, n - period)``)."""
        return (self.anchor_date or self.start_date, self.anchor_period)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The index's status tabs and filters in next-payment order (keyset: then id).
            models.Index(fields=["status", "next_payment_date", "id"], name="subscription_status_due"),
            # The billing run's claim: billable rows in due order, read from the index and
            # stopped after one batch (no sort of every due row per batch).
            models.Index(
                fields=["next_payment_date", "id"],
                condition=models.Q(status__in=["scheduled", "active", "past_due"]),
                name="subscription_billable_due",
            ),
            models.Index(fields=["next_payment_date", "id"], name="subscription_next_payment_id"),
            models.Index(fields=["contact", "status"], name="subscription_contact"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(billing_terms="auto_renew") | models.Q(number_of_payments__gte=1),
                name="subscription_fixed_has_payments",
            ),
            models.CheckConstraint(
                condition=models.Q(payments_made__lte=models.F("periods_billed")),
                name="subscription_paid_within_billed",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SubscriptionLineItem(LineItemFields):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineItemFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class PaymentMethodUpdateLink(models.Model):
    """A link that lets the buyer save a new payment method for one subscription (``update_links``).

    Only the SHA-256 of the link's random token is kept: the token itself lives
    in the URL that was emailed or returned once, never in a table or a log.
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("pmul"))
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="update_links", db_index=False
    )
    token_hash = models.CharField(
        max_length=64,
        unique=True,
        help_text="hex SHA-256 of the token",  # i18n: not text
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["subscription", "expires_at"], name="update_link_subscription")]

    def __str__(self) -> str:
        return f"update link {self.pk}"


def invoice_fields(sub: Subscription) -> dict[str, Any]:
    """What every invoice of ``sub`` takes from it: who, currency, collection, its invoice settings."""
    return {
        "subscription": sub,
        "subscription_name": sub.name,
        "contact_id": sub.contact_id,
        "company_id": sub.company_id,
        "currency": sub.currency,
        "collection_method": sub.collection_method,
        "payment_terms": sub.payment_terms,
        "language": sub.invoice_language,
        "comments": sub.invoice_comments,
        "footer": sub.invoice_footer,
        "po_number": sub.invoice_po_number,
        "tax_id": sub.invoice_tax_id,
        "billing_address": sub.address,
    }
