"""Saved payment methods (gateway tokens and display hints only) and payments.

A payment is written, with its idempotency key, *before* the gateway is
called; its status is ``pending`` until the gateway's answer is recorded. A
crash in between leaves it ``pending``, and the reconciler settles it by
looking the charge up by that key. The key is unique: one charge per payment.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import ids
from recurra.core.models import Timestamped
from recurra.core.money import Money
from recurra.payments.brands import method_text


class MethodType(models.TextChoices):
    CARD = "card", _("Card")
    ACH = "ach", _("Bank debit (ACH)")
    SEPA_DEBIT = "sepa_debit", _("Bank debit (SEPA)")
    OFFLINE = "offline", _("Paid offline")  # a payment staff recorded (never a saved method's type)


class OfflineMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    OTHER = "other", _("Other")


class PaymentMethod(Timestamped):
    """A contact's saved method: the gateway's id for it and what may be shown (brand, last4, expiry)."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("pm"))
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="payment_methods")
    gateway = models.CharField(max_length=20)
    gateway_method_id = models.CharField(max_length=100)
    gateway_customer_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="the processor's customer it is attached to (Stripe's cus_…)",  # i18n: not text
    )
    type = models.CharField(max_length=10, choices=MethodType.choices)
    brand = models.CharField(max_length=40, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    mandate = models.CharField(
        max_length=100,
        blank=True,
        help_text="a bank debit's mandate reference",  # i18n: not text
    )
    detached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_method_id"], name="payment_method_gateway_id")
        ]

    def __str__(self) -> str:
        return method_text(type_label=str(self.get_type_display()), brand=self.brand, last4=self.last4)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # written, gateway not yet answered (or answer not yet recorded)
    # On-session (the buyer on the invoice page): the processor waits for the buyer to authenticate
    # it (3-D Secure); its lease says until when, then the reconciler cancels and fails it.
    REQUIRES_ACTION = "requires_action", _("Awaiting authentication")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    DISPUTED = "disputed", _("Disputed")  # the buyer's bank disputes it (a chargeback); see dispute_status


# A payment whose outcome is not yet known: nothing else may charge its invoice meanwhile.
IN_FLIGHT = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)


class PaymentOrigin(models.TextChoices):
    """What made a payment attempt: dunning counts only ``renewal`` and ``retry`` (billing.dunning)."""

    RENEWAL = "renewal", _("Renewal")  # the billing run's first charge of an invoice
    RETRY = "retry", _("Scheduled retry")
    MANUAL = "manual", _("Retried by staff")
    UPDATE_LINK = "update_link", _("Paid through the update link")
    OFFLINE = "offline", _("Recorded by staff (paid offline)")
    PRORATION = "proration", _("Proration")  # the prorated invoice of a subscription edit
    ONLINE = "online", _("Paid online")  # the buyer paid an invoice on its public page
    CHECKOUT = "checkout", _("Checkout")  # the first payment of a payment link or a quote


class Payment(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("pay"))
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        # A deleted subscription's payments keep its id: financial records stay whole.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="payments",
    )
    contact = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="payments")
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    amount = models.BigIntegerField()
    amount_refunded = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    method_type = models.CharField(max_length=10, choices=MethodType.choices)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    gateway = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway_charge_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="the processor's id for the charge (Stripe's PaymentIntent)",  # i18n: not text
    )
    dispute_status = models.CharField(
        max_length=30,
        blank=True,
        help_text="Stripe's status of a dispute on it (needs_response, won, lost…)",  # i18n: not text
    )
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    retryable = models.BooleanField(default=False)
    origin = models.CharField(max_length=20, choices=PaymentOrigin.choices, default=PaymentOrigin.RENEWAL)
    offline_method = models.CharField(max_length=20, choices=OfflineMethod.choices, blank=True)
    reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="paid offline: its reference",  # i18n: not text
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    lease_until_ms = models.BigIntegerField(
        default=0,
        help_text=(
            "real epoch ms until which the worker that wrote it"  # i18n: not text
            " owns the gateway call"
        ),
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "lease_until_ms"], name="payment_open_outcomes")]

    def __str__(self) -> str:
        return f"{self.pk} {self.money}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class Refund(Timestamped):
    """Money given back from a payment, reserved before the gateway is called.

    A refund is written ``pending`` with its own idempotency key under a lock
    on its payment, so the pending ones and ``Payment.amount_refunded`` together
    never exceed the payment; the gateway is then called with that key, and its
    answer turns the refund ``succeeded`` (added to ``amount_refunded``) or
    ``failed`` (the reservation released). A crash or an unknown outcome leaves
    it ``pending``, still reserved, until a retry with the same key completes it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("re"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    # Whose money it gives back: its total_collected goes down when it succeeds (None: no single
    # subscription's, e.g. a one-time item of a purchase).
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="refunds",
        db_index=False,
    )
    amount = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway_refund_id = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_gt_0")]
        indexes = [models.Index(fields=["payment", "status"], name="refund_payment_status")]

    def __str__(self) -> str:
        return f"{self.pk} {self.money}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.payment.currency)


class StripeEventOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored; its job has not run yet
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")  # a type Recurra does not use, or about nothing of Recurra's
    FAILED = "failed", _("Failed")  # see ``detail``; its job retries one that may pass later


class StripeEvent(models.Model):
    """An event Stripe sent to ``/webhooks/stripe``, stored once by Stripe's id with its whole payload.

    Stored (signature checked) in the transaction that queues the job processing it, so a
    delivery Stripe sends again, or twice at once, is one row and one job. ``created`` is
    Stripe's (when it happened there); ``received_at`` and ``processed_at`` are Recurra's clock.
    """

    id = models.CharField(
        primary_key=True,
        max_length=255,
        help_text="Stripe's event id (evt_…)",  # i18n: not text
    )
    type = models.CharField(max_length=100)
    object_id = models.CharField(
        max_length=255,
        blank=True,
        help_text="the id of the event's data.object",  # i18n: not text
    )
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(
        help_text="when it happened at Stripe",  # i18n: not text
    )
    payload = models.JSONField(
        help_text="the event as Stripe sent it",  # i18n: not text
    )
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=StripeEventOutcome.choices, default=StripeEventOutcome.RECEIVED
    )
    detail = models.CharField(
        max_length=500,
        blank=True,
        help_text="what processing did, or why it failed",  # i18n: not text
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="stripe_event_received"),
            models.Index(fields=["object_id", "created"], name="stripe_event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.type} ({self.outcome})"
