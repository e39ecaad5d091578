"""The message log: every email Recurra queues, renders and sends (or only logs), kept for good.

``data`` is everything the templates need, snapshotted by the caller when the
email is queued; rendering never reads other tables, so an email says what was
true when it was caused. The contact/subscription/invoice/payment ids are plain
text, not foreign keys: the log outlives the records it mentions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import ids
from recurra.core.models import Timestamped
from recurra.jobs.models import QueuedWork


class EmailKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PAYMENT_ACTION_REQUIRED = "payment_action_required", _("Confirm your payment")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    PAYMENT_METHOD_UPDATE = "payment_method_update", _("Update payment method")
    CANCELLATION = "cancellation", _("Cancellation")
    SUBSCRIPTION_CHANGED = "subscription_changed", _("Subscription changed")
    INVOICE = "invoice", _("Invoice")
    ADMIN_PAYMENT_SUCCEEDED = "admin_payment_succeeded", _("Payment succeeded (admin)")
    ADMIN_PAYMENT_FAILED = "admin_payment_failed", _("Payment failed (admin)")
    ADMIN_PAYMENT_DISPUTED = "admin_payment_disputed", _("Payment disputed (admin)")
    EXPORT_READY = "export_ready", _("Export ready")
    ADMIN_DIGEST = "admin_digest", _("Daily payments summary (admin)")
    ADMIN_WEBHOOK_DISABLED = "admin_webhook_disabled", _("Webhook endpoint disabled (admin)")
    WORKFLOW_NOTIFICATION = "workflow_notification", _("Workflow notification (internal)")


class EmailLanguage(models.TextChoices):
    EN = "en", "English"
    NB = "nb", "Norsk bokmål"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")  # claimed by a worker (leased)
    SENT = "sent", _("Sent")
    LOGGED = "logged", _("Logged")  # recorded only: no EMAIL_URL, so nothing left the machine
    FAILED = "failed", _("Failed")


class EmailMessage(QueuedWork, Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("em"))
    to = models.EmailField(max_length=254)
    kind = models.CharField(max_length=40, choices=EmailKind.choices)
    language = models.CharField(max_length=10, choices=EmailLanguage.choices, default=EmailLanguage.EN)
    data = models.JSONField(default=dict)
    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="handed to SMTP, or logged",  # i18n: not text
    )
    # NULL = no dedupe; NULLs never collide in a unique index (SQLite and PostgreSQL).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    contact_id = models.CharField(max_length=ids.ID_LENGTH, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=ids.ID_LENGTH, blank=True)
    invoice_id = models.CharField(max_length=ids.ID_LENGTH, blank=True, db_index=True)
    payment_id = models.CharField(max_length=ids.ID_LENGTH, blank=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "email"
        indexes = [
            *QueuedWork.Meta.indexes,
            # GET /emails filters, newest first (keyset on id)
            models.Index(fields=["to", "-id"], name="email_by_to"),
            models.Index(fields=["subscription_id", "-id"], name="email_by_subscription"),
            models.Index(fields=["kind", "-id"], name="email_by_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind} to {self.to} ({self.status})"
