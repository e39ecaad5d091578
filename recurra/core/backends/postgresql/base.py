"""Django's PostgreSQL backend, less the ``*_like`` indexes.

For every indexed ``varchar`` column (each id, foreign key and key column
here) Django adds a second index with ``varchar_pattern_ops`` so that
``LIKE 'abc%'`` can use it. Recurra never matches those columns by prefix
(ids and keys are compared whole; searches use ``icontains``, which no btree
serves), so the second index would only be written: on the billing run's
tables it doubled the index entries of every insert and update.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model: Any, field: Any) -> None:
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
