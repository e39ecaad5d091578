"""A list's members as the database finds them (``insights.lists``: the filters compiled to SQL) agree
with a brute-force evaluation in Python of the documented semantics, over hypothesis-made contacts,
companies and subscriptions, on SQLite and on PostgreSQL alike.

The world of one example, around a day near a month end (or a DST change at midnight) in a non-UTC
account zone drawn from :data:`ZONES`::

    the list is looked at `at`: within a couple of hours of the local midnight starting BASE
    (so its UTC day is often not its local day: today = at's local day)

          BASE-40 ........ BASE-3 .. BASE .. BASE+3 ........ BASE+40
    dates  ^ every date (end, next payment, resume, start) and every condition's date lands here,
           most within three days of BASE; date-times (created, canceled, paused) at a local
           midnight +- up to a day, often +-1 s or exactly on it, sometimes 1 us or 0.999999 s off

Each record's text is blank or a word from a small pool (cases, spaces, ``%``, ``_``, ``\\``, non-ASCII
letters), so that conditions often match; each list filter is one to two groups of own-property
conditions (every operator of every property of contacts and companies) and subscriptions
conditions (any / all / none of a subscription filter: search, status, a next-payment preset and
groups over properties of every kind).

The evaluator (:func:`brute_members`) is written from the documents (``saved_views.spec``,
``subscriptions.properties``, ``insights.lists.spec``), not from the compiler; where the semantics
are subtle, a comment says so.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recurra.accounts.models import User
from recurra.accounts.services import account_settings_update
from recurra.core.actors import Actor
from recurra.crm.models import Company, Contact
from recurra.insights.lists.properties import COMPANY_PROPERTIES, CONTACT_PROPERTIES
from recurra.insights.lists.selectors import members, size
from recurra.insights.lists.services import list_create
from recurra.saved_views.spec import operators_for
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES, Kind

SYSTEM = Actor.system()
ZONES = (
    "America/New_York",
    "Europe/Oslo",
    "America/Santiago",  # DST changes at midnight: 2027-09-05 has no 00:00, starts at 01:00
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Asia/Kathmandu",  # UTC+5:45
)
BASE_DAYS = (
    date(2027, 1, 31),
    date(2027, 2, 28),
    date(2027, 3, 28),  # Oslo springs forward
    date(2027, 3, 31),
    date(2027, 4, 3),  # Santiago falls back at midnight
    date(2027, 9, 5),  # Santiago springs forward at midnight
    date(2027, 10, 31),  # Oslo falls back on a month's last day
    date(2027, 12, 31),
    date(2028, 2, 29),
)
USERS = (900_001, 900_002)  # explicit ids: the draws name them before the rows exist
NO_USER = 900_009  # an id no user has: "is" it matches nothing, "is not" it everything
WORDS = (
    "ann",
    "Ann",
    "ANN",
    "Ann Marie",
    "marie",
    "bo",
    "Bo",
    "a_b",
    "axb",
    "a%b",
    "50%",
    "x\\y",
    "åse",
    "ø",
)
# What conditions compare with: the words, and parts of them ("contains"), LIKE's wildcards alone.
# Non-ASCII letters only in one case: SQLite's LIKE folds the case of ASCII letters only (see the
# report of issue 21: "Ø" is not "ø" there, as in every text filter and search of the app).
VALUES = (*WORDS, "a", "n m", "%", "_", "\\", "e", "no", "US")
COUNTRIES = ("", "NO", "US")
AMOUNTS = (0, 1, 999, 1000, 1500, 5000)
STATUSES = ("scheduled", "active", "past_due", "paused", "canceled", "expired")
BILLABLE = ("scheduled", "active", "past_due")
MRR_STATUSES = ("active", "past_due")
PRESETS = ("today", "next_7_days", "next_30_days", "this_month", "overdue", "custom")

T, CH, D, DT, M, N, B, U = (
    Kind.TEXT,
    Kind.CHOICE,
    Kind.DATE,
    Kind.DATETIME,
    Kind.MONEY,
    Kind.NUMBER,
    Kind.BOOLEAN,
    Kind.USER,
)


@dataclass(frozen=True)
class Prop:
    """A property as the documents describe it: its kind, whether it can be missing, its choices;
    ``value`` is what is compared (is, is not, before, empty...), ``searched`` what "contains" looks in."""

    kind: Kind
    value: Callable[[Any, World], Any]
    searched: Callable[[Any, World], tuple[Any, ...]] | None = None
    nullable: bool = False
    choices: tuple[str, ...] = ()


def own(name: str) -> Callable[[Any, World], Any]:
    return lambda record, world: record[name]


def company_name(record: Any, world: World) -> str | None:
    return None if record["company"] is None else world.companies[record["company"]]["name"]


def contact_of(sub: Any, world: World) -> Any:
    return world.contacts[sub["contact"]]


# A contact's "name" is compared (is, is not, empty) by the column it sorts by first, the last
# name, and "contains" looks in the first name, the last name and the email (``lists.properties``),
# as a subscription's "contact" is compared by the contact's email and searched in the same three.
def person_searched(contact: Any, world: World) -> tuple[str, ...]:
    return (contact["first_name"], contact["last_name"], contact["email"])


CONTACT: dict[str, Prop] = {
    "name": Prop(T, own("last_name"), person_searched),
    "first_name": Prop(T, own("first_name")),
    "last_name": Prop(T, own("last_name")),
    "email": Prop(T, own("email")),
    "phone": Prop(T, own("phone")),
    "company": Prop(T, company_name, nullable=True),
    "owner": Prop(U, own("owner"), nullable=True),
    "email_opt_out": Prop(B, own("email_opt_out")),
    "city": Prop(T, own("city")),
    "country": Prop(T, own("country")),
    "created_at": Prop(DT, own("created_at")),
    "updated_at": Prop(DT, own("updated_at")),
}
COMPANY: dict[str, Prop] = {
    "name": Prop(T, own("name")),
    "domain": Prop(T, own("domain")),
    "phone": Prop(T, own("phone")),
    "owner": Prop(U, own("owner"), nullable=True),
    "city": Prop(T, own("city")),
    "country": Prop(T, own("country")),
    "created_at": Prop(DT, own("created_at")),
    "updated_at": Prop(DT, own("updated_at")),
}
SUBSCRIPTION: dict[str, Prop] = {
    "name": Prop(T, own("name")),
    "status": Prop(CH, own("status"), choices=STATUSES),
    "contact": Prop(
        T, lambda s, w: contact_of(s, w)["email"], lambda s, w: person_searched(contact_of(s, w), w)
    ),
    "contact_email": Prop(T, lambda s, w: contact_of(s, w)["email"]),
    "company": Prop(T, company_name, nullable=True),
    "owner": Prop(U, own("owner"), nullable=True),
    "billing_frequency": Prop(CH, own("billing_frequency"), choices=("weekly", "monthly", "annually")),
    "number_of_payments": Prop(N, own("number_of_payments"), nullable=True),
    "payments_made": Prop(N, own("payments_made")),
    "start_date": Prop(D, own("start_date")),
    "next_payment_date": Prop(D, own("next_payment_date"), nullable=True),
    "end_date": Prop(D, own("end_date"), nullable=True),
    "resume_on": Prop(D, own("resume_on"), nullable=True),
    "next_payment_amount": Prop(M, own("next_payment_amount")),
    "last_payment_amount": Prop(M, own("last_payment_amount"), nullable=True),
    # MRR counts only while the subscription recurs (Active, Unpaid); 0 otherwise.
    "mrr": Prop(M, lambda s, w: s["line_items_mrr"] if s["status"] in MRR_STATUSES else 0),
    "cancel_at_period_end": Prop(B, own("cancel_at_period_end")),
    "canceled_at": Prop(DT, own("canceled_at"), nullable=True),
    "paused_at": Prop(DT, own("paused_at"), nullable=True),
    "pause_reason": Prop(T, own("pause_reason")),
    "billing_city": Prop(T, own("city")),
    "created_at": Prop(DT, own("created_at")),
    "updated_at": Prop(DT, own("updated_at")),
}
TABLES = {"contacts": CONTACT, "companies": COMPANY}

EMPTY = ("is_empty", "is_not_empty")
DATES = ("is", "before", "after", "between", "within_next_days", "within_last_days")
NUMBERS = ("is", "is_not", "less_than", "greater_than", "between")
OPERATORS = {
    T: ("is", "is_not", "contains", *EMPTY),
    CH: ("is", "is_not"),
    D: DATES,
    DT: DATES,
    M: NUMBERS,
    N: NUMBERS,
    B: ("is",),
    U: ("is", "is_not"),
}


def operators(prop: Prop) -> tuple[str, ...]:
    """Empty ones wherever a value can be missing (text can always be blank)."""
    ops = OPERATORS[prop.kind]
    return ops + EMPTY if prop.nullable and prop.kind != T else ops


# The world ---------------------------------------------------------------------------------------


@dataclass
class World:
    zone: str
    at: datetime
    base: date
    companies: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.at.astimezone(ZoneInfo(self.zone)).date()


def local_midnight(day: date, zone: str) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC (00:00, or the instant after a gap at it)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


OFFSET = st.one_of(st.integers(-3, 3), st.integers(-40, 40))
SECONDS = st.one_of(st.sampled_from((-1, 0, 0, 1)), st.integers(-86_400, 86_400))
MICROS = st.sampled_from((0, 0, 0, 1, 999_999))
FIELD_TEXT = st.one_of(st.just(""), st.sampled_from(WORDS))


def days(base: date) -> st.SearchStrategy[date]:
    return OFFSET.map(lambda n: base + timedelta(days=n))


def instants(base: date, zone: str) -> st.SearchStrategy[datetime]:
    """Near a local midnight: arithmetic in UTC (an aware datetime's + is wall-clock time)."""
    return st.builds(
        lambda day, s, us: local_midnight(day, zone) + timedelta(seconds=s, microseconds=us),
        days(base),
        SECONDS,
        MICROS,
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    zone = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(BASE_DAYS))
    at = local_midnight(base, zone) + timedelta(
        seconds=draw(st.one_of(st.sampled_from((-1, 0, 1)), st.integers(-7200, 7200))),
        microseconds=draw(MICROS),
    )
    world = World(zone=zone, at=at, base=base)
    when = instants(base, zone)
    owner = maybe(st.sampled_from(USERS))
    for i in range(draw(st.integers(2, 4))):
        world.companies.append(
            {
                "id": f"com_bf{i}",
                "name": draw(st.sampled_from(WORDS)),
                "domain": draw(st.sampled_from(("", "ann.example", "bo.example"))),
                "phone": draw(st.sampled_from(("", "555", "+47 555"))),
                "city": draw(FIELD_TEXT),
                "country": draw(st.sampled_from(COUNTRIES)),
                "owner": draw(owner),
                "created_at": draw(when),
                "updated_at": draw(when),
            }
        )
    company = maybe(st.integers(0, len(world.companies) - 1))
    for i in range(draw(st.integers(2, 6))):
        world.contacts.append(
            {
                "id": f"con_bf{i}",
                "email": f"{draw(st.sampled_from(('ann', 'Bo', 'a_b', 'x')))}{i}@mail.example",
                "first_name": draw(FIELD_TEXT),
                "last_name": draw(FIELD_TEXT),
                "phone": draw(st.sampled_from(("", "555"))),
                "email_opt_out": draw(st.booleans()),
                "city": draw(FIELD_TEXT),
                "country": draw(st.sampled_from(COUNTRIES)),
                "company": draw(company),
                "owner": draw(owner),
                "created_at": draw(when),
                "updated_at": draw(when),
            }
        )
    for i in range(draw(st.integers(0, 10))):
        fixed = draw(st.booleans())
        paid = draw(st.integers(0, 3))
        world.subscriptions.append(
            {
                "id": f"sub_bf{i}",
                "name": draw(st.sampled_from(WORDS)),
                "status": draw(st.sampled_from(STATUSES)),
                "contact": draw(st.integers(0, len(world.contacts) - 1)),
                "company": draw(company),
                "owner": draw(owner),
                "billing_frequency": draw(st.sampled_from(("weekly", "monthly", "annually"))),
                "billing_terms": "fixed" if fixed else "auto_renew",
                "number_of_payments": draw(st.integers(1, 12)) if fixed else None,
                "payments_made": paid,
                "periods_billed": paid + draw(st.integers(0, 1)),
                "start_date": draw(days(base)),
                "next_payment_date": draw(maybe(days(base))),
                "end_date": draw(maybe(days(base))),
                "resume_on": draw(maybe(days(base))),
                "next_payment_amount": draw(st.sampled_from(AMOUNTS)),
                "last_payment_amount": draw(maybe(st.sampled_from(AMOUNTS))),
                "line_items_mrr": draw(st.sampled_from(AMOUNTS)),
                "cancel_at_period_end": draw(st.booleans()),
                "canceled_at": draw(maybe(when)),
                "paused_at": draw(maybe(when)),
                "pause_reason": draw(FIELD_TEXT),
                "city": draw(FIELD_TEXT),
                "created_at": draw(when),
                "updated_at": draw(when),
            }
        )
    return world


# Filters as a user sends them (JSON) ------------------------------------------------------------


def condition(draw: st.DrawFn, table: Mapping[str, Prop], base: date) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(table)))
    prop = table[key]
    op = draw(st.sampled_from(operators(prop)))
    out: dict[str, Any] = {"property": key, "operator": op}
    if op in EMPTY:
        return out
    kind = prop.kind
    if op in ("within_next_days", "within_last_days"):
        out["value"] = draw(st.one_of(st.integers(1, 45), st.sampled_from((1, 2, 3660))))
    elif op == "between":
        pick = days(base) if kind in (D, DT) else st.sampled_from(AMOUNTS)
        low, high = sorted((draw(pick), draw(pick)))
        out["value"] = [v.isoformat() if isinstance(v, date) else v for v in (low, high)]
    elif kind in (D, DT):
        out["value"] = draw(days(base)).isoformat()
    elif kind == T:
        out["value"] = draw(st.sampled_from(VALUES))
    elif kind in (CH, U):  # "is any of": one value or a list
        pool = prop.choices if kind == CH else (*USERS, NO_USER)
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        out["value"] = chosen[0] if len(chosen) == 1 and draw(st.booleans()) else chosen
    elif kind in (M, N):
        out["value"] = draw(st.sampled_from(AMOUNTS))
    else:
        out["value"] = draw(st.booleans())
    return out


