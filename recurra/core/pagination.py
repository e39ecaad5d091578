"""Cursor (keyset) pagination for the API and the web app: ``{"data", "has_more", "next_cursor"}``.

The cursor is the sort key of the last row returned, so a page costs one
index range scan however deep it is, and rows inserted meanwhile never shift
a page. Orderings must end in a unique column (``id``).

:func:`paginate_keyset` orders by any key (columns or expressions) in one
direction, then ``id``: it compares rows as one tuple, ``(key…, id) > (…)``,
which both databases answer from an index on those columns. A nullable key
puts its null rows last in either direction (ordered by ``id``): the page
reads the non-null rows, then tops up from the null ones. It also goes back:
``before=`` a page's ``previous_cursor`` is the page before it, read as the
same scans backwards, and its ``start_cursor`` is the cursor it starts after,
so the page is the same one a walk forward gives.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, Expression, F, Model, OrderBy, Q, QuerySet

from recurra.core.errors import ValidationFailed

T = TypeVar("T", bound=Model)
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    has_more: bool
    next_cursor: str | None
    # Keyset pages only: ``before=`` this is the page before (None on the first page), and the
    # cursor this page starts after (None: it is the first page).
    previous_cursor: str | None = None
    start_cursor: str | None = None

    def render(self, item: Callable[[T], Any]) -> dict[str, Any]:
        """The list envelope with each row rendered by ``item``."""
        return {
            "data": [item(row) for row in self.data],
            "has_more": self.has_more,
            "next_cursor": self.next_cursor,
        }


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != width or not all(map(_storable, values)):
        raise ValidationFailed.field("cursor", "is not a cursor this list gave out")
    return values


def _storable(value: Any) -> bool:
    """A value encode_cursor writes (text or an integer) that a database can compare with."""
    if isinstance(value, str):
        return "\x00" not in value and value == value.encode("utf-8", "ignore").decode("utf-8")
    return isinstance(value, int) and not isinstance(value, bool)


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (lexicographic, per-column direction)."""
    condition = Q()
    for depth in range(len(ordering) - 1, -1, -1):
        name = ordering[depth].lstrip("-")
        op = "lt" if ordering[depth].startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[depth]})
        if depth < len(ordering) - 1:
            step |= Q(**{name: values[depth]}) & condition
        condition = step
    return condition


