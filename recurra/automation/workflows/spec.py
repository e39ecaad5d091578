"""A workflow's definition: its trigger, filters, re-enrollment and actions, read from JSON (pure).

The API's JSON, which this module reads and writes back canonical::

    {"trigger": {"type": "property_change", "property": "status", "to": ["past_due"]},
     "filters": {"groups": [...]},          # the saved-view filter language (saved_views.spec)
     "reenroll": false,
     "actions": [{"type": "delay", "days": 2},
                 {"type": "internal_email", "to": ["owner"], "subject": "...", "body": "..."},
                 {"type": "branch", "if": {"status": ["past_due"]}, "then": [...], "else": [...]}]}

Rules and surprises:
- ``property_change``: any subscription property (``saved_views``' table); ``to`` and ``from``
  are lists of raw values (a status's value, a date ``YYYY-MM-DD``, minor units, an id for a
  reference such as contact or owner); without ``to`` any change of the property fires.
- ``event``: public event types (``GET /webhook-event-types``) about a subscription, its
  invoices or its payments.
- ``date``: ``offset_days`` before (negative) or after the date; evaluated once a day in the
  account's zone, once per date value.
- ``filter``: fires when a subscription starts to match ``filters``, which must say something.
- Placeholders in an email's subject and body: ``{{ subscription.<property> }}`` and
  ``{{ subscription.url }}`` (the record's page).
- Every error names its place (``actions[1].then[0].subject``), all at once (a 422).
Users, owners and endpoints named by actions are checked by the services (they need the database).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from recurra.automation.webhooks.catalog import EVENT_TYPES
from recurra.core.errors import FieldError, ValidationFailed
from recurra.saved_views.spec import Filters, filters_json, parse_filters
from recurra.subscriptions.properties import PROPERTIES, Kind

MAX_ACTIONS = 20  # in one list (the workflow's, or a branch's then / else)
MAX_STEPS = 50  # in all, branches included
MAX_BRANCH_DEPTH = 3
MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_RECIPIENTS = 10
MAX_ROTATE = 50
MAX_OFFSET_DAYS = 365
MAX_DELAY_DAYS = 365
MAX_VALUES = 20

DATE_PROPERTIES = ("next_payment_date", "end_date", "start_date", "resume_on")
EVENT_OBJECTS = ("subscription.", "invoice.", "payment.")
# Audit events workflows follow beside the public types: a contact or company joining or leaving a
# list (``insights.lists``) enrolls each of its subscriptions.
LIST_EVENTS = ("list.member_added", "list.member_removed")
# The properties set_property may change: through the seller's edit (name) or owner_assign.
SETTABLE = ("owner_id", "name")
OWNER = "owner"
PLACEHOLDER = re.compile(r"{{\s*subscription\.([a-z_0-9]+)\s*}}")
EXTRA_PLACEHOLDERS = ("url",)
TRIGGER_TYPES = ("property_change", "event", "date", "filter")
ACTION_TYPES = ("delay", "internal_email", "set_property", "assign_owner", "webhook", "branch")


@dataclass(frozen=True)
class PropertyChange:
    property: str
    to: tuple[Any, ...] | None = None  # None: any value
    from_: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class EventTrigger:
    event_types: tuple[str, ...]


@dataclass(frozen=True)
class DateTrigger:
    property: str
    offset_days: int


@dataclass(frozen=True)
class FilterTrigger:
    pass


Trigger = PropertyChange | EventTrigger | DateTrigger | FilterTrigger


@dataclass(frozen=True)
class Delay:
    days: int
    hours: int = 0


@dataclass(frozen=True)
class InternalEmail:
    to: tuple[str | int, ...]  # "owner", a user id, or an email address
    subject: str
    body: str


@dataclass(frozen=True)
class SetProperty:
    property: str
    value: Any


@dataclass(frozen=True)
class AssignOwner:
    rotate: tuple[int, ...]


@dataclass(frozen=True)
class Webhook:
    endpoint_id: str


@dataclass(frozen=True)
class Branch:
    if_: Filters
    then: tuple[Action, ...] = ()
    else_: tuple[Action, ...] = ()


Action = Delay | InternalEmail | SetProperty | AssignOwner | Webhook | Branch


@dataclass(frozen=True)
class Definition:
    trigger: Trigger
    actions: tuple[Action, ...]
    filters: Filters = field(default_factory=Filters)
    reenroll: bool = False


class _Errors:
    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(FieldError(where, message))


def parse_definition(data: Mapping[str, Any]) -> Definition:
    """The definition in ``data`` (trigger, filters, reenroll, actions); every problem at once."""
    errors = _Errors()
    filters = Filters()
    if data.get("filters") is not None:
        try:
            filters = parse_filters(data["filters"], where="filters")
        except ValidationFailed as failed:
            errors.found.extend(failed.errors)
    trigger = _trigger(data.get("trigger"), "trigger", errors)
    if isinstance(trigger, FilterTrigger) and filters.is_empty:
        errors.add(
            "filters", "a filter trigger needs filters: the subscriptions that start to match them enroll"
        )
    reenroll = data.get("reenroll", False)
    if not isinstance(reenroll, bool):
        errors.add("reenroll", "must be true or false")
        reenroll = False
    counted = [0]
    actions = _actions(data.get("actions"), "actions", errors, depth=0, counted=counted, at_least=1)
    if counted[0] > MAX_STEPS:
        errors.add("actions", f"at most {MAX_STEPS} steps in all, branches included")
    if errors.found:
        raise ValidationFailed("invalid workflow", errors=errors.found)
    assert trigger is not None
    return Definition(trigger=trigger, actions=actions, filters=filters, reenroll=reenroll)


def _values(data: Any, prop_key: str, where: str, errors: _Errors) -> tuple[Any, ...] | None:
    if data is None:
        return None
    values = data if isinstance(data, list) else [data]
    if not 1 <= len(values) <= MAX_VALUES:
        errors.add(where, f"must be a list of 1 to {MAX_VALUES} values")
        return None
    prop = PROPERTIES[prop_key]
    typed: list[Any] = []
    for n, value in enumerate(values):
        problem = _value_problem(prop.kind, prop.choices, value)
        if problem:
            errors.add(f"{where}[{n}]", problem)
        else:
            typed.append(value)
    return tuple(typed)


def _value_problem(kind: Kind, choices: tuple[tuple[str, str], ...], value: Any) -> str | None:
    """What is wrong with ``value`` as a raw value of a property of ``kind`` (None: nothing).

    >>> _value_problem(Kind.DATE, (), "2027-02-30")
    'must be a date, YYYY-MM-DD'
    >>> _value_problem(Kind.CHOICE, (("active", "Active"),), "active") is None
    True
    """
    if value is None:
        return None  # "became empty" / "was empty"
    if kind == Kind.CHOICE:
        return None if value in dict(choices) else f"must be one of {', '.join(v for v, _ in choices)}"
    if kind in (Kind.DATE, Kind.DATETIME):
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return "must be a date, YYYY-MM-DD"
        return None
    if kind in (Kind.MONEY, Kind.NUMBER):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "must be a whole number"
    if kind == Kind.BOOLEAN:
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(value, int) and not isinstance(value, bool):
        return None  # an owner's user id
    return None if isinstance(value, str) and 0 < len(value) <= 200 else "must be text of 1 to 200 characters"


def _trigger(data: Any, where: str, errors: _Errors) -> Trigger | None:
    if not isinstance(data, Mapping) or data.get("type") not in TRIGGER_TYPES:
        errors.add(f"{where}.type", f"must be one of {', '.join(TRIGGER_TYPES)}")
        return None
    kind = data["type"]
    allowed = {
        "property_change": {"type", "property", "to", "from"},
        "event": {"type", "event_types"},
        "date": {"type", "property", "offset_days"},
        "filter": {"type"},
    }[kind]
    for unknown in sorted(set(data) - allowed):
        errors.add(f"{where}.{unknown}", f"is not a field of a {kind} trigger")
    if kind == "property_change":
        prop = data.get("property")
        if prop not in PROPERTIES or prop == "id":
            errors.add(f"{where}.property", "is not a property of a subscription")
            return None
        to = _values(data.get("to"), prop, f"{where}.to", errors)
        from_ = _values(data.get("from"), prop, f"{where}.from", errors)
        return PropertyChange(prop, to, from_)
    if kind == "event":
        types = data.get("event_types")
        if not isinstance(types, list) or not 1 <= len(types) <= MAX_VALUES:
            errors.add(f"{where}.event_types", f"must be a list of 1 to {MAX_VALUES} event types")
            return None
        for n, name in enumerate(types):
            public = isinstance(name, str) and name in EVENT_TYPES and name.startswith(EVENT_OBJECTS)
            if not (public or name in LIST_EVENTS):
                errors.add(
                    f"{where}.event_types[{n}]",
                    "must be an event type about a subscription, an invoice or a payment"
                    " (GET /webhook-event-types), or list.member_added / list.member_removed",
                )
        return EventTrigger(tuple(dict.fromkeys(t for t in types if isinstance(t, str))))
    if kind == "date":
        prop = data.get("property")
        if prop not in DATE_PROPERTIES:
            errors.add(f"{where}.property", f"must be one of {', '.join(DATE_PROPERTIES)}")
        offset = data.get("offset_days", 0)
        if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > MAX_OFFSET_DAYS:
            errors.add(
                f"{where}.offset_days",
                f"must be a whole number of days from -{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}",
            )
            offset = 0
        return DateTrigger(prop, offset) if prop in DATE_PROPERTIES else None
    return FilterTrigger()


def _actions(
    data: Any, where: str, errors: _Errors, *, depth: int, counted: list[int], at_least: int = 0
) -> tuple[Action, ...]:
    if data is None and at_least == 0:
        return ()
    if not isinstance(data, list) or not at_least <= len(data) <= MAX_ACTIONS:
        errors.add(where, f"must be a list of {at_least} to {MAX_ACTIONS} actions")
        return ()
    found = []
    for n, item in enumerate(data):
        counted[0] += 1
        action = _action(item, f"{where}[{n}]", errors, depth=depth, counted=counted)
        if action is not None:
            found.append(action)
    return tuple(found)


_ACTION_FIELDS = {
    "delay": {"type", "days", "hours"},
    "internal_email": {"type", "to", "subject", "body"},
    "set_property": {"type", "property", "value"},
    "assign_owner": {"type", "rotate"},
    "webhook": {"type", "endpoint_id"},
    "branch": {"type", "if", "then", "else"},
}


def _action(data: Any, where: str, errors: _Errors, *, depth: int, counted: list[int]) -> Action | None:
    if not isinstance(data, Mapping) or data.get("type") not in ACTION_TYPES:
        errors.add(f"{where}.type", f"must be one of {', '.join(ACTION_TYPES)}")
        return None
    kind = data["type"]
    for unknown in sorted(set(data) - _ACTION_FIELDS[kind]):
        errors.add(f"{where}.{unknown}", f"is not a field of a {kind} action")
    before = len(errors.found)
    action: Action | None = None
    if kind == "delay":
        action = _delay(data, where, errors)
    elif kind == "internal_email":
        action = _email(data, where, errors)
    elif kind == "set_property":
        action = _set_property(data, where, errors)
    elif kind == "assign_owner":
        rotate = data.get("rotate")
        if (
            not isinstance(rotate, list)
            or not 1 <= len(rotate) <= MAX_ROTATE
            or not all(_is_id(u) for u in rotate)
        ):
            errors.add(f"{where}.rotate", f"must be a list of 1 to {MAX_ROTATE} user ids (GET /users)")
        else:
            action = AssignOwner(tuple(dict.fromkeys(rotate)))
    elif kind == "webhook":
        endpoint = data.get("endpoint_id")
        if not isinstance(endpoint, str) or not endpoint.startswith("we_"):
            errors.add(f"{where}.endpoint_id", "must be a webhook endpoint's id (we_…)")
        else:
            action = Webhook(endpoint)
    else:
        action = _branch(data, where, errors, depth=depth, counted=counted)
    return action if len(errors.found) == before else None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _delay(data: Mapping[str, Any], where: str, errors: _Errors) -> Delay | None:
    days, hours = data.get("days", 0), data.get("hours", 0)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DELAY_DAYS:
        errors.add(f"{where}.days", f"must be a whole number of days from 0 to {MAX_DELAY_DAYS}")
        return None
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 23:
        errors.add(f"{where}.hours", "must be a whole number of hours from 0 to 23")
        return None
    if not days and not hours:
        errors.add(f"{where}.days", "a delay needs days, hours or both")
        return None
    return Delay(days, hours)


def _email(data: Mapping[str, Any], where: str, errors: _Errors) -> InternalEmail | None:
    to = data.get("to")
    recipients: list[str | int] = []
    if not isinstance(to, list) or not 1 <= len(to) <= MAX_RECIPIENTS:
        errors.add(
            f"{where}.to", f'must be a list of 1 to {MAX_RECIPIENTS} recipients: "owner", user ids or emails'
        )
    else:
        for n, one in enumerate(to):
            if one == OWNER or _is_id(one):
                recipients.append(one)
                continue
            try:
                validate_email(one)
            except (ValidationError, TypeError):
                errors.add(f"{where}.to[{n}]", 'must be "owner", a user id or an email address')
                continue
            recipients.append(one.strip())
    subject = _text(data.get("subject"), f"{where}.subject", MAX_SUBJECT, errors)
    body = _text(data.get("body"), f"{where}.body", MAX_BODY, errors)
    if subject is None or body is None or len(recipients) != len(to or ()):
        return None
    return InternalEmail(tuple(dict.fromkeys(recipients)), subject, body)


def _text(value: Any, where: str, most: int, errors: _Errors) -> str | None:
    if not isinstance(value, str) or not 0 < len(value.strip()) <= most or "\x00" in value:
        errors.add(where, f"must be text of 1 to {most} characters")
        return None
    unknown = sorted({key for key in PLACEHOLDER.findall(value) if not placeholder_known(key)})
    if unknown:
        errors.add(where, f"unknown placeholder(s): {', '.join('subscription.' + k for k in unknown)}")
        return None
    return value.strip()


def placeholder_known(key: str) -> bool:
    """Whether ``{{ subscription.<key> }}`` means something (a property, or ``url``)."""
    return key in PROPERTIES or key in EXTRA_PLACEHOLDERS


def _set_property(data: Mapping[str, Any], where: str, errors: _Errors) -> SetProperty | None:
    prop, value = data.get("property"), data.get("value")
    if prop not in SETTABLE:
        errors.add(f"{where}.property", f"must be one of {', '.join(SETTABLE)}")
        return None
    if prop == "owner_id":
        if value is not None and not _is_id(value):
            errors.add(f"{where}.value", "must be a user id (GET /users), or null for no owner")
            return None
        return SetProperty(prop, value)
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 200:
        errors.add(f"{where}.value", "must be text of 1 to 200 characters")
        return None
    return SetProperty(prop, value.strip())


def _branch(
    data: Mapping[str, Any], where: str, errors: _Errors, *, depth: int, counted: list[int]
) -> Branch | None:
    if depth + 1 > MAX_BRANCH_DEPTH:
        errors.add(where, f"branches nest at most {MAX_BRANCH_DEPTH} deep")
        return None
    condition = None
    try:
        condition = parse_filters(data.get("if"), where=f"{where}.if")
    except ValidationFailed as failed:
        errors.found.extend(failed.errors)
    if condition is not None and condition.is_empty:
        errors.add(f"{where}.if", "must say which subscriptions take the then branch (filters)")
    then = _actions(data.get("then"), f"{where}.then", errors, depth=depth + 1, counted=counted)
    else_ = _actions(data.get("else"), f"{where}.else", errors, depth=depth + 1, counted=counted)
    if condition is None:
        return None
    return Branch(condition, then, else_)


# Writing JSON -----------------------------------------------------------------------------------


def definition_json(definition: Definition) -> dict[str, Any]:
    """The canonical JSON of ``definition`` (``parse_definition`` reads it back equal)."""
    out: dict[str, Any] = {"trigger": trigger_json(definition.trigger)}
    out["filters"] = filters_json(definition.filters) or None
    out["reenroll"] = definition.reenroll
    out["actions"] = [action_json(a) for a in definition.actions]
    return out


def trigger_json(trigger: Trigger) -> dict[str, Any]:
    if isinstance(trigger, PropertyChange):
        out: dict[str, Any] = {"type": "property_change", "property": trigger.property}
        if trigger.to is not None:
            out["to"] = list(trigger.to)
        if trigger.from_ is not None:
            out["from"] = list(trigger.from_)
        return out
    if isinstance(trigger, EventTrigger):
        return {"type": "event", "event_types": list(trigger.event_types)}
    if isinstance(trigger, DateTrigger):
        return {"type": "date", "property": trigger.property, "offset_days": trigger.offset_days}
    return {"type": "filter"}


def action_json(action: Action) -> dict[str, Any]:
    if isinstance(action, Delay):
        return {"type": "delay", "days": action.days, **({"hours": action.hours} if action.hours else {})}
    if isinstance(action, InternalEmail):
        return {
            "type": "internal_email",
            "to": list(action.to),
            "subject": action.subject,
            "body": action.body,
        }
    if isinstance(action, SetProperty):
        return {"type": "set_property", "property": action.property, "value": action.value}
    if isinstance(action, AssignOwner):
        return {"type": "assign_owner", "rotate": list(action.rotate)}
    if isinstance(action, Webhook):
        return {"type": "webhook", "endpoint_id": action.endpoint_id}
    return {
        "type": "branch",
        "if": filters_json(action.if_),
        "then": [action_json(a) for a in action.then],
        "else": [action_json(a) for a in action.else_],
    }


# Paths ------------------------------------------------------------------------------------------

Path = tuple[int | str, ...]  # (2,) or (1, "then", 0)


def step_at(actions: tuple[Action, ...], path: Path) -> Action | None:
    """The action at ``path``, None past the end of its list.

    >>> acts = (Delay(1), Branch(Filters(q="x"), then=(Delay(2),)))
    >>> step_at(acts, (1, "then", 0)), step_at(acts, (2,))
    (Delay(days=2, hours=0), None)
    """
    found: tuple[Action, ...] = actions
    for n in range(0, len(path) - 1, 2):
        branch = found[path[n]]  # type: ignore[index]
        assert isinstance(branch, Branch)
        found = branch.then if path[n + 1] == "then" else branch.else_
    last = path[-1]
    assert isinstance(last, int)
    return found[last] if last < len(found) else None


def next_path(actions: tuple[Action, ...], path: Path) -> Path | None:
    """The path after the step at ``path`` (not entering it): its next sibling, else the step after
    the branch it ends, and so on out; None at the very end.

    >>> acts = (Branch(Filters(q="x"), then=(Delay(1),)), Delay(2))
    >>> next_path(acts, (0, "then", 0)), next_path(acts, (1,))
    ((1,), None)
    """
    while path:
        following = (*path[:-1], int(path[-1]) + 1)
        if step_at(actions, following) is not None:
            return following
        path = path[:-2]
    return None


def path_text(path: Path) -> str:
    """``(1, "then", 0)`` → ``"1.then.0"`` (the steps' key in the history).

    >>> path_text((1, "then", 0))
    '1.then.0'
    """
    return ".".join(str(p) for p in path)
