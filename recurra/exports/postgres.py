"""Exports written by PostgreSQL itself: every cell formatted in SQL, rows streamed with ``COPY``.

Reading a million rows into Python objects only to format them again costs
more than the whole target (a 44-column chunk of 5,000 rows took 0.2 s just to
parse), so on PostgreSQL one query returns each row as the file's text, a CSV
line (``COPY … (FORMAT csv)``: RFC 4180 quoting done by the database) or an
XLSX ``<row>``, made in C and sent one message a row. Python adds the line
ends, counts rows for the progress bar and renews the job's lease.

The cells are the portable writers' (:mod:`recurra.exports.cells`,
``writers/``), rule for rule; a test compares the files both make on awkward
data, so the two cannot drift apart unseen. Which subscriptions, and in what
order, is Django's (the filters' queryset, its sort key's ordering); the rest
is one statement::

    WITH o AS MATERIALIZED (SELECT id, row_number() OVER (ORDER BY <the sort>) AS n FROM … WHERE …)
    SELECT <cells> FROM o JOIN subscriptions s ON s.id = o.id
      LEFT JOIN contact c … LEFT JOIN company co … LEFT JOIN deal d … LEFT JOIN quote q …
      LEFT JOIN (<each association's records of the same subscriptions (``rows.owned``: a purchase
                  invoice is each of its subscriptions'), grouped, arrays sliced>) a_invoices …
    ORDER BY o.n
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from django.db import connection
from django.db.models import QuerySet, Window
from django.db.models.functions import RowNumber

from recurra.accounts.models import User
from recurra.commerce.models import Quote
from recurra.core.money import exponent
from recurra.crm.models import Company, Contact, Deal
from recurra.exports.cells import FORMULA_STARTS
from recurra.exports.columns import Column
from recurra.exports.models import Export, ExportFormat
from recurra.exports.rows import MANY, owned, selected
from recurra.exports.writers import Progress
from recurra.exports.writers.csv import CsvWriter
from recurra.exports.writers.xlsx import DATE, DATETIME, EMPTY, XlsxWriter
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import Kind, person_name, user_name
from recurra.subscriptions.selectors import sort_keyset

# Relations a property reads through (``contact__email``), as joined: alias and model.
JOINS: dict[str, tuple[str, Any]] = {
    "": ("s", Subscription),
    "contact": ("c", Contact),
    "company": ("co", Company),
    "deal": ("d", Deal),
    "quote": ("q", Quote),
    "owner": ("u", User),
}
FORMATS = (ExportFormat.CSV, ExportFormat.XLSX)  # XLS has its row limit and its library: Python's
# For this transaction only (measured on a million subscriptions, docs/benchmarks.md): JIT spent
# 2 to 4 s compiling the cells' expressions and ran them no faster; a parallel plan repeated each
# association's aggregation in every worker; 64 MB per sort or hash keeps the joins in memory.
# UTC, as Django sets its own connections.
SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('work_mem', '64MB', true), set_config('TimeZone', 'UTC', true)"
)
PROGRESS_EVERY = 5000  # rows between progress updates (and lease renewals)
_ESCAPE = re.compile(rb"\\(.)")
_UNESCAPED = {b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"v": b"\v"}
_XML_DROPPED = bytes([*range(1, 9), 11, 12, *range(14, 32)])  # and U+FFFE, U+FFFF (``xml_text``)


def quote(text: str) -> str:
    """``text`` as a SQL string literal (labels, zones and formats we chose; ``%`` doubled for the
    driver's parameter formatting)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _column(path: str) -> str:
    relation, _, name = path.rpartition("__")
    alias, model = JOINS[relation]
    return f"{alias}.{connection.ops.quote_name(model._meta.get_field(name).column)}"


@dataclass(frozen=True)
class Plan:
    """What the SQL of one export's cells depends on."""

    zone: ZoneInfo
    currencies: tuple[str, ...]  # every currency its rows may be in (for their decimals)
    limit: int | None  # associated records per cell

    def money(self, amount: str, currency: str) -> str:
        """Minor units as major-unit text with the currency's decimals (``major_text``)."""
        whens = " ".join(
            f"WHEN {quote(c)} THEN ({amount}::numeric / {10**e})::numeric(30, {e})::text"
            for c, e in ((c, exponent(c)) for c in self.currencies)
        )
        return f"CASE {currency} {whens} ELSE {amount}::text END"

    def local(self, instant: str) -> str:
        return f"({instant} AT TIME ZONE {quote(self.zone.key)})"


def _person(first: str, last: str, email: str) -> str:
    return f"coalesce(nullif(btrim(coalesce({first}, '') || ' ' || coalesce({last}, '')), ''), {email})"


# A property whose value combines fields: the same in SQL (a user's name as a contact's: the full
# name, else the third field, their username; NULL without a user).
COMBINES = {person_name: _person, user_name: _person}

_NAMES = {  # an associated record's name (rows.MANY's), of its row ``t``
    "invoices": lambda plan: "coalesce(nullif(t.number, ''), t.id)",
    "payments": lambda plan: (
        f"{plan.money('t.amount', 't.currency')} || ' ' || t.currency || ' ('"
        " || to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ')'"
    ),
    "line_items": lambda plan: "t.name",
}
_ONE = {  # associations the subscription row holds: (its id column, its name)
    "contacts": ("contact_id", _person("c.first_name", "c.last_name", "c.email")),
    "companies": ("company_id", "co.name"),
    "deals": ("deal_id", "d.name"),
    "quotes": ("quote_id", "q.name"),
}


def value_sql(column: Column) -> tuple[Kind, str]:
    """``column``'s raw value in SQL, and the kind its cell formats it as."""
    if column.association is not None:
        kind = column.association
        if kind in _ONE:
            pk, name = _ONE[kind]
            return Kind.TEXT, name if column.names else f"s.{pk}"
        return Kind.TEXT, f"a_{kind}.{'names' if column.names else 'ids'}"
    prop = column.prop
    assert prop is not None
    sources = [_column(path) for path in prop.reads]
    if prop.combine is not None:
        return Kind.TEXT, COMBINES[prop.combine](*sources)
    return column.kind, sources[0]


def text_sql(column: Column, plan: Plan, *, guarded: bool = False) -> str:
    """``column``'s cell as CSV text, NULL when empty (so COPY leaves it unquoted)."""
    kind, value = value_sql(column)
    if kind == Kind.MONEY:
        return plan.money(value, "s.currency")
    if kind == Kind.DATETIME:
        return f"to_char({plan.local(value)}, 'YYYY-MM-DD HH24:MI')"
    if kind == Kind.DATE:
        return f"to_char({value}, 'YYYY-MM-DD')"
    if kind == Kind.BOOLEAN:
        return f"CASE WHEN {value} THEN 'Yes' ELSE 'No' END"
    if kind == Kind.NUMBER:
        return f"{value}::text"
    if kind == Kind.CHOICE:
        assert column.prop is not None
        whens = " ".join(f"WHEN {quote(v)} THEN {quote(label)}" for v, label in column.prop.choices)
        return f"CASE {value} {whens} ELSE {value} END"
    if guarded and column.guarded:  # the first character's code: no substring made to test it
        starts = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
        return f"CASE WHEN ascii({value}) IN ({starts}) THEN '''' || {value} ELSE nullif({value}, '') END"
    return f"nullif({value}, '')"


def xlsx_cell_sql(column: Column, plan: Plan, money_styles: dict[str, int]) -> str:
    """``column``'s cell as the XLSX writer writes it (``<c/>`` when empty)."""
    kind, value = value_sql(column)
    if kind == Kind.MONEY:
        styles = " ".join(f"WHEN {quote(c)} THEN '{money_styles[c]}'" for c in plan.currencies)
        amount = plan.money(value, "s.currency")
        cell = f"'<c s=\"' || CASE s.currency {styles} END || '\"><v>' || {amount} || '</v></c>'"
    elif kind == Kind.NUMBER:
        cell = f"'<c><v>' || {value}::text || '</v></c>'"
    elif kind == Kind.DATE:
        cell = f"'<c s=\"{DATE}\"><v>' || ({value} - DATE '1899-12-30')::text || '</v></c>'"
    elif kind == Kind.DATETIME:
        local = plan.local(value)
        days = f"(({local})::date - DATE '1899-12-30')"
        seconds = f"floor(extract(epoch FROM ({local})::time))::numeric"  # whole seconds, as Python's
        serial = f"{days} + round({seconds} / 86400, 8)"
        cell = f"'<c s=\"{DATETIME}\"><v>' || ({serial})::text || '</v></c>'"
    else:
        text = text_sql(column, plan)
        escaped = f"replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
        opening = '\'<c t="inlineStr"><is><t xml:space="preserve">\''
        cell = f"{opening} || {escaped} || '</t></is></c>'"  # characters XML forbids: xml_text
    return f"coalesce({cell}, '{EMPTY}')"


def _association_join(kind: str, plan: Plan, within: str | None) -> tuple[str, int]:
    """Each subscription's ``kind`` records (``rows.owned``), the first ``limit`` by id, as ids and
    names joined; and how many times it reads ``within``.

    Arrays sliced, not a window function: one sort per subscription's few records instead of
    one over the whole table. ``within`` (the export's subscriptions, unordered; None when
    unfiltered: every record is one of theirs) keeps the planner's estimates: a filter that
    selects few reads few through the index, all reads all."""
    table = MANY[kind].model._meta.db_table
    pairs, uses = owned(kind, within)
    cap = "" if plan.limit is None else f"[1:{int(plan.limit)}]"
    ids = f"array_to_string((array_agg(t.id ORDER BY t.id)){cap}, ';')"
    names = f"array_to_string((array_agg({_NAMES[kind](plan)} ORDER BY t.id)){cap}, ';')"
    return (  # names from model metadata, literals quoted: no value from outside is in the text
        f"LEFT JOIN (SELECT p.subscription_id, {ids} AS ids, {names} AS names "  # noqa: S608
        f"FROM ({pairs}) p JOIN {table} t ON t.id = p.id GROUP BY p.subscription_id) a_{kind} "
        f"ON a_{kind}.subscription_id = s.id"
    ), uses


def statement(
    qs: QuerySet[Subscription], sort: str, columns: list[Column], cells: list[str], plan: Plan
) -> tuple[str, Any]:
    """The export's one query: ``cells`` (SQL) of the rows of ``qs`` in the ``sort`` order."""
    order = sort_keyset(sort).order_by()
    numbered = qs.annotate(n=Window(RowNumber(), order_by=order)).order_by().values("pk", "n")
    base, params = numbered.query.sql_with_params()
    within, within_params = (
        qs.order_by().values("pk").query.sql_with_params() if qs.query.where else (None, ())
    )
    joins = " ".join(
        f"LEFT JOIN {model._meta.db_table} {alias} ON {alias}.id = s.{relation}_id"
        for relation, (alias, model) in JOINS.items()
        if relation
    )
    kinds = sorted({c.association for c in columns if c.association in MANY})
    associations = [_association_join(kind, plan, within) for kind in kinds]
    many = " ".join(join for join, _ in associations)
    sql = (  # the filters' values are parameters (``params``); the rest is ours
        f"WITH o AS MATERIALIZED (SELECT b.pk AS id, b.n FROM ({base}) b) "  # noqa: S608
        f"SELECT {', '.join(cells)} FROM o JOIN {Subscription._meta.db_table} s ON s.id = o.id "
        f"{joins} {many} ORDER BY o.n"
    )
    return sql, (*params, *within_params * sum(uses for _, uses in associations))


def shared() -> bool:
    """Whether COPY must run on Django's own connection: inside a transaction (a test's, say),
    whose rows only that connection sees. Then nothing else can be asked of it until the last
    row, so progress is stored once, at the end; otherwise COPY has a connection of its own and
    Django's stays free to store progress (and renew the lease) as rows come."""
    return connection.in_atomic_block


def copy_rows(sql: str, params: Any, *, format: str) -> Iterator[bytes]:
    """``COPY (sql) TO STDOUT``, a row at a time (its text, without COPY's escaping or line end)."""
    if shared():
        connection.ensure_connection()
        conn, own = connection.connection, False
    else:
        conn, own = psycopg.connect(**connection.get_connection_params()), True  # Django's settings
    try:
        with conn.cursor() as cursor:
            cursor.execute(SETTINGS)
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT {format})", params) as copy,
        ):
            for row in copy:
                yield bytes(row)[:-1]
    finally:
        if own:
            conn.close()


