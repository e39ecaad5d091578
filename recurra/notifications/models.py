"""The message log: every email Recurra queues, renders and sends (or only logs), kept for good.

``data`` is everything the templates need, snapshotted by the caller when the
email is queued; rendering never reads other tables, so an email says what was
true when it was caused. The contact/subscription/invoice/payment ids are plain
text, not foreign keys: the log outlives the records it mentions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids
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
    LIST_EMAIL = "list_email", _("Email to a list")


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


class BulkEmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class BulkEmail(models.Model):
    """An email written once and sent to many contacts (a list's members), one ``list_email`` each.

    Counts: ``contacts`` given; ``recipients`` their unique addresses (case-insensitive; contacts
    without an address are none); each address ends ``sent`` (its message queued, then in the
    message log) or ``skipped_opted_out`` (a contact with that address is unsubscribed, at
    submission or by the time its batch is queued) or ``skipped_missing`` (its contact was
    deleted, or its address changed, meanwhile). Once ``sent``:
    ``sent + skipped_opted_out + skipped_missing == recipients``, and at every moment no more.
    """

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("bem"))
    subject = models.CharField(max_length=200)
    body = models.TextField()
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text='what it was sent to, e.g. "list:lst_…"',  # i18n: not text
    )
    status = models.CharField(max_length=10, choices=BulkEmailStatus.choices, default=BulkEmailStatus.QUEUED)
    contacts = models.PositiveIntegerField(default=0)
    recipients = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped_opted_out = models.PositiveIntegerField(default=0)
    skipped_missing = models.PositiveIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(
        default=0,
        help_text="runs in a row that failed without progress",  # i18n: not text
    )
    last_error = models.TextField(blank=True)
    created_by = models.JSONField(default=dict)  # the actor (core.actors.Actor.as_dict)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    recipients__gte=models.F("sent")
                    + models.F("skipped_opted_out")
                    + models.F("skipped_missing")
                ),
                name="bulk_email_counts_within_recipients",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.subject!r} ({self.status})"


class BulkEmailRecipient(models.Model):
    """An address still to be sent to: taken when the bulk email was submitted (its contacts as they
    were then), deleted in the transaction that queues its message (or skips it).

    ``address`` is the address in lower case (one row each); ``contact_id`` fills the placeholders
    and owns the unsubscribe link; ``other_contact_ids`` have the same address in another case
    (any of them unsubscribed skips the address).
    """

    id = models.BigAutoField(primary_key=True)
    bulk_email = models.ForeignKey(BulkEmail, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254)
    contact_id = models.CharField(max_length=ids.ID_LENGTH)
    other_contact_ids = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulk_email", "address"], name="bulk_email_recipient_once"),
        ]

    def __str__(self) -> str:
        return f"{self.address} of {self.bulk_email_id}"
