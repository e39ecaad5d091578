"""Invoices, their lines, and the gapless number sequence.

Each line names the subscription whose period it bills and that period
(``subscription``, ``period_start``, ``period_end``): a purchase invoice bills
the first periods of several subscriptions and one-time items at once, and
its ``subscription`` is set only when exactly one subscription has lines on
it. "A subscription's invoices" are those with a line of it
(``invoicing.selectors``).

An invoice of a subscription's period is unique per (subscription,
period_start): the database is the last guard against billing a period
twice. A prorated invoice (``subscriptions/editing.py``) bills the rest of
the current period after an edit; it has no ``period_index`` and is not
counted by that constraint. Numbers are
``<prefix><n>`` from :class:`InvoiceSequence`, taken in the same transaction
as the invoices they number (see ``invoicing/numbering.py``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from recurra.core import ids
from recurra.core.models import Timestamped
from recurra.core.money import Money


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    VOID = "void", pgettext_lazy("invoice status", "Void")
    UNCOLLECTIBLE = "uncollectible", pgettext_lazy("invoice status", "Uncollectible")


class Invoice(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("in"))
    number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        # A deleted subscription's invoices keep its id (and name): financial records stay whole.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="invoices",
        db_index=False,  # led by the indexes below
    )
    subscription_name = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="invoices")
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField(
        help_text="sum of the lines' net amounts (after discount, before tax)",  # i18n: not text
    )
    discount = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    amount_paid = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(
        default=0,
        help_text="given back from its payments; amount_paid stays what was paid",  # i18n: not text
    )
    amount_due = models.BigIntegerField()
    collection_method = models.CharField(max_length=30)
    payment_terms = models.CharField(max_length=20)
    issued_on = models.DateField()
    due_on = models.DateField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    period_index = models.PositiveIntegerField(null=True, blank=True)
    language = models.CharField(max_length=10, default="en")
    comments = models.TextField(blank=True)
    footer = models.TextField(blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    tax_id = models.CharField(max_length=100, blank=True)
    billing_address = models.JSONField(default=dict)
    shipping_address = models.JSONField(
        default=dict,
        blank=True,
        help_text="given by the buyer who paid online",  # i18n: not text
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when it was first seen past due",  # i18n: not text
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                # A prorated invoice (a subscription edit) bills part of a period and has no
                # period_index: it is not a period, so it is not counted here.
                condition=models.Q(
                    subscription__isnull=False, period_start__isnull=False, period_index__isnull=False
                ),
                name="invoice_one_per_subscription_period",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_due=models.F("total") - models.F("amount_paid")),
                name="invoice_amount_due_is_total_minus_paid",
            ),
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0), name="invoice_paid_gte_0"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0, amount_refunded__lte=models.F("amount_paid")),
                name="invoice_refunded_within_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="invoice_status_due"),
            models.Index(fields=["subscription", "status"], name="invoice_subscription"),
        ]

    def __str__(self) -> str:
        return self.number or self.pk

    @property
    def money_due(self) -> Money:
        return Money(self.amount_due, self.currency)

    @property
    def amount_before_discount(self) -> int:
        """The lines' quantity × unit price, before their discounts (``subtotal`` is after them):
        the "Subtotal" shown above "Discount", so that subtotal − discount + tax = total."""
        return self.subtotal + self.discount

    @property
    def refund_state(self) -> str:
        """``refunded`` when all that was paid went back, ``partially_refunded`` when some did, else ""."""
        if not self.amount_refunded:
            return ""
        return "refunded" if self.amount_refunded >= self.amount_paid else "partially_refunded"

    @property
    def subscription_ids(self) -> list[str]:
        """The subscriptions it names or has a line of, in id order (read through ``lines``,
        prefetched or not)."""
        ids = {line.subscription_id for line in self.lines.all() if line.subscription_id}
        return sorted(ids | ({self.subscription_id} if self.subscription_id else set()))


class InvoiceLine(models.Model):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("il"))
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    # The subscription whose period this line bills (None: a one-time item). A purchase invoice
    # has lines of several subscriptions; a deleted subscription's lines keep its id.
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="invoice_lines",
        db_index=False,  # led by "invoice_line_subscription"
    )
    line_item_id = models.CharField(
        max_length=ids.ID_LENGTH,
        blank=True,
        help_text="the line item it bills",  # i18n: not text
    )
    product_id = models.CharField(max_length=ids.ID_LENGTH, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    quantity = models.PositiveIntegerField()
    unit_amount = models.BigIntegerField()
    discount_percent = models.DecimalField(max_digits=7, decimal_places=4)
    tax_rate_percent = models.DecimalField(max_digits=7, decimal_places=4)
    amount_discount = models.BigIntegerField()
    amount_subtotal = models.BigIntegerField()
    amount_tax = models.BigIntegerField()
    amount_total = models.BigIntegerField()
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(
                fields=["subscription"],
                condition=models.Q(subscription__isnull=False),
                name="invoice_line_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def amount_before_discount(self) -> int:
        """quantity × unit price: ``amount_subtotal`` is after the discount."""
        return self.amount_subtotal + self.amount_discount


class InvoiceSequence(models.Model):
    """The last number used per prefix. Its row is locked only for the instant numbers are taken."""

    prefix = models.CharField(primary_key=True, max_length=20)
    last_number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}{self.last_number}"
