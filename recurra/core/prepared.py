"""Hot reads whose SQL is compiled once per process instead of at every request.

On a small indexed read (an API key by its hash, a subscription by id),
building a queryset and compiling it to SQL costs the ORM several times what
the database spends answering it. A :class:`Prepared` read asks the ORM for
its SQL once: it builds the queryset from marker strings in place of the
arguments, finds each marker among the compiled parameters, and keeps the SQL,
the parameter order and the backend's value converters. A call then only
binds the arguments, runs the SQL and converts each value as the ORM would.

- Arguments are ids and other strings (a marker must reach the SQL unchanged,
  else compiling raises ValueError); values written in ``build`` itself (a
  status, a flag) stay as compiled. A list argument becomes one marker per
  item, so each list length has its own compiled form (at most
  :data:`SHAPES` kept per read).
- Rows come back as ``values_list`` tuples of the columns named, or, with
  ``model=``, as stored instances (``core.instances.stored``).
- A compiled form is kept per database alias and vendor; the SQL is the ORM's
  own, so a model change shows in it at the next start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models import QuerySet

from recurra.core.instances import attnames, stored

M = TypeVar("M", bound=models.Model)
SHAPES = 64
_MARK = "\x00prepared:"


class _Compiled:
    __slots__ = ("converters", "slots", "sql")

    def __init__(self, sql: str, slots: list[tuple[int | None, int | None, Any]], converters: list[Any]):
        self.sql, self.slots, self.converters = sql, slots, converters  # slot: (argument, item, constant)


class Prepared(Generic[M]):
    """A read of ``model`` compiled once; ``build(*args)`` makes its queryset (see the module's doc).

    ``columns`` (default: every concrete field) are what each row holds, in order.
    """

    def __init__(
        self,
        model: type[M],
        build: Callable[..., QuerySet[M]],
        *,
        columns: Sequence[str] | None = None,
        using: str = "default",
    ) -> None:
        self.model, self.build, self.using = model, build, using
        self.columns = tuple(columns) if columns is not None else attnames(model)
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *args: str | Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows for ``args``, each a tuple of :attr:`columns`' values as the ORM reads them."""
        connection = connections[self.using]
        compiled = self._compile(connection, args)
        params: list[Any] = [
            constant if arg is None else args[arg] if item is None else args[arg][item]
            for arg, item, constant in compiled.slots
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            found = cursor.fetchall()
        if not compiled.converters:
            return found
        out = []
        for row in found:
            values = list(row)
            for pos, converters, expression in compiled.converters:
                value = values[pos]
                for converter in converters:
                    value = converter(value, expression, connection)
                values[pos] = value
            out.append(tuple(values))
        return out

    def objects(self, *args: str | Sequence[str]) -> list[M]:
        """The rows for ``args`` as stored instances of the model (every concrete field read)."""
        return [
            stored(self.model, dict(zip(self.columns, row, strict=True)), self.using)
            for row in self.rows(*args)
        ]

    def _compile(self, connection: Any, args: tuple[Any, ...]) -> _Compiled:
        key = (connection.vendor, *(len(a) if not isinstance(a, str) else None for a in args))
        compiled = self._compiled.get(key)
        if compiled is not None:
            return compiled
        markers = [
            f"{_MARK}{n}" if isinstance(a, str) else [f"{_MARK}{n}.{i}" for i in range(len(a))]
            for n, a in enumerate(args)
        ]
        qs = self.build(*markers).values_list(*self.columns)
        compiler = qs.query.get_compiler(using=self.using, connection=connection)
        sql, params = compiler.as_sql()
        slots: list[tuple[int | None, int | None, Any]] = []
        for param in params:
            if isinstance(param, str) and param.startswith(_MARK):
                number, _, item = param.removeprefix(_MARK).partition(".")
                slots.append((int(number), int(item) if item else None, None))
            else:
                slots.append((None, None, param))  # a value of the query itself (a status, a flag)
        missing = {n for n, a in enumerate(args) if isinstance(a, str) or a} - {n for n, _, _ in slots}
        if missing:
            raise ValueError(f"{self.model.__name__}: an argument did not reach the SQL unchanged: {missing}")
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()]
        compiled = _Compiled(sql, slots, converters)
        with self._lock:
            if len(self._compiled) >= SHAPES:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[key] = compiled
        return compiled
