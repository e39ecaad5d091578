"""Four worker processes race over the same due renewals (PostgreSQL, clock frozen).

On the sandbox, 2,000 renewals and batches of 40, so the four claim, number,
charge and record some fifty batches side by side. Afterwards every renewal
is invoiced and charged exactly once, gateway charges and payments match one
to one, outcomes are recorded once, and invoice numbers run 1..2000. On Stripe
(localstripe: some 20 ms a call) 48 renewals in batches of 3, so that every
worker still takes part; localstripe must then hold one confirmed
PaymentIntent per payment.

With ``no-lease`` every payment is stale the moment it is written, and two
more processes do nothing but what a worker pass does first
(``reconcile_pending``), over and over: they race the writer's own gateway
call and recording for the same payments. The gateway's idempotency key and
the locked, once-only recording of outcomes must still make one charge and
one outcome per payment. On Stripe they also race to prepare the same
payment's PaymentIntent: the first id stored is the one every racer confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bench.seed import Seeded
from recurra.billing.run import billing_run
from recurra.payments.models import Payment
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import Subscription
from tests.books import Books
from tests.races import invariants
from tests.races.workers import billed_per_worker, logged_errors, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
PROCESSORS = [  # books, renewals, batch
    pytest.param("sandbox", 2000, 40, id="sandbox"),
    pytest.param("stripe", 48, 3, id="stripe"),
]


def _nothing_left(seeded: Seeded) -> Callable[[], bool]:
    def done() -> bool:
        due = Subscription.objects.filter(status__in=BILLABLE, next_payment_date__lte=seeded.due_on).exists()
        return not due and not Payment.objects.filter(status="pending").exists()

    return done


@pytest.mark.parametrize("lease_seconds", [120, 0], ids=["own-lease", "no-lease"])
@pytest.mark.parametrize(("books", "n", "batch"), PROCESSORS, indirect=["books"])
def test_four_workers_bill_each_renewal_once(
    seed: Callable[[int], Seeded], books: Books, n: int, batch: int, tmp_path: Path, lease_seconds: int
) -> None:
    seeded = seed(n)
    logs = tmp_path / "logs"
    workers = [start_worker(logs, batch_size=batch, lease_seconds=lease_seconds) for _ in range(WORKERS)]
    if not lease_seconds:
        workers += [start_worker(logs, batch_size=batch, lease_seconds=0, reconciler=True) for _ in range(2)]
    try:
        wait_until(_nothing_left(seeded), timeout=90, what="every renewal is billed and recorded")
    finally:
        codes = stop_workers(workers)
    assert codes == [0] * len(workers)
    assert logged_errors(logs) == []
    billed = billed_per_worker(logs)
    assert sum(billed) == n and len(billed) == WORKERS
    assert min(billed) > 0, f"every worker took part: {billed}"
    invariants.assert_all(seeded, books)


def test_billing_threads_of_one_worker_bill_each_renewal_once(
    seed: Callable[[int], Seeded], frozen_clock: datetime
) -> None:
    """RECURRA_BILLING_THREADS: threads of one process claim disjoint batches on their own connections."""
    seeded = seed(600)

    report = billing_run(at=frozen_clock, batch_size=25, threads=3)

    assert (report.subscriptions, report.invoices) == (600, 600)
    assert report.outcomes.succeeded + report.outcomes.failed == report.payments
    invariants.assert_all(seeded)
