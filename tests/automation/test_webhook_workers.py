"""Worker processes and webhook deliveries (PostgreSQL: forked workers share committed data).

- Two workers, 1,000 events: every delivery is POSTed exactly once (``SKIP LOCKED`` claims and
  leases give each attempt to one worker).
- A worker SIGKILLed after its POST reached the receiver but before the answer was recorded: once
  its lease expires the delivery is claimed again and POSTed again, with the same ``webhook-id``
  (at-least-once); receivers deduplicate on it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from recurra.automation.models import WebhookAttempt, WebhookDelivery
from recurra.automation.webhooks import services
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.jobs import runner
from tests.automation.receiver import Receiver
from tests.races.workers import logged_errors, start_worker, stop_workers, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SYSTEM = Actor.system()


def _endpoint(receiver: Receiver) -> None:
    made = services.endpoint_create(
        url=receiver.url, enabled_events=["contact.created"], actor=SYSTEM, at=clock.now()
    )
    receiver.secrets.append(made.secret)


def test_two_workers_post_each_of_1000_events_exactly_once(
    frozen_clock: datetime, receiver: Receiver, tmp_path: Path
) -> None:
    _endpoint(receiver)
    for n in range(1000):
        contact_create(actor=SYSTEM, email=f"c{n}@example.com", first_name="C")
    assert WebhookDelivery.objects.count() == 1000
    workers = [start_worker(tmp_path, batch_size=40, lease_seconds=60) for _ in range(2)]
    try:
        wait_until(
            lambda: not WebhookDelivery.objects.exclude(status="succeeded").exists(),
            timeout=120,
            what="every delivery succeeded",
        )
    finally:
        stop_workers(workers)
    posts = Counter(r.id for r in receiver.received)
    assert len(posts) == 1000 and set(posts.values()) == {1}, posts.most_common(3)
    assert all(r.verified_by == receiver.secrets for r in receiver.received)
    assert WebhookAttempt.objects.count() == 1000
    assert set(WebhookDelivery.objects.values_list("attempts", flat=True)) == {1}
    assert logged_errors(tmp_path) == []


def test_a_worker_killed_between_the_post_and_its_record_is_retried_with_the_same_id(
    frozen_clock: datetime, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "LEASE_MS", 1500)  # the forked worker's lease: a crash is noticed soon
    monkeypatch.setattr(runner, "LEASE_MARGIN_MS", 0)
    _endpoint(receiver)
    contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    receiver.hold = threading.Event()  # the first answer waits until the worker is dead
    worker = start_worker(tmp_path, batch_size=40, lease_seconds=60)
    try:
        assert receiver.arrived.wait(30), "the worker did not POST"
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(10)
    finally:
        receiver.hold.set()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, WebhookAttempt.objects.count()) == ("sending", 1, 0)

    receiver.hold = None
    wait_until(lambda: clock.epoch_ms() > delivery.lease_until_ms, timeout=5, what="the lease expired")
    runner.run_due(at=clock.now())  # the next worker pass
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    first, second = receiver.received
    assert first.id == second.id == delivery.event_id  # the same webhook-id: the receiver deduplicates
    assert first.body == second.body
    assert first.verified_by == second.verified_by == receiver.secrets
    assert Contact.objects.count() == 1
