"""The worker loop: :func:`~recurra.worker.steps.run_due_work` at the clock's now, again and again."""

from __future__ import annotations

import logging
import threading

from recurra.core import clock
from recurra.worker.steps import WorkReport, run_due_work

log = logging.getLogger("recurra.worker")


def run_forever(stop: threading.Event, *, interval: float = 1.0) -> None:
    """Repeat passes until ``stop`` is set; errors are logged, not fatal.

    A set ``stop`` also ends the pass under way between items (a batch of emails
    gives back the rows it has not started), so the loop returns within about one
    item's time.
    """
    log.info("worker started")
    while not stop.is_set():
        try:
            report = run_due_work(at=clock.now(), stop=stop)
        except Exception:
            log.exception("worker pass failed; trying again")
            report = WorkReport()
        if report.idle:
            stop.wait(interval)
    log.info("worker stopped")
