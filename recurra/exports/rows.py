"""The rows of an export, read a chunk at a time, column by column: plain values, never instances.

The subscriptions the export's filters select (relative dates as on its
``as_of``), in its sort order, through one keyset range scan per chunk
(:func:`recurra.core.pagination.keyset_chunks`); each chunk's associated
invoices, payments and line items in one query each. A subscription's
invoices are those it names or with a line of it (a purchase invoice bills
several subscriptions and names none); its payments, those it names or paying
an invoice with a line of it (``invoicing.selectors``): :func:`owned` says so
in SQL, once for this module and :mod:`recurra.exports.postgres`. A chunk holds each
column's values (a property's raw value; an association's ids or names
already joined by semicolons) and each row's currency, which its money columns
are in. Column by column, because a million rows of 52 columns are 52 million
values: the work per value must be a C loop where it can (``itemgetter``).

Associations per cell are capped at ``limit`` (the first ones by id; None is
all): the database drops the rest (a window function), so a subscription with
a hundred thousand invoices costs no more than one with a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import QuerySet

from recurra.core.money import major_text
from recurra.core.pagination import keyset_chunks
from recurra.exports.columns import Column
from recurra.exports.models import Export
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment
from recurra.saved_views.listing import matching
from recurra.saved_views.spec import stored_filters
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.properties import CONTACT_NAME, person_name
from recurra.subscriptions.selectors import sort_keyset

CHUNK = 5000
SEPARATOR = ";"
Rows = list[tuple[Any, ...]]
Found = dict[str, dict[str, tuple[list[str], list[str]]]]  # kind -> subscription id -> (ids, names)


@dataclass(frozen=True)
class Chunk:
    values: list[list[Any]]  # per column, a value per row
    currencies: list[str]  # per row

    def __len__(self) -> int:
        return len(self.currencies)


@dataclass(frozen=True)
class One:
    """An association the subscription row holds itself: its id column and its name's columns."""

    id: str
    name: tuple[str, ...]
    combine: Callable[..., str] | None = None


ONE: dict[str, One] = {
    "contacts": One("contact_id", CONTACT_NAME, person_name),
    "companies": One("company_id", ("company__name",)),
    "deals": One("deal_id", ("deal__name",)),
    "quotes": One("quote_id", ("quote__name",)),
}


def _invoice_name(pk: str, number: str | None) -> str:
    return number or pk


def _payment_name(pk: str, amount: int, currency: str, created_at: Any) -> str:
    return f"{major_text(amount, currency)} {currency} ({created_at.date().isoformat()})"


def _line_item_name(pk: str, name: str) -> str:
    return name


# Whose records are: SELECTs of (subscription_id, id) pairs, each with the column its WHERE
# filters on. Table names from model metadata: no value from outside is in the text.
Owners = Callable[[], list[tuple[str, str]]]


def _named(model: Any) -> Owners:
    """Records that name their subscription."""
    return lambda: [(f"SELECT subscription_id, id FROM {model._meta.db_table}", "subscription_id")]  # noqa: S608


def _invoice_owners() -> list[tuple[str, str]]:
    """Invoices named by a subscription, or with a line of it."""
    lines = InvoiceLine._meta.db_table
    by_line = f"SELECT subscription_id, invoice_id AS id FROM {lines}"  # noqa: S608
    return [*_named(Invoice)(), (by_line, "subscription_id")]


def _payment_owners() -> list[tuple[str, str]]:
    """Payments named by a subscription, or paying an invoice with a line of it."""
    lines, payments = InvoiceLine._meta.db_table, Payment._meta.db_table
    by_line = (
        f"SELECT l.subscription_id, p.id FROM {lines} l "  # noqa: S608
        f"JOIN {payments} p ON p.invoice_id = l.invoice_id"
    )
    return [*_named(Payment)(), (by_line, "l.subscription_id")]


@dataclass(frozen=True)
class Many:
    """An association in its own table: what to read of it, its name, and whose its records are."""

    model: Any
    fields: tuple[str, ...]
    name: Callable[..., str]
    owners: Owners


MANY: dict[str, Many] = {
    "invoices": Many(Invoice, ("number",), _invoice_name, _invoice_owners),
    "payments": Many(Payment, ("amount", "currency", "created_at"), _payment_name, _payment_owners),
    "line_items": Many(SubscriptionLineItem, ("name",), _line_item_name, _named(SubscriptionLineItem)),
}


def owned(kind: str, within: str | None) -> tuple[str, int]:
    """SQL of the distinct (subscription_id, id) pairs of ``kind`` records and the subscriptions
    they belong to, for the subscriptions ``within`` (SQL of their ids; None: every subscription),
    and how many times it reads ``within``. A purchase invoice and its payments pair with each
    subscription it has lines of; an invoice with several lines of one subscription pairs once
    (``UNION`` drops the repeats)."""
    parts = MANY[kind].owners()
    sql = " UNION ".join(
        f"{select} WHERE {column} {'IS NOT NULL' if within is None else f'IN ({within})'}"
        for select, column in parts
    )
    return sql, 0 if within is None else len(parts)


