"""A unit of work for the billing engine: many rows changed and created, written in few statements.

Services of the billing run change model instances in memory through a
:class:`Batch`; :meth:`Batch.flush` then writes, inside the caller's
transaction, one UPDATE per model (``core.bulk.update_rows``), one INSERT per
model and chunk, the audit events, and the queued emails. Each changed row
gets one event with the fields that changed, before and after; its type
names the new status when the status moved (``payment.failed``,
``invoice.paid``, ``subscription.past_due``), else ``<model>.updated``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models

from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.bulk import insert_objects, update_columns
from recurra.core.models import Event
from recurra.notifications.services import EmailDraft, emails_queue

SYSTEM = Actor.system()


@functools.cache
def _attnames(model: type[models.Model]) -> dict[str, str]:
    """Each concrete field's attribute name (``contact_id``) by its name and by itself."""
    fields = model._meta.concrete_fields
    return {f.name: f.attname for f in fields} | {f.attname: f.attname for f in fields}


@functools.cache
def _timestamped(model: type[models.Model]) -> bool:
    return any(f.name == "updated_at" for f in model._meta.concrete_fields)


@dataclass
class Batch:
    at: datetime
    actor: Actor = SYSTEM
    _before: dict[tuple[type[models.Model], str], tuple[models.Model, dict[str, Any]]] = field(
        default_factory=dict
    )
    _new: dict[type, list[models.Model]] = field(default_factory=dict)
    _silent: set[int] = field(default_factory=set)
    _events: list[events.EventRow] = field(default_factory=list)
    _emails: list[EmailDraft] = field(default_factory=list)

    def change(self, obj: models.Model, **values: Any) -> None:
        """Set fields on a stored row; the first value seen of each field is its 'before'."""
        key = (type(obj), str(obj.pk))
        seen = self._before.get(key)
        if seen is None:
            seen = self._before[key] = (obj, {})
        before = seen[1]
        for name, value in values.items():
            if name not in before:
                before[name] = getattr(obj, name)
            setattr(obj, name, value)

    def add(self, *objs: models.Model, event: bool = True) -> None:
        """New rows; each gets a ``<model>.created`` event unless ``event=False`` (parts of another row)."""
        for obj in objs:
            self._new.setdefault(type(obj), []).append(obj)
            if not event:
                self._silent.add(id(obj))

    def email(self, *drafts: EmailDraft) -> None:
        self._emails.extend(drafts)

    def flush(self) -> None:
        """Write everything gathered so far (inside the caller's transaction) and start afresh."""
        self._write_changes()
        for objs in self._new.values():
            insert_objects(objs)
            self._events.extend(self._created(obj) for obj in objs if id(obj) not in self._silent)
        events.number(self._events)  # their ids all at once, in the order they were made
        insert_objects(self._events, model=Event)
        events.written(self._events)  # outgoing webhooks: their public events, in this transaction
        if self._emails:
            emails_queue(self._emails, at=self.at)
        self._before.clear()
        self._new.clear()
        self._silent.clear()
        self._events = []
        self._emails = []

    def _write_changes(self) -> None:
        by_model: dict[type[models.Model], list[tuple[models.Model, dict[str, Any]]]] = {}
        for (model, _pk), (obj, before) in self._before.items():
            changed = {name: old for name, old in before.items() if getattr(obj, name) != old}
            if changed:
                by_model.setdefault(model, []).append((obj, changed))
        for model, changes in by_model.items():
            names = sorted({name for _, changed in changes for name in changed})
            timestamped = _timestamped(model)
            fields = [*names, "updated_at"] if timestamped else names
            pks = []
            columns: list[list[Any]] = [[] for _ in fields]
            for obj, changed in changes:
                if timestamped:
                    obj.updated_at = self.at  # type: ignore[attr-defined]
                pks.append(obj.pk)
                for column, name in zip(columns, fields, strict=True):
                    column.append(getattr(obj, name))
                self._events.append(self._updated(obj, changed))
            update_columns(model, pks, dict(zip(fields, columns, strict=True)))

    def _updated(self, obj: models.Model, changed: dict[str, Any]) -> events.EventRow:
        name = obj._meta.model_name
        verb = str(vars(obj)["status"]) if "status" in changed else "updated"
        attnames = _attnames(type(obj))
        raw = self._raw
        return self._event(  # values as they are: the insert makes them JSON (events.dumps)
            f"{name}.{verb}",
            obj,
            before={attnames[k]: raw(v) for k, v in changed.items()},
            after={attnames[k]: raw(getattr(obj, k)) for k in changed},
        )

    def _created(self, obj: models.Model) -> events.EventRow:
        return self._event(f"{obj._meta.model_name}.created", obj, after=events.values_of(obj))

    def _event(self, type_: str, obj: models.Model, **data: Any) -> events.EventRow:
        return events.row(type=type_, obj=obj, actor=self.actor, at=self.at, numbered=False, **data)

    @staticmethod
    def _raw(value: Any) -> Any:
        return value.pk if isinstance(value, models.Model) else value