def xml_text(data: bytes) -> bytes:
    """Rows sent by ``COPY (FORMAT text)`` as the XML they are: its escapes undone, and the
    characters XML 1.0 forbids dropped, as ``writers.xlsx.text`` does (in SQL, ``translate`` took
    three times as long as the rest of the rows; here it is one pass in C over a batch of rows)."""
    if b"\\" in data:
        data = _ESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(1)), data)
    data = data.translate(None, _XML_DROPPED)
    if b"\xef\xbf" in data:  # U+FFFE and U+FFFF in UTF-8 (no other character's bytes hold these)
        data = data.replace(b"\xef\xbf\xbe", b"").replace(b"\xef\xbf\xbf", b"")
    return data


def _csv_lines(rows: list[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in rows)  # RFC 4180's line ends (COPY's are LF)


def _xml_rows(rows: list[bytes]) -> bytes:
    return xml_text(b"".join(rows))


def currencies_of(qs: QuerySet[Subscription], columns: list[Column]) -> tuple[str, ...]:
    """Every currency the export's amounts may be in: its subscriptions', and with payments every
    payment's (one DISTINCT over the table; a currency no row has only adds a CASE branch)."""
    found = set(qs.order_by().values_list("currency", flat=True).distinct())
    if any(c.association == "payments" for c in columns):
        found |= set(MANY["payments"].model.objects.order_by().values_list("currency", flat=True).distinct())
    return tuple(sorted(found))


def write(export: Export, columns: list[Column], zone: ZoneInfo, path: Path, progress: Progress) -> int:
    """Write ``export``'s CSV or XLSX file at ``path`` from one COPY; the rows written."""
    qs = selected(export, zone)
    plan = Plan(zone, currencies_of(qs, columns), export.associations_limit)
    writer: CsvWriter | XlsxWriter
    finish: Callable[[list[bytes]], bytes]
    if export.format == ExportFormat.CSV:
        writer = CsvWriter(path, columns, zone)
        cells = [text_sql(column, plan, guarded=True) for column in columns]
        rows = copy_rows(*statement(qs, export.sort, columns, cells, plan), format="csv")
        finish = _csv_lines
    else:
        writer = XlsxWriter(path, columns, zone)
        styles = {currency: writer.money_style(currency) for currency in plan.currencies}
        row = " || ".join(["'<row>'", *(xlsx_cell_sql(c, plan, styles) for c in columns), "'</row>'"])
        rows = copy_rows(*statement(qs, export.sort, columns, [row], plan), format="text")
        finish = _xml_rows
    live, done, batch = not shared(), 0, []
    for data in rows:
        batch.append(data)
        if len(batch) == PROGRESS_EVERY:
            done += len(batch)
            writer.raw(finish(batch))
            batch.clear()
            if live:
                progress(done)
    done += len(batch)
    writer.raw(finish(batch))
    writer.close()
    progress(done)
    return done
