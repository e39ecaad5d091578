"""Recurra's Prometheus metrics: the definitions any layer counts into, and where the counts live.

Definitions are here, low in the layers, so that a gateway call (payments) or a worker step can
count without knowing who reads. Reading (``GET /metrics``, the gauges computed from the database at
scrape time) is ``recurra.ops``. docs/operations.md lists every metric.

Where a count lives depends on the process (prometheus-client keeps values per process):

- A process serving requests keeps its values in memory, or, when several processes serve
  (gunicorn), in prometheus-client's multiprocess files: :func:`multiprocess_prepare` before the
  fork, :func:`child_exit` as gunicorn's ``child_exit`` hook. Any of them then answers for all.
- A process running the worker loop (``recurra worker``, or the worker thread of ``recurra serve``)
  keeps its counters in a tally instead (:func:`counts_published`), which its heartbeat row carries to
  the database every few seconds: ``/metrics`` on any web node shows every worker's counters,
  labelled ``worker``, wherever the worker runs. Counted in one place only, so nothing is counted twice.

Only counters go through the tally; the request latency histogram is a web process's own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, values
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.metrics_core import Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

disable_created_metrics()  # no ``*_created`` series: they double the output and nobody graphs them
# Recurra's own registry: no process or platform collectors (they would show versions). Rebuilt by
# multiprocess_prepare, with every metric in it.
REGISTRY = CollectorRegistry()


class Count:
    """A counter with fixed label names; :meth:`add` counts into this process's values or, in a
    process that publishes its counts through its worker heartbeat, into the tally."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> None:
        self.name = name  # the family's name (the samples end in ``_total``)
        self.documentation = documentation
        self.labels = labels
        self.build(REGISTRY)

    def build(self, registry: CollectorRegistry) -> None:
        self.counter = Counter(self.name, self.documentation, self.labels, registry=registry)

    def add(self, amount: float = 1, **labels: str) -> None:
        """Count ``amount`` (nothing when 0); ``labels`` name exactly the counter's labels (ValueError
        otherwise)."""
        if amount <= 0:
            return
        if labels.keys() != set(self.labels):
            raise ValueError(f"{self.name} takes the labels {self.labels}, not {tuple(labels)}")
        if _tally.publishing():
            _tally.add(self.name, tuple(labels[name] for name in self.labels), amount)
        elif self.labels:
            self.counter.labels(**labels).inc(amount)
        else:
            self.counter.inc(amount)


RENEWALS_BILLED = Count(
    "recurra_renewals_billed",
    "Subscription periods billed by the billing run (an invoice each).",
)
PAYMENTS = Count(
    "recurra_payments",
    "Payment outcomes recorded by the worker's steps (the billing run, reconciling, settling, retries).",
    ("outcome", "step"),
)
GATEWAY_ERRORS = Count(
    "recurra_gateway_errors",
    "Calls to a payment gateway that ended without an answer (timeout, connection, processor error: "
    "unanswered) or with an unexpected exception (error). Declines and refusals are answers.",
    ("gateway", "operation", "kind"),
)
COUNTS: tuple[Count, ...] = (RENEWALS_BILLED, PAYMENTS, GATEWAY_ERRORS)


class _Requests:
    """The request latency histogram, and its children by labels: a request pays one dict look-up
    instead of prometheus-client's ``labels()`` (validation and a lock)."""

    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

    def __init__(self) -> None:
        self.build(REGISTRY)

    def build(self, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "recurra_http_request_duration_seconds",
            "Time to answer a request, by URL pattern (never the raw path), method and status class.",
            ("route", "method", "status"),
            buckets=self.BUCKETS,
            registry=registry,
        )
        self.children: dict[tuple[str, str, str], Histogram] = {}


_requests = _Requests()
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    """One answered request: ``route`` is its URL pattern; an unusual method counts as ``OTHER``."""
    key = (route, method if method in METHODS else "OTHER", f"{status // 100}xx")
    child = _requests.children.get(key)
    if child is None:
        child = _requests.children.setdefault(key, _requests.histogram.labels(*key))
    child.observe(seconds)


