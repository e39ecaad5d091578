"""Saved views: a user's named filters, columns and sort of a list, private or shared with the team.

The default views (All, Unpaid, Scheduled) are not rows: see
:mod:`recurra.saved_views.defaults`. ``filters`` is the JSON of
:mod:`recurra.saved_views.spec`, stored as checked and written back by it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from recurra.core import ids
from recurra.core.models import Timestamped


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Only me")
    TEAM = "team", _("Everyone on the team")


class ListObject(models.TextChoices):
    SUBSCRIPTIONS = "subscriptions", _("Subscriptions")


class SavedView(Timestamped):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("view"))
    object = models.CharField(max_length=30, choices=ListObject.choices, default=ListObject.SUBSCRIPTIONS)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a team view outlives its maker; a private one is then nobody's
        related_name="saved_views",
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    filters = models.JSONField(default=dict)
    columns = models.JSONField(default=list)
    sort = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object", "visibility", "owner"], name="saved_view_visible")]
        constraints = [
            models.UniqueConstraint("object", "owner", Lower("name"), name="saved_view_name_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.name
