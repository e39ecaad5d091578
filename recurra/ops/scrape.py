"""The text ``GET /metrics`` answers: this node's metrics and, read at scrape time, the database's.

From the processes (``core.metrics``): the request latency histogram and the counters of this
node's web processes. From the database (the same on every node: aggregate them with
``max without(instance)``): the queues, the reconciler's backlog, the workers' heartbeats, and
the counters each worker published in its heartbeat (labelled ``worker``). A family that comes
from both is written once, with the samples of both.

A database that does not answer leaves its gauges out and sets ``recurra_database_up`` to 0; the
processes' metrics are still served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.db import Error as DatabaseFailure
from prometheus_client import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from recurra.core import clock, metrics
from recurra.ops.heartbeats import workers_seen
from recurra.ops.selectors import queue_depths, reconcile_backlog

log = logging.getLogger(__name__)


def database_families() -> list[Metric]:
    """The gauges read from the database now, and the counters the workers published."""
    up = GaugeMetricFamily(
        "recurra_database_up", "1 when the database answered this scrape's queries, else 0."
    )
    try:
        now_ms, at = clock.epoch_ms(), clock.now()
        depths = queue_depths(at=at)
        backlog = reconcile_backlog(at=at, now_ms=now_ms)
        workers = workers_seen(now_ms=now_ms)
    except DatabaseFailure:
        log.warning("metrics: the database did not answer", exc_info=True)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)

    depth = GaugeMetricFamily(
        "recurra_queue_depth",
        "Rows of a work queue by state (due, scheduled, running, failed).",
        labels=["queue", "state"],
    )
    oldest = GaugeMetricFamily(
        "recurra_queue_oldest_due_age_seconds",
        "Seconds since the oldest due row of a queue fell due (0 when none is due).",
        labels=["queue"],
    )
    for name, found in depths.items():
        for state, rows in found.by_state().items():
            depth.add_metric([name, state], rows)
        oldest.add_metric([name], found.oldest_due_age)

    waiting = GaugeMetricFamily(
        "recurra_reconcile_backlog",
        "Payments pending past their lease, and purchases pending past 10 minutes: what the "
        "reconcilers have yet to settle.",
        labels=["kind"],
    )
    for kind, rows in backlog.items():
        waiting.add_metric([kind], rows)

    alive = GaugeMetricFamily(
        "recurra_workers", "Worker processes with a heartbeat row, live or stale.", labels=["state"]
    )
    alive.add_metric(["live"], sum(not w.stale for w in workers))
    alive.add_metric(["stale"], sum(w.stale for w in workers))
    age = GaugeMetricFamily(
        "recurra_worker_heartbeat_age_seconds", "Seconds since a worker process last beat.", labels=["worker"]
    )
    for worker in workers:
        age.add_metric([worker.name], worker.age_seconds)

    published = metrics.counts_families((w.name, w.counts) for w in workers)
    return [up, depth, oldest, waiting, alive, age, *published]


class _Families:
    """A fixed list of families, as a collector for the exposition."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def merged(*sources: Iterable[Metric]) -> list[Metric]:
    """The families of ``sources``, those of one name merged into the first of that name."""
    by_name: dict[str, Metric] = {}
    for source in sources:
        for family in source:
            first = by_name.setdefault(family.name, family)
            if first is not family:
                first.samples.extend(family.samples)
    return list(by_name.values())


def exposition() -> bytes:
    """Prometheus' text format (0.0.4) of every Recurra metric."""
    return generate_latest(_Families(merged(metrics.local_families(), database_families())))