class _Tally:
    """The counts of the process that publishes them through its heartbeat (one at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = 0  # the publishing process; a forked child is not it
        self.counts: dict[tuple[str, tuple[str, ...]], float] = {}

    def publishing(self) -> bool:
        return self.pid == os.getpid()

    def add(self, name: str, label_values: tuple[str, ...], amount: float) -> None:
        with self.lock:
            key = (name, label_values)
            self.counts[key] = self.counts.get(key, 0) + amount


_tally = _Tally()


def counts_published(on: bool) -> None:
    """From now on (``on``) this process's counters go to the tally that its worker heartbeat
    publishes, starting from zero; off again when its worker loop ends."""
    with _tally.lock:
        _tally.pid = os.getpid() if on else 0
        _tally.counts = {}


def counts_snapshot() -> dict[str, list[list[object]]]:
    """The tally as JSON: ``{family: [[label values...], value], ...}`` (what a heartbeat stores)."""
    with _tally.lock:
        items = sorted(_tally.counts.items())
    snapshot: dict[str, list[list[object]]] = {}
    for (name, label_values), value in items:
        snapshot.setdefault(name, []).append([list(label_values), value])
    return snapshot


def counts_families(snapshots: Iterable[tuple[str, dict[str, list[list[object]]]]]) -> Iterator[Metric]:
    """Counter families of published snapshots, each sample labelled ``worker`` with its owner's
    name; a family or label set that is not (or no longer) defined is left out."""
    by_name = {count.name: count for count in COUNTS}
    families: dict[str, Metric] = {}
    for worker, snapshot in snapshots:
        for name, rows in snapshot.items():
            count = by_name.get(name)
            if count is None:
                continue
            family = families.setdefault(name, Metric(name, count.documentation, "counter"))
            for label_values, value in rows:
                if not isinstance(label_values, list) or len(label_values) != len(count.labels):
                    continue
                labels = dict(zip(count.labels, map(str, label_values), strict=True)) | {"worker": worker}
                family.add_sample(f"{name}_total", labels, float(value))  # type: ignore[arg-type]
    yield from families.values()


def local_families() -> list[Metric]:
    """This process's metrics; with the multiprocess directory set, those of every process sharing it."""
    if os.environ.get(MULTIPROC_ENV):
        return list(prometheus_multiprocess.MultiProcessCollector(None).collect())
    return list(REGISTRY.collect())


def multiprocess_prepare(directory: str | Path | None = None) -> Path:
    """Make this process (and the ones it forks) keep metric values in ``directory``'s files: the
    server calls it once at start, before it forks its workers.

    ``directory``: else ``$PROMETHEUS_MULTIPROC_DIR``, else ``<data dir>/prometheus``. It is created
    (0700) and emptied of the files of an earlier run, whose processes are gone (their counts would
    otherwise be added to the new ones). Values counted earlier in this process are not carried over.
    """
    from django.conf import settings

    chosen = directory or os.environ.get(MULTIPROC_ENV) or Path(settings.RECURRA_DATA_DIR) / "prometheus"
    path = Path(chosen).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    # prometheus-client picks where values live when it is imported (settings may have imported it
    # before the server started): pick again, and make every metric anew so that its values are files.
    values.ValueClass = values.get_value_class()
    global REGISTRY
    REGISTRY = CollectorRegistry()
    for count in COUNTS:
        count.build(REGISTRY)
    _requests.build(REGISTRY)
    return path


def child_exit(server: object, worker: object) -> None:
    """gunicorn's ``child_exit(server, worker)`` hook: a worker process that ended keeps no live
    values (its counts stay and are still added up)."""
    pid = getattr(worker, "pid", None)
    if pid is not None and os.environ.get(MULTIPROC_ENV):
        prometheus_multiprocess.mark_process_dead(pid)