def selected(export: Export, zone: ZoneInfo) -> QuerySet[Subscription]:
    return matching(stored_filters(export.filters), at=export.as_of, zone=zone, scope=export.scope_filters)


Extract = Callable[[Rows, Found], list[Any]]


def export_chunks(export: Export, columns: list[Column], *, zone: ZoneInfo) -> Iterator[Chunk]:
    """The export's rows, a chunk at a time (see the module)."""
    paths = ["id", "currency"]
    for column in columns:
        if column.prop is not None:
            paths += column.prop.reads
        elif column.association in ONE:
            one = ONE[column.association]
            paths += [one.id, *one.name]
    paths = list(dict.fromkeys(paths))
    at = {path: n for n, path in enumerate(paths)}
    extracts = [_extract(column, at) for column in columns]
    many = sorted({c.association for c in columns if c.association in MANY})
    keyset = sort_keyset(export.sort)
    for rows in keyset_chunks(selected(export, zone), keyset, paths, size=CHUNK):
        ids = [row[0] for row in rows]
        found = {kind: _many(kind, ids, export.associations_limit) for kind in many}
        yield Chunk([extract(rows, found) for extract in extracts], [row[1] for row in rows])


def _extract(column: Column, at: dict[str, int]) -> Extract:
    """How ``column``'s values are taken from a chunk's rows (and its associations)."""
    if column.prop is not None:
        prop = column.prop
        if prop.combine is None:
            get = itemgetter(at[prop.reads[0]])
            return lambda rows, found: list(map(get, rows))
        parts = itemgetter(*(at[path] for path in prop.reads))
        combine = prop.combine
        return lambda rows, found: [combine(*parts(row)) for row in rows]
    kind = column.association
    assert kind is not None
    if kind in ONE:
        one = ONE[kind]
        pk = itemgetter(at[one.id])
        if not column.names:
            return lambda rows, found: [pk(row) or "" for row in rows]
        name = itemgetter(*(at[path] for path in one.name))
        if one.combine is not None:
            combine = one.combine
            return lambda rows, found: [combine(*name(row)) if pk(row) else "" for row in rows]
        return lambda rows, found: [name(row) or "" for row in rows]
    side = 1 if column.names else 0
    empty: tuple[list[str], list[str]] = ([], [])
    return lambda rows, found: [SEPARATOR.join(found[kind].get(row[0], empty)[side]) for row in rows]


def _many(
    kind: str, subscription_ids: list[str], limit: int | None
) -> dict[str, tuple[list[str], list[str]]]:
    """Each subscription's ``kind`` records (at most ``limit``, the first by id): ids and names.

    One query: the pairs of :func:`owned`, numbered per subscription when capped, joined to the
    records for their fields (converted as the ORM would: a date-time is one on SQLite too)."""
    out: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    if not subscription_ids:
        return out
    spec = MANY[kind]
    meta = spec.model._meta
    fields = [meta.get_field(name) for name in spec.fields]
    pairs, uses = owned(kind, ", ".join(["%s"] * len(subscription_ids)))
    params: list[Any] = list(subscription_ids) * uses
    if limit is not None:
        pairs = (
            "SELECT o.subscription_id, o.id FROM (SELECT q.subscription_id, q.id, ROW_NUMBER() OVER "  # noqa: S608
            f"(PARTITION BY q.subscription_id ORDER BY q.id) AS nth FROM ({pairs}) q) o WHERE o.nth <= %s"
        )
        params.append(limit)
    reads = ", ".join(f"t.{connection.ops.quote_name(field.column)}" for field in fields)
    sql = (  # names from model metadata; the ids and the cap are parameters
        f"SELECT p.subscription_id, t.id, {reads} FROM ({pairs}) p "  # noqa: S608
        f"JOIN {meta.db_table} t ON t.id = p.id ORDER BY p.subscription_id, t.id"
    )
    reading = [_reader(field) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for subscription_id, pk, *raw in cursor.fetchall():
            values = [read(value) for read, value in zip(reading, raw, strict=True)]
            ids, names = out[subscription_id]
            ids.append(pk)
            names.append(spec.name(pk, *values))
    return out


def _reader(field: Any) -> Callable[[Any], Any]:
    """``field``'s value as the ORM reads it: the backend's converters, then the field's."""
    col = field.get_col(field.model._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
    if not converters:
        return lambda value: value

    def read(value: Any) -> Any:
        for converter in converters:
            value = converter(value, col, connection)
        return value

    return read