def groups(draw: st.DrawFn, clause: Callable[[], dict[str, Any]], most: int) -> list[dict[str, Any]]:
    return [
        {"conditions": [clause() for _ in range(draw(st.integers(1, most)))]}
        for _ in range(draw(st.integers(1, 2)))
    ]


def subscription_filters(draw: st.DrawFn, base: date) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.integers(0, 4)) == 0:
        out["q"] = draw(st.sampled_from((*VALUES, "ann bo", " Marie  a ")))
    if draw(st.integers(0, 2)) == 0:
        out["status"] = draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 3)) == 0:
        preset = draw(st.sampled_from(PRESETS))
        due: dict[str, Any] = {"preset": preset}
        if preset == "custom":
            low, high = sorted((draw(days(base)), draw(days(base))))
            ends = draw(st.sampled_from((("from",), ("to",), ("from", "to"))))
            due.update({end: day.isoformat() for end, day in (("from", low), ("to", high)) if end in ends})
        out["next_payment_date"] = due
    if draw(st.booleans()):
        out["groups"] = groups(draw, lambda: condition(draw, SUBSCRIPTION, base), 2)
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[World, list[tuple[str, dict[str, Any]]]]:
    world = draw(worlds())
    lists = []
    for _ in range(draw(st.integers(1, 4))):
        object = draw(st.sampled_from(("contacts", "companies")))

        def clause(object: str = object) -> dict[str, Any]:
            if draw(st.booleans()):
                match = draw(st.sampled_from(("any", "all", "none")))
                return {"subscriptions": {"match": match, "filters": subscription_filters(draw, world.base)}}
            return condition(draw, TABLES[object], world.base)

        filters = {} if draw(st.integers(0, 19)) == 0 else {"groups": groups(draw, clause, 2)}
        lists.append((object, filters))
    return world, lists


