"""Exports in the app: the Export dialog of the Subscriptions page, an export's page (its progress
bar, filled in as the worker writes, then its download links), the download, and the list of
one's exports.

The dialog exports what the page shows: the tab (default or saved view) with
the filters, columns and sort on screen (the index's state, posted along). Its
page polls itself (htmx, every second) while the worker writes the file.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_zone
from recurra.core import clock
from recurra.core.errors import Conflict, Forbidden, Gone, ValidationFailed
from recurra.exports import files, services
from recurra.exports.downloads import file_response
from recurra.exports.languages import LANGUAGES, default_language
from recurra.exports.models import Export, ExportFormat, ExportScope, ExportStatus
from recurra.exports.writers.xls import MAX_ROWS
from recurra.saved_views import listing
from recurra.web.access import actor, current_user, editor, viewer
from recurra.web.views.common import list_page, search_text, statement
from recurra.web.views.subscription_index import index_state_of


@editor
@require_http_methods(["GET", "POST"])
def export_new(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    tab, state = index_state_of(request, data)
    user = current_user(request)
    chosen = {
        "format": data.get("format", ExportFormat.CSV),
        "language": data.get("language") or default_language(request, user),
        "scope": data.get("scope", ExportScope.VIEW),
        "associations": data.get("associations", "limited"),
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        source = services.Source(tab.id, tab.name, state.spec, state.scope)
        try:
            export = services.export_create(
                source=source,
                format=chosen["format"],
                language=chosen["language"],
                scope=chosen["scope"],
                associations_limit=None if chosen["associations"] == "all" else services.DEFAULT_ASSOCIATIONS,
                requested_by=user,
                actor=actor(request),
                at=clock.now(),
            )
        except ValidationFailed as exc:
            errors = {error.field: statement(error.message) for error in exc.errors}
        else:
            messages.success(request, gettext("Export started: the file is written in the background."))
            return redirect("web:export", pk=export.pk)
    count = listing.index_count(state.spec.filters, at=clock.now(), zone=account_zone(), scope=state.scope)
    context = {
        "tab": tab,
        "state_params": state.params(cursor=None, page=None),
        "count": count,
        "xls_too_big": count.value > MAX_ROWS,
        "max_xls_rows": MAX_ROWS,
        "formats": ExportFormat.choices,
        "languages": LANGUAGES,
        "scopes": ExportScope.choices,
        "chosen": chosen,
        "errors": errors,
        "back": f"{reverse('web:subscriptions')}?{state.query(cursor=None, page=None)}",
    }
    return render(request, "web/exports/new.html", context, status=422 if errors else 200)


def _mine(request: HttpRequest, pk: str) -> Export:
    """An export the signed-in user may see: theirs, or any for a super admin."""
    export = get_object_or_404(Export.objects.select_related("requested_by"), pk=pk)
    user = current_user(request)
    if not services.may_download(export, user=user, role=user.role):
        raise PermissionDenied("only the user who asked for the export, or a super admin, can see it")
    return export


@viewer
@require_GET
def export_detail(request: HttpRequest, pk: str) -> HttpResponse:
    export = _mine(request, pk)
    context = {
        "export": export,
        "expired": export.expired(clock.now()),
        "running": export.status in (ExportStatus.PENDING, ExportStatus.PROCESSING),
        "zipped": files.offers_zip(export),
    }
    template = "web/exports/status.html" if request.htmx else "web/exports/detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@viewer
@require_GET
def export_download(request: HttpRequest, pk: str) -> HttpResponseBase:
    user = current_user(request)
    export = get_object_or_404(Export, pk=pk)
    try:
        services.export_download(
            export=export, user=user, role=user.role, actor=actor(request), at=clock.now()
        )
        return file_response(export, zipped=request.GET.get("zip") == "1")
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from exc
    except Gone as exc:
        context = {"export": export, "why": statement(exc.detail)}
        return render(request, "web/exports/gone.html", context, status=410)
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
        return redirect("web:export", pk=export.pk)


@viewer
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    exports = Export.objects.select_related("requested_by")
    if not user.has_role(Role.SUPER_ADMIN):
        exports = exports.filter(requested_by=user)
    if q := search_text(request):
        exports = exports.filter(view_name__icontains=q)
    return list_page(request, "web/exports/list.html", exports)
