"""The subscriptions index's state, read from its URL and written back into links and forms.

A tab is ``?view=<id>``: that view's filters, columns and sort. Everything
else the index shows is one GET form, sent whole on every change with
``edited=1``: then the form is the state and the view only the tab it
started from (the page says when they differ: "unsaved changes").

Parameters: ``view``, ``edited``, ``q``, ``status`` (repeated), ``due`` (a
preset) with ``due_from``/``due_to`` (custom), one advanced condition per
``c<group>.<row>.p`` (property), ``.o`` (operator), ``.v`` (value,
repeated for choices) and ``.w`` (the second value of "between"), ``sort``,
``columns`` (comma-separated), ``cursor`` and ``page`` (the page number shown), or
``before`` (a page's ``previous_cursor``: "Previous page") and ``page``.

Buttons change the state once and are not carried on: ``sort_to`` (a new
sort), ``column`` (``up:<key>``, ``down:<key>``, ``remove:<key>``, or ``add``
with ``add_column``) and ``condition`` (``add:<group>``, ``add_group``,
``remove:<group>.<row>``). Money in conditions is typed in major units of
the account's currency ("49.00") and kept in minor units.

Nothing the URL says is an error page: an unknown view is the first tab, an
unknown column or sort is dropped, and a condition that does not read is
shown with its problem beside it and left out of the filters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext

from recurra.core.errors import ValidationFailed
from recurra.core.money import Money, exponent
from recurra.insights.lists.selectors import list_all
from recurra.saved_views.listing import SCOPES
from recurra.saved_views.spec import (
    DAYS_OPERATORS,
    DUE_PRESETS,
    IN_LIST,
    LISTED,
    OPERATOR_LABELS,
    Condition,
    Due,
    Filters,
    Op,
    Spec,
    operators_for,
    parse_columns,
    parse_condition,
    parse_filters,
    parse_sort,
)
from recurra.subscriptions.models import SubscriptionStatus
from recurra.subscriptions.properties import ALWAYS_SHOWN, PROPERTIES, Kind, Property

_ROW = re.compile(r"^c(\d{1,2})\.(\d{1,2})\.p$")
STATE = ("q", "status", "due", "sort", "columns")
MAX_PAGE = 1_000_000


@dataclass
class EditorRow:
    """One advanced condition as the form shows it (raw text), and what it reads as."""

    property: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)
    error: str = ""
    condition: Condition | None = None


@dataclass
class IndexState:
    view_id: str
    spec: Spec
    rows: list[list[EditorRow]]  # groups of rows, as the editor shows them
    due_error: str = ""
    cursor: str | None = None
    page: int = 1
    edited: bool = False
    before: str | None = None  # the page before this cursor's (the page shown then says its own cursor)
    scope: dict[str, str] = field(default_factory=dict)  # contact_id / company_id: whose list this is

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query of this state (``edited=1``), with ``changes`` to any parameter (None drops it)."""
        pairs = _params(self)
        for name, value in changes.items():
            pairs = [(k, v) for k, v in pairs if k != name]
            if value is not None:
                pairs.append((name, str(value)))
        return pairs

    def query(self, **changes: Any) -> str:
        return _encoded(self.params(**changes))

    def address(self) -> str:
        """The query of the page as shown: on a tab as saved only the tab (it follows the view),
        else the whole state; and the page."""
        if self.edited:
            return self.query()
        return _encoded([("view", self.view_id), *self.scope.items(), *_page_params(self)])


def read(data: QueryDict, *, view_id: str, view_spec: Spec, currency: str) -> IndexState:
    """The state ``data`` describes on the tab ``view_id`` showing ``view_spec``."""
    scope = {name: data.get(name, "")[:40] for name in SCOPES if data.get(name)}
    if not _edited(data):
        rows = [[row_of(c, currency) for c in group] for group in view_spec.filters.groups]
        cursor, before = _cursor(data, "cursor"), _cursor(data, "before")
        return IndexState(
            view_id, view_spec, rows, cursor=cursor, page=_page(data), scope=scope, before=before
        )
    rows = edited_rows(read_rows(data, currency), data.get("condition", ""))
    due, due_error = _due(data)
    filters = Filters(
        q=" ".join(data.get("q", "").split())[:200],
        statuses=tuple(s for s in dict.fromkeys(data.getlist("status")) if s in SubscriptionStatus.values),
        due=due,
        groups=tuple(g for g in (tuple(r.condition for r in group if r.condition) for group in rows) if g),
    )
    spec = Spec(filters, _columns(data, view_spec), _sort(data, view_spec))
    changed = any(data.get(button) for button in ("sort_to", "column", "condition"))
    cursor = None if changed else _cursor(data, "cursor")
    before = None if changed or cursor else _cursor(data, "before")
    page = _page(data) if cursor or before else 1
    return IndexState(
        view_id, spec, rows, due_error, cursor=cursor, page=page, edited=True, scope=scope, before=before
    )


