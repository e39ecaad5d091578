"""Set-based writes for hot paths: many rows inserted or updated in one statement each.

Django's ``bulk_create`` and ``bulk_update`` compile SQL value by value (and
``bulk_update`` a CASE expression per field per row), which dominates the
billing run's time at thousands of rows per batch. Here:

- PostgreSQL inserts through ``COPY`` (rows formatted in C by psycopg), and
  updates with one array parameter per column, expanded by ``unnest``: the
  statement text stays small and fixed, so the driver neither builds nor
  parses a statement per row.
- SQLite gets one multi-row ``VALUES`` list (``UPDATE ... FROM`` needs SQLite
  3.33; its VALUES columns are named ``column1..n``, hence the renaming).

Neither runs ``save()``, signals or field defaults: the instances or rows
carry every value (Recurra makes ids in Python), and callers write their own
audit events. Table and column names come from model metadata, never from
input; every value is a bound parameter.
"""

from __future__ import annotations

import functools
import operator
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from django.db import connection, models

from recurra.core.events import dumps
from recurra.core.instances import defaults, plain_attributes

CHUNK = 1000
_NATIVE = frozenset(  # SQLite takes these as they are (Django registers Decimal → str)
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def insert_objects(objs: Sequence[Any], model: type[models.Model] | None = None) -> None:
    """INSERT new instances of one model (every field as set on the instance).

    With ``model``, ``objs`` may be any objects with an attribute per column
    (e.g. slotted dataclasses), which are far cheaper to make than instances.
    """
    if not objs:
        return
    meta = (model or type(objs[0]))._meta
    fields = _stored(meta.model)
    tuples = _tuples(meta.model, objs)
    rows: list[Any] = _dump_json(fields, [list(t) for t in tuples]) if any(map(_is_json, fields)) else tuples
    quote = _quote
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        _copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN", rows)
        return
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, max(1, min(CHUNK, 30000 // len(fields)))):  # SQLite's variable limit
            cursor.execute(head + "VALUES " + ", ".join([row] * len(chunk)), _flat(fields, chunk))


def _tuples(model: type[models.Model], objs: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Each object's column values as a tuple, made in C: from the object's ``__dict__`` when every
    column is a plain attribute there (instances, :func:`new_row`'s rows), which spares a Python
    descriptor call per foreign key; else through attributes (slotted rows)."""
    attnames = tuple(f.attname for f in _stored(model))
    if len(attnames) == 1:
        return [(getattr(obj, attnames[0]),) for obj in objs]
    if plain_attributes(model) and hasattr(objs[0], "__dict__"):
        from_dict = operator.itemgetter(*attnames)
        try:
            return [from_dict(obj.__dict__) for obj in objs]
        except (KeyError, AttributeError):  # a column not set on some object (deferred)
            pass
    from_attributes = operator.attrgetter(*attnames)
    return [from_attributes(obj) for obj in objs]


def update_rows(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    *,
    where: Mapping[str, Any] | None = None,
) -> int:
    """Set ``fields`` of each row (matched on ``pk``) to its own values; returns the rows updated.

    ``where`` (field name → value) narrows it to rows that also hold those values (a row
    claimed under a lease: ``{"lease_until_ms": lease}``).
    """
    columns = {name: [row[name] for row in rows] for name in fields}
    return update_columns(model, [row["pk"] for row in rows], columns, where=where)


def update_columns(
    model: type[models.Model],
    pks: Sequence[Any],
    columns: Mapping[str, Sequence[Any]],
    *,
    where: Mapping[str, Any] | None = None,
) -> int:
    """:func:`update_rows` by column: row ``pks[i]`` gets ``columns[name][i]`` for each field
    ``name`` (what a caller holding many rows' changes can make without a mapping per row)."""
    if not pks:
        return 0
    meta = model._meta
    assert meta.pk is not None
    fields = cast(list[models.Field], [meta.pk, *(meta.get_field(name) for name in columns)])
    arrays = [[_plain(pk) for pk in pks], *([_plain(v) for v in values] for values in columns.values())]
    for field, values in zip(fields, arrays, strict=True):
        if _is_json(field):  # as JSON text (both databases take it so)
            values[:] = [None if v is None else dumps(v) for v in values]
    quote = _quote
    table = quote(meta.db_table)
    conditions = cast(list[models.Field], [meta.get_field(name) for name in where or {}])
    where_sql = " AND ".join(
        [f"{table}.{quote(meta.pk.column)} = v.c0", *(f"{table}.{quote(f.column)} = %s" for f in conditions)]
    )
    updated = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            extra = [_plain(value) for value in (where or {}).values()]
            source, selected = _unnest(fields)
            sets = ", ".join(f"{quote(f.column)} = {selected[i]}" for i, f in enumerate(fields) if i)
            size = 5 * CHUNK
            for start in range(0, len(pks), size):
                sql = f"UPDATE {table} SET {sets} FROM {source} WHERE {where_sql}"  # noqa: S608 (names from model metadata)
                chunk = [values[start : start + size] for values in arrays]
                updated += _execute_binary(cursor, sql, [*chunk, *extra])
            return updated
        extra = [
            _sqlite_converter(f)(_plain(v)) for f, v in zip(conditions, (where or {}).values(), strict=True)
        ]
        sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields) if i)
        renamed = ", ".join(f"column{i + 1} AS c{i}" for i in range(len(fields)))
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        rows = [list(values) for values in zip(*arrays, strict=True)]
        for chunk in _chunks(rows, max(1, min(CHUNK, 30000 // len(fields)))):
            source = f"(SELECT {renamed} FROM (VALUES {', '.join([row] * len(chunk))})) AS v"  # noqa: S608
            sql = f"UPDATE {table} SET {sets} FROM {source} WHERE {where_sql}"  # noqa: S608
            cursor.execute(sql, [*_flat(fields, chunk), *extra])
            updated += cursor.rowcount
    return updated


def _quote(name: str | None) -> str:
    assert name is not None
    return connection.ops.quote_name(name)


def _copy(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """``COPY ... FROM STDIN`` of ``rows`` (psycopg formats each row in C): PostgreSQL's fastest insert.

    Same connection and transaction as Django's; a unique violation is
    Django's ``IntegrityError`` like any insert's.
    """
    import psycopg

    started = time.monotonic()
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with psycopg.Cursor(cursor.connection) as raw, raw.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def _execute_binary(cursor: Any, sql: str, params: list[Any]) -> int:
    """Run with server-side binding and binary parameters: arrays are packed, not quoted as text.

    (Django's own psycopg cursors bind on the client, which quotes every
    array element through a regular expression.) Same connection, same
    transaction; errors become Django's (an ``IntegrityError`` stays one) and
    the statement shows in ``connection.queries`` like any other.
    """
    import psycopg

    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(cursor.connection) as raw:
        raw.execute(sql, params)
        count = int(raw.rowcount)
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return count


def _chunks(rows: list[list[Any]], size: int) -> Sequence[list[list[Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _is_json(field: models.Field) -> bool:
    return isinstance(field, models.JSONField)


def _unnest(fields: Sequence[models.Field]) -> tuple[str, list[str]]:
    """``unnest(%s::t0[], ...) AS v(c0, ...)`` and the expressions selecting each column (JSON cast back)."""
    types = ", ".join(f"%b::{'text' if _is_json(f) else f.cast_db_type(connection)}[]" for f in fields)
    names = ", ".join(f"c{i}" for i in range(len(fields)))
    selected = [f"v.c{i}::jsonb" if _is_json(f) else f"v.c{i}" for i, f in enumerate(fields)]
    return f"unnest({types}) AS v({names})", selected


def _dump_json(fields: Sequence[models.Field], rows: list[list[Any]]) -> list[list[Any]]:
    """JSON columns of ``rows`` as JSON text, in place (both databases take it so); dates,
    Decimals and UUIDs in them as ``core.events.jsonable`` writes them (``events.dumps``)."""
    for i, field in enumerate(fields):
        if _is_json(field):
            for row in rows:
                if row[i] is not None:
                    row[i] = dumps(row[i])
    return rows


def _flat(fields: Sequence[models.Field], rows: list[list[Any]]) -> list[Any]:
    convert = [_sqlite_converter(f) for f in fields]
    return [conv(value) for row in rows for value, conv in zip(row, convert, strict=True)]


def _plain(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _identity(value: Any) -> Any:
    return value


def _sqlite_converter(field: models.Field) -> Callable[[Any], Any]:
    if field.get_internal_type() in _NATIVE or _is_json(field):  # JSON: dumped already
        return _identity
    return lambda value: field.get_db_prep_save(value, connection)


def new_row(model: type[models.Model], **values: Any) -> Any:
    """A new row of ``model`` as a plain object for :func:`insert_objects` (``model=`` given).

    Fields left out take their default, as a model instance would, but
    without the instance: in hot paths that make thousands of rows, the ORM's
    per-instance set-up costs more than the insert.
    """
    constant, makers = _defaults(model)
    for attname, make in makers:
        if attname not in values:
            values[attname] = make()
    return _Row(constant | values)


class _Row:
    __slots__ = ("__dict__",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values


@functools.cache
def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    return defaults(_stored(model))


@functools.cache
def _stored(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The columns an INSERT writes: every concrete field but those the database generates."""
    fields = cast(list[models.Field], list(model._meta.concrete_fields))
    return tuple(f for f in fields if not getattr(f, "generated", False))
