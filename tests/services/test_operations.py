"""What operations read and count: worker heartbeats, queue depths, the reconcilers' backlog, gateway errors.

A worker's heartbeat row over its loop:

    worker loop   start ── beat ── pass ── (5 s) ── beat ── pass ── stop
                         row made                  row beaten        row deleted
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import pytest

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.models import Purchase, PurchaseStatus
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock, metrics
from recurra.core.actors import Actor
from recurra.core.errors import ValidationFailed
from recurra.jobs.models import Job, JobStatus
from recurra.notifications.models import EmailMessage, EmailStatus
from recurra.ops import heartbeats
from recurra.ops.heartbeats import Heartbeat, heartbeats_prune, workers_seen
from recurra.ops.models import WorkerHeartbeat
from recurra.ops.selectors import QueueDepth, queue_depths, reconcile_backlog
from recurra.payments.gateways.base import GatewayError, PartlyAnswered
from recurra.payments.gateways.sandbox import SandboxGateway
from recurra.worker import loop
from tests.conftest import T0
from tests.services.test_sandbox_gateway import method, req
from tests.unit.test_metrics import local

pytestmark = pytest.mark.usefixtures("frozen_clock")
NOW_MS = 1_900_000_000_000


@pytest.fixture
def real_ms(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The real clock, held still: ``real_ms[0] += ...`` moves it."""
    now = [NOW_MS]
    monkeypatch.setattr(clock, "epoch_ms", lambda: now[0])
    return now


def rows() -> list[tuple[Any, ...]]:
    return list(WorkerHeartbeat.objects.values_list("pid", "started_ms", "beat_ms", "counts"))


def test_a_heartbeat_is_written_at_most_every_few_seconds_and_removed_at_the_stop(real_ms):
    beat = Heartbeat()
    beat.beat()
    assert rows() == [(beat.pid, NOW_MS, NOW_MS, {})]
    real_ms[0] += heartbeats.BEAT_EVERY_MS - 1
    beat.beat()
    assert rows() == [(beat.pid, NOW_MS, NOW_MS, {})]  # too soon: no write
    real_ms[0] += 1
    beat.beat()
    assert rows() == [(beat.pid, NOW_MS, NOW_MS + heartbeats.BEAT_EVERY_MS, {})]
    beat.end()
    assert rows() == []


def test_a_pruned_row_is_made_again_and_crashed_workers_rows_are_pruned(real_ms):
    WorkerHeartbeat.objects.create(host="gone", pid=1, started_ms=0, beat_ms=NOW_MS - 3_600_001)
    WorkerHeartbeat.objects.create(host="late", pid=2, started_ms=0, beat_ms=NOW_MS - 3_599_999)
    beat = Heartbeat()
    beat.beat()  # the first beat prunes what is older than an hour
    assert sorted(WorkerHeartbeat.objects.values_list("host", flat=True)) == sorted(["late", beat.host])
    WorkerHeartbeat.objects.filter(pk=beat.id).delete()  # pruned by another worker while this one hung
    beat.beat(force=True)
    assert WorkerHeartbeat.objects.filter(pid=beat.pid).count() == 1
    assert heartbeats_prune(before_ms=NOW_MS + 1) == 2


def test_workers_are_seen_youngest_first_stale_past_the_threshold(real_ms, settings):
    settings.RECURRA_WORKER_STALE_SECONDS = 60
    WorkerHeartbeat.objects.create(host="a", pid=1, started_ms=0, beat_ms=NOW_MS - 60_001)
    WorkerHeartbeat.objects.create(host="b", pid=2, started_ms=0, beat_ms=NOW_MS - 2_500, counts={"x": []})
    seen = workers_seen(now_ms=NOW_MS)
    assert [(w.name, w.age_seconds, w.stale, w.counts) for w in seen] == [
        ("b:2", 2.5, False, {"x": []}),
        ("a:1", 60.001, True, {}),
    ]


def test_the_worker_loop_beats_publishes_its_counts_and_leaves_no_row(monkeypatch, real_ms):
    stop = threading.Event()
    seen: list[tuple[int, dict[str, Any]]] = []

    def a_pass(*, at: Any, stop: threading.Event) -> loop.WorkReport:
        seen.append(WorkerHeartbeat.objects.values_list("pid", "counts").get())  # beaten before the pass
        metrics.RENEWALS_BILLED.add(2)  # what the billing step counts while the loop runs
        real_ms[0] += heartbeats.BEAT_EVERY_MS
        if len(seen) == 2:
            stop.set()
        return loop.WorkReport()

    monkeypatch.setattr(loop, "run_due_work", a_pass)
    before = local("recurra_renewals_billed_total")
    loop.run_forever(stop, interval=0)
    assert seen == [(os.getpid(), {}), (os.getpid(), {"recurra_renewals_billed": [[[], 2]]})]
    assert rows() == []  # a clean stop leaves no stale worker behind
    assert local("recurra_renewals_billed_total") == before  # published, not also counted here
    metrics.RENEWALS_BILLED.add(1)  # the loop has ended: this process counts for itself again
    assert local("recurra_renewals_billed_total") == before + 1


