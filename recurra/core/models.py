"""Core tables: the sandbox test clock and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import models

from recurra.core import clock, ids


class Timestamped(models.Model):
    """``created_at`` / ``updated_at`` from Recurra's clock (simulated time in sandbox)."""

    created_at = models.DateTimeField(default=clock.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(default=clock.now, editable=False)  # = created_at on insert

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self.updated_at = self.created_at
        else:
            self.updated_at = clock.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class TestClock(models.Model):
    """The sandbox clock: ``simulated_at`` was the time when the real clock read ``real_at``."""

    SINGLETON: ClassVar[int] = 1
    __test__ = False  # not a pytest test class

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    simulated_at = models.DateTimeField()
    real_at = models.DateTimeField()
    frozen = models.BooleanField(default=False)

    def read(self, real_now: datetime) -> datetime:
        if self.frozen:
            return self.simulated_at
        return self.simulated_at + max(real_now - self.real_at, timedelta(0))


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class Event(models.Model):
    """One state change: who, when, what, before and after. Never updated or deleted."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("evt"))
    type = models.CharField(max_length=80)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=ids.ID_LENGTH)
    actor_type = models.CharField(max_length=10)
    actor_id = models.CharField(max_length=ids.ID_LENGTH, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["object_id", "created_at"]),
            models.Index(fields=["type", "created_at"]),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class AuditCursor(models.Model):
    """How far a reader of the audit trail has got (``core.cursors``): every event with a smaller id
    has been read. One row per reader (``workflows``, ``lists``), locked while it reads."""

    name = models.CharField(primary_key=True, max_length=40)
    position = models.CharField(max_length=ids.ID_LENGTH, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
