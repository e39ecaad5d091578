"""The list editor's form: the page's fields to a list's name, object, kind and filter JSON and back
(``insights.lists.spec`` says what the JSON means and checks it whole).

The editor (``web/lists/editor.html``) is one form. Its fields:

- ``name``; ``object`` (contacts, companies) and ``kind`` (active, static) on a new list only;
- for an active list, the filters: groups of conditions (AND within a group, OR between groups),
  each condition at ``f<group>.<index>`` either
  - one on the record's own property (the Subscriptions page's condition row over the contacts'
    or companies' property table): ``f0.1.p``, ``.o``, ``.v`` (repeated), ``.w``; or
  - one on its subscriptions: ``f0.1.m`` (any, all, none match) and their conditions, an
    advanced-filter editor over the subscriptions' properties under ``f0.1.c`` (``f0.1.c0.0.p``),
    with ``f0.1.rest`` and ``f0.1.keep``: what the API set besides conditions (search, statuses,
    next billing date), carried while "keep" is ticked.

The form's buttons are all ``op``: ``add:<group>`` (a property condition), ``subs:<group>`` (a
subscriptions condition), ``add_group`` and ``subs_group`` (either, in a new group),
``remove:<group>.<index>``, ``cond:<group>.<index>:<button>`` (a subscriptions condition's own
editor: ``add:0``, ``add_group``, ``remove:0.1``) and ``refresh`` (redraw after a choice); a post
without ``op`` saves. Nothing posted is an error page: what does not read is a message beside its
field, and the service's errors (``filters.groups[0].conditions[1].subscriptions.match``) go beside
the field they name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.core.errors import ValidationFailed
from recurra.insights.lists.spec import (
    MATCHES,
    OBJECTS,
    PROPERTY_TABLES,
    SubscriptionsCondition,
    parse_list_filters,
)
from recurra.insights.models import ListKind, RecordList
from recurra.saved_views.spec import (
    DAYS_OPERATORS,
    MAX_CONDITIONS,
    MAX_GROUPS,
    OPERATOR_LABELS,
    Filters,
    Op,
    condition_json,
    filters_json,
)
from recurra.subscriptions.properties import PROPERTIES, Kind, Property
from recurra.web.forms.base import ServiceForm, sentence
from recurra.web.forms.workflows import KeptFilters, rest_of
from recurra.web.index_state import (
    EditorRow,
    edited_rows,
    editor_row,
    editor_rows,
    raw_row,
    read_row,
    read_rows,
    row_of,
)
from recurra.web.templatetags.recurra_web import day, money

MAX_NAME = 200
MATCH_LABELS = {
    "any": _("At least one matches"),
    "all": _("All of them match"),
    "none": _("None of them matches"),
}
_ITEM = re.compile(r"^f([0-9]{1,2})\.([0-9]{1,2})\.(p|m)$")
_PLACE = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})$")
_SERVICE_ITEM = re.compile(r"^filters\.groups\[(\d+)\]\.conditions\[(\d+)\](.*)$")
_INNER_ROW = re.compile(r"^\.subscriptions\.filters\.groups\[(\d+)\]\.conditions\[(\d+)\]")

Place = tuple[int, int]  # (group, index) of a condition in the JSON sent to the service


@dataclass
class SubscriptionsCard(KeptFilters):
    """A condition on the record's subscriptions as the form holds it."""

    match: str = "any"
    rows: list[list[EditorRow]] = field(default_factory=list)
    rest: dict[str, Any] = field(default_factory=dict)  # what the API set besides conditions
    errors: dict[str, list[str]] = field(default_factory=dict)  # "match", "" (the card's own)
    places: dict[Place, EditorRow] = field(default_factory=dict)  # its rows by their place in the JSON


@dataclass
class Item:
    """One condition of a group: on an own property (``row``) or on the subscriptions (``subs``)."""

    row: EditorRow | None = None
    subs: SubscriptionsCard | None = None
    place: Place | None = None  # in the JSON sent to the service


