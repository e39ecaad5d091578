"""The reconciler SIGKILLed again and again still makes progress, and settles every payment once.

1,000 renewals were written (invoice and ``pending`` payment) by a run that
died before calling the gateway (PostgreSQL, clock frozen, leases over). A
reconciler process (the worker pass's first step, in a loop) is started and,
once it has recorded answers, SIGKILLed a random moment (at most 0.3 s)
later, six times: since answers are recorded in small groups, each life
records some and none records a whole chunk of 500 (with one record per
chunk, the kills found nothing recorded, or everything). A last reconciler finishes; then each payment has
exactly one sandbox charge, records it, and its outcome event was written once.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from bench.seed import Seeded
from recurra.billing.run import RunReport, _invoice_batch
from recurra.core.models import Event
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment
from tests.races.workers import logged_errors, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 1000
KILLS = 6
LIFE = 0.3  # at most, seconds each reconciler runs on after it has recorded answers, before its SIGKILL


def _written_not_charged(seeded: Seeded, at: datetime) -> int:
    """The run's first step for every due renewal (invoice, pending payment), then "the worker died"."""
    today = date.fromisoformat(seeded.due_on)
    while _invoice_batch(at=at, today=today, limit=500, report=RunReport())[0]:
        pass
    return Payment.objects.filter(status="pending").count()


def _settled() -> int:
    return Payment.objects.exclude(status="pending").count()


def test_a_reconciler_killed_six_times_makes_progress_and_settles_each_payment_once(
    seed: Callable[[int], Seeded], frozen_clock: datetime, settings: Any, tmp_path: Path
) -> None:
    settings.RECURRA_LEASE_SECONDS = 0  # the writer's lease is over at once
    seeded = seed(N)
    pending = _written_not_charged(seeded, frozen_clock)
    assert (
        pending == N - N // 20
        and SandboxCharge.objects.exclude(idempotency_key__startswith="seed/").count() == 0
    )
    logs = tmp_path / "logs"
    time.sleep(0.01)  # the leases (real ms) are now in the past

    settled = [_settled()]
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    for _ in range(KILLS):
        proc = start_worker(logs, batch_size=20, lease_seconds=1, reconciler=True)
        # Progress, not time, decides: a reconciler that records nothing fails this wait (a slow,
        # loaded machine only makes it wait longer); then it is killed a random moment later.
        wait_until(
            lambda before=settled[-1]: _settled() > before,
            timeout=30,
            what="the reconciler records answers",
            poll=0.01,
        )
        time.sleep(rng.uniform(0, LIFE))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        settled.append(_settled())

    assert settled[0] == 0
    assert all(0 < b - a < 500 for a, b in pairwise(settled)), f"settled after each kill: {settled}"
    assert settled[-1] < pending, f"the kills came too late to test anything: {settled}"
    last = start_worker(logs, batch_size=20, lease_seconds=1, reconciler=True)
    try:
        wait_until(lambda: _settled() == pending, timeout=60, what="every payment is settled")
    finally:
        assert stop_workers([last]) == [0]

    print(f"settled after each kill: {settled}")
    payments = list(Payment.objects.values_list("pk", "idempotency_key", "gateway_charge_id", "status"))
    charges = dict(
        SandboxCharge.objects.exclude(idempotency_key__startswith="seed/").values_list(
            "idempotency_key", "pk"
        )
    )
    assert len(payments) == pending and len(charges) == pending  # one charge per payment key
    assert {key: charge for _, key, charge, _ in payments} == charges  # each payment records its own
    assert Counter(status for *_, status in payments) == {"succeeded": N * 18 // 20, "failed": N // 20}
    outcomes = Counter(
        Event.objects.filter(type__in=("payment.succeeded", "payment.failed")).values_list(
            "object_id", flat=True
        )
    )
    assert outcomes == dict.fromkeys((pk for pk, *_ in payments), 1)  # each recorded exactly once
    assert logged_errors(logs) == []
