"""Where subscriptions come from: payment links, quotes, and the purchases made on them.

A :class:`Purchase` is one buyer's checkout of a payment link or a quote. It
is written (``pending``) before the gateway is asked for the first payment,
with the charge's idempotency key, so that a crash between the charge and
the records is settled by reconciliation (``commerce.reconcile``) rather than
lost or charged twice. A declined charge leaves only the ``declined``
purchase: no contact, invoice, payment or subscription.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import LineItemFields
from recurra.core import ids
from recurra.core.models import Timestamped


def _all_methods() -> list[str]:
    return ["card", "ach"]


class CheckoutSettings(models.Model):
    """What a checkout asks of the buyer, shared by payment links and payable quotes."""

    allowed_payment_methods = models.JSONField(default=_all_methods)
    collect_billing_address = models.BooleanField(default=False)
    collect_shipping_address = models.BooleanField(default=False)
    save_payment_method = models.BooleanField(
        default=True,
        help_text="keep the method to charge future payments (needed for recurring items)",  # i18n: not text
    )

    class Meta:
        abstract = True


class PaymentLink(Timestamped, CheckoutSettings):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("plink"))
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3)
    deal = models.ForeignKey(
        "crm.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="payment_links"
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="its page then says it is gone",  # i18n: not text
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class PaymentLinkLineItem(LineItemFields):
    payment_link = models.ForeignKey(PaymentLink, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineItemFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ACCEPTED = "accepted", _("Accepted")  # signed; paid too when payment is enabled
    CONVERTED = "converted", _("Converted")  # turned into subscriptions or an invoice by the seller


class Quote(Timestamped, CheckoutSettings):
    """A priced offer from a deal. Past ``expires_on`` (account's zone) it cannot be accepted."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("quo"))
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    deal = models.ForeignKey("crm.Deal", on_delete=models.PROTECT, related_name="quotes")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    currency = models.CharField(max_length=3)
    expires_on = models.DateField()
    payment_enabled = models.BooleanField(
        default=False,
        help_text="the buyer pays on the quote page",  # i18n: not text
    )
    language = models.CharField(max_length=10, default="en")
    comments = models.TextField(blank=True, max_length=2000)
    published_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="the name the buyer typed",  # i18n: not text
    )
    signed_email = models.EmailField(blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class QuoteLineItem(LineItemFields):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineItemFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # written; the gateway's answer not yet recorded
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")


class Purchase(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("pur"))
    status = models.CharField(max_length=20, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING)
    payment_link = models.ForeignKey(
        PaymentLink, null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    gateway = models.CharField(max_length=20)
    gateway_method_id = models.CharField(
        max_length=100,
        help_text="the gateway's id, never a card number",  # i18n: not text
    )
    gateway_customer_id = models.CharField(max_length=100, blank=True)
    gateway_charge_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="the processor's charge, stored before it is confirmed",  # i18n: not text
    )
    method_type = models.CharField(max_length=10)
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
    amount = models.BigIntegerField(help_text="charged today")  # i18n: not text
    currency = models.CharField(max_length=3)
    # The language the buyer bought in (their page's): their invoice's, subscriptions' and emails'.
    # Blank: the source's (a quote's own language; a payment link's, the account's).
    language = models.CharField(max_length=10, blank=True, default="")
    idempotency_key = models.CharField(max_length=100, unique=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="purchases"
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="purchase_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment_link__isnull=True) ^ models.Q(quote__isnull=True),
                name="purchase_of_a_link_or_a_quote",
            )
        ]

    def __str__(self) -> str:
        return self.pk
