"""What a list shows: its filters, columns and sort, as plain typed values (pure: no database).

The same spec is a saved view's content, the index page's state and an
export's selection. In JSON (the API's ``filters``)::

    {"q": "acme",                                   # each word: name, contact name or email
     "status": ["active", "past_due"],              # any of
     "next_payment_date": {"preset": "next_30_days"},   # or {"preset": "custom",
                                                    #      "from": "2027-01-01", "to": "2027-01-31"}
     "groups": [                                    # OR between groups, AND within one
        {"conditions": [{"property": "mrr", "operator": "greater_than", "value": 5000},
                        {"property": "company", "operator": "is_empty"}]}]}

Rules and surprises:
- Operators depend on the property's kind (:data:`OPERATORS`); "empty" ones
  only where the property can be empty (text can always be blank).
- ``between`` is inclusive at both ends and needs ``[low, high]`` with
  low <= high; ``is``/``is_not`` on a choice take one value or a list (any of).
- A user property (``owner``) takes user ids (``GET /users``), one or a list:
  ``{"property": "owner", "operator": "is", "value": [3, 7]}``; ``is_not``
  also matches subscriptions without an owner, ``is_empty`` only those.
- Dates are ``YYYY-MM-DD`` within :data:`recurra.core.dates.EARLIEST` and
  ``LATEST``; a date-time property is compared by its day in the account's time
  zone. Money is integer minor units.
- Presets stay relative: a view saved with "next 7 days" means the seven days
  from the day it is looked at (today included).
- Every error names where it is (``filters.groups[0].conditions[1].value``),
  and all of them are reported at once.
- A saved view's stored filters are read back with :func:`stored_filters`,
  which never fails: a view saved before a rule existed still opens its tab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from recurra.core.dates import out_of_range
from recurra.core.errors import FieldError, ValidationFailed
from recurra.subscriptions.properties import DEFAULT_COLUMNS, PROPERTIES, Kind, Property
from recurra.subscriptions.selectors import sort_keyset

MAX_TEXT = 200
MAX_GROUPS = 10
MAX_CONDITIONS = 20
MAX_COLUMNS = len(PROPERTIES)


class Op:
    IS = "is"
    IS_NOT = "is_not"
    CONTAINS = "contains"
    BEFORE = "before"
    AFTER = "after"
    LESS_THAN = "less_than"
    GREATER_THAN = "greater_than"
    BETWEEN = "between"
    IS_EMPTY = "is_empty"
    IS_NOT_EMPTY = "is_not_empty"
    WITHIN_NEXT_DAYS = "within_next_days"
    WITHIN_LAST_DAYS = "within_last_days"


OPERATOR_LABELS: dict[str, Promise] = {
    Op.IS: _("is"),
    Op.IS_NOT: _("is not"),
    Op.CONTAINS: _("contains"),
    Op.BEFORE: _("is before"),
    Op.AFTER: _("is after"),
    Op.LESS_THAN: _("is less than"),
    Op.GREATER_THAN: _("is greater than"),
    Op.BETWEEN: _("is between"),
    Op.IS_EMPTY: _("is empty"),
    Op.IS_NOT_EMPTY: _("is not empty"),
    Op.WITHIN_NEXT_DAYS: _("is within the next (days)"),
    Op.WITHIN_LAST_DAYS: _("is within the last (days)"),
}
_EMPTY = (Op.IS_EMPTY, Op.IS_NOT_EMPTY)
_DATES = (Op.IS, Op.BEFORE, Op.AFTER, Op.BETWEEN, Op.WITHIN_NEXT_DAYS, Op.WITHIN_LAST_DAYS)
DAYS_OPERATORS = (Op.WITHIN_NEXT_DAYS, Op.WITHIN_LAST_DAYS)  # their value: a number of days
MAX_DAYS = 3660
_NUMBERS = (Op.IS, Op.IS_NOT, Op.LESS_THAN, Op.GREATER_THAN, Op.BETWEEN)
OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: (Op.IS, Op.IS_NOT, Op.CONTAINS, *_EMPTY),
    Kind.CHOICE: (Op.IS, Op.IS_NOT),
    Kind.DATE: _DATES,
    Kind.DATETIME: _DATES,
    Kind.MONEY: _NUMBERS,
    Kind.NUMBER: _NUMBERS,
    Kind.BOOLEAN: (Op.IS,),
    Kind.USER: (Op.IS, Op.IS_NOT),
}
# How many values each operator takes: (at least, at most).
ARITY: dict[str, tuple[int, int]] = {
    Op.IS: (1, 1),
    Op.IS_NOT: (1, 1),
    Op.CONTAINS: (1, 1),
    Op.BEFORE: (1, 1),
    Op.AFTER: (1, 1),
    Op.LESS_THAN: (1, 1),
    Op.GREATER_THAN: (1, 1),
    Op.BETWEEN: (2, 2),
    Op.IS_EMPTY: (0, 0),
    Op.IS_NOT_EMPTY: (0, 0),
    Op.WITHIN_NEXT_DAYS: (1, 1),
    Op.WITHIN_LAST_DAYS: (1, 1),
}
CHOICE_ARITY = (1, 20)  # "is any of"
IN_LIST = "in_list"  # a condition that is no property: {"in_list": "lst_…"} (its contact's or company's list)
LISTED = (Kind.CHOICE, Kind.USER)  # kinds whose is / is not take a list: "is any of"
MAX_USER_ID = 2**63 - 1


def operators_for(prop: Property) -> tuple[str, ...]:
    ops = OPERATORS[prop.kind]
    return ops + _EMPTY if prop.nullable and prop.kind != Kind.TEXT else ops


# Next payment date presets (quick filter), each relative to the day the list is looked at.
DUE_PRESETS: dict[str, Promise] = {
    "today": _("Today"),
    "next_7_days": _("Next 7 days"),
    "next_30_days": _("Next 30 days"),
    "this_month": _("This month"),
    "overdue": _("Overdue"),
    "custom": _("Custom range"),
}


@dataclass(frozen=True)
class Condition:
    property: str
    operator: str
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Due:
    preset: str
    start: date | None = None  # custom only; either end may be open
    end: date | None = None


@dataclass(frozen=True)
class Filters:
    q: str = ""
    statuses: tuple[str, ...] = ()
    due: Due | None = None
    groups: tuple[tuple[Condition, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.key}"


DEFAULT_SORT = Sort("next_payment_date")


@dataclass(frozen=True)
class Spec:
    filters: Filters = field(default_factory=Filters)
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    sort: Sort = DEFAULT_SORT


# Reading JSON ---------------------------------------------------------------------------------


class _Errors:
    def __init__(self, *, any_date: bool = False) -> None:
        self.found: list[FieldError] = []
        self.any_date = any_date  # stored filters: a date outside the supported range is kept

    def add(self, where: str, message: str) -> None:
        self.found.append(FieldError(where, message))

    def raise_any(self, what: str) -> None:
        if self.found:
            raise ValidationFailed(f"invalid {what}", errors=self.found)


def parse_filters(data: Any, *, where: str = "filters") -> Filters:
    """A :class:`Filters` from its JSON; every problem at once as a 422 naming its place."""
    errors = _Errors()
    filters = _filters(data, where, errors)
    errors.raise_any(where)
    return filters


def stored_filters(data: Any) -> Filters:
    """A saved view's stored filters, never an error: a condition that no longer reads is left
    out, and a date outside the supported range (saved before it was checked) is kept: the query
    compares it as it is (:func:`recurra.core.dates.clamped`)."""
    return _filters(data, "filters", _Errors(any_date=True))


def _filters(data: Any, where: str, errors: _Errors) -> Filters:
    if data is None:
        return Filters()
    if not isinstance(data, Mapping):
        errors.add(where, "must be an object")
        return Filters()
    for unknown in sorted(set(data) - {"q", "status", "next_payment_date", "groups"}):
        errors.add(f"{where}.{unknown}", "is not a filter; use q, status, next_payment_date or groups")
    q = data.get("q") or ""
    if not _is_text(q, 0):
        errors.add(f"{where}.q", f"must be text of at most {MAX_TEXT} characters")
        q = ""
    statuses = _statuses(data.get("status"), f"{where}.status", errors)
    due = _due(data.get("next_payment_date"), f"{where}.next_payment_date", errors)
    groups = _groups(data.get("groups"), f"{where}.groups", errors)
    return Filters(q=q.strip(), statuses=statuses, due=due, groups=groups)


def _statuses(data: Any, where: str, errors: _Errors) -> tuple[str, ...]:
    if data is None:
        return ()
    values = [data] if isinstance(data, str) else data
    choices = dict(PROPERTIES["status"].choices)
    if not isinstance(values, list) or not all(isinstance(v, str) and v in choices for v in values):
        errors.add(where, f"must be a list of statuses: {', '.join(choices)}")
        return ()
    return tuple(dict.fromkeys(values))


def _due(data: Any, where: str, errors: _Errors) -> Due | None:
    if data is None:
        return None
    if not isinstance(data, Mapping) or data.get("preset") not in DUE_PRESETS:
        errors.add(f"{where}.preset", f"must be one of {', '.join(DUE_PRESETS)}")
        return None
    if data["preset"] != "custom":
        return Due(data["preset"])
    start = _date(data.get("from"), f"{where}.from", errors, optional=True)
    end = _date(data.get("to"), f"{where}.to", errors, optional=True)
    if start is None and end is None:
        if all(data.get(bound) in (None, "") for bound in ("from", "to")):  # else: told above
            errors.add(where, gettext_now("a custom range needs from, to or both"))
        return None
    if start and end and start > end:
        errors.add(f"{where}.to", gettext_now("must not be before from"))
    return Due("custom", start, end)


def _groups(
    data: Any, where: str, errors: _Errors, properties: Mapping[str, Property] = PROPERTIES
) -> tuple[tuple[Condition, ...], ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or len(data) > MAX_GROUPS:
        errors.add(where, f"must be a list of at most {MAX_GROUPS} groups")
        return ()
    groups = []
    for g, group in enumerate(data):
        at = f"{where}[{g}].conditions"
        conditions = group.get("conditions") if isinstance(group, Mapping) else None
        if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
            errors.add(at, f"must be a list of 1 to {MAX_CONDITIONS} conditions")
            continue
        parsed = [_condition(c, f"{at}[{i}]", errors, properties) for i, c in enumerate(conditions)]
        groups.append(tuple(c for c in parsed if c is not None))
    return tuple(groups)


def parse_condition(data: Any, *, where: str, properties: Mapping[str, Property]) -> Condition:
    """One condition on a property of ``properties`` (a contact's, a company's: ``insights.lists``);
    a 422 naming its place."""
    errors = _Errors()
    found = _condition(data, where, errors, properties)
    errors.raise_any(where)
    assert found is not None
    return found


def _condition(
    data: Any, where: str, errors: _Errors, properties: Mapping[str, Property] = PROPERTIES
) -> Condition | None:
    if not isinstance(data, Mapping):
        errors.add(where, "must be an object with property, operator and value")
        return None
    if IN_LIST in data and properties is PROPERTIES:
        return _in_list(data, where, errors)
    prop = properties.get(data.get("property"))  # type: ignore[arg-type]
    if prop is None:
        noun = "a subscription" if properties is PROPERTIES else "this record"
        errors.add(f"{where}.property", f"is not a property of {noun}")
        return None
    allowed = operators_for(prop)
    operator = data.get("operator")
    if operator not in allowed:
        errors.add(f"{where}.operator", f"for {prop.key} must be one of {', '.join(allowed)}")
        return None
    raw = data.get("value")
    values = [] if raw is None else list(raw) if isinstance(raw, list) else [raw]
    low, high = CHOICE_ARITY if prop.kind in LISTED and operator in (Op.IS, Op.IS_NOT) else ARITY[operator]
    if not low <= len(values) <= high:
        wanted = "no value" if high == 0 else "one value" if high == 1 else f"{low} to {high} values"
        errors.add(f"{where}.value", f"{OPERATOR_LABELS[operator]} takes {wanted}")
        return None
    if operator in DAYS_OPERATORS:
        days = values[0]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            errors.add(f"{where}.value", f"must be a whole number of days from 1 to {MAX_DAYS}")
            return None
        return Condition(prop.key, operator, (days,))
    before = len(errors.found)
    typed = tuple(_value(prop, v, f"{where}.value", errors) for v in values)
    if len(errors.found) > before:
        return None
    if operator == Op.BETWEEN and typed[0] > typed[1]:
        errors.add(f"{where}.value", gettext_now("between needs the lower bound first"))
        return None
    return Condition(prop.key, operator, typed)


def _in_list(data: Mapping[str, Any], where: str, errors: _Errors) -> Condition | None:
    """``{"in_list": "lst_…"}``: the subscription's contact (or company) is a member of the list
    (``insights.lists``); a list that no longer exists matches nothing."""
    value = data[IN_LIST]
    if set(data) != {IN_LIST}:
        errors.add(where, "an in_list condition has only the key in_list")
        return None
    if not isinstance(value, str) or not value.startswith("lst_") or len(value) > 40:
        errors.add(f"{where}.in_list", "must be a list's id (lst_…)")
        return None
    return Condition(IN_LIST, Op.IS, (value,))


def _is_text(value: Any, shortest: int) -> bool:
    """Text a database stores (no NUL, no lone surrogate) of ``shortest`` to MAX_TEXT characters."""
    if not isinstance(value, str) or not shortest <= len(value.strip()) <= MAX_TEXT or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _date(value: Any, where: str, errors: _Errors, *, optional: bool = False) -> date | None:
    if value in (None, "") and optional:
        return None
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.add(where, gettext_now("must be a date, YYYY-MM-DD"))
        return None
    problem = None if errors.any_date else out_of_range(day)
    if problem:
        errors.add(where, problem)
        return None
    return day


def _value(prop: Property, value: Any, where: str, errors: _Errors) -> Any:
    """``value`` typed for ``prop``'s kind (a problem is recorded and None returned)."""
    kind = prop.kind
    if kind in (Kind.DATE, Kind.DATETIME):
        return _date(value, where, errors)
    if kind in (Kind.MONEY, Kind.NUMBER):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
            return value
        errors.add(where, "must be a whole number" + (" of minor units" if kind == Kind.MONEY else ""))
    elif kind == Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        errors.add(where, "must be true or false")
    elif kind == Kind.CHOICE:
        if value in dict(prop.choices):
            return value
        errors.add(where, f"must be one of {', '.join(v for v, _ in prop.choices)}")
    elif kind == Kind.USER:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_USER_ID:
            return value
        errors.add(where, "must be the id of a user (GET /users)")
    elif _is_text(value, 1):
        return value.strip()
    else:
        errors.add(where, gettext_now("must be text of 1 to %(max)s characters") % {"max": MAX_TEXT})
    return None


