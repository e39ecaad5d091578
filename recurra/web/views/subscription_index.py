"""The subscriptions index (Commerce → Subscriptions): tabs of views, quick and advanced filters,
search, columns, sort, keyset pages, the count (filled in after the page) and the side panel.

The page is one GET form (see :mod:`recurra.web.index_state`) that htmx sends
on every change and whose answer replaces the index, so every state has its
URL and works without script too; the answer names that URL (``HX-Push-Url``:
the state, without the buttons that changed it), so the address bar, a reload,
Back and a bookmark show what is on the page. The count is its own request
(never an address): a page is a range scan, a count can be a scan of every match.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from recurra.accounts.models import AccountSettings, User
from recurra.accounts.selectors import account_settings, owner_choices
from recurra.core import clock
from recurra.core.counting import RowCount
from recurra.core.errors import ValidationFailed
from recurra.crm.models import Company, Contact
from recurra.saved_views import listing
from recurra.saved_views.defaults import DEFAULT_VIEWS, FIRST_VIEW
from recurra.saved_views.models import SavedView
from recurra.saved_views.selectors import spec_of, visible_views
from recurra.saved_views.services import may_change
from recurra.saved_views.spec import DUE_PRESETS, IN_LIST, Filters, Spec
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.properties import ALWAYS_SHOWN, PROPERTIES, Kind, Property
from recurra.web import index_state
from recurra.web.access import current_user, viewer
from recurra.web.cells import Cells
from recurra.web.views.subscription_panel import panel_context


@dataclass(frozen=True)
class Tab:
    id: str
    name: str
    saved: SavedView | None = None


def tabs_for(user: User) -> list[Tab]:
    """The default views, then the team's and the user's own saved ones, oldest first."""
    saved = [Tab(v.pk, v.name, v) for v in visible_views(user).select_related("owner")]
    return [Tab(v.id, str(v.name)) for v in DEFAULT_VIEWS.values()] + saved


def _chosen(tabs: list[Tab], view_id: str) -> tuple[Tab, Spec]:
    for tab in tabs:
        if tab.id == view_id:
            return tab, spec_of(tab.saved) if tab.saved else DEFAULT_VIEWS[tab.id].spec
    return tabs[0], DEFAULT_VIEWS[FIRST_VIEW].spec


def _state(
    request: HttpRequest, data: QueryDict, account: AccountSettings
) -> tuple[list[Tab], Tab, Spec, index_state.IndexState]:
    """The tabs, the chosen one and its spec, and the state ``data`` (a query or a form) describes."""
    tabs = tabs_for(current_user(request))
    tab, spec = _chosen(tabs, data.get("view") or FIRST_VIEW)
    state = index_state.read(data, view_id=tab.id, view_spec=spec, currency=account.default_currency)
    return tabs, tab, spec, state


def index_state_of(request: HttpRequest, data: QueryDict) -> tuple[Tab, index_state.IndexState]:
    """The tab and the state ``data`` (the index's query, or a form carrying it) describes."""
    _, tab, _, state = _state(request, data, account_settings())
    return tab, state


@viewer
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    account = account_settings()
    zone = ZoneInfo(account.timezone)
    tabs, tab, view_spec, state = _state(request, request.GET, account)
    at = clock.now()
    try:
        page = listing.index_page(
            state.spec, at=at, zone=zone, scope=state.scope, cursor=state.cursor, before=state.before
        )
    except ValidationFailed:  # a cursor this list did not give out: start again
        state.cursor, state.page = None, 1
        page = listing.index_page(state.spec, at=at, zone=zone, scope=state.scope)
    if state.before:  # the page before: shown (and addressed) as the walk forward reaches it
        state.before, state.cursor = None, page.start_cursor
        state.page = max(state.page, 2) if page.start_cursor else 1
    cells = Cells(zone)
    last_row = (state.page - 1) * listing.PAGE_SIZE + len(page.data)
    counting = state.query(cursor=None, page=None, seen=last_row + 1)  # the count asks this
    previous = page.previous_cursor and state.query(
        cursor=None, before=page.previous_cursor, page=state.page - 1
    )
    columns = [PROPERTIES[key] for key in state.spec.columns]
    labels = index_state.filterable()  # translated once, shown many times
    labels_by_key = dict(labels)
    user = current_user(request)
    filters = state.spec.filters
    custom = filters.due if filters.due and filters.due.preset == "custom" else None
    context = {
        "tabs": tabs,
        "tab": tab,
        "state": state,
        "state_params": state.params(cursor=None, page=None),
        "spec": state.spec,
        "unsaved": state.spec != view_spec,
        "may_update": tab.saved is not None and may_change(tab.saved, user=user, role=user.role),
        "page": page,
        "columns": columns,
        "headers": [_header(p, state) for p in columns],
        "rows": [(sub, [(_numeric(p), cells.cell(sub, p.key)) for p in columns]) for sub in page.data],
        "first_row": (state.page - 1) * listing.PAGE_SIZE + 1,
        "last_row": last_row,
        "sort_label": _sort_label(state.spec),
        "statuses": SubscriptionStatus.choices,
        "due_presets": DUE_PRESETS,
        "due_label": DUE_PRESETS[filters.due.preset] if filters.due else "",
        "due_from": _iso(custom.start) if custom else request.GET.get("due_from", ""),
        "due_to": _iso(custom.end) if custom else request.GET.get("due_to", ""),
        "editor": index_state.editor_rows(state.rows),
        "filter_owners": _filter_owners(state),
        # Editors tick rows and assign them an owner (subscription_owners.subscription_owners_assign).
        "bulk_owners": owner_choices() if user.has_role("editor") and page.data else [],
        "bulk_next": f"{reverse('web:subscriptions')}?{state.address()}",
        "condition_count": sum(len(group) for group in filters.groups),
        "filterable": labels,
        "filter_lists": index_state.list_choices() if _has_list_row(state) else [],
        "currency": account.default_currency,
        "column_labels": [(p.key, labels_by_key[p.key]) for p in columns],
        "choosable": [(key, label) for key, label in labels if key not in state.spec.columns],
        "always_shown": ALWAYS_SHOWN,
        "scope_record": _scope_record(state.scope),
        # All rows seen (no next page): the count is known; else asked for after the page.
        "count": None if page.has_more else RowCount(last_row, exact=True),
        "count_url": f"{reverse('web:subscription_count')}?{counting}",
        "first_page_url": f"{reverse('web:subscriptions')}?{state.query(cursor=None, page=None)}",
        "previous_url": f"{reverse('web:subscriptions')}?{previous}" if previous else "",
        "clear_url": f"{reverse('web:subscriptions')}?{_cleared(state).query(cursor=None, page=None)}",
        "export_url": f"{reverse('web:export_new')}?{state.query(cursor=None, page=None)}",
        "panel": _panel(request),
    }
    response = render(request, "web/subscriptions/index.html", context)
    if request.htmx and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        push_url(response, f"{reverse('web:subscriptions')}?{state.address()}")
    return response


@viewer
@require_GET
def subscription_count(request: HttpRequest) -> HttpResponse:
    account = account_settings()
    _, _, _, state = _state(request, request.GET, account)
    zone = ZoneInfo(account.timezone)
    seen = request.GET.get("seen", "")
    count = listing.index_count(
        state.spec.filters,
        at=clock.now(),
        zone=zone,
        scope=state.scope,
        at_least=int(seen) if seen.isdigit() else 0,
    )
    return render(request, "web/subscriptions/index_count.html", {"count": count})


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    sortable: bool
    direction: str  # "ascending", "descending" or "none" (aria-sort)
    next_sort: str  # what a click sorts by
    numeric: bool


def _sort_label(spec: Spec) -> str:
    """What the table's caption says of its order: "Next payment date, ascending"."""
    label = PROPERTIES[spec.sort.key].label
    if spec.sort.descending:
        return gettext("%(property)s, descending") % {"property": label}
    return gettext("%(property)s, ascending") % {"property": label}


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _numeric(prop: Property) -> bool:
    return prop.kind in (Kind.MONEY, Kind.NUMBER)


def _header(prop: Property, state: index_state.IndexState) -> Header:
    sort = state.spec.sort
    current = sort.key == prop.key
    direction = ("descending" if sort.descending else "ascending") if current else "none"
    next_sort = prop.key if not current or sort.descending else f"-{prop.key}"
    return Header(prop.key, str(prop.label), prop.sortable, direction, next_sort, _numeric(prop))


def _cleared(state: index_state.IndexState) -> index_state.IndexState:
    """``state`` without filters (its columns and sort kept)."""
    return replace(state, spec=replace(state.spec, filters=Filters()), rows=[], due_error="")


def _filter_owners(state: index_state.IndexState) -> list[tuple[str, str]]:
    """The users an owner condition offers (as the form's values: ids as text): the active ones and
    those its conditions name; none (no query) when no condition is on the owner."""
    users = [
        row
        for group in state.rows
        for row in group
        if row.property in PROPERTIES and PROPERTIES[row.property].kind == Kind.USER
    ]
    if not users:
        return []
    named = {int(v) for row in users for v in row.values if v.isdigit() and len(v) <= 18}
    return [(str(pk), name) for pk, name in owner_choices(named)]


def _has_list_row(state: index_state.IndexState) -> bool:
    return any(row.property == IN_LIST for group in state.rows for row in group)


def _scope_record(scope: dict[str, str]) -> Contact | Company | None:
    if "contact_id" in scope:
        return Contact.objects.filter(pk=scope["contact_id"]).first()
    if "company_id" in scope:
        return Company.objects.filter(pk=scope["company_id"]).first()
    return None


def _panel(request: HttpRequest) -> dict[str, Any] | None:
    """The side panel asked for in the URL (``?panel=<id>``: a link to the index with it open)."""
    pk = request.GET.get("panel")
    sub = Subscription.objects.filter(pk=pk).first() if pk else None
    return panel_context(request, sub) if sub else None


@viewer
@require_GET
def subscription_panel(request: HttpRequest, pk: str) -> HttpResponse:
    """The side panel (htmx); opened without script, the subscription's own page."""
    sub = get_object_or_404(Subscription, pk=pk)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("web:subscription", pk=sub.pk)
    return render(request, "web/subscriptions/panel.html", {"panel": panel_context(request, sub)})
