"""Django's PostgreSQL backend, less the ``*_like`` indexes.

For every indexed ``varchar`` column (each id, foreign key and key column
here) Django adds a second index with ``varchar_pattern_ops`` so that
``LIKE 'abc%'`` can use it. Recurra never matches those columns by prefix
(ids and keys are compared whole; searches use ``icontains``, which no btree
serves), so the second index would only be written: on the billing run's
tables it doubled the index entries of every insert and update.

And its ``timestamptz`` values are parsed by psycopg's C loader: Django's own
loader subclasses psycopg's pure-Python one (to set the time zone it wants),
which took a twentieth of the billing run's CPU. Same values, same zone.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, schema
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format

_TIMESTAMPTZ = types["timestamptz"].oid
_C_LOADER = adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)  # C when psycopg's C part is installed


class _TzLoader(Loader):
    """Django's ``timestamptz`` loader (aware in ``timezone``) over psycopg's default one."""

    timezone: Any = None  # Django compares it with the zone it wants before each cursor

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._load = _C_LOADER(oid, context).load  # type: ignore[misc]

    def load(self, data: Any) -> Any:
        value = self._load(data)  # in the connection's zone, which Django sets to its own
        zone = self.timezone
        return value if value.tzinfo is zone else value.replace(tzinfo=zone)


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model: Any, field: Any) -> None:
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        loader = type("TzLoader", (_TzLoader,), {"timezone": self.timezone})
        connection.adapters.register_loader(_TIMESTAMPTZ, loader)
        return connection
