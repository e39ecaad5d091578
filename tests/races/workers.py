"""Worker processes for the race tests: forked from the test, each runs the real worker loop.

A fork starts in milliseconds (Django is already set up, and the settings
already name the test database), so a test can kill and restart workers
dozens of times. The parent closes its connections before forking; each
child opens its own. The child runs :func:`recurra.worker.loop.run_forever`
(what ``recurra worker`` runs) with a smaller batch, so that racing workers
interleave many batches, and a short payment lease, so that the reconciler
takes over a killed worker's payments quickly. SIGTERM stops it between
passes; SIGKILL is the crash. What it logs at WARNING and above, and on a
clean stop how many subscriptions it billed, go to a file the test reads.
A ``reconciler`` child runs only ``reconcile_pending`` (the first step of
every pass), in a tight loop. A child inherits the settings (so a test on
Stripe forks workers on Stripe) but opens its own HTTP connections to it.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.urls import get_resolver

FORK = mp.get_context("fork")
_numbers = itertools.count()


def _child(batch_size: int, lease_seconds: int, log_path: str, ready: Any, reconciler: bool) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ready.set()
    from django.conf import settings

    from recurra.billing import run
    from recurra.payments.gateways import stripe_client
    from recurra.worker import loop, steps

    stripe_client._client.cache_clear()  # the parent's pooled connections are not the child's
    settings.RECURRA_LEASE_SECONDS = lease_seconds
    assert run.billing_run.__kwdefaults__ is not None
    run.billing_run.__kwdefaults__["batch_size"] = batch_size  # what run_due_work's call gets
    handler = logging.FileHandler(log_path)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(process)d %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    if reconciler:
        _reconcile_forever(stop)
        return
    billed = [0]

    def counted(**kwargs: Any) -> run.RunReport:
        report = run.billing_run(**kwargs)
        billed[0] += report.subscriptions
        return report

    steps.billing_run = counted  # type: ignore[assignment]  # run_due_work's billing step, counted
    loop.run_forever(stop, interval=0.05)
    connections.close_all()
    with open(log_path, "a") as log:
        log.write(f"BILLED {billed[0]}\n")


def _reconcile_forever(stop: threading.Event) -> None:
    """Only the first step of every worker pass, over and over: what a pass starting now does."""
    from recurra.billing.reconcile import reconcile_pending
    from recurra.core import clock

    while not stop.is_set():
        try:
            reconcile_pending(at=clock.now())
        except Exception:
            logging.getLogger("recurra.worker").exception("reconcile failed")
        stop.wait(0.01)
    connections.close_all()


def start_worker(
    log_dir: Path, *, batch_size: int, lease_seconds: int, reconciler: bool = False
) -> mp.process.BaseProcess:
    """Fork one worker, or with ``reconciler`` a loop of ``reconcile_pending`` alone.

    The caller's connections are closed first: a child must not share them.
    What every child would otherwise load on its own is loaded here once: the
    URL conf (a worker's notices reverse URLs), seconds of imports.
    """
    get_resolver().reverse_dict  # noqa: B018  # populated now, inherited by every fork
    connections.close_all()
    log_dir.mkdir(exist_ok=True)
    log_path = log_dir / f"{'reconciler' if reconciler else 'worker'}-{next(_numbers)}.log"
    ready = FORK.Event()
    proc = FORK.Process(target=_child, args=(batch_size, lease_seconds, str(log_path), ready, reconciler))
    proc.start()
    assert ready.wait(10), "the worker did not start"  # its SIGTERM handler is in place
    return proc


def stop_workers(procs: list[mp.process.BaseProcess], timeout: float = 30) -> list[int | None]:
    """SIGTERM each, wait for each pass to end; the exit codes."""
    for proc in procs:
        if proc.is_alive() and proc.pid:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.join(timeout)
        if proc.is_alive():  # stuck: do not hang the suite
            proc.kill()
            proc.join()
    return [proc.exitcode for proc in procs]


def wait_until(done: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.1) -> float:
    """Poll ``done`` (on the caller's own connection) until true; seconds taken, AssertionError on timeout."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        time.sleep(poll)
    return time.monotonic() - started


def billed_per_worker(log_dir: Path) -> list[int]:
    """How many subscriptions each worker that stopped cleanly billed (one number per worker)."""
    return [
        int(line.split()[1])
        for path in sorted(log_dir.glob("*.log"))
        for line in path.read_text().splitlines()
        if line.startswith("BILLED ")
    ]


def logged_errors(log_dir: Path) -> list[str]:
    """ERROR (and worse) lines the workers logged; warnings are allowed."""
    lines = []
    for path in sorted(log_dir.glob("*.log")):
        lines.extend(
            line for line in path.read_text().splitlines() if " ERROR " in line or " CRITICAL " in line
        )
    return lines


def open_transactions() -> int:
    """Other sessions on this database now inside a transaction (the worker, mid-batch)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return int(cursor.fetchone()[0])
