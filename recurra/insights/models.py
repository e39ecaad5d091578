"""Lists of contacts or companies (``insights.lists``).

An *active* list is its filters: its members are a query, never a copy, and also kept in
:class:`ListMember` by the ``lists`` reader of the audit trail, which records each join and leave as
an event (``list.member_added`` / ``list.member_removed``). A *static* list's members are its
:class:`ListMember` rows, added and removed by hand (or copied from an active list once).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recurra.core import clock, ids
from recurra.core.models import Timestamped


class ListObject(models.TextChoices):
    CONTACTS = "contacts", _("Contacts")
    COMPANIES = "companies", _("Companies")


class ListKind(models.TextChoices):
    ACTIVE = "active", _("Active")
    STATIC = "static", _("Static")


class RecordList(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("lst"))
    name = models.CharField(max_length=200)
    object = models.CharField(max_length=10, choices=ListObject.choices)
    kind = models.CharField(max_length=10, choices=ListKind.choices)
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refreshed_on = models.DateField(
        null=True,
        blank=True,
        help_text="active lists: the account-local day its members were last all evaluated",  # i18n: not text
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class ListMember(models.Model):
    """A member of a list: a contact's or a company's id (the list's object), since ``added_at``."""

    list = models.ForeignKey(RecordList, on_delete=models.CASCADE, related_name="members")
    record_id = models.CharField(max_length=ids.ID_LENGTH)
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list", "record_id"], name="list_member_once")]
        indexes = [models.Index(fields=["record_id"], name="list_member_record")]
