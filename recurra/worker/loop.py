"""The worker loop: :func:`~recurra.worker.steps.run_due_work` at the clock's now, again and again.

While it runs, the process beats its heartbeat between passes (``ops.heartbeats``) and its
counters go to the heartbeat's tally (``core.metrics.counts_published``), so that ``/metrics`` on
any web node shows them.
"""

from __future__ import annotations

import logging
import threading

from recurra.core import clock, metrics
from recurra.ops.heartbeats import Heartbeat
from recurra.worker.steps import WorkReport, run_due_work

log = logging.getLogger("recurra.worker")


def run_forever(stop: threading.Event, *, interval: float = 1.0) -> None:
    """Repeat passes until ``stop`` is set; errors are logged, not fatal.

    A set ``stop`` also ends the pass under way between items (a batch of emails
    gives back the rows it has not started), so the loop returns within about one
    item's time.
    """
    log.info("worker started")
    heartbeat = Heartbeat()
    metrics.counts_published(True)
    try:
        while not stop.is_set():
            heartbeat.beat()  # at most every few seconds
            try:
                report = run_due_work(at=clock.now(), stop=stop)
            except Exception:
                log.exception("worker pass failed; trying again")
                report = WorkReport()
            if report.idle:
                stop.wait(interval)
    finally:
        metrics.counts_published(False)
        heartbeat.end()
    log.info("worker stopped")