def parse_columns(data: Any, *, where: str = "columns") -> tuple[str, ...]:
    """Column keys in order, each a property once; None or [] is the default columns."""
    if not data:
        return DEFAULT_COLUMNS
    if not isinstance(data, list) or len(data) > MAX_COLUMNS:
        raise ValidationFailed.field(where, "must be a list of property names")
    unknown = [c for c in data if c not in PROPERTIES]
    if unknown:
        raise ValidationFailed.field(where, f"{unknown[0]!r} is not a property of a subscription")
    return tuple(dict.fromkeys(data))


def parse_sort(data: Any) -> Sort:
    """``"next_payment_date"`` or ``"-mrr"`` (descending); None is the default sort."""
    if data in (None, ""):
        return DEFAULT_SORT
    if not isinstance(data, str):
        raise ValidationFailed.field("sort", "must be a property name, - first to reverse")
    sort_keyset(data)  # the one check of what can be sorted by
    return Sort(data.removeprefix("-"), descending=data.startswith("-"))


# Writing JSON ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def filters_json(filters: Filters) -> dict[str, Any]:
    """The JSON of ``filters``, only what is set (``parse_filters`` reads it back equal)."""
    out: dict[str, Any] = {}
    if filters.q:
        out["q"] = filters.q
    if filters.statuses:
        out["status"] = list(filters.statuses)
    if filters.due:
        due: dict[str, Any] = {"preset": filters.due.preset}
        if filters.due.start:
            due["from"] = filters.due.start.isoformat()
        if filters.due.end:
            due["to"] = filters.due.end.isoformat()
        out["next_payment_date"] = due
    if filters.groups:
        out["groups"] = [{"conditions": [condition_json(c) for c in group]} for group in filters.groups]
    return out


def condition_json(c: Condition, properties: Mapping[str, Property] = PROPERTIES) -> dict[str, Any]:
    """The JSON of one condition on a property of ``properties`` (``parse_condition`` reads it back)."""
    if c.property == IN_LIST:
        return {IN_LIST: c.values[0]}
    out: dict[str, Any] = {"property": c.property, "operator": c.operator}
    listed = properties[c.property].kind in LISTED and c.operator in (Op.IS, Op.IS_NOT)
    multiple = listed or c.operator == Op.BETWEEN
    if c.values:
        out["value"] = [_jsonable(v) for v in c.values] if multiple else _jsonable(c.values[0])
    return out
