"""Users (with a role) and API keys (stored only as a hash)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.accounts.roles import Role
from recurra.core import clock, ids
from recurra.crm.models import Address


class User(AbstractUser):
    # help_text here is a note for developers (no form or page shows it): not translated.
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    # The language of their pages (a code of settings.LANGUAGES); blank: the account's language.
    language = models.CharField(max_length=10, blank=True)
    export_language = models.CharField(
        max_length=10,
        blank=True,
        help_text="the language of their last export's headers: their next default",  # i18n: not text
    )

    def __str__(self) -> str:
        """As the pages and the API name a user (an owner, say): their full name, else their username."""
        return self.get_full_name() or self.get_username()

    def has_role(self, needed: str) -> bool:
        from recurra.accounts.roles import allows

        return self.is_active and allows(self.role, needed)


class ApiKey(models.Model):
    """A bearer key for the REST API. The secret is shown once; only its SHA-256 is kept.

    SHA-256 (not a slow password hash) is right here: the secret is 256 random
    bits, so there is nothing to brute-force, and every request must look it up.
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("key"))
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=Role.choices)
    prefix = models.CharField(
        max_length=16,
        help_text="first characters, to recognise a key",  # i18n: not text
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_keys"
    )
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class FinalFailureAction(models.TextChoices):
    KEEP_PAST_DUE = "keep_past_due", _("Keep as Unpaid")
    CANCEL = "cancel", _("Cancel the subscription")
    PAUSE = "pause", _("Pause the subscription")


def _default_retry_schedule() -> list[int]:
    return [3, 5, 7]


class AccountSettings(Address):
    """The business's settings: one row. Billing dates are dates in ``timezone``.

    The address columns (from :class:`~recurra.crm.models.Address`) and the ``seller_*`` fields are
    the seller's details printed on invoices; all optional.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    business_name = models.CharField(max_length=200, default="Recurra demo business")
    timezone = models.CharField(max_length=64, default="UTC")
    default_currency = models.CharField(max_length=3, default="USD")
    default_language = models.CharField(max_length=10, default="en")
    invoice_number_prefix = models.CharField(max_length=20, default="INV-")
    payment_reminders_enabled = models.BooleanField(default=True)
    reminder_days_before = models.PositiveSmallIntegerField(default=14)
    failed_payment_emails_enabled = models.BooleanField(default=True)
    admin_notifications_enabled = models.BooleanField(default=True)
    admin_notifications_digest = models.BooleanField(
        default=False,
        help_text="one daily summary instead of a notice per payment",  # i18n: not text
    )
    retry_schedule_days = models.JSONField(default=_default_retry_schedule)
    final_failure_action = models.CharField(
        max_length=20, choices=FinalFailureAction.choices, default=FinalFailureAction.KEEP_PAST_DUE
    )
    seller_email = models.CharField(max_length=254, blank=True)
    seller_phone = models.CharField(max_length=40, blank=True)
    seller_tax_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="VAT or organisation number",  # i18n: not text
    )
    seller_website = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "account settings"

    def __str__(self) -> str:
        return f"settings of {self.business_name}"
