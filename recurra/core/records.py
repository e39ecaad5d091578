"""Create, change and delete a record together with its audit event.

The shared mechanics of the simple CRUD use cases; each domain's services
decide what is allowed and call these inside their own rules.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event

M = TypeVar("M", bound=models.Model)


def _event_type(obj: models.Model | type[models.Model], verb: str) -> str:
    return f"{obj._meta.model_name}.{verb}"


def create(model: type[M], *, actor: Actor, unique_field: str | None = None, **values: Any) -> M:
    """Insert a row and its ``<model>.created`` event; a unique clash is a 422 on ``unique_field``."""
    with transaction.atomic():
        obj = model(**values)
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
        except IntegrityError as exc:
            raise _unique_error(exc, unique_field) from exc
        events.record(type=_event_type(obj, "created"), obj=obj, actor=actor, after=events.snapshot(obj))
    return obj


def update(
    obj: M, *, actor: Actor, unique_field: str | None = None, verb: str = "updated", **changes: Any
) -> M:
    """Set fields and save; one ``<model>.<verb>`` event with the fields that changed."""
    before = events.snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    with transaction.atomic():
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as exc:
            raise _unique_error(exc, unique_field) from exc
        events.record_update(type=_event_type(obj, verb), obj=obj, actor=actor, before=before)
    return obj


def delete(obj: models.Model, *, actor: Actor, in_use: str) -> None:
    """Delete a row and write ``<model>.deleted``; a protected reference is a 409 saying ``in_use``.

    Rows whose link to it the database clears (``on_delete=SET_NULL``) each get
    a ``<their model>.updated`` event, so the trail shows why the link is gone.
    """
    before = events.snapshot(obj)
    with transaction.atomic():
        events.record(type=_event_type(obj, "deleted"), obj=obj, actor=actor, before=before)
        _record_unlinks(obj, actor)
        try:
            with transaction.atomic():
                obj.delete()
        except models.ProtectedError as exc:
            raise Conflict(in_use) from exc


def _record_unlinks(obj: models.Model, actor: Actor) -> None:
    for relation in obj._meta.related_objects:
        if not relation.one_to_many or relation.on_delete is not models.SET_NULL:
            continue
        related, column = relation.related_model, relation.field.attname
        pks = related._default_manager.filter(**{column: obj.pk}).values_list("pk", flat=True)
        made = Event.objects.bulk_create(
            (
                events.build(
                    type=_event_type(related, "updated"),
                    obj=related(pk=pk),
                    actor=actor,
                    before={column: obj.pk},
                    after={column: None},
                )
                for pk in pks.iterator()
            ),
            batch_size=1000,
        )
        events.written(made)


def _unique_error(exc: IntegrityError, field: str | None) -> Exception:
    if field is None:
        return exc
    return ValidationFailed.field(field, "is already in use")
