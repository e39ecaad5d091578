"""Model instances for hot paths, made without ``Model.__init__``.

``Model.__init__`` walks every field and sets each through its descriptor;
for the billing run's tens of thousands of rows per batch that cost more
than the database did. The instances made here are ordinary ones (save,
refresh, related access and ``_state`` behave as usual), but their
``__dict__`` is filled in one step:

- :func:`build` makes a new, unsaved instance: the values given, every other
  field at its default (ids come from their field's default like any other).
- :func:`fetch` loads a queryset's rows as stored instances: every concrete
  field, read through ``values_list`` (so the backend's converters run);
  :func:`stored` makes one from values already read.
- :func:`fetch_by_pk` is :func:`fetch` of some ids, by id.
- :func:`attach` caches related instances loaded by another :func:`fetch`,
  and :func:`load_related` loads and caches those not cached yet: in place
  of ``select_related``.
- :func:`any_of` filters on a batch's ids (hundreds) with one parameter.

No ``pre_init``/``post_init`` signals are sent: keep these to models without
receivers for them (Recurra has none).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import F, Lookup
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

M = TypeVar("M", bound=models.Model)


@functools.cache
def attnames(model: type[models.Model]) -> tuple[str, ...]:
    """The attribute names of ``model``'s concrete fields (``contact_id`` for ``contact``), in order."""
    return tuple(f.attname for f in model._meta.concrete_fields)


@functools.cache
def plain_attributes(model: type[models.Model]) -> bool:
    """Whether each concrete field's attribute reads what the instance's ``__dict__`` holds (no
    file or other wrapper fields), so that hot paths may read ``__dict__`` without a Python
    descriptor call per foreign key."""
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return all(type(getattr(model, f.attname, None)) in plain for f in model._meta.concrete_fields)


@functools.cache
def _foreign_keys(model: type[models.Model]) -> dict[str, str]:
    """Each foreign key's attribute name (``contact_id``) by its field name (``contact``)."""
    return {f.name: f.attname for f in model._meta.concrete_fields if f.name != f.attname}


@functools.cache
def _attname_set(model: type[models.Model]) -> frozenset[str]:
    return frozenset(attnames(model))