@dataclass
class Editor:
    name: str = ""
    object: str = "contacts"
    kind: str = ListKind.ACTIVE
    groups: list[list[Item]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # name, object, kind, filters, ""
    saved: RecordList | None = None  # the list being edited (its object and kind are fixed)

    @property
    def table(self) -> Mapping[str, Property]:
        return PROPERTY_TABLES.get(self.object, PROPERTY_TABLES["contacts"])

    @property
    def active(self) -> bool:
        return self.kind == ListKind.ACTIVE

    @property
    def shown(self) -> list[list[dict[str, Any]]]:
        """The groups as the template shows them: each item with its controls and place."""
        groups = []
        for g, group in enumerate(self.groups):
            items = []
            for i, item in enumerate(group):
                where, prefix = f"{g}.{i}", f"f{g}.{i}"
                shown: dict[str, Any] = {"item": item, "where": where, "prefix": prefix}
                if item.row is not None:
                    shown["r"] = editor_row(item.row, prefix=prefix, where=where, properties=self.table)
                elif item.subs is not None:
                    shown["editor"] = editor_rows(item.subs.rows, prefix=f"{prefix}.c")
                    shown["button_prefix"] = f"cond:{where}:"
                items.append(shown)
            groups.append(items)
        return groups

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(
            item.subs.errors for group in self.groups for item in group if item.subs is not None
        )

    @property
    def top_errors(self) -> list[str]:
        return self.errors.get("", [])


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


# From a list --------------------------------------------------------------------------------------


def editor_of(record_list: RecordList, *, currency: str) -> Editor:
    """The editor showing a saved list (its stored, canonical filters)."""
    ed = Editor(name=record_list.name, object=record_list.object, kind=record_list.kind, saved=record_list)
    try:
        filters = parse_list_filters(record_list.filters, object=record_list.object)
    except ValidationFailed as failed:  # saved before a rule existed: shown, not lost unseen
        _add(ed.errors, "filters", sentence(failed.detail))
        return ed
    for group in filters.groups:
        items = []
        for clause in group:
            if isinstance(clause, SubscriptionsCondition):
                rows = [[row_of(c, currency) for c in inner] for inner in clause.filters.groups]
                rest = rest_of(filters_json(clause.filters))
                items.append(Item(subs=SubscriptionsCard(clause.match, rows, rest)))
            else:
                items.append(Item(row=row_of(clause, currency, ed.table)))
        ed.groups.append(items)
    return ed


# From the form ------------------------------------------------------------------------------------


def read(data: QueryDict, *, currency: str, saved: RecordList | None = None) -> Editor:
    """The editor as posted (a saved list keeps its object and kind, whatever is posted)."""
    ed = Editor(
        name=data.get("name", "")[: MAX_NAME * 2],
        object=saved.object if saved else data.get("object", "contacts")[:20],
        kind=saved.kind if saved else data.get("kind", ListKind.ACTIVE)[:20],
        saved=saved,
    )
    numbered = {(int(m[1]), int(m[2])): m[3] for name in data if (m := _ITEM.match(name)) is not None}
    groups: dict[int, list[Item]] = {}
    for (g, i), what in sorted(numbered.items()):  # one condition a place (a forged post may say two)
        prefix = f"f{g}.{i}"
        if what == "p":
            item = Item(row=read_row(raw_row(data, prefix), currency, ed.table))
        else:
            rest = _read_rest(data, prefix)
            rows = read_rows(data, currency, prefix=f"{prefix}.c")
            item = Item(subs=SubscriptionsCard(data.get(f"{prefix}.m", "")[:20], rows, rest))
        groups.setdefault(g, []).append(item)
    ed.groups = list(groups.values())
    return ed


def _read_rest(data: QueryDict, prefix: str) -> dict[str, Any]:
    if not data.get(f"{prefix}.keep"):
        return {}
    try:
        loaded = json.loads(data.get(f"{prefix}.rest") or "{}")
    except ValueError:
        return {}
    return rest_of(loaded) if isinstance(loaded, dict) else {}


# The buttons --------------------------------------------------------------------------------------


def apply(ed: Editor, op: str) -> Editor:
    """``ed`` after the button ``op`` (an unknown or stale one changes nothing)."""
    verb, _colon, rest = op.partition(":")
    if verb in ("add_group", "subs_group") and len(ed.groups) < MAX_GROUPS:
        ed.groups.append([_new(verb)])
    elif verb in ("add", "subs") and re.fullmatch(r"[0-9]{1,2}", rest) and int(rest) < len(ed.groups):
        group = ed.groups[int(rest)]
        if len(group) < MAX_CONDITIONS:
            group.append(_new(verb))
    elif verb == "remove":
        item = _item(ed, rest)
        if item is not None:
            g, i = item
            ed.groups[g].pop(i)
            ed.groups = [group for group in ed.groups if group]
    elif verb == "cond":
        where, _colon, button = rest.partition(":")
        found = _item(ed, where)
        subs = ed.groups[found[0]][found[1]].subs if found else None
        if subs is not None:
            subs.rows = edited_rows(subs.rows, button)
    return ed


def _new(verb: str) -> Item:
    return Item(subs=SubscriptionsCard()) if verb.startswith("subs") else Item(row=EditorRow())


def _item(ed: Editor, where: str) -> Place | None:
    m = _PLACE.match(where)
    if m is None:
        return None
    g, i = int(m[1]), int(m[2])
    return (g, i) if g < len(ed.groups) and i < len(ed.groups[g]) else None


# To the service -----------------------------------------------------------------------------------


def values(ed: Editor) -> dict[str, Any] | None:
    """What the service is called with (``name``, ``object``, ``kind``, ``filters``: None for a
    static list); None when the form itself does not read (its messages are then on the editor,
    beside their fields)."""
    name = ed.name.strip()
    if not name:
        _add(ed.errors, "name", gettext("Give the list a name."))
    elif len(name) > MAX_NAME:
        _add(ed.errors, "name", gettext("Use at most %(most)s characters.") % {"most": MAX_NAME})
    if ed.object not in OBJECTS:
        _add(ed.errors, "object", gettext("Choose contacts or companies."))
    if ed.kind not in ListKind.values:
        _add(ed.errors, "kind", gettext("Choose active or static."))
    filters = _filters_json(ed) if ed.active else None
    if ed.has_errors:
        return None
    return {"name": name, "object": ed.object, "kind": ed.kind, "filters": filters}


def _filters_json(ed: Editor) -> dict[str, Any]:
    """The conditions that read, as list filter JSON, each item told its place in it; a row with a
    property but no condition is an error (its own message beside it, and one above the filters).
    A subscriptions condition's match goes as posted: the spec says what is wrong with it."""
    bad = False
    groups: list[dict[str, Any]] = []
    for group in ed.groups:
        conditions: list[dict[str, Any]] = []
        for item in group:
            item.place = None
            if item.row is not None:
                if item.row.condition is None:
                    if item.row.property:
                        item.row.error = item.row.error or gettext("Enter a value.")
                        bad = True
                    continue
                item.place = (len(groups), len(conditions))
                conditions.append(condition_json(item.row.condition, ed.table))
            elif item.subs is not None:
                inner, inner_bad = _subscription_filters(item.subs)
                bad = bad or inner_bad
                item.place = (len(groups), len(conditions))
                conditions.append({"subscriptions": {"match": item.subs.match, "filters": inner}})
        if conditions:
            groups.append({"conditions": conditions})
    if bad:
        _add(ed.errors, "filters", gettext("Some conditions need a change; see the messages beside them."))
    return {"groups": groups} if groups else {}


def _subscription_filters(card: SubscriptionsCard) -> tuple[dict[str, Any], bool]:
    bad = False
    card.places = {}
    groups: list[tuple[Any, ...]] = []
    for group in card.rows:
        conditions: list[Any] = []
        for row in group:
            if row.condition is None:
                if row.property:
                    row.error = row.error or gettext("Enter a value.")
                    bad = True
                continue
            card.places[(len(groups), len(conditions))] = row
            conditions.append(row.condition)
        if conditions:
            groups.append(tuple(conditions))
    return {**card.rest, **filters_json(Filters(groups=tuple(groups)))}, bad


# The service's errors -----------------------------------------------------------------------------


def place_errors(ed: Editor, failed: ValidationFailed) -> None:
    """Each of the service's errors beside the field it names: ``name``, ``object``, ``kind``;
    ``filters.groups[0].conditions[1]`` (a property condition's row, or a subscriptions
    condition), ``….subscriptions.match`` (its match), ``….subscriptions.filters.groups[0]
    .conditions[2]`` (one of its rows); the rest of the filters above them."""
    if not failed.errors:
        _add(ed.errors, "", sentence(failed.detail))
    for error in failed.errors:
        where, message = error.field, sentence(error.message)
        if where in ("name", "object", "kind"):
            _add(ed.errors, where, message)
            continue
        m = _SERVICE_ITEM.match(where)
        item = _placed(ed, (int(m[1]), int(m[2]))) if m else None
        if m is None or item is None:
            _add(ed.errors, "filters" if where.startswith("filters") else "", message)
        elif item.row is not None:
            item.row.error = message
        elif item.subs is not None:
            _subs_error(item.subs, m[3], message)


def _placed(ed: Editor, place: Place) -> Item | None:
    return next((item for group in ed.groups for item in group if item.place == place), None)


def _subs_error(card: SubscriptionsCard, rest: str, message: str) -> None:
    if rest == ".subscriptions.match":
        _add(card.errors, "match", message)
        return
    inner = _INNER_ROW.match(rest)
    row = card.places.get((int(inner[1]), int(inner[2]))) if inner else None
    if row is not None:
        row.error = message
    else:
        _add(card.errors, "", message)


# What the page offers -----------------------------------------------------------------------------


def own_choices(ed: Editor) -> list[tuple[str, str]]:
    """The record's properties a condition may be on (the contacts' or the companies')."""
    return [(key, str(p.label)) for key, p in ed.table.items()]


def subscription_choices() -> list[tuple[str, str]]:
    return [(key, str(p.label)) for key, p in PROPERTIES.items()]


def match_choices() -> list[tuple[str, str]]:
    return [(key, str(MATCH_LABELS[key])) for key in MATCHES]


# In words (the list's page) -----------------------------------------------------------------------


def in_words(ed: Editor, *, currency: str, users: Mapping[int, str]) -> list[list[dict[str, Any]]]:
    """The saved filters as the list's page says them: by group, each condition one text, or a
    subscriptions condition's match, its conditions' texts and what the API set besides them."""
    groups = []
    for group in ed.groups:
        said: list[dict[str, Any]] = []
        for item in group:
            if item.row is not None and item.row.condition is not None:
                said.append({"text": _words(item.row, ed.table, currency, users)})
            elif item.subs is not None:
                said.append(
                    {
                        "match": MATCH_LABELS.get(item.subs.match, item.subs.match),
                        "conditions": _inner_words(item.subs.rows, currency, users),
                        "rest": item.subs.rest_words,
                    }
                )
        groups.append(said)
    return groups


def _inner_words(rows: list[list[EditorRow]], currency: str, users: Mapping[int, str]) -> str:
    """A subscriptions condition's own conditions: "A and B", or "(A and B) or C"."""
    groups = [
        gettext(" and ").join(_words(row, PROPERTIES, currency, users) for row in group if row.condition)
        for group in rows
    ]
    groups = [g for g in groups if g]
    if len(groups) > 1:
        groups = [gettext("(%(conditions)s)") % {"conditions": g} for g in groups]
    return gettext(" or ").join(groups)


def _words(row: EditorRow, table: Mapping[str, Property], currency: str, users: Mapping[int, str]) -> str:
    condition = row.condition
    assert condition is not None
    prop = table[condition.property]
    operator = OPERATOR_LABELS[condition.operator]
    if not condition.values:
        return gettext("%(property)s %(operator)s") % {"property": prop.label, "operator": operator}
    if prop.kind == Kind.USER:
        shown = [users.get(v, gettext("User %(id)s") % {"id": v}) for v in condition.values]
    elif prop.kind == Kind.CHOICE:
        shown = [str(prop.label_of(v)) for v in condition.values]
    elif condition.operator in DAYS_OPERATORS:
        shown = [str(v) for v in condition.values]
    elif prop.kind == Kind.MONEY:
        shown = [money(v, currency) for v in condition.values]
    elif prop.kind in (Kind.DATE, Kind.DATETIME):
        shown = [day(v) for v in condition.values]
    elif prop.kind == Kind.BOOLEAN:
        shown = [gettext("Yes") if v else gettext("No") for v in condition.values]
    else:
        shown = [gettext("“%(text)s”") % {"text": v} for v in condition.values]
    joined = gettext(" and ").join(shown) if condition.operator == Op.BETWEEN else ", ".join(shown)
    return gettext("%(property)s %(operator)s %(values)s") % {
        "property": prop.label,
        "operator": operator,
        "values": joined,
    }


def user_ids(ed: Editor) -> set[int]:
    """The users the conditions name (to say their names)."""
    rows = [item.row for group in ed.groups for item in group if item.row is not None]
    rows += [
        row for group in ed.groups for item in group if item.subs for inner in item.subs.rows for row in inner
    ]
    return {
        v
        for row in rows
        if row.condition is not None
        for v in row.condition.values
        if isinstance(v, int) and not isinstance(v, bool) and row.property == "owner"
    }


class SnapshotForm(ServiceForm):
    """Save as static list: the name of the copy."""

    name = forms.CharField(
        label=_("Name of the static list"),
        max_length=MAX_NAME,
        help_text=_("It holds the members the list has now, and does not follow its filters later."),
        error_messages={"required": _("Give the list a name.")},
    )


class ListEmailForm(ServiceForm):
    """Email a list: the subject and the message (placeholders filled per contact)."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10}))
