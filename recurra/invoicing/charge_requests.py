"""Asking for an open invoice to be charged, from any layer: a job written in the caller's transaction.

The ``billing`` layer runs it (``billing.follow_ups``); the caller may run it
at once after its commit with ``jobs.runner.job_run_now(dedupe_key=...)``.
One job per invoice and method: asking twice queues one charge.
"""

from __future__ import annotations

from datetime import datetime

from recurra.core.actors import Actor
from recurra.jobs.queue import job_enqueue

INVOICE_CHARGE_JOB = "invoice_charge"


def invoice_charge_queue(
    *, invoice_id: str, origin: str, actor: Actor, at: datetime, method_id: str | None = None
) -> str:
    """Queue the charge of what ``invoice_id`` owes (to ``method_id``, else its subscription's
    method); returns the job's dedupe key."""
    key = f"charge:{invoice_id}:{method_id or 'saved'}"
    job_enqueue(
        kind=INVOICE_CHARGE_JOB,
        payload={
            "invoice_id": invoice_id,
            "origin": origin,
            "method_id": method_id,
            "actor": actor.as_dict(),
        },
        run_at=at,
        dedupe_key=key,
    )
    return key
