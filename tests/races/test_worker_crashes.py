"""A worker SIGKILLed at random points fifty times, restarted after each kill, loses and doubles nothing.

3,000 renewals are due (PostgreSQL, clock frozen). Each worker commits a
random share of the work and runs a random moment more before its SIGKILL,
so the kills spread over the first half of the run and land in every phase
(claiming and writing a batch, numbering, the gateway call, recording
outcomes). Batches are 20, the payment lease one second, so the next
worker's reconciler soon takes over the payments a killed one left
``pending``. Before each kill the test notes the committed invoices and
whether the worker was inside a transaction, to show the kills really hit
work in progress. A last worker then finishes; every invariant of a clean
run must hold.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.seed import Seeded
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import Subscription
from tests.races import invariants
from tests.races.workers import logged_errors, open_transactions, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 3000
KILLS = 50
BATCH = 20
STRIDE = 2 * BATCH  # a worker commits 0 to STRIDE invoices (and a moment more): kills cover half the run


@dataclass(frozen=True)
class Kill:
    after: float  # seconds the worker ran
    invoices: int  # committed just before the kill
    in_transaction: bool  # the worker's session was inside a transaction
    pending_after: int  # payments left pending by the kill (or before it)


def _kill_at_random(logs: Path, rng: random.Random) -> Kill:
    """Start a worker, let it commit 0 to STRIDE invoices and run up to 0.1 s more, then SIGKILL it.

    Waiting on progress, not only on time, spreads the kills over the whole
    run however fast this machine bills.
    """
    start = Invoice.objects.count()
    began = time.monotonic()
    proc = start_worker(logs, batch_size=BATCH, lease_seconds=1)
    target = start + rng.randint(0, STRIDE)
    wait_until(
        lambda: Invoice.objects.count() >= min(target, N), timeout=30, what="the worker bills", poll=0.01
    )
    time.sleep(rng.uniform(0, 0.1))
    invoices = Invoice.objects.count()
    in_transaction = open_transactions() > 0
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert proc.exitcode == -signal.SIGKILL
    pending = Payment.objects.filter(status="pending").count()
    return Kill(time.monotonic() - began, invoices, in_transaction, pending)


def _nothing_left(seeded: Seeded) -> Callable[[], bool]:
    def done() -> bool:
        due = Subscription.objects.filter(status__in=BILLABLE, next_payment_date__lte=seeded.due_on).exists()
        return not due and not Payment.objects.filter(status="pending").exists()

    return done


def test_fifty_sigkills_then_a_clean_finish(seed: Callable[[int], Seeded], tmp_path: Path) -> None:
    seeded = seed(N)
    logs = tmp_path / "logs"
    seed_value = int(os.environ.get("RACES_SEED") or int.from_bytes(os.urandom(4), "big"))
    rng = random.Random(seed_value)  # printed below: RACES_SEED=<it> replays the kill times
    kills = [_kill_at_random(logs, rng) for _ in range(KILLS)]

    last = start_worker(logs, batch_size=500, lease_seconds=1)  # the clean finish, in full batches
    try:
        wait_until(
            _nothing_left(seeded), timeout=60, what="the last worker has billed and settled everything"
        )
    finally:
        assert stop_workers([last]) == [0]

    progress = [k.invoices for k in kills]
    mid_work = [k for k in kills if 0 < k.invoices < N and k.in_transaction]
    summary = f"invoices before each kill: {progress}; pending after: {[k.pending_after for k in kills]}"
    print(f"seed {seed_value}; {summary}; in transaction: {sum(k.in_transaction for k in kills)}")
    assert len(kills) == KILLS
    assert progress == sorted(progress), summary  # committed work is never lost
    assert len(mid_work) >= 10, f"too few kills hit a transaction mid-run; {summary}"
    assert len(set(progress)) >= 10, f"too few kills between distinct commits; {summary}"
    assert sum(1 for k in kills if k.pending_after) >= 3, f"too few kills left charges unrecorded; {summary}"
    assert logged_errors(logs) == []
    invariants.assert_all(seeded)
