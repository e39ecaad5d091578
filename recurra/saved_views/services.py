"""Saving, changing and deleting views.

Rules:
- A view's name is 1 to 100 characters, unique (ignoring case) among the views
  its owner sees: their own and the team's; the default views' names are taken.
- A private view needs an owner (a user). Made through an API key, the view
  belongs to the key's creator; a key made without one can only make team views.
- Only the owner or a super admin may change or delete a view; a team view
  whose owner is gone, only a super admin.
- Filters, columns and sort arrive checked (:mod:`recurra.saved_views.spec`)
  and are stored as its JSON. Each change writes one event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.accounts.models import User
from recurra.accounts.roles import Role, allows
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Forbidden, ValidationFailed
from recurra.saved_views.defaults import DEFAULT_VIEWS
from recurra.saved_views.models import ListObject, SavedView, Visibility
from recurra.saved_views.selectors import visible_views
from recurra.saved_views.spec import Filters, Sort, filters_json

MAX_NAME = 100


def may_change(view: SavedView, *, user: User | None, role: str) -> bool:
    """Whether ``user`` (with ``role``) may rename, share or delete ``view``."""
    if allows(role, Role.SUPER_ADMIN):
        return True
    return user is not None and view.owner_id == user.pk


def _name(name: str, owner: User | None, *, ignore: SavedView | None = None) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationFailed.field("name", f"must be 1 to {MAX_NAME} characters")
    taken = {str(v.name).lower() for v in DEFAULT_VIEWS.values()}
    others = visible_views(owner).exclude(pk=ignore.pk if ignore else None)
    if name.lower() in taken or others.filter(name__iexact=name).exists():
        raise ValidationFailed.field("name", f"a view named “{name}” exists already; choose another name")
    return name


def _visibility(visibility: str, owner: User | None) -> str:
    if visibility not in Visibility.values:
        raise ValidationFailed.field("visibility", f"must be one of {', '.join(Visibility.values)}")
    if visibility == Visibility.PRIVATE and owner is None:
        raise ValidationFailed.field(
            "visibility",
            "a private view needs a user to own it; this API key has none: share it with the team",
        )
    return visibility


def saved_view_create(
    *,
    owner: User | None,
    name: str,
    filters: Filters,
    columns: tuple[str, ...],
    sort: Sort,
    visibility: str | None = None,
    actor: Actor,
    at: datetime,
) -> SavedView:
    """A new view of the subscriptions list, owned by ``owner``; private unless said (or ownerless)."""
    if visibility is None:
        visibility = Visibility.PRIVATE if owner is not None else Visibility.TEAM
    with transaction.atomic():
        return records.create(
            SavedView,
            actor=actor,
            object=ListObject.SUBSCRIPTIONS,
            name=_name(name, owner),
            owner=owner,
            visibility=_visibility(visibility, owner),
            filters=filters_json(filters),
            columns=list(columns),
            sort=str(sort),
            created_at=at,
        )


def saved_view_update(
    *,
    view: SavedView,
    user: User | None,
    role: str,
    actor: Actor,
    name: str | None = None,
    filters: Filters | None = None,
    columns: tuple[str, ...] | None = None,
    sort: Sort | None = None,
    visibility: str | None = None,
) -> SavedView:
    """Rename, share or unshare ``view``, or store new filters, columns or sort in it."""
    if not may_change(view, user=user, role=role):
        raise Forbidden("only the view's owner or a super admin may change it")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _name(name, view.owner, ignore=view)
    if visibility is not None:
        changes["visibility"] = _visibility(visibility, view.owner)
    if filters is not None:
        changes["filters"] = filters_json(filters)
    if columns is not None:
        changes["columns"] = list(columns)
    if sort is not None:
        changes["sort"] = str(sort)
    return records.update(view, actor=actor, **changes)


def saved_view_delete(*, view: SavedView, user: User | None, role: str, actor: Actor) -> None:
    if not may_change(view, user=user, role=role):
        raise Forbidden("only the view's owner or a super admin may delete it")
    records.delete(view, actor=actor, in_use="the view is in use")