def test_queue_depths_by_state_and_the_oldest_due_age():
    later = T0 + timedelta(hours=1)
    for status, run_at in [
        (JobStatus.QUEUED, T0 - timedelta(minutes=5)),
        (JobStatus.QUEUED, T0),
        (JobStatus.QUEUED, later),
        (JobStatus.RUNNING, T0),
        (JobStatus.FAILED, T0),
        (JobStatus.DONE, T0),
    ]:
        Job.objects.create(kind="test", run_at=run_at, status=status)
    for status in (EmailStatus.QUEUED, EmailStatus.SENT, EmailStatus.LOGGED):
        EmailMessage.objects.create(
            to="ada@example.com", kind="receipt", run_at=T0 - timedelta(seconds=30), status=status
        )

    depths = queue_depths(at=T0)
    assert depths == {
        "jobs": QueueDepth(due=2, scheduled=1, running=1, failed=1, oldest_due_age=300.0),
        "emails": QueueDepth(due=1, scheduled=0, running=0, failed=0, oldest_due_age=30.0),
        "webhooks": QueueDepth(due=0, scheduled=0, running=0, failed=0, oldest_due_age=0.0),
        "exports": QueueDepth(due=0, scheduled=0, running=0, failed=0, oldest_due_age=0.0),
        "workflows": QueueDepth(due=0, scheduled=0, running=0, failed=0, oldest_due_age=0.0),
    }


def test_the_backlog_counts_purchases_pending_past_ten_minutes(real_ms):
    item = LineItemInput(name="Pro plan", unit_amount=1000, currency="USD", billing_frequency="monthly")
    link = payment_link_create(name="Pro", line_items=[item], actor=Actor.system(), at=T0)

    def purchase(key: str, status: str, age: timedelta) -> None:
        Purchase.objects.create(
            payment_link=link,
            email="ada@example.com",
            gateway="sandbox",
            gateway_method_id="pm",
            method_type="card",
            amount=1000,
            currency="USD",
            idempotency_key=key,
            status=status,
            created_at=T0 - age,
        )

    purchase("a", PurchaseStatus.PENDING, timedelta(minutes=11))
    purchase("b", PurchaseStatus.PENDING, timedelta(minutes=9))
    purchase("c", PurchaseStatus.COMPLETED, timedelta(days=1))
    assert reconcile_backlog(at=T0, now_ms=NOW_MS) == {"payments": 0, "purchases": 1}


def gateway_errors(operation: str, kind: str = "unanswered") -> float:
    return local("recurra_gateway_errors_total", {"gateway": "sandbox", "operation": operation, "kind": kind})


def test_gateway_calls_without_an_answer_are_counted_once_by_operation():
    gateway = SandboxGateway()
    before = {op: gateway_errors(op) for op in ("charge", "charge_many", "tokenize")}
    with pytest.raises(GatewayError):
        gateway.charge(req("k1", method(gateway, "tok_timeout")), at=T0)  # it asks its own charge_many
    with pytest.raises(PartlyAnswered):
        gateway.charge_many([req("k2", method(gateway, "tok_gateway_error"))], at=T0)
    declined = gateway.charge(req("k3", method(gateway, "tok_decline")), at=T0)  # an answer: declined
    with pytest.raises(ValidationFailed):
        gateway.tokenize("tok_nonsense", at=T0)  # an answer: no such card
    assert declined.status == "failed"
    assert {op: gateway_errors(op) - before[op] for op in before} == {
        "charge": 1,
        "charge_many": 1,
        "tokenize": 0,
    }


def test_an_unexpected_exception_is_counted_as_an_error():
    gateway = SandboxGateway()
    card = method(gateway, "tok_visa")
    gateway.charge(req("k", card), at=T0)
    before = gateway_errors("charge", "error")
    with pytest.raises(ValueError, match="idempotency"):
        gateway.charge(req("k", card, amount=2000), at=T0)  # the same key for another amount: a bug
    assert gateway_errors("charge", "error") == before + 1
