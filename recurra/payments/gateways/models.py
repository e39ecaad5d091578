"""The sandbox gateway's own tables: what a processor would hold on its side.

They stand for an external system: only the sandbox gateway writes them, each
call in its own transaction. ``created_at`` is the ``at`` of the call (the
test clock), not the moment of the insert.
"""

from __future__ import annotations

from django.db import models

from recurra.core import ids


class SandboxMethod(models.Model):
    """A tokenized test method: the token it came from decides how its charges go."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("sbxpm"))
    token = models.CharField(max_length=40)
    type = models.CharField(max_length=10)
    brand = models.CharField(max_length=40)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField(null=True)
    exp_year = models.PositiveSmallIntegerField(null=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.pk} ({self.token})"


class SandboxCharge(models.Model):
    """One charge per idempotency key; a processing one settles lazily once ``settles_at`` is reached."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("sbxch"))
    idempotency_key = models.CharField(max_length=200, unique=True)
    method = models.ForeignKey(SandboxMethod, null=True, on_delete=models.PROTECT, related_name="charges")
    method_ref = models.CharField(
        max_length=100,
        help_text="the method id asked for (kept when unknown)",  # i18n: not text
    )
    method_type = models.CharField(max_length=10, blank=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=200, blank=True)
    retryable = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=40,
        help_text="its final outcome: a key of OUTCOMES",  # i18n: not text
    )
    created_at = models.DateTimeField()
    settles_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["method", "created_at"], name="sandbox_charge_method")]

    def __str__(self) -> str:
        return f"{self.pk} {self.amount} {self.currency} {self.status}"


class SandboxRefund(models.Model):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("sbxre"))
    idempotency_key = models.CharField(max_length=200, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=12, default="succeeded")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.pk} {self.amount}"


class SandboxFault(models.Model):
    """A first call a fault token failed before it reached the gateway (tok_timeout, tok_gateway_error).

    One row per (kind, key), inserted with the call's other writes: whoever
    inserts it gets the fault, every later or racing call goes through.
    ``tok_lost_reply`` needs no row: the call that made the charge or refund is the one whose reply is lost.
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("sbxft"))
    kind = models.CharField(
        max_length=10,
        help_text='"charge" or "refund"',  # i18n: not text
    )
    idempotency_key = models.CharField(max_length=200)
    fault = models.CharField(
        max_length=20,
        help_text="a key of FAULTS",  # i18n: not text
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "idempotency_key"], name="sandbox_fault_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.fault})"


class StripeCustomer(models.Model):
    """Which Stripe Customer stands for a contact (``contact/<id>``), or for a buyer's email before
    the contact exists (``email/<address>``): one per contact, so its saved methods stay together.

    A cache of Stripe's side that only the Stripe gateway writes; lost, it is found again at Stripe
    by the creation's idempotency key (24 hours) or a new Customer is made.
    """

    key = models.CharField(primary_key=True, max_length=300)
    customer_id = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} → {self.customer_id}"
