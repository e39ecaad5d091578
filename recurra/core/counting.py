"""Counting a list's rows: exactly up to a threshold, estimated above it (and saying so).

Counting a million rows exactly costs a scan of a million index entries on
every page view. Up to :data:`EXACT_UP_TO` rows the count is exact (a count
of at most that many rows, stopped there); above it PostgreSQL's planner
estimates the filtered count from its statistics, never less than the
threshold. SQLite has no planner estimate: it always counts exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

EXACT_UP_TO = 10_000


@dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool


def count_rows(qs: QuerySet, *, exact_up_to: int = EXACT_UP_TO) -> RowCount:
    """How many rows ``qs`` has: exact when at most ``exact_up_to``, else an estimate."""
    qs = qs.order_by()
    if connections[qs.db].vendor != "postgresql":
        return RowCount(qs.count(), exact=True)
    counted = qs[: exact_up_to + 1].count()
    if counted <= exact_up_to:
        return RowCount(counted, exact=True)
    plan = json.loads(qs.explain(format="json"))[0]["Plan"]
    return RowCount(max(int(plan["Plan Rows"]), counted), exact=False)
