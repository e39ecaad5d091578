"""Exports: a snapshot of what to export (a view's filters, columns and sort at the time it was
asked), and the queued job that writes its file, with its progress and outcome.

The row is the job (a :class:`~recurra.jobs.models.QueuedWork`): written in the
request's transaction, run by the worker, retried after a crash. Its file lives
under the data directory until ``expires_at``, then is removed (``removed_at``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids
from recurra.jobs.models import QueuedWork


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the worker")
    PROCESSING = "processing", _("Writing the file")
    COMPLETE = "complete", _("Ready")
    FAILED = "failed", _("Failed")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    XLS = "xls", _("Excel 97–2003 (XLS)")


class ExportScope(models.TextChoices):
    VIEW = "view", _("Properties in the view")
    ALL_PROPERTIES = "all_properties", _("All properties")
    ALL_WITH_ASSOCIATIONS = "all_properties_and_associations", _("All properties and associations")


class Export(QueuedWork):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("exp"))
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    object = models.CharField(max_length=30, default="subscriptions")
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    language = models.CharField(max_length=10)
    scope = models.CharField(max_length=40, choices=ExportScope.choices, default=ExportScope.VIEW)
    associations_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="associated records per cell; null: all",  # i18n: not text
    )
    view_id = models.CharField(
        max_length=ids.ID_LENGTH,
        help_text="the view it was asked from",  # i18n: not text
    )
    view_name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict)  # the view's (or the page's) filters, as asked
    columns = models.JSONField(default=list)  # the view's columns, in order
    sort = models.CharField(max_length=61)
    scope_filters = models.JSONField(
        default=dict,
        help_text="a record's list: contact_id or company_id",  # i18n: not text
    )
    as_of = models.DateTimeField(
        help_text="relative dates (next 7 days) are read as on this instant",  # i18n: not text
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="exports"
    )
    requested_by_name = models.CharField(max_length=200)
    notify_email = models.EmailField(
        blank=True,
        help_text="who gets the export_ready email",  # i18n: not text
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    zip_size = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="set when a zipped copy was made",  # i18n: not text
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when its files were removed",  # i18n: not text
    )

    class Meta(QueuedWork.Meta):
        ordering = ["-id"]
        indexes = [
            *QueuedWork.Meta.indexes,
            models.Index(fields=["removed_at", "expires_at"], name="export_expiry"),
        ]

    def __str__(self) -> str:
        return gettext("%(format)s export of %(view)s") % {
            "format": self.get_format_display(),
            "view": self.view_name,
        }

    def expired(self, at: datetime) -> bool:
        """Past its 30 days (its link no longer works), or its files already removed."""
        return self.removed_at is not None or (self.expires_at is not None and self.expires_at <= at)

    @property
    def percent(self) -> int:
        """How much of it is written."""
        if self.status == ExportStatus.COMPLETE:
            return 100
        return 100 * self.rows_done // self.rows_total if self.rows_total else 0