# The brute force --------------------------------------------------------------------------------


def local_day(instant: datetime, world: World) -> date:
    return instant.astimezone(ZoneInfo(world.zone)).date()


def holds(prop: Prop, cond: dict[str, Any], record: Any, world: World) -> bool:
    op = cond["operator"]
    raw = cond.get("value")
    values = raw if isinstance(raw, list) else [raw]
    value = prop.value(record, world)
    empty = value is None or (prop.kind == T and value == "")  # text is empty when blank too
    if op == "is_empty":
        return empty
    if op == "is_not_empty":
        return not empty
    kind = prop.kind
    if kind == T:  # any case (a value is stripped when read: the words have no outer spaces)
        wanted = values[0].lower()
        if op == "contains":
            searched = prop.searched(record, world) if prop.searched else (value,)
            return any(text is not None and wanted in text.lower() for text in searched)
        same = value is not None and value.lower() == wanted
        # "is not" is "not is": a missing value (a contact without a company) is not the value.
        return same if op == "is" else not same
    if kind in (CH, U):  # any of; "is not" any of matches a missing owner too
        return (value in values) if op == "is" else (value not in values)
    if kind == B:
        return value is values[0]
    if kind in (M, N):
        if value is None:  # a missing amount is less, greater, between nothing; "is not" it is
            return op == "is_not"
        if op == "between":
            return values[0] <= value <= values[1]
        x = values[0]
        return {"is": value == x, "is_not": value != x, "less_than": value < x, "greater_than": value > x}[op]
    # Dates; a date-time by its day in the account's zone (a missing one matches no date operator).
    if value is None:
        return False
    day = local_day(value, world) if kind == DT else value
    today = world.today
    if op == "within_next_days":  # N days starting today
        return today <= day <= today + timedelta(days=values[0] - 1)
    if op == "within_last_days":  # N days ending today
        return today - timedelta(days=values[0] - 1) <= day <= today
    if op == "between":  # both ends included
        return date.fromisoformat(values[0]) <= day <= date.fromisoformat(values[1])
    x = date.fromisoformat(values[0])
    return {"is": day == x, "before": day < x, "after": day > x}[op]


