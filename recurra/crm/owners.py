"""Owners: the user on the team who answers for a contact, company, deal or subscription.

Rules:
- An owner is a user who is active when assigned: an unknown or deactivated
  user (or an id that is not a whole number) is a 422 on ``owner_id``. None
  means no owner. A user deactivated later stays the owner of their records
  until someone assigns another; a deleted user leaves them without one.
- :func:`owner_assign` is the one way an owner changes (the API, the pages,
  bulk assignment and workflows all call it): the owner saved (and the row's
  update time, nothing else of it) with one ``<type>.updated`` audit event
  (``subscription.updated``, ``contact.updated``, ``company.updated``,
  ``deal.updated``, as the other updates of each) whose before and after are
  ``{"owner_id": ...}``, in one transaction. The same owner again changes
  nothing and writes nothing (and is not checked again: keeping a deactivated
  owner is no error).
- :func:`owners_assign` assigns one owner to many records of one kind in one
  transaction: one event per record that changed; how many changed.

Users are the auth user model (``get_user_model``): ``accounts`` sits beside
``crm`` and already builds on it, so this module does not import it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, NotFound, ValidationFailed
from recurra.crm.models import Owned

FIELD = "owner_id"
MAX_USER_ID = 2**63 - 1  # a BigAutoField's largest: a larger number is no user (and no overflow)
MAX_BULK = 1000


class Keep(enum.Enum):
    """A service's "owner left as it is" (None would mean "no owner")."""

    KEEP = "keep"


KEEP = Keep.KEEP
OwnerChange = int | None | Literal[Keep.KEEP]


def _is_user_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_USER_ID


def owner_error(owner_id: Any, *, field: str = FIELD) -> FieldError | None:
    """Why ``owner_id`` cannot be assigned (None: it can; None itself, no owner, always can)."""
    if owner_id is None:
        return None
    if not _is_user_id(owner_id):
        return FieldError(field, gettext("must be the id of a user (a whole number)"))
    user = get_user_model()._default_manager.filter(pk=owner_id).values_list("is_active", flat=True).first()
    if user is None:
        return FieldError(field, gettext("no user %(id)s") % {"id": owner_id})
    if not user:
        return FieldError(field, gettext("user %(id)s is deactivated") % {"id": owner_id})
    return None


def owner_change_error(owner_id: OwnerChange, current: int | None) -> FieldError | None:
    """Why the owner cannot become ``owner_id`` (KEEP, or the ``current`` owner again: never)."""
    if owner_id is KEEP or owner_id == current:
        return None
    return owner_error(owner_id)


def _owned(obj: Any) -> Owned:
    if not isinstance(obj, Owned):
        raise TypeError(f"{type(obj).__name__} has no owner")
    return obj


def owner_assign(*, obj: Any, owner_id: int | None, actor: Actor) -> bool:
    """Make ``owner_id`` (None: nobody) the owner of ``obj`` (a contact, company, deal or
    subscription); False, and nothing written, when it is the owner already (see the module)."""
    record = _owned(obj)
    if owner_id is not None and not _is_user_id(owner_id):
        raise ValidationFailed.field(FIELD, gettext("must be the id of a user (a whole number)"))
    model = type(record)
    with transaction.atomic():
        current = model._default_manager.select_for_update().filter(pk=record.pk)
        found = list(current.values_list("owner_id", flat=True))
        if not found:
            raise NotFound(f"no {model._meta.verbose_name} {record.pk}")
        if found[0] == owner_id:
            record.owner_id = owner_id
            return False
        problem = owner_error(owner_id)
        if problem is not None:
            raise ValidationFailed(f"{problem.field}: {problem.message}", errors=[problem])
        record.owner_id = found[0]  # the stored owner, whatever this instance held
        before = events.snapshot(record)
        record.owner_id = owner_id
        record.save(update_fields=["owner"])
        events.record_update(type=f"{model._meta.model_name}.updated", obj=record, actor=actor, before=before)
    return True


def owners_assign(*, model: type[Any], ids: Sequence[str], owner_id: int | None, actor: Actor) -> int:
    """Make ``owner_id`` the owner of each of ``model``'s records ``ids`` (at most
    :data:`MAX_BULK`), all in one transaction through :func:`owner_assign`; how many changed.
    An id of no record is a 422 on ``ids``, and nothing changes."""
    if not isinstance(model, type) or not issubclass(model, Owned):
        raise TypeError(f"{model!r} has no owner")
    wanted = list(dict.fromkeys(ids))
    if not wanted or len(wanted) > MAX_BULK or not all(isinstance(pk, str) and pk for pk in wanted):
        raise ValidationFailed.field("ids", f"must be 1 to {MAX_BULK} record ids")
    with transaction.atomic():
        rows = model._default_manager.select_for_update().filter(pk__in=wanted).order_by("pk")
        found = {row.pk: row for row in rows}
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            raise ValidationFailed.field("ids", f"no {model._meta.verbose_name} {missing[0]}")
        return sum(owner_assign(obj=found[pk], owner_id=owner_id, actor=actor) for pk in wanted)
