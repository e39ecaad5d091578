"""Putting a job on the queue, inside the transaction whose change it follows (house rule 8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.core import clock
from recurra.jobs.models import Job, JobStatus


def require_transaction(what: str) -> None:
    """Refuse to queue outside a transaction: the work must commit or roll back with its cause."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must be called inside the transaction of the change it follows")


def job_enqueue(
    *, kind: str, payload: dict[str, Any], run_at: datetime, dedupe_key: str | None = None
) -> None:
    """Queue a job due at ``run_at``. With ``dedupe_key``, an existing job of that key (in any
    status, done included) means no new one: the insert is skipped by the database, so two
    callers racing for the same key also end with one job.
    """
    require_transaction("job_enqueue")
    job = Job(kind=kind, payload=payload, run_at=run_at, dedupe_key=dedupe_key, created_at=clock.now())
    if dedupe_key is None:
        job.save(force_insert=True)
    else:
        Job.objects.bulk_create([job], ignore_conflicts=True)


def job_done(*, dedupe_key: str, at: datetime) -> bool:
    """Mark the queued job of ``dedupe_key`` done: its cause did the work itself, right after its
    commit (a follow-up that a worker holds at that moment runs, and finds nothing left to do)."""
    return bool(
        Job.objects.filter(dedupe_key=dedupe_key, status=JobStatus.QUEUED).update(
            status=JobStatus.DONE, finished_at=at
        )
    )
