"""The worker: every kind of due work, in one pass, and a loop that repeats it.

One pass (:func:`run_due_work`) settles crashed charges and checkouts first
(so nothing is charged twice), resumes paused subscriptions and ends those cancelled at
their period's end, bills what is due, records settled bank debits, retries
declined renewals (``billing.dunning``), marks overdue invoices, sends
reminders, runs the queued jobs and emails, and forgets expired API
idempotency keys. Every step is idempotent and safe beside other
workers, so any number of ``recurra worker`` processes may run on PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from recurra.api.idempotency import idempotency_purge
from recurra.billing.dunning import DunningReport, retry_due
from recurra.billing.outcomes import Outcomes
from recurra.billing.overdue import mark_overdue
from recurra.billing.reconcile import reconcile_pending, settle_processing
from recurra.billing.reminders import send_reminders
from recurra.billing.run import RunReport, billing_run
from recurra.commerce.reconcile import reconcile_purchases
from recurra.core import clock
from recurra.exports.running import exports_expire
from recurra.jobs.runner import run_due
from recurra.subscriptions.canceling import cancel_due
from recurra.subscriptions.pausing import resume_due

log = logging.getLogger("recurra.worker")


@dataclass
class WorkReport:
    run: RunReport = field(default_factory=RunReport)
    reconciled: Outcomes = field(default_factory=Outcomes)
    purchases: int = 0
    settled: Outcomes = field(default_factory=Outcomes)
    dunning: DunningReport = field(default_factory=DunningReport)
    overdue: int = 0
    reminders: int = 0
    jobs: int = 0

    def __iadd__(self, other: WorkReport) -> WorkReport:
        self.run += other.run
        self.reconciled += other.reconciled
        self.purchases += other.purchases
        self.settled += other.settled
        self.dunning += other.dunning
        self.overdue += other.overdue
        self.reminders += other.reminders
        self.jobs += other.jobs
        return self

    @property
    def idle(self) -> bool:
        return not (
            self.run.subscriptions
            or self.reconciled.by_payment
            or self.purchases
            or self.settled.by_payment
            or self.dunning.retried.by_payment
            or self.dunning.final_actions
            or self.overdue
            or self.reminders
            or self.jobs
        )


def run_due_work(*, at: datetime) -> WorkReport:
    """Everything due at ``at``, once."""
    report = WorkReport()
    report.reconciled = reconcile_pending(at=at)
    report.purchases = reconcile_purchases(at=at)
    resume_due(at=at)  # scheduled resumes first: a subscription resumed today is billed today
    cancel_due(at=at)  # and cancellations at period end: never billed for the period after
    report.run = billing_run(at=at)
    report.settled = settle_processing(at=at)
    report.dunning = retry_due(at=at)
    report.overdue = mark_overdue(at=at)
    report.reminders = send_reminders(at=at)
    report.jobs = run_due(at=at)  # emails, jobs and exports
    exports_expire(at=at)
    idempotency_purge(real_ms=clock.epoch_ms())
    return report


def run_forever(stop: threading.Event, *, interval: float = 1.0) -> None:
    """Repeat :func:`run_due_work` at the clock's now until ``stop`` is set; errors are logged, not fatal."""
    log.info("worker started")
    while not stop.is_set():
        try:
            report = run_due_work(at=clock.now())
        except Exception:
            log.exception("worker pass failed; trying again")
            report = WorkReport()
        if report.idle:
            stop.wait(interval)
    log.info("worker stopped")