def in_groups(groups: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> bool:
    """OR between groups, AND within one."""
    return any(all(test(c) for c in g["conditions"]) for g in groups)


def subscription_matches(filters: dict[str, Any], sub: Any, world: World) -> bool:
    today = world.today
    contact = contact_of(sub, world)
    searched = (sub["name"], contact["email"], contact["first_name"], contact["last_name"])
    for word in filters.get("q", "").split()[:5]:  # every word (the first five), any case
        if not any(word.lower() in text.lower() for text in searched):
            return False
    if filters.get("status") and sub["status"] not in filters["status"]:
        return False
    due = filters.get("next_payment_date")
    if due is not None:
        day = sub["next_payment_date"]
        preset = due["preset"]
        if preset == "overdue":  # Unpaid, or billable and its next payment date passed unbilled
            late = day is not None and day < today and sub["status"] in BILLABLE
            if not (sub["status"] == "past_due" or late):
                return False
        else:
            last = calendar.monthrange(today.year, today.month)[1]
            low, high = {
                "today": (today, today),
                "next_7_days": (today, today + timedelta(days=6)),
                "next_30_days": (today, today + timedelta(days=29)),
                "this_month": (today.replace(day=1), today.replace(day=last)),
                "custom": tuple(date.fromisoformat(due[e]) if e in due else None for e in ("from", "to")),
            }[preset]
            if day is None or (low and day < low) or (high and day > high):
                return False
    return "groups" not in filters or in_groups(
        filters["groups"], lambda c: holds(SUBSCRIPTION[c["property"]], c, sub, world)
    )


def brute_members(object: str, filters: dict[str, Any], world: World) -> set[str]:
    records = world.contacts if object == "contacts" else world.companies
    owner = "contact" if object == "contacts" else "company"

    def clause(record_index: int, c: dict[str, Any]) -> bool:
        if "subscriptions" not in c:
            return holds(TABLES[object][c["property"]], c, records[record_index], world)
        theirs = [s for s in world.subscriptions if s[owner] == record_index]
        inner = c["subscriptions"]
        matched = [subscription_matches(inner["filters"], s, world) for s in theirs]
        if inner["match"] == "any":
            return any(matched)
        if inner["match"] == "none":  # a record without subscriptions is in
            return not any(matched)
        return bool(matched) and all(matched)  # all: it has some, and every one matches

    if not filters.get("groups"):
        return {r["id"] for r in records}
    return {
        r["id"] for i, r in enumerate(records) if in_groups(filters["groups"], lambda c, i=i: clause(i, c))
    }


# The database -----------------------------------------------------------------------------------


def insert(world: World) -> None:
    def user(pk: int | None) -> dict[str, Any]:
        return {"owner_id": pk}

    Company.objects.bulk_create(
        Company(**{k: v for k, v in c.items() if k != "owner"}, **user(c["owner"])) for c in world.companies
    )
    Contact.objects.bulk_create(
        Contact(
            **{k: v for k, v in c.items() if k not in ("owner", "company")},
            **user(c["owner"]),
            company_id=None if c["company"] is None else world.companies[c["company"]]["id"],
        )
        for c in world.contacts
    )
    Subscription.objects.bulk_create(
        Subscription(
            **{k: v for k, v in s.items() if k not in ("owner", "company", "contact")},
            **user(s["owner"]),
            contact_id=world.contacts[s["contact"]]["id"],
            company_id=None if s["company"] is None else world.companies[s["company"]]["id"],
            currency="USD",
            collection_method="charge_automatically",
        )
        for s in world.subscriptions
    )


def explain(world: World, object: str, filters: dict[str, Any]) -> str:
    """The example, readable: the zone, the instant and its local day, the rows and the filters."""
    rows = "\n".join(
        f"  {name} {i}: {row}"
        for name, records in (
            ("company", world.companies),
            ("contact", world.contacts),
            ("sub", world.subscriptions),
        )
        for i, row in enumerate(records)
    )
    shown = json.dumps(filters, ensure_ascii=False)
    return f"{world.zone} at {world.at.isoformat()} (today {world.today}):\n{rows}\n{object}: {shown}"


@pytest.fixture
def owners(db: None) -> None:
    for pk in USERS:
        User.objects.create(pk=pk, username=f"owner{pk}")


def test_the_evaluator_knows_every_operator_of_every_property() -> None:
    """What the draws cover is what the filter language offers: every property of contacts and
    companies, and of subscriptions one of each kind (nullable or not) with its operators."""
    for mine, theirs in ((CONTACT, CONTACT_PROPERTIES), (COMPANY, COMPANY_PROPERTIES)):
        assert {k: operators(p) for k, p in mine.items()} == {k: operators_for(p) for k, p in theirs.items()}
    assert {k: operators(p) for k, p in SUBSCRIPTION.items()} == {
        k: operators_for(PROPERTIES[k]) for k in SUBSCRIPTION
    }
    kinds = {(p.kind, p.nullable and p.kind != T) for p in PROPERTIES.values()} - {(T, False)}
    assert kinds <= {(p.kind, p.nullable and p.kind != T) for p in SUBSCRIPTION.values()}
    assert {p.kind for p in SUBSCRIPTION.values()} == set(Kind)


@pytest.mark.usefixtures("owners")
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(case=cases())
def test_list_members_agree_with_brute_force(case: tuple[World, list[tuple[str, dict[str, Any]]]]) -> None:
    world, lists = case
    with transaction.atomic():  # each example's rows go with it
        account_settings_update(actor=SYSTEM, timezone=world.zone)
        insert(world)
        for object, filters in lists:
            made = list_create(
                name="L", object=object, kind="active", filters=filters, actor=SYSTEM, at=world.at
            )
            found = set(members(made, at=world.at).values_list("pk", flat=True))
            expected = brute_members(object, filters, world)
            assert found == expected, explain(world, object, filters)
            assert size(made, at=world.at) == len(expected)
            everyone = len(world.contacts if object == "contacts" else world.companies)
            event(f"members: {'none' if not expected else 'all' if len(expected) == everyone else 'some'}")
        transaction.set_rollback(True)