def defaults(fields: Iterable[models.Field]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """The fields' defaults as Django gives them (``Field.get_default``), split in two: the
    constant ones by attribute name, and the makers called afresh for each row (callables: ids,
    ``dict``, ``clock.now``): copying one dict costs less than asking each field."""
    constant: dict[str, Any] = {}
    makers = []
    for f in fields:
        if f.has_default() and callable(f.default):  # a field's own get_default may wrap it (FK)
            plain = type(f).get_default is models.Field.get_default
            makers.append((f.attname, f.default if plain else f.get_default))
        else:  # the default itself, or "" or None: the same object each time
            constant[f.attname] = f.get_default()
    return constant, tuple(makers)


@functools.cache
def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    return defaults(model._meta.concrete_fields)  # type: ignore[arg-type]


def _made(model: type[M], values: dict[str, Any], db: str | None) -> M:
    obj = model.__new__(model)
    state = ModelState()
    if db is not None:
        state.adding, state.db = False, db
    values["_state"] = state
    obj.__dict__ = values
    return obj


def build(model: type[M], **values: Any) -> M:
    """A new instance of ``model``: ``values`` by attribute name (``contact_id``), the rest defaulted.

    A foreign key may also be given as the related instance under its field
    name (``contact=``): its id is set and the instance cached.
    """
    related = {}
    foreign = _foreign_keys(model)
    for name in values.keys() - _attname_set(model):  # a foreign key by its field name
        attname = foreign[name] if name in foreign else model._meta.get_field(name).attname  # type: ignore[union-attr]
        related[name] = value = values.pop(name)
        values[attname] = None if value is None else value.pk
    constant, makers = _defaults(model)
    for attname, make in makers:
        if attname not in values:
            values[attname] = make()
    obj = _made(model, constant | values, None)
    if related:
        obj._state.fields_cache.update(related)
    return obj


def stored(model: type[M], values: dict[str, Any], db: str) -> M:
    """A stored instance of ``model`` from ``values`` of every concrete field by attribute name
    (as read from database ``db``; the dict becomes the instance's)."""
    return _made(model, values, db)


def fetch(qs: models.QuerySet[M]) -> list[M]:
    """The rows of ``qs`` as stored instances of its model (all concrete fields)."""
    model = qs.model
    names = attnames(model)
    db = qs.db
    return [_made(model, dict(zip(names, row, strict=True)), db) for row in qs.values_list(*names)]


def fetch_by_pk(model: type[M], pks: Iterable[Any]) -> dict[Any, M]:
    """The stored rows of ``pks`` (None ignored), unlocked, by id."""
    wanted = {pk for pk in pks if pk is not None}
    if not wanted:
        return {}
    return {obj.pk: obj for obj in fetch(model._default_manager.filter(any_of("pk", wanted)))}


class _AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any_of"
    prepare_rhs = False

    def _prepared(self, connection: Any) -> list[Any]:
        field = self.lhs.output_field
        return [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            literal = _array_literal([v for v in self.rhs if v is not None])
            if literal is not None:  # PostgreSQL parses each element as the column's type
                cast = self.lhs.output_field.cast_db_type(connection)
                return f"{lhs} = ANY(%s::{cast}[])", (*lhs_params, literal)
            return f"{lhs} = ANY(%s)", (*lhs_params, self._prepared(connection))
        values = self._prepared(connection)
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


# In an array's text form an element is quoted when it holds a brace, quote, backslash or
# whitespace (or a comma, the delimiter), or is empty or NULL.
_QUOTED = '{}"\\ \t\n\r\v\f'


def _array_literal(values: list[Any]) -> str | None:
    """``{a,b,c}``, PostgreSQL's text form of an array of strings or integers none of which needs
    quoting (ids, keys, numbers), made in C by one join and a few scans; else None. psycopg
    would dump a list element by element in Python (about 1 us each, a batch's 500 ids in each
    of ten queries)."""
    if not all(type(v) is str or type(v) is int for v in values):
        return None
    text = ",".join(map(str, values))
    if not text or text.count(",") != len(values) - 1 or ",," in text or text[0] == "," or text[-1] == ",":
        return None  # no values, a comma in one, or an empty one
    if any(c in text for c in _QUOTED) or "null" in text.lower():
        return None
    return "{" + text + "}"


def any_of(field: str, values: Iterable[Any]) -> Lookup:  # type: ignore[type-arg]
    """``field__in=values`` as one array parameter on PostgreSQL (``= ANY(%s)``).

    Django writes ``IN (%s, %s, ...)``: with hundreds of ids the client parses
    the statement's placeholders and quotes each value, and the server parses
    and plans each constant, per query; an array is one value for both.
    Elsewhere (SQLite) it is ``IN`` as before. Use it as ``qs.filter(any_of("pk", ids))``.
    """
    return _AnyOf(F(field), list(values))


def load_related(objs: Iterable[models.Model], name: str) -> None:
    """Fetch and cache the ``name`` foreign key of each object not caching it yet, in one query."""
    missing = [obj for obj in objs if name not in obj._state.fields_cache]
    if missing:
        model = missing[0]._meta.get_field(name).related_model
        attname = missing[0]._meta.get_field(name).attname  # type: ignore[union-attr]
        attach(missing, name, fetch_by_pk(model, (getattr(obj, attname) for obj in missing)))  # type: ignore[arg-type]


def attach(objs: Iterable[models.Model], name: str, related: Mapping[Any, models.Model]) -> None:
    """Cache ``related[obj.<name>_id]`` as ``obj.<name>`` (None when absent) for each object."""
    objs = list(objs)
    if not objs:
        return
    attname = objs[0]._meta.get_field(name).attname  # type: ignore[union-attr]
    for obj in objs:
        obj._state.fields_cache[name] = related.get(getattr(obj, attname))