def _edited(data: QueryDict) -> bool:
    """Whether ``data`` says what to show (the form does, with ``edited=1``; so does a link such as
    ``?status=past_due``), rather than only which view."""
    return data.get("edited") == "1" or any(name in data for name in STATE) or any(map(_ROW.match, data))


def _cursor(data: QueryDict, name: str) -> str | None:
    return (data.get(name) or "")[:500] or None


def _page(data: QueryDict) -> int:
    text = data.get("page", "")
    return min(int(text), MAX_PAGE) if text.isdigit() and int(text) > 0 else 1


def _due(data: QueryDict) -> tuple[Due | None, str]:
    preset = data.get("due", "")
    if preset not in DUE_PRESETS:
        return None, ""
    raw = {"preset": preset, "from": data.get("due_from") or None, "to": data.get("due_to") or None}
    try:
        return parse_filters({"next_payment_date": raw}).due, ""
    except ValidationFailed as exc:
        return None, _message(exc)


def _columns(data: QueryDict, view_spec: Spec) -> tuple[str, ...]:
    named = [c for c in data.get("columns", "").split(",") if c in PROPERTIES]
    columns = list(parse_columns(named)) if named else list(view_spec.columns)
    op, _, key = data.get("column", "").partition(":")
    if op == "add":
        key = data.get("add_column", "")
        if key in PROPERTIES and key not in columns:
            columns.append(key)
    elif key in columns:
        at = columns.index(key)
        if op == "remove" and key != ALWAYS_SHOWN:
            columns.pop(at)
        elif op in ("up", "down"):
            to = max(0, at - 1) if op == "up" else min(len(columns) - 1, at + 1)
            columns.insert(to, columns.pop(at))
    if ALWAYS_SHOWN not in columns:
        columns.insert(0, ALWAYS_SHOWN)
    return tuple(columns)


def chosen_columns(
    data: QueryDict, default: tuple[str, ...], *, properties: Mapping[str, Property], always_shown: str
) -> tuple[str, ...]:
    """The columns ``data`` names (``columns``, comma-separated; unknown ones dropped, else
    ``default``) after its ``column`` button, as on the index: another table's (a list's members,
    a contact's or a company's properties), ``always_shown`` kept first."""
    named = [c for c in data.get("columns", "").split(",") if c in properties]
    columns = list(dict.fromkeys(named)) if named else list(default)
    op, _, key = data.get("column", "").partition(":")
    if op == "add":
        key = data.get("add_column", "")
        if key in properties and key not in columns:
            columns.append(key)
    elif key in columns:
        at = columns.index(key)
        if op == "remove" and key != always_shown:
            columns.pop(at)
        elif op in ("up", "down"):
            to = max(0, at - 1) if op == "up" else min(len(columns) - 1, at + 1)
            columns.insert(to, columns.pop(at))
    if always_shown not in columns:
        columns.insert(0, always_shown)
    return tuple(columns)


def _sort(data: QueryDict, view_spec: Spec) -> Any:
    for candidate in (data.get("sort_to"), data.get("sort")):
        if candidate:
            try:
                return parse_sort(candidate)
            except ValidationFailed:
                continue
    return view_spec.sort


# Advanced conditions ---------------------------------------------------------------------------


def read_rows(
    data: QueryDict, currency: str, *, prefix: str = "c", properties: Mapping[str, Property] = PROPERTIES
) -> list[list[EditorRow]]:
    """The form's condition rows by group, in their numbers' order (the numbers are only labels).
    ``prefix`` names one editor's fields (``c`` on the index: ``c0.1.p``; another page may hold
    several editors, each with its own); ``properties`` is the table they filter (a subscription's,
    a contact's, a company's)."""
    pattern = _ROW if prefix == "c" else re.compile(rf"^{re.escape(prefix)}(\d{{1,2}})\.(\d{{1,2}})\.p$")
    numbered = sorted(
        (int(m[1]), int(m[2]), name[:-2]) for name in data if (m := pattern.match(name)) is not None
    )
    groups: dict[int, list[EditorRow]] = {}
    for group, _row, prefix in numbered:
        groups.setdefault(group, []).append(read_row(raw_row(data, prefix), currency, properties))
    return list(groups.values())


