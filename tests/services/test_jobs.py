"""The queue engine: jobs commit with their cause, run when due, retry with backoff, survive crashes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from recurra.core import clock
from recurra.jobs import runner
from recurra.jobs.models import Job, JobStatus
from recurra.jobs.queue import job_enqueue

pytestmark = pytest.mark.django_db
AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


class Recorder:
    """A job handler that records its payloads and fails while ``failures`` is positive."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], datetime]] = []
        self.failures = 0
        self.lock = threading.Lock()

    def __call__(self, payload: dict[str, Any], *, at: datetime) -> None:
        with self.lock:
            self.calls.append((payload, at))
        if self.failures:
            self.failures -= 1
            raise ConnectionError("gateway unreachable")


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setitem(runner._JOB_HANDLERS, "test.echo", recorder)
    return recorder


def enqueue(run_at: datetime = AT, **payload: Any) -> Job:
    with transaction.atomic():
        job_enqueue(kind="test.echo", payload=payload, run_at=run_at)
    return Job.objects.latest("id")


def test_a_due_job_runs_once_and_is_done(echo):
    job = enqueue(n=1)
    assert (job.status, job.attempts, job.lease_until_ms, job.finished_at) == ("queued", 0, 0, None)
    assert runner.run_due(at=AT) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until_ms, job.finished_at, job.last_error) == (
        "done",
        1,
        0,
        AT,
        "",
    )
    assert echo.calls == [({"n": 1}, AT)]
    assert runner.run_due(at=AT + timedelta(days=1)) == 0  # done work never runs again
    assert len(echo.calls) == 1


def test_a_job_waits_for_its_time(echo):
    job = enqueue(run_at=AT + timedelta(hours=1), n=2)
    assert runner.run_due(at=AT + timedelta(minutes=59)) == 0
    assert echo.calls == []
    assert Job.objects.get(pk=job.pk).status == "queued"
    assert runner.run_due(at=AT + timedelta(hours=1)) == 1
    assert echo.calls == [({"n": 2}, AT + timedelta(hours=1))]


def test_a_job_rolled_back_with_its_transaction_never_runs(echo):
    with pytest.raises(RuntimeError), transaction.atomic():
        job_enqueue(kind="test.echo", payload={"n": 3}, run_at=AT)
        raise RuntimeError("the change failed")
    assert not Job.objects.exists()
    assert runner.run_due(at=AT + timedelta(days=1)) == 0
    assert echo.calls == []


def test_dedupe_key_keeps_one_job(echo):
    with transaction.atomic():
        job_enqueue(kind="test.echo", payload={"n": 1}, run_at=AT, dedupe_key="k1")
        job_enqueue(kind="test.echo", payload={"n": 2}, run_at=AT, dedupe_key="k1")
        job_enqueue(kind="test.echo", payload={"n": 3}, run_at=AT, dedupe_key="k2")
    runner.run_due(at=AT)
    with transaction.atomic():  # a done job still holds its key
        job_enqueue(kind="test.echo", payload={"n": 4}, run_at=AT, dedupe_key="k1")
    assert runner.run_due(at=AT) == 0
    assert sorted(p["n"] for p, _ in echo.calls) == [1, 3]
    assert Job.objects.count() == 2


def test_failures_back_off_then_fail_after_six_attempts_and_stay(echo):
    echo.failures = 99
    job = enqueue(n=5)
    now = AT
    expected_gaps = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    expected_gaps.append(timedelta(hours=12))
    for attempt, gap in enumerate(expected_gaps, start=1):
        assert runner.run_due(at=now) == 1
        job.refresh_from_db()
        assert (job.status, job.attempts, job.run_at) == ("queued", attempt, now + gap)
        assert job.last_error == "ConnectionError: gateway unreachable"
        assert runner.run_due(at=now + gap - timedelta(seconds=1)) == 0  # not before its time
        now += gap
    assert runner.run_due(at=now) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at, job.lease_until_ms) == ("failed", 6, now, 0)
    assert job.last_error == "ConnectionError: gateway unreachable"
    assert len(echo.calls) == 6
    assert runner.run_due(at=now + timedelta(days=30)) == 0
    assert len(echo.calls) == 6


