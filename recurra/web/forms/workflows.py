"""The workflow editor's form: the page's fields to a workflow's definition JSON and back
(``automation.workflows.spec`` says what the JSON means and checks it whole).

The editor (``web/workflows/editor.html``) is one form of step cards. Its fields:

- ``name``, ``enabled``, ``reenroll``;
- the trigger: ``trigger.type``; ``trigger.property`` with ``trigger.to`` / ``trigger.from``
  (a choice's values, repeated; otherwise one text, several values separated by commas, money in
  the account's currency as typed: "49.00"), ``trigger.event_types`` (repeated),
  ``trigger.date_property`` with ``trigger.days`` and ``trigger.when`` (``before`` / ``after``);
- the filters: the advanced-filter editor's rows under the prefix ``f`` (``f0.1.p``...), and
  ``filters.rest``: what the API set besides conditions (search, statuses, next billing date),
  carried as JSON while ``filters.keep`` is ticked;
- one card per action, its fields under the card's prefix, ``a`` and its path: ``a0.type``,
  ``a1.then.0.subject``; a branch's "if" is an advanced-filter editor under ``a1.c`` (``a1.c0.0.p``),
  with its own ``a1.rest`` and ``a1.keep``.

The form's buttons are all ``op``: ``add:<list>:<index>:<type>`` (list ``""``: the workflow's
actions, ``"1.then"``: a branch's), ``up:<path>``, ``down:<path>``, ``remove:<path>``,
``cond:<editor>:<button>`` (a filter editor's own buttons, ``add:0``, ``add_group``,
``remove:0.1``, for the editor ``f`` or the branch at a path) and ``refresh`` (redraw after a
choice); a post without ``op`` saves. Nothing posted is an error page: what does not read is a
message beside its field, and the service's errors (``actions[1].then[0].subject``) go beside the
field of the card they name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.automation.webhooks.catalog import EVENT_TYPES
from recurra.automation.workflows.spec import (
    ACTION_TYPES,
    DATE_PROPERTIES,
    EVENT_OBJECTS,
    MAX_BRANCH_DEPTH,
    OWNER,
    SETTABLE,
    TRIGGER_TYPES,
)
from recurra.core.errors import ValidationFailed
from recurra.core.money import Money
from recurra.saved_views.spec import DUE_PRESETS, Filters, filters_json, stored_filters
from recurra.subscriptions.properties import PROPERTIES, Kind
from recurra.web.forms.base import sentence
from recurra.web.index_state import EditorRow, edited_rows, editor_rows, read_rows, row_of, typed_value

MAX_CARDS = 100  # read from one post (the spec allows 50 steps in all)
MAX_NAME = 200
TRIGGER_LABELS = {
    "property_change": _("A property changes"),
    "event": _("An event happens"),
    "date": _("A date comes"),
    "filter": _("A subscription starts to match the filters"),
}
ACTION_LABELS = {
    "delay": _("Wait"),
    "internal_email": _("Send an internal email"),
    "set_property": _("Set a property"),
    "assign_owner": _("Assign an owner (round robin)"),
    "webhook": _("Send a webhook"),
    "branch": _("Branch: if / else"),
}
SETTABLE_LABELS = {"owner_id": _("Owner"), "name": _("Name")}
CHANGEABLE = tuple(key for key in PROPERTIES if key != "id")  # what a property_change trigger follows
EVENT_CHOICES = tuple(t for t in EVENT_TYPES if t.startswith(EVENT_OBJECTS))
_CARD = re.compile(r"^a([0-9]{1,2}(?:\.(?:then|else)\.[0-9]{1,2})*)\.type$")
_PATH = re.compile(r"^[0-9]{1,2}(?:\.(?:then|else)\.[0-9]{1,2})*$")
_LIST = re.compile(r"^(?:[0-9]{1,2}(?:\.(?:then|else)\.[0-9]{1,2})*\.(?:then|else))?$")
_ADDRESSES = re.compile(r"[\s,;]+")
# A card's fields that its template shows an error beside (others: at the top of the card).
_FIELDS = {
    "delay": ("days", "hours"),
    "internal_email": ("to", "subject", "body"),
    "set_property": ("property", "value"),
    "assign_owner": ("rotate",),
    "webhook": ("endpoint_id",),
    "branch": ("if",),
}
_TRIGGER_FIELDS = {"type", "property", "to", "from", "event_types", "days", "date_property", "when"}

Path = tuple[int | str, ...]


@dataclass
class TriggerCard:
    type: str = "property_change"
    property_key: str = "status"
    to: list[str] = field(default_factory=list)  # as posted: a choice's values, or one text
    from_: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    date_property: str = "next_payment_date"
    days: str = "7"
    when: str = "before"
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def prop(self) -> Any:
        return PROPERTIES.get(self.property_key)

    @property
    def value_fields(self) -> list[tuple[str, list[str], str, list[str]]]:
        """The "becomes" and "was" fields: (name, values, legend, errors)."""
        return [
            ("to", self.to, str(_("Becomes")), self.errors.get("to", [])),
            ("from", self.from_, str(_("Was, before the change (optional)")), self.errors.get("from", [])),
        ]

    @property
    def top_errors(self) -> list[str]:
        return self.errors.get("", [])


class KeptFilters:
    """A card holding filter conditions, and what else the API set beside them (``rest``: search,
    statuses, next payment date), shown in words and kept; and its own errors (``errors[""]``)."""

    rest: dict[str, Any]
    errors: dict[str, list[str]]

    @property
    def rest_json(self) -> str:
        return rest_json(self.rest)

    @property
    def rest_words(self) -> str:
        return rest_words(self.rest)

    @property
    def top_errors(self) -> list[str]:
        return self.errors.get("", [])


@dataclass
class Card(KeptFilters):
    """One action as the form holds it (raw text), with its place once numbered."""

    type: str
    values: dict[str, Any] = field(default_factory=dict)
    rows: list[list[EditorRow]] = field(default_factory=list)  # a branch's "if"
    rest: dict[str, Any] = field(default_factory=dict)  # and what the API set besides conditions
    then: list[Card] = field(default_factory=list)
    else_: list[Card] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    path: Path = ()
    list_key: str = ""  # the list it is in ("" or "1.then")
    index: int = 0
    last: bool = True
    level: int = 0  # branches around it

    @property
    def key(self) -> str:
        return ".".join(str(p) for p in self.path)

    @property
    def prefix(self) -> str:
        return f"a{self.key}"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.type, self.type))

    @property
    def editor(self) -> list[list[dict[str, Any]]]:
        return editor_rows(self.rows, prefix=f"{self.prefix}.c")

    @property
    def then_key(self) -> str:
        return f"{self.key}.then"

    @property
    def else_key(self) -> str:
        return f"{self.key}.else"

    @property
    def nests(self) -> bool:
        """Its own lists (then, else) may hold a branch (branches nest MAX_BRANCH_DEPTH deep)."""
        return self.level + 1 < MAX_BRANCH_DEPTH

    @property
    def list_nests(self) -> bool:
        """The list it is in may hold another branch."""
        return self.level < MAX_BRANCH_DEPTH


@dataclass
class Editor(KeptFilters):
    name: str = ""
    enabled: bool = False
    reenroll: bool = False
    trigger: TriggerCard = field(default_factory=TriggerCard)
    rows: list[list[EditorRow]] = field(default_factory=list)  # the filters' conditions
    rest: dict[str, Any] = field(default_factory=dict)  # other filters (API): q, status, due
    actions: list[Card] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # name, filters, reenroll, actions, ""

    @property
    def editor(self) -> list[list[dict[str, Any]]]:
        return editor_rows(self.rows, prefix="f")

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.trigger.errors or any(c.errors for c in walk(self.actions)))

    @property
    def card_count(self) -> int:
        return sum(1 for _ in walk(self.actions))


REST_KEYS = ("q", "status", "next_payment_date")


def rest_of(filters: dict[str, Any] | None) -> dict[str, Any]:
    """What filter JSON says besides conditions (search, statuses, next billing date): the editor
    shows it in words and carries it while "keep" is ticked."""
    return {k: v for k, v in (filters or {}).items() if k in REST_KEYS}


def rest_json(rest: dict[str, Any]) -> str:
    return json.dumps(rest, sort_keys=True) if rest else ""


def rest_words(rest: dict[str, Any]) -> str:
    """``{"status": ["past_due"], "q": "acme"}`` → "Status is any of Unpaid; search “acme”"."""
    parts = []
    if rest.get("status"):
        labels = dict(PROPERTIES["status"].choices)
        names = ", ".join(str(labels.get(s, s)) for s in rest["status"])
        parts.append(gettext("Status is any of %(statuses)s") % {"statuses": names})
    if rest.get("q"):
        parts.append(gettext("search “%(q)s”") % {"q": rest["q"]})
    due = rest.get("next_payment_date")
    if isinstance(due, dict) and due.get("preset") in DUE_PRESETS:
        if due["preset"] == "custom":
            span = f"{due.get('from') or '…'} – {due.get('to') or '…'}"
        else:
            span = str(DUE_PRESETS[due["preset"]])
        parts.append(gettext("next billing date: %(span)s") % {"span": span})
    return "; ".join(parts)


def _read_rest(data: QueryDict, prefix: str) -> dict[str, Any]:
    if not data.get(f"{prefix}.keep"):
        return {}
    try:
        loaded = json.loads(data.get(f"{prefix}.rest") or "{}")
    except ValueError:
        return {}
    return rest_of(loaded) if isinstance(loaded, dict) else {}


def walk(cards: list[Card]) -> Iterator[Card]:
    for card in cards:
        yield card
        yield from walk(card.then)
        yield from walk(card.else_)


def number(editor: Editor) -> Editor:
    """Give every card its path, list and place (after reading or changing the lists)."""

    def place(cards: list[Card], base: Path, list_key: str, level: int) -> None:
        for n, card in enumerate(cards):
            card.path, card.list_key, card.index = (*base, n), list_key, n
            card.last, card.level = n == len(cards) - 1, level
            place(card.then, (*card.path, "then"), card.then_key, level + 1)
            place(card.else_, (*card.path, "else"), card.else_key, level + 1)

    place(editor.actions, (), "", 0)
    return editor


def _add(errors: dict[str, list[str]], key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


# From a definition --------------------------------------------------------------------------------


def editor_of(definition: dict[str, Any], *, name: str, enabled: bool, currency: str) -> Editor:
    """The editor showing a stored (canonical) definition."""
    filters = stored_filters(definition.get("filters"))
    rest = rest_of(definition.get("filters"))
    editor = Editor(
        name=name,
        enabled=enabled,
        reenroll=bool(definition.get("reenroll")),
        trigger=_trigger_of(definition.get("trigger") or {}, currency),
        rows=[[row_of(c, currency) for c in group] for group in filters.groups],
        rest=rest,
        actions=[_card_of(a, currency) for a in definition.get("actions") or []],
    )
    return number(editor)


def _trigger_of(data: dict[str, Any], currency: str) -> TriggerCard:
    kind = data.get("type", "property_change")
    card = TriggerCard(type=kind)
    if kind == "property_change":
        card.property_key = data.get("property", "status")
        card.to = _texts(card.property_key, data.get("to"), currency)
        card.from_ = _texts(card.property_key, data.get("from"), currency)
    elif kind == "event":
        card.event_types = list(data.get("event_types") or [])
    elif kind == "date":
        offset = int(data.get("offset_days") or 0)
        card.date_property = data.get("property", "next_payment_date")
        card.days, card.when = str(abs(offset)), "before" if offset < 0 else "after"
    return card


def _texts(key: str, values: list[Any] | None, currency: str) -> list[str]:
    """Raw trigger values as the form shows them (a choice's values; else one text)."""
    if not values:
        return []
    kind = PROPERTIES[key].kind

    def text(value: Any) -> str:
        if value is None:
            return ""
        if kind == Kind.BOOLEAN:
            return "true" if value else "false"
        if kind == Kind.MONEY and isinstance(value, int):
            return f"{Money(value, currency).decimal}"
        return str(value)

    if kind in (Kind.CHOICE, Kind.BOOLEAN):
        return [text(v) for v in values]
    return [", ".join(text(v) for v in values)]


def _card_of(data: dict[str, Any], currency: str) -> Card:
    kind = data.get("type", "")
    card = Card(type=kind, values=default_values(kind))
    values = card.values
    if kind == "delay":
        values.update(days=str(data.get("days", 0)), hours=str(data.get("hours", 0)))
    elif kind == "internal_email":
        to = data.get("to") or []
        values.update(
            owner=OWNER in to,
            users=[str(r) for r in to if isinstance(r, int)],
            addresses=", ".join(r for r in to if isinstance(r, str) and r != OWNER),
            subject=data.get("subject", ""),
            body=data.get("body", ""),
        )
    elif kind == "set_property":
        prop, value = data.get("property", "owner_id"), data.get("value")
        values.update(property=prop)
        if prop == "owner_id":
            values.update(owner="" if value is None else str(value))
        else:
            values.update(text=value or "")
    elif kind == "assign_owner":
        values.update(rotate=[str(u) for u in data.get("rotate") or []])
    elif kind == "webhook":
        values.update(endpoint_id=data.get("endpoint_id", ""))
    elif kind == "branch":
        condition = stored_filters(data.get("if"))
        card.rows = [[row_of(c, currency) for c in group] for group in condition.groups]
        card.rest = rest_of(data.get("if"))
        card.then = [_card_of(a, currency) for a in data.get("then") or []]
        card.else_ = [_card_of(a, currency) for a in data.get("else") or []]
    return card


def default_values(kind: str) -> dict[str, Any]:
    """A new card's fields."""
    defaults: dict[str, dict[str, Any]] = {
        "delay": {"days": "1", "hours": "0"},
        "internal_email": {"owner": True, "users": [], "addresses": "", "subject": "", "body": ""},
        "set_property": {"property": "owner_id", "owner": "", "text": ""},
        "assign_owner": {"rotate": []},
        "webhook": {"endpoint_id": ""},
        "branch": {},
    }
    return dict(defaults.get(kind, {}))


def new_card(kind: str) -> Card:
    card = Card(type=kind, values=default_values(kind))
    if kind == "branch":
        card.rows = [[EditorRow()]]
    return card


# From a post --------------------------------------------------------------------------------------


def read(data: QueryDict, *, currency: str) -> Editor:
    """The editor as posted (nothing is checked yet beyond what the filter rows say of themselves)."""
    editor = Editor(
        name=data.get("name", "")[: MAX_NAME * 2],
        enabled=bool(data.get("enabled")),
        reenroll=bool(data.get("reenroll")),
        trigger=_read_trigger(data),
        rows=read_rows(data, currency, prefix="f"),
        rest=_read_rest(data, "filters"),
        actions=_read_cards(data, currency),
    )
    return number(editor)


def _read_trigger(data: QueryDict) -> TriggerCard:
    card = TriggerCard(
        type=data.get("trigger.type", "property_change"),
        property_key=data.get("trigger.property", "status"),
        to=data.getlist("trigger.to")[:50],
        from_=data.getlist("trigger.from")[:50],
        event_types=data.getlist("trigger.event_types")[:50],
        date_property=data.get("trigger.date_property", "next_payment_date"),
        days=data.get("trigger.days", "")[:20],
        when=data.get("trigger.when", "before"),
    )
    if (
        data.get("trigger.shown_property", card.property_key) != card.property_key
    ):  # values of another property
        card.to, card.from_ = [], []
    return card


def _path(text: str) -> Path:
    return tuple(int(p) if _id(p) is not None else p for p in text.split("."))


def _id(text: str) -> int | None:
    """A whole number as posted (ASCII digits only: ``"²".isdigit()`` is true, ``int("²")`` fails)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _read_cards(data: QueryDict, currency: str) -> list[Card]:
    found = sorted(
        ((_sort_key(_path(m[1])), m[1]) for name in data if (m := _CARD.match(name))),
    )[:MAX_CARDS]
    top: list[Card] = []
    by_key: dict[str, Card] = {}
    for _order, key in found:
        card = _read_card(data, key, currency)
        path = _path(key)
        if len(path) == 1:
            top.append(card)
        else:
            parent = by_key.get(".".join(str(p) for p in path[:-2]))
            if parent is None or parent.type != "branch":
                continue
            (parent.then if path[-2] == "then" else parent.else_).append(card)
        by_key[key] = card
    return top


def _sort_key(path: Path) -> tuple[Any, ...]:
    """Cards in the order of their paths (a branch's then before its else before what follows)."""
    return tuple((0, p) if isinstance(p, int) else (1, 0 if p == "then" else 1) for p in path)


def _read_card(data: QueryDict, key: str, currency: str) -> Card:
    prefix = f"a{key}"
    kind = data.get(f"{prefix}.type", "")
    card = Card(type=kind, values=default_values(kind))

    def one(name: str, most: int = 10_000) -> str:
        return data.get(f"{prefix}.{name}", "")[:most]

    if kind == "delay":
        card.values.update(days=one("days", 20), hours=one("hours", 20))
    elif kind == "internal_email":
        card.values.update(
            owner=bool(data.get(f"{prefix}.to_owner")),
            users=data.getlist(f"{prefix}.to_users")[:50],
            addresses=one("to_addresses", 2000),
            subject=one("subject"),
            body=one("body", 20_000),
        )
    elif kind == "set_property":
        card.values.update(property=one("property", 40), owner=one("owner", 20), text=one("text", 1000))
    elif kind == "assign_owner":
        card.values.update(rotate=data.getlist(f"{prefix}.rotate")[:100])
    elif kind == "webhook":
        card.values.update(endpoint_id=one("endpoint_id", 40))
    elif kind == "branch":
        card.rows = read_rows(data, currency, prefix=f"{prefix}.c")
        card.rest = _read_rest(data, prefix)
    return card


# The buttons --------------------------------------------------------------------------------------


def apply(editor: Editor, op: str) -> Editor:
    """``editor`` after the button ``op`` (an unknown or stale one changes nothing)."""
    verb, _colon, rest = op.partition(":")
    if verb == "add":
        list_key, _colon, tail = rest.partition(":")
        index, _colon, kind = tail.partition(":")
        cards = _list(editor, list_key)
        if cards is not None and _id(index) is not None and kind in ACTION_TYPES:
            if editor.card_count < MAX_CARDS:
                cards.insert(min(int(index), len(cards)), new_card(kind))
    elif verb in ("up", "down", "remove") and _PATH.match(rest):
        path = _path(rest)
        list_key = ".".join(str(p) for p in path[:-1])
        cards = _list(editor, list_key)
        at = int(path[-1])
        if cards is not None and at < len(cards):
            if verb == "remove":
                cards.pop(at)
            else:
                to = at - 1 if verb == "up" else at + 1
                if 0 <= to < len(cards):
                    cards[at], cards[to] = cards[to], cards[at]
    elif verb == "cond":
        where, _colon, button = rest.partition(":")
        if where == "f":
            editor.rows = edited_rows(editor.rows, button)
        else:
            card = _card(editor, where)
            if card is not None and card.type == "branch":
                card.rows = edited_rows(card.rows, button)
    return number(editor)


def _list(editor: Editor, list_key: str) -> list[Card] | None:
    """The list of cards ``list_key`` names ("" or "1.then")."""
    if not _LIST.match(list_key):
        return None
    if not list_key:
        return editor.actions
    branch_key, _dot, side = list_key.rpartition(".")
    card = _card(editor, branch_key)
    if card is None or card.type != "branch":
        return None
    return card.then if side == "then" else card.else_


def _card(editor: Editor, key: str) -> Card | None:
    return next((c for c in walk(editor.actions) if c.key == key), None)


# To a definition ----------------------------------------------------------------------------------


def definition(editor: Editor, *, currency: str) -> dict[str, Any] | None:
    """The definition JSON the editor says, for the service to check; None when the form itself
    does not read (its messages are then on the editor, beside their fields)."""
    if not editor.name.strip():
        _add(editor.errors, "name", gettext("Give the workflow a name."))
    elif len(editor.name.strip()) > MAX_NAME:
        _add(editor.errors, "name", gettext("Use at most %(most)s characters.") % {"most": MAX_NAME})
    trigger = _trigger_json(editor.trigger, currency)
    filters = _filters_json(editor.rows, editor.errors, "filters")
    if editor.rest:
        filters = {**editor.rest, **filters}
    if not editor.actions:
        _add(editor.errors, "actions", gettext("Add at least one step."))
    actions = [_action_json(card, currency) for card in editor.actions]
    if editor.has_errors:
        return None
    return {"trigger": trigger, "filters": filters or None, "reenroll": editor.reenroll, "actions": actions}


def _filters_json(rows: list[list[EditorRow]], errors: dict[str, list[str]], key: str) -> dict[str, Any]:
    """The conditions that read, as filter JSON; a row with a property but no condition is an error
    (its own message beside it, and one for the card)."""
    bad = False
    for group in rows:
        for row in group:
            if row.property and row.condition is None:
                row.error = row.error or gettext("Enter a value.")
                bad = True
    if bad:
        _add(errors, key, gettext("Some conditions need a change; see the messages beside them."))
    groups = tuple(g for g in (tuple(r.condition for r in group if r.condition) for group in rows) if g)
    return filters_json(Filters(groups=groups))


def _whole(text: str) -> int | str:
    """A whole number as typed, else the text (the service says what is wrong with it)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def _trigger_json(card: TriggerCard, currency: str) -> dict[str, Any]:
    if card.type not in TRIGGER_TYPES:
        _add(card.errors, "type", gettext("Choose what starts the workflow."))
        return {"type": card.type}
    if card.type == "property_change":
        out: dict[str, Any] = {"type": "property_change", "property": card.property_key}
        prop = card.prop
        if prop is None or card.property_key == "id":
            _add(card.errors, "property", gettext("Choose a property."))
            return out
        for name, raw in (("to", card.to), ("from", card.from_)):
            values = _trigger_values(prop.kind, raw, currency, card.errors, name)
            if values:
                out[name] = values
        return out
    if card.type == "event":
        if not card.event_types:
            _add(card.errors, "event_types", gettext("Choose at least one event."))
        return {"type": "event", "event_types": card.event_types}
    if card.type == "date":
        days = _whole(card.days)
        if not isinstance(days, int) or days < 0:
            _add(card.errors, "days", gettext("Enter a whole number of days, 0 or more."))
            days = 0
        offset = -days if card.when == "before" else days
        return {"type": "date", "property": card.date_property, "offset_days": offset}
    return {"type": "filter"}


def _trigger_values(
    kind: Kind, raw: list[str], currency: str, errors: dict[str, list[str]], name: str
) -> list[Any]:
    texts = [t for t in raw if t.strip()]
    if kind not in (Kind.CHOICE, Kind.BOOLEAN):
        texts = [part.strip() for t in texts for part in t.split(",") if part.strip()]
    values: list[Any] = []
    for text in texts:
        if kind == Kind.CHOICE:
            values.append(text)
            continue
        try:
            value = typed_value(kind, text, currency)
        except ValueError as exc:
            _add(errors, name, str(exc))
            continue
        values.append(str(value) if kind in (Kind.DATE, Kind.DATETIME) else value)
    return values


def _action_json(card: Card, currency: str) -> dict[str, Any]:
    v, errors = card.values, card.errors
    if card.type == "delay":
        days, hours = _whole(v.get("days") or "0"), _whole(v.get("hours") or "0")
        for key, value in (("days", days), ("hours", hours)):
            if not isinstance(value, int) or value < 0:
                _add(errors, key, gettext("Enter a whole number, 0 or more."))
        if days == 0 and hours == 0:
            _add(errors, "days", gettext("Wait at least an hour: enter days, hours or both."))
        out: dict[str, Any] = {"type": "delay", "days": days}
        return {**out, "hours": hours} if hours else out
    if card.type == "internal_email":
        to: list[Any] = [OWNER] if v.get("owner") else []
        to += [n for u in v.get("users") or [] if (n := _id(u)) is not None]
        for address in (a for a in _ADDRESSES.split(v.get("addresses") or "") if a):
            try:
                validate_email(address)
            except ValidationError:
                _add(errors, "to", gettext("“%(address)s” is not an email address.") % {"address": address})
                continue
            to.append(address)
        if not to and "to" not in errors:
            _add(errors, "to", gettext("Choose who gets the email."))
        for key, message in (
            ("subject", gettext("Enter a subject.")),
            ("body", gettext("Enter the message.")),
        ):
            if not (v.get(key) or "").strip():
                _add(errors, key, message)
        return {
            "type": "internal_email",
            "to": to,
            "subject": v.get("subject", ""),
            "body": v.get("body", ""),
        }
    if card.type == "set_property":
        prop = v.get("property") or ""
        if prop not in SETTABLE:
            _add(errors, "property", gettext("Choose a property."))
            return {"type": "set_property", "property": prop}
        if prop == "owner_id":
            owner = v.get("owner") or ""
            return {
                "type": "set_property",
                "property": prop,
                "value": _id(owner),
            }
        if not (v.get("text") or "").strip():
            _add(errors, "value", gettext("Enter the new name."))
        return {"type": "set_property", "property": prop, "value": v.get("text", "")}
    if card.type == "assign_owner":
        rotate = [n for u in v.get("rotate") or [] if (n := _id(u)) is not None]
        if not rotate:
            _add(errors, "rotate", gettext("Choose the users who take turns."))
        return {"type": "assign_owner", "rotate": rotate}
    if card.type == "webhook":
        if not v.get("endpoint_id"):
            _add(errors, "endpoint_id", gettext("Choose a webhook endpoint."))
        return {"type": "webhook", "endpoint_id": v.get("endpoint_id", "")}
    if card.type == "branch":
        condition = {**card.rest, **_filters_json(card.rows, errors, "if")}
        if not condition and "if" not in errors:
            _add(errors, "if", gettext("Add a condition: the subscriptions that match it take “then”."))
        return {
            "type": "branch",
            "if": condition,
            "then": [_action_json(c, currency) for c in card.then],
            "else": [_action_json(c, currency) for c in card.else_],
        }
    _add(errors, "", gettext("This kind of step does not exist; remove it."))
    return {"type": card.type}


# The service's errors -----------------------------------------------------------------------------

_STEP = re.compile(r"^\[(\d+)\]")
_INNER = re.compile(r"^\.(then|else)\[(\d+)\]")


def place_errors(editor: Editor, failed: ValidationFailed) -> None:
    """Each of the service's errors beside the field it names (``actions[1].then[0].subject``:
    the subject of the first card of the second card's "then")."""
    if not failed.errors:
        _add(editor.errors, "", sentence(failed.detail))
    for error in failed.errors:
        where, message = error.field, sentence(error.message)
        if where == "name" or where == "reenroll":
            _add(editor.errors, where, message)
        elif where == "filters" or where.startswith(("filters.", "filters[")):
            _add(editor.errors, "filters", message)
        elif where.startswith("trigger"):
            _add(editor.trigger.errors, _trigger_field(editor.trigger, where), message)
        elif where.startswith("actions["):
            card, rest = _card_at(editor, where[len("actions") :])
            if card is None:
                _add(editor.errors, "actions", message)
            else:
                name = re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0]
                _add(card.errors, name if name in _FIELDS.get(card.type, ()) else "", message)
        elif where == "actions":
            _add(editor.errors, "actions", message)
        else:
            _add(editor.errors, "", f"{where}: {message}")


def _trigger_field(card: TriggerCard, where: str) -> str:
    name = re.split(r"[.\[]", where[len("trigger") :].lstrip("."), maxsplit=1)[0]
    if name == "offset_days":
        return "days"
    if name == "property" and card.type == "date":
        return "date_property"
    return name if name in _TRIGGER_FIELDS else ""


def _card_at(editor: Editor, where: str) -> tuple[Card | None, str]:
    """The card ``[1].then[0].subject`` names and what follows its path (``.subject``)."""
    first = _STEP.match(where)
    if first is None:
        return None, where
    cards, card = editor.actions, None
    at = int(first[1])
    rest = where[first.end() :]
    while True:
        if at >= len(cards):
            return None, rest
        card = cards[at]
        inner = _INNER.match(rest)
        if inner is None:
            return card, rest
        cards, at, rest = (
            (card.then if inner[1] == "then" else card.else_),
            int(inner[2]),
            rest[inner.end() :],
        )


# What the page offers ---------------------------------------------------------------------------


def settable_choices() -> list[tuple[str, str]]:
    return [(key, str(SETTABLE_LABELS[key])) for key in SETTABLE]


def date_choices() -> list[tuple[str, str]]:
    return [(key, str(PROPERTIES[key].label)) for key in DATE_PROPERTIES]


def property_choices() -> list[tuple[str, str]]:
    return [(key, str(PROPERTIES[key].label)) for key in CHANGEABLE]