def raw_row(data: QueryDict, prefix: str) -> EditorRow:
    """The row of the fields ``<prefix>.p``, ``.o``, ``.v`` (repeated) and ``.w`` as typed."""
    values = [v for v in data.getlist(f"{prefix}.v") if v.strip()]
    if data.get(f"{prefix}.w", "").strip():
        values = [*values[:1], data.get(f"{prefix}.w", "")]
    return EditorRow(data.get(f"{prefix}.p", ""), data.get(f"{prefix}.o", ""), values)


def edited_rows(rows: list[list[EditorRow]], button: str) -> list[list[EditorRow]]:
    """``rows`` after the editor's button: add a row to a group, add a group, or remove a row."""
    op, _, where = button.partition(":")
    if op == "add_group":
        return [*rows, [EditorRow()]]
    if op == "add" and where.isdigit() and int(where) < len(rows):
        rows[int(where)].append(EditorRow())
    elif op == "remove":
        group, _, row = where.partition(".")
        if group.isdigit() and row.isdigit() and int(group) < len(rows) and int(row) < len(rows[int(group)]):
            rows[int(group)].pop(int(row))
    return [group for group in rows if group]


def read_row(row: EditorRow, currency: str, properties: Mapping[str, Property] = PROPERTIES) -> EditorRow:
    """``row`` with its condition on a property of ``properties``, or the problem that keeps it from
    being one (a row without a property is simply not filled in yet)."""
    if row.property == IN_LIST and properties is PROPERTIES:  # "in a list": its contact's or company's
        if not row.values:
            return replace(row, operator=Op.IS)
        try:
            found = parse_filters({"groups": [{"conditions": [{IN_LIST: row.values[0]}]}]}).groups[0][0]
        except ValidationFailed as exc:
            return replace(row, operator=Op.IS, error=_message(exc))
        return replace(row, operator=Op.IS, condition=found)
    prop = properties.get(row.property)
    if prop is None:
        return replace(row, property="", condition=None)
    operators = operators_for(prop)
    operator = row.operator if row.operator in operators else operators[0]
    row = replace(row, operator=operator)
    try:
        kind = Kind.NUMBER if operator in DAYS_OPERATORS else prop.kind  # "within N days": a number
        values = [_typed(kind, v, currency) for v in row.values]
    except ValueError as exc:
        return replace(row, error=str(exc))
    if operator in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        values = []
    elif not values:
        return row  # waiting for its value
    one = not (prop.kind in LISTED or operator == Op.BETWEEN)
    raw = {"property": prop.key, "operator": operator, "value": values[0] if one and values else values}
    try:
        condition = parse_condition(raw, where="condition", properties=properties)
    except ValidationFailed as exc:
        return replace(row, error=_message(exc))
    return replace(row, condition=condition)


def editor_rows(
    rows: list[list[EditorRow]], *, prefix: str = "c", properties: Mapping[str, Property] = PROPERTIES
) -> list[list[dict[str, Any]]]:
    """The advanced filter rows with what each row's controls offer (``advanced.html``)."""
    return [
        [
            editor_row(row, prefix=f"{prefix}{g}.{i}", where=f"{g}.{i}", properties=properties)
            for i, row in enumerate(group)
        ]
        for g, group in enumerate(rows)
    ]


def editor_row(
    row: EditorRow, *, prefix: str, where: str, properties: Mapping[str, Property] = PROPERTIES
) -> dict[str, Any]:
    """One condition row with what its controls offer (``condition.html``): its fields are
    ``<prefix>.p`` ..., its remove button says ``remove:<where>``."""
    prop = properties.get(row.property)
    return {
        "row": row,
        "prefix": prefix,
        "where": where,
        "property": prop,
        "operators": [(op, OPERATOR_LABELS[op]) for op in operators_for(prop)] if prop else [],
        "input": _input_of(row, prop),
        "needs_value": row.operator not in (Op.IS_EMPTY, Op.IS_NOT_EMPTY),
        "between": row.operator == Op.BETWEEN,
    }


def _input_of(row: EditorRow, prop: Any) -> str:
    if row.property == IN_LIST:
        return "list"
    if row.operator in DAYS_OPERATORS:
        return "number"  # "within N days": a number
    return _input_type(prop.kind) if prop else "text"


def filterable() -> list[tuple[str, str]]:
    """What the editor's property select offers: every subscription property, and "In a list"."""
    found = [(key, str(p.label)) for key, p in PROPERTIES.items()]
    return [*found, (IN_LIST, gettext("In a list (its contact or company)"))]