def test_a_job_that_succeeds_on_retry_is_done(echo):
    echo.failures = 2
    job = enqueue(n=6)
    runner.run_due(at=AT)
    runner.run_due(at=AT + timedelta(minutes=1))
    assert runner.run_due(at=AT + timedelta(minutes=6)) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == ("done", 3, AT + timedelta(minutes=6))
    assert job.last_error == "ConnectionError: gateway unreachable"  # kept: it took retries


def test_unknown_kind_fails_like_any_error():
    with transaction.atomic():
        job_enqueue(kind="test.nobody", payload={}, run_at=AT)
    assert runner.run_due(at=AT) == 1
    job = Job.objects.get()
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.last_error == "LookupError: no handler registered for job kind 'test.nobody'"


def test_a_crashed_running_job_is_taken_again_once_its_lease_expired(echo):
    expired = Job.objects.create(
        kind="test.echo", payload={"n": "crashed"}, run_at=AT, status=JobStatus.RUNNING, attempts=1,
        lease_until_ms=clock.epoch_ms() - 1,
    )  # fmt: skip
    leased = Job.objects.create(
        kind="test.echo", payload={"n": "busy"}, run_at=AT, status=JobStatus.RUNNING, attempts=1,
        lease_until_ms=clock.epoch_ms() + 60_000,
    )  # fmt: skip
    assert runner.run_due(at=AT) == 1
    assert echo.calls == [({"n": "crashed"}, AT)]
    expired.refresh_from_db()
    leased.refresh_from_db()
    assert (expired.status, expired.attempts) == ("done", 2)
    assert (leased.status, leased.attempts) == ("running", 1)  # another worker still owns it


def test_a_job_that_crashed_on_its_last_attempt_fails_without_running(echo):
    job = Job.objects.create(
        kind="test.echo", payload={}, run_at=AT, status=JobStatus.RUNNING, attempts=6, lease_until_ms=1
    )
    assert runner.run_due(at=AT) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == ("failed", 6, AT)
    assert job.last_error == "the worker stopped during attempt 6 (lease expired)"
    assert echo.calls == []


def test_work_queued_by_a_handler_for_now_runs_in_the_same_call(monkeypatch, echo):
    def chain(payload: dict[str, Any], *, at: datetime) -> None:
        with transaction.atomic():
            job_enqueue(kind="test.echo", payload={"from": "chain"}, run_at=at)

    monkeypatch.setitem(runner._JOB_HANDLERS, "test.chain", chain)
    with transaction.atomic():
        job_enqueue(kind="test.chain", payload={}, run_at=AT)
    assert runner.run_due(at=AT) == 2
    assert echo.calls == [({"from": "chain"}, AT)]


def test_batches_run_until_nothing_is_due(echo):
    for n in range(7):
        enqueue(n=n)
    assert runner.run_due(at=AT, limit=3) == 7
    assert [p["n"] for p, _ in echo.calls] == list(range(7))  # oldest due first


def test_rows_not_started_before_the_lease_runs_short_are_given_back(monkeypatch, echo):
    first, second = enqueue(n=1), enqueue(n=2)
    real_ms = clock.epoch_ms()
    ticks = iter(range(real_ms, real_ms + 10**9, 3 * 60 * 1000))  # every read is 3 minutes later
    monkeypatch.setattr(clock, "epoch_ms", lambda: next(ticks))
    assert runner.run_due(at=AT) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    # The second was released (its attempt uncounted) and claimed again under a fresh lease.
    assert (first.status, first.attempts, second.status, second.attempts) == ("done", 1, "done", 1)
    assert [p["n"] for p, _ in echo.calls] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="job_enqueue must be called inside the transaction"):
        job_enqueue(kind="test.echo", payload={}, run_at=AT)
    assert not Job.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_run_one_job_twice(monkeypatch):
    calls: list[str] = []
    lock = threading.Lock()

    def slow(payload: dict[str, Any], *, at: datetime) -> None:
        time.sleep(0.002)
        with lock:
            calls.append(payload["n"])

    monkeypatch.setitem(runner._JOB_HANDLERS, "test.slow", slow)
    with transaction.atomic():
        for n in range(300):
            job_enqueue(kind="test.slow", payload={"n": n}, run_at=AT)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            runner.run_due(at=AT, limit=7)
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(calls) == list(range(300))  # each exactly once
    assert set(Job.objects.values_list("status", "attempts")) == {("done", 1)}