def paginate(
    qs: QuerySet[T],
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    ordering: tuple[str, ...] = ("-id",),
) -> Page[T]:
    """One page of ``qs`` in ``ordering`` (newest first by default)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be from 1 to {MAX_LIMIT}")
    qs = qs.order_by(*ordering)
    if cursor:
        qs = qs.filter(_after(ordering, decode_cursor(cursor, len(ordering))))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, f.lstrip("-")) for f in ordering])
    return Page(data=rows, has_more=has_more, next_cursor=next_cursor)


class RowAfter(Expression):
    """``(a, b, …) > (x, y, …)``, or ``<`` when ``descending``: the rows after a cursor's."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, columns: list[Any], values: list[Any], *, descending: bool) -> None:
        super().__init__()
        self.columns, self.values, self.descending = columns, values, descending

    def get_source_expressions(self) -> list[Any]:
        return self.columns

    def set_source_expressions(self, exprs: Any) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        sqls, params = [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            sqls.append(sql)
            params.extend(column_params)
        for column, value in zip(self.columns, self.values, strict=True):
            params.append(column.output_field.get_db_prep_value(value, connection))
        op = "<" if self.descending else ">"
        return f"({', '.join(sqls)}) {op} ({', '.join(['%s'] * len(self.values))})", params


@dataclass(frozen=True)
class Keyset:
    """An ordering: ``key`` (columns or expressions) then ``id``, all ascending or all descending.
    With ``nullable``, rows whose first key column is null come last (by ``id``)."""

    key: tuple[Any, ...]
    descending: bool = False
    nullable: bool = False

    def order_by(self) -> list[OrderBy]:
        """The same order as one ``ORDER BY`` (pages scan it in two parts: ``_Scan``)."""
        if self.descending:
            return [*(k.desc(nulls_last=True) for k in self.key), F("pk").desc()]
        return [*(k.asc(nulls_last=True) for k in self.key), F("pk").asc()]


class _Scan:
    """``qs`` keyed for ``keyset``: the rows with a key after a position (``head``), then the null
    rows after an id (``tail``), each in order. A position is ``(key values…, id)``."""

    def __init__(self, qs: QuerySet[Any], keyset: Keyset) -> None:
        self.keyset = keyset
        self.names = [f"key_{n}" for n in range(len(keyset.key))]
        self.qs = qs.annotate(**dict(zip(self.names, keyset.key, strict=True)))
        self.columns = [self.qs.query.annotations[n].output_field for n in self.names] + [qs.model._meta.pk]
        sign = "-" if keyset.descending else ""
        self.order = [*(sign + n for n in self.names), sign + "pk"]

    def head(self, after: list[Any] | None) -> QuerySet[Any]:
        qs = self.qs.filter(**{f"{self.names[0]}__isnull": False}) if self.keyset.nullable else self.qs
        if after:
            qs = qs.filter(RowAfter([*map(F, self.names), F("pk")], after, descending=self.keyset.descending))
        return qs.order_by(*self.order)

    def tail(self, after_pk: Any | None) -> QuerySet[Any]:
        qs = self.qs.filter(**{f"{self.names[0]}__isnull": True})
        if after_pk is not None:
            qs = qs.filter(**{f"pk__{'lt' if self.keyset.descending else 'gt'}": after_pk})
        return qs.order_by(self.order[-1])

    def head_before(self, before: list[Any] | None) -> QuerySet[Any]:
        """The rows with a key before a position (all of them without one), nearest first."""
        qs = self.qs.filter(**{f"{self.names[0]}__isnull": False}) if self.keyset.nullable else self.qs
        if before:
            qs = qs.filter(
                RowAfter([*map(F, self.names), F("pk")], before, descending=not self.keyset.descending)
            )
        return qs.order_by(*map(_reversed, self.order))

    def tail_before(self, before_pk: Any) -> QuerySet[Any]:
        """The null rows before an id, nearest first."""
        qs = self.qs.filter(**{f"{self.names[0]}__isnull": True})
        qs = qs.filter(**{f"pk__{'gt' if self.keyset.descending else 'lt'}": before_pk})
        return qs.order_by(_reversed(self.order[-1]))

    def position(self, row: Any) -> tuple[int, list[Any]]:
        """Where ``row`` is: ``(0, [key…, id])`` among the rows with a key, ``(1, [id])`` in the tail."""
        key = [getattr(row, name) for name in self.names]
        if self.keyset.nullable and key[0] is None:
            return 1, [row.pk]
        return 0, [*key, row.pk]

    def cursor(self, row: Any) -> str:
        """The cursor of the position of ``row``."""
        part, values = self.position(row)
        return encode_cursor([part, *map(_cursor_value, values)])

    def after(self, position: tuple[int, list[Any]] | None, count: int) -> list[Any]:
        """At most ``count`` rows after ``position`` (from the first without one), in order."""
        part, values = position or (0, [])
        rows: list[Any] = []
        if part == 0:
            rows = list(self.head(values)[:count])
        if self.keyset.nullable and len(rows) < count:
            rows += list(self.tail(values[0] if part == 1 else None)[: count - len(rows)])
        return rows

    def before(self, position: tuple[int, list[Any]], count: int) -> list[Any]:
        """At most ``count`` rows before ``position``, nearest first."""
        part, values = position
        rows: list[Any] = []
        if part == 1:
            rows = list(self.tail_before(values[0])[:count])
        if len(rows) < count:
            rows += list(self.head_before(values if part == 0 else None)[: count - len(rows)])
        return rows


def _reversed(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


def paginate_keyset(
    qs: QuerySet[T],
    keyset: Keyset,
    *,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    before: str | None = None,
) -> Page[T]:
    """One page of ``qs`` in ``keyset`` order: the first, the one after ``cursor``, or the one
    before ``before`` (a page's ``previous_cursor``; the first page once fewer than ``limit`` rows
    lie before it). The cursor is ``[0, key…, id]`` while in the rows with a key, ``[1, id]`` in
    the null rows after them."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be from 1 to {MAX_LIMIT}")
    scan = _Scan(qs, keyset)
    if before:
        earlier = scan.before(_read(before, scan.columns, keyset.nullable), limit + 1)
        if len(earlier) > limit:  # a page and the row it starts after: as a walk forward reaches it
            cursor = scan.cursor(earlier[limit])
        else:
            cursor = None  # the start is within reach: the first page, whole
    rows = scan.after(_read(cursor, scan.columns, keyset.nullable) if cursor else None, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        data=rows,
        has_more=has_more,
        next_cursor=scan.cursor(rows[-1]) if has_more else None,
        previous_cursor=scan.cursor(rows[0]) if cursor and rows else None,
        start_cursor=cursor,
    )


def keyset_chunks(
    qs: QuerySet[Any], keyset: Keyset, fields: Sequence[str], *, size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Every row of ``qs`` in ``keyset`` order as tuples of ``fields``, ``size`` rows at a time: one
    index range scan per chunk, however far in (an export of a million rows reads no row twice)."""
    scan = _Scan(qs, keyset)
    width = len(fields)
    after: list[Any] | None = None
    while True:
        rows = list(scan.head(after).values_list(*fields, *scan.names, "pk")[:size])
        if rows:
            yield [row[:width] for row in rows]
        if len(rows) < size:
            break
        after = list(rows[-1][width:])
    if keyset.nullable:
        after_pk = None
        while True:
            rows = list(scan.tail(after_pk).values_list(*fields, "pk")[:size])
            if rows:
                yield [row[:width] for row in rows]
            if len(rows) < size:
                break
            after_pk = rows[-1][-1]


def _cursor_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _read(cursor: str, columns: list[Any], nullable: bool) -> tuple[int, list[Any]]:
    """``(part, values)`` of a cursor :func:`paginate_keyset` gave out, typed as its columns."""
    try:
        part, *values = decode_cursor(cursor, len(columns) + 1)
        if part != 0:
            raise ValueError
        typed = [column.to_python(value) for column, value in zip(columns, values, strict=True)]
        return 0, typed
    except (ValidationFailed, ValueError, TypeError, DjangoValidationError):
        pass
    part, pk = decode_cursor(cursor, 2)
    if part != 1 or not nullable or not isinstance(pk, str):
        raise ValidationFailed.field("cursor", "is not a cursor this list gave out")
    return 1, [pk]