def list_choices() -> list[tuple[str, str]]:
    """The lists an "In a list" condition offers: (id, name), by name."""
    lists = list_all().order_by("name", "pk")
    return [(found.pk, f"{found.name} ({found.get_object_display()})") for found in lists]


_INPUTS = {Kind.DATE: "date", Kind.DATETIME: "date", Kind.MONEY: "money", Kind.NUMBER: "number"}


def _input_type(kind: Kind) -> str:
    if kind in (Kind.CHOICE, Kind.BOOLEAN, Kind.USER):
        return kind.value
    return _INPUTS.get(kind, "text")


def typed_value(kind: Kind, text: str, currency: str) -> Any:
    """A value as typed into a condition (money in major units) as the filter language takes it;
    ValueError with what to type instead."""
    return _typed(kind, text, currency)


def _typed(kind: Kind, text: str, currency: str) -> Any:
    text = text.strip()
    if kind == Kind.MONEY:
        try:
            return Money.from_major(Decimal(text), currency).amount
        except (InvalidOperation, ValueError):
            raise ValueError(
                gettext("Enter an amount in %(currency)s, such as 49.00.") % {"currency": currency}
            ) from None
    if kind == Kind.NUMBER:
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise ValueError(gettext("Enter a whole number."))
        return int(text)
    if kind == Kind.BOOLEAN:
        if text not in ("true", "false"):
            raise ValueError(gettext("Choose yes or no."))
        return text == "true"
    if kind == Kind.USER:
        if not re.fullmatch(r"\d{1,18}", text):
            raise ValueError(gettext("Choose a user."))
        return int(text)
    return text


def row_of(condition: Condition, currency: str, properties: Mapping[str, Property] = PROPERTIES) -> EditorRow:
    """A saved condition (on a property of ``properties``) as the editor shows it (money back in
    major units)."""
    if condition.property == IN_LIST:
        return EditorRow(IN_LIST, Op.IS, [str(condition.values[0])], condition=condition)
    kind = properties[condition.property].kind
    values = [_text(kind, v, currency) for v in condition.values]
    return EditorRow(condition.property, condition.operator, values, condition=condition)


def _text(kind: Kind, value: Any, currency: str) -> str:
    if kind == Kind.MONEY:
        places = exponent(currency)
        return f"{Decimal(value).scaleb(-places):.{places}f}"
    if kind == Kind.BOOLEAN:
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _message(exc: ValidationFailed) -> str:
    return "; ".join(e.message for e in exc.errors) or exc.detail


# Writing the state ----------------------------------------------------------------------------


def _params(state: IndexState) -> list[tuple[str, str]]:
    spec = state.spec
    filters = spec.filters
    pairs = [("view", state.view_id), ("edited", "1"), *state.scope.items()]
    if filters.q:
        pairs.append(("q", filters.q))
    pairs += [("status", s) for s in filters.statuses]
    if filters.due:
        pairs.append(("due", filters.due.preset))
        if filters.due.start:
            pairs.append(("due_from", filters.due.start.isoformat()))
        if filters.due.end:
            pairs.append(("due_to", filters.due.end.isoformat()))
    pairs += condition_params(state.rows)
    pairs += [("sort", str(spec.sort)), ("columns", ",".join(spec.columns))]
    return pairs + _page_params(state)


def _page_params(state: IndexState) -> list[tuple[str, str]]:
    if state.cursor:
        return [("cursor", state.cursor), ("page", str(state.page))]
    if state.before:
        return [("before", state.before), ("page", str(state.page))]
    return []


def _encoded(pairs: list[tuple[str, str]]) -> str:
    out = QueryDict(mutable=True)
    for name, value in pairs:
        out.appendlist(name, value)
    return out.urlencode()


def condition_params(rows: list[list[EditorRow]]) -> list[tuple[str, str]]:
    """The form fields of the conditions that read (as typed: money in major units), numbered
    afresh; rows still empty or with a problem are left out."""
    pairs: list[tuple[str, str]] = []
    groups = [[row for row in group if row.condition] for group in rows]
    for g, group in enumerate(group for group in groups if group):
        for i, row in enumerate(group):
            prefix = f"c{g}.{i}"
            pairs += [(f"{prefix}.p", row.property), (f"{prefix}.o", row.operator)]
            if row.operator == Op.BETWEEN:
                pairs += [(f"{prefix}.v", row.values[0]), (f"{prefix}.w", row.values[1])]
            else:
                pairs += [(f"{prefix}.v", value) for value in row.values]
    return pairs
