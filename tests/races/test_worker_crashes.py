"""A worker SIGKILLed at random points again and again, restarted after each kill, loses and doubles nothing.

On the sandbox, 3,000 renewals are due (PostgreSQL, clock frozen) and the
worker is killed fifty times. Each worker commits a random share of the work
and runs a random moment more before its SIGKILL, so the kills spread over the
first half of the run and land in every phase (claiming and writing a batch,
numbering, the gateway call, recording outcomes). Batches are 20, the payment
lease one second, so the next worker's reconciler soon takes over the payments
a killed one left ``pending``. Before each kill the test notes the committed
invoices and whether the worker was inside a transaction, to show the kills
really hit work in progress. A last worker then finishes; every invariant of a
clean run must hold.

On Stripe (localstripe, some 20 ms a call, two calls a charge) the run is
smaller and its batches are 4, so that six kills land between creating a
PaymentIntent and storing its id (an orphan, never confirmed), between storing
and confirming it, and between confirming and recording it. Localstripe must
then hold one confirmed PaymentIntent per payment, the ones of paid invoices
succeeded, each for its invoice's total; orphans stay unconfirmed.
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
from tests.books import Books
from tests.races import invariants
from tests.races.workers import logged_errors, open_transactions, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Plan:
    n: int  # renewals due
    kills: int
    batch: int  # a worker commits 0 to two batches of invoices (and a moment more): kills cover half the run
    linger: float  # the moment more, at most (seconds)
    # kills that must have hit: a transaction mid-run, distinct commits, charges not yet recorded
    in_transaction: int
    distinct: int
    pending: int


PLANS = [
    pytest.param("sandbox", Plan(3000, 50, 20, 0.1, 10, 10, 3), id="sandbox"),
    # localstripe takes some 20 ms a call, 2 calls a charge: a batch of 4 charges for 0.2 s or more,
    # where the moment more mostly lands; the last kills may find everything invoiced (eight kills,
    # so that two land in a charge however a loaded machine shifts the timing)
    pytest.param("stripe", Plan(32, 8, 4, 0.3, 0, 2, 2), id="stripe"),
]


@dataclass(frozen=True)
class Kill:
    after: float  # seconds the worker ran
    invoices: int  # committed just before the kill
    in_transaction: bool  # the worker's session was inside a transaction
    pending_after: int  # payments left pending by the kill (or before it)


def _kill_at_random(logs: Path, rng: random.Random, plan: Plan) -> Kill:
    """Start a worker, let it commit 0 to two batches of invoices and run a moment more, then SIGKILL it.

    Waiting on progress, not only on time, spreads the kills over the whole
    run however fast this machine bills.
    """
    start = Invoice.objects.count()
    began = time.monotonic()
    proc = start_worker(logs, batch_size=plan.batch, lease_seconds=1)
    target = min(start + rng.randint(0, 2 * plan.batch), plan.n)
    wait_until(lambda: Invoice.objects.count() >= target, timeout=30, what="the worker bills", poll=0.01)
    time.sleep(rng.uniform(0, plan.linger))
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


@pytest.mark.parametrize(("books", "plan"), PLANS, indirect=["books"])
def test_sigkills_at_random_then_a_clean_finish(
    seed: Callable[[int], Seeded], books: Books, plan: Plan, tmp_path: Path
) -> None:
    seeded = seed(plan.n)
    logs = tmp_path / "logs"
    seed_value = int(os.environ.get("RACES_SEED") or int.from_bytes(os.urandom(4), "big"))
    rng = random.Random(seed_value)  # printed below: RACES_SEED=<it> replays the kill times
    kills = [_kill_at_random(logs, rng, plan) for _ in range(plan.kills)]

    last = start_worker(logs, batch_size=500, lease_seconds=1)  # the clean finish, in full batches
    try:
        wait_until(
            _nothing_left(seeded), timeout=60, what="the last worker has billed and settled everything"
        )
    finally:
        assert stop_workers([last]) == [0]

    progress = [k.invoices for k in kills]
    mid_work = [k for k in kills if 0 < k.invoices < plan.n and k.in_transaction]
    summary = f"invoices before each kill: {progress}; pending after: {[k.pending_after for k in kills]}"
    orphans = books.unconfirmed()
    hit = sum(k.in_transaction for k in kills)
    print(f"seed {seed_value}; {summary}; in transaction: {hit}; orphans: {len(orphans)}")
    assert len(kills) == plan.kills
    assert progress == sorted(progress), summary  # committed work is never lost
    assert len(mid_work) >= plan.in_transaction, f"too few kills hit a transaction mid-run; {summary}"
    assert len(set(progress)) >= plan.distinct, f"too few kills between distinct commits; {summary}"
    assert sum(1 for k in kills if k.pending_after) >= plan.pending, (
        f"too few kills left charges unrecorded; {summary}"
    )
    assert logged_errors(logs) == []
    invariants.assert_all(seeded, books)
