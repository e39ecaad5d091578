"""Counting a list's rows: exactly when that is quick, else the planner's estimate (saying so).

An exact count reads every match: a million index entries take PostgreSQL
about 0.1 s, but a filter it cannot answer from an index (a text search
across the contact's names) can take a second. So the count runs under a
statement timeout of :data:`BUDGET_MS`; past it, PostgreSQL's planner
estimates the count from its statistics, never below what is known to exist
(``at_least``). SQLite, the small embedded default, always counts exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet

BUDGET_MS = 200


@dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool


def count_rows(qs: QuerySet, *, at_least: int = 0, budget_ms: int = BUDGET_MS) -> RowCount:
    """How many rows ``qs`` has: exact when counted within ``budget_ms``, else an estimate."""
    qs = qs.order_by()
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return RowCount(qs.count(), exact=True)
    counted = None
    with transaction.atomic(using=qs.db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = %s", [budget_ms])
        try:
            with transaction.atomic(using=qs.db):  # a savepoint: the cancelled count rolls back alone
                counted = qs.count()
        except OperationalError:  # the timeout (QueryCanceled)
            pass
        cursor.execute("SET LOCAL statement_timeout = DEFAULT")  # a caller's transaction goes on
    if counted is not None:
        return RowCount(counted, exact=True)
    plan = json.loads(qs.explain(format="json"))[0]["Plan"]
    return RowCount(max(int(plan["Plan Rows"]), at_least), exact=False)
