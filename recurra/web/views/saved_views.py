"""Saving the index's state as a view, storing it into the current view, renaming, sharing and
deleting views (editors; a view's own changes only by its owner or a super admin).

Each POST carries the index's state as the index's form would send it, so what
is saved is exactly what was on screen; the answer goes back to the index on
the view (or, on a refusal, on the state as it was, with the reason).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from recurra.core import clock
from recurra.core.errors import Forbidden, ValidationFailed
from recurra.saved_views import services
from recurra.saved_views.models import SavedView
from recurra.saved_views.selectors import visible_views
from recurra.web.access import actor, current_user, editor
from recurra.web.views.common import confirm_page, statement
from recurra.web.views.subscription_index import index_state_of


def _index(query: str = "", **params: str) -> str:
    """The index with ``query`` (a state's), or with ``params``."""
    query = query or urlencode(params)
    return f"{reverse('web:subscriptions')}?{query}" if query else reverse("web:subscriptions")


def _visible(request: HttpRequest, pk: str) -> SavedView:
    """A view the user sees (someone else's private view is a 404, as if absent)."""
    return get_object_or_404(visible_views(current_user(request)), pk=pk)


def _refused(request: HttpRequest, exc: ValidationFailed | Forbidden, back: str) -> HttpResponse:
    if isinstance(exc, Forbidden):
        raise PermissionDenied(exc.detail)
    messages.error(request, statement("; ".join(e.message for e in exc.errors) or exc.detail))
    return redirect(back)


@editor
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    state = index_state_of(request, request.POST)[1]
    try:
        view = services.saved_view_create(
            owner=current_user(request),
            name=request.POST.get("name", ""),
            filters=state.spec.filters,
            columns=state.spec.columns,
            sort=state.spec.sort,
            visibility=request.POST.get("visibility", "private"),
            actor=actor(request),
            at=clock.now(),
        )
    except ValidationFailed as exc:
        return _refused(request, exc, _index(state.query()))
    messages.success(request, gettext("View “%(name)s” saved.") % {"name": view.name})
    return redirect(_index(view=view.pk))


def _change(request: HttpRequest, view: SavedView, *, back: str, done: str, **changes: Any) -> HttpResponse:
    """Change ``view`` (one service call) and show it; a refusal goes ``back`` with its reason."""
    user = current_user(request)
    try:
        services.saved_view_update(view=view, user=user, role=user.role, actor=actor(request), **changes)
    except (ValidationFailed, Forbidden) as exc:
        return _refused(request, exc, back)
    messages.success(request, done % {"name": view.name})
    return redirect(_index(view=view.pk))


@editor
@require_POST
def saved_view_update(request: HttpRequest, pk: str) -> HttpResponse:
    """Store the index's current filters, columns and sort into the view."""
    state = index_state_of(request, request.POST)[1]
    spec = state.spec
    return _change(
        request,
        _visible(request, pk),
        back=_index(state.query()),
        done=gettext("View “%(name)s” updated."),
        filters=spec.filters,
        columns=spec.columns,
        sort=spec.sort,
    )


@editor
@require_POST
def saved_view_rename(request: HttpRequest, pk: str) -> HttpResponse:
    """Rename the view, or share it with the team or keep it private."""
    view = _visible(request, pk)
    return _change(
        request,
        view,
        back=_index(view=view.pk),
        done=gettext("View “%(name)s” saved."),
        name=request.POST.get("name", ""),
        visibility=request.POST.get("visibility") or view.visibility,
    )


@editor
@require_http_methods(["GET", "POST"])
def saved_view_delete(request: HttpRequest, pk: str) -> HttpResponse:
    view = _visible(request, pk)
    user = current_user(request)
    if not services.may_change(view, user=user, role=user.role):
        raise PermissionDenied("only the view's owner or a super admin may delete it")

    def delete() -> None:
        services.saved_view_delete(view=view, user=user, role=user.role, actor=actor(request))

    return confirm_page(
        request,
        title=gettext("Delete the view %(name)s") % {"name": view.name},
        question=gettext(
            "Delete the view “%(name)s”? Its filters, columns and sort are forgotten; "
            "no subscription changes."
        )
        % {"name": view.name},
        button=gettext("Delete view"),
        perform=delete,
        done_url=_index(),
        cancel_url=_index(view=view.pk),
        message=gettext("View “%(name)s” deleted.") % {"name": view.name},
    )
