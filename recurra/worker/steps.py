"""One pass of the worker: every kind of due work, as a table of steps in a fixed order.

A pass (:func:`run_due_work`) settles crashed charges and checkouts first (so
nothing is charged twice), resumes paused subscriptions and ends those
cancelled at their period's end, bills what is due, records settled bank
debits, retries declined renewals, marks overdue invoices, sends reminders,
keeps active lists' members (their joins and leaves), enrolls subscriptions in
workflows (date triggers, then the audit events since the cursor), runs the
queued jobs, emails and enrollments, and forgets expired exports and API
idempotency keys. Every step is idempotent and safe beside other workers, so
any number of ``recurra worker`` processes may run on PostgreSQL.

Each :class:`Step` names its run and its ``next_due(after=...)``, which lives
beside the run in the step's own module (``core.due`` says what it answers).
The test clock asks them when to stop and which steps to run; a step whose
``stops`` is False (crash leftovers, housekeeping) runs when due at a stop but
never makes the clock stop.

The steps that record payments count what their reports say in ``core.metrics``:
periods billed (``recurra_renewals_billed_total``) and outcomes by step
(``recurra_payments_total``), whether the loop or the test clock ran them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from recurra.api.idempotency import idempotency_purge, idempotency_purge_next_due
from recurra.automation.workflows.dates import dates_next_due, workflows_dates
from recurra.automation.workflows.enrolling import enroll_next_due, workflows_enroll
from recurra.billing.dunning import DunningReport, retry_due, retry_next_due
from recurra.billing.outcomes import Outcomes
from recurra.billing.overdue import mark_overdue, overdue_next_due
from recurra.billing.reconcile import (
    pending_next_due,
    processing_next_due,
    reconcile_pending,
    settle_processing,
)
from recurra.billing.reminders import reminders_next_due, send_reminders
from recurra.billing.run import RunReport, billing_next_due, billing_run
from recurra.commerce.reconcile import purchases_next_due, reconcile_purchases
from recurra.core import clock, metrics
from recurra.exports.running import exports_expire, exports_expire_next_due
from recurra.insights.lists.refresh import lists_next_due, lists_refresh
from recurra.jobs.runner import jobs_next_due, run_due
from recurra.subscriptions.canceling import cancel_due, cancel_next_due
from recurra.subscriptions.pausing import resume_due, resume_next_due


@dataclass
class WorkReport:
    run: RunReport = field(default_factory=RunReport)
    reconciled: Outcomes = field(default_factory=Outcomes)
    purchases: int = 0
    settled: Outcomes = field(default_factory=Outcomes)
    dunning: DunningReport = field(default_factory=DunningReport)
    overdue: int = 0
    reminders: int = 0
    enrolled: int = 0
    list_changes: int = 0
    jobs: int = 0

    def __iadd__(self, other: WorkReport) -> WorkReport:
        self.run += other.run
        self.reconciled += other.reconciled
        self.purchases += other.purchases
        self.settled += other.settled
        self.dunning += other.dunning
        self.overdue += other.overdue
        self.reminders += other.reminders
        self.enrolled += other.enrolled
        self.list_changes += other.list_changes
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
            or self.enrolled
            or self.list_changes
            or self.jobs
        )


# run(report, at=..., stop=...) does the step's work into ``report``; True when it did any.
Run = Callable[..., bool]
NextDue = Callable[..., datetime | None]


@dataclass(frozen=True)
class Step:
    name: str
    run: Run
    next_due: NextDue
    stops: bool = True  # its due instants are stops of the test clock


OUTCOMES = ("succeeded", "failed", "processing", "requires_action")


def _count(step: str, outcomes: Outcomes) -> None:
    for outcome in OUTCOMES:
        metrics.PAYMENTS.add(getattr(outcomes, outcome), outcome=outcome, step=step)


def _reconcile(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = reconcile_pending(at=at)
    _count("reconcile_pending", done)
    report.reconciled += done
    return bool(done.by_payment)


def _purchases(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = reconcile_purchases(at=at)
    report.purchases += done
    return bool(done)


def _resume(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    return bool(resume_due(at=at))  # scheduled resumes first: a subscription resumed today is billed today


def _cancel(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    return bool(cancel_due(at=at))  # and cancellations at period end: never billed for the period after


def _bill(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = billing_run(at=at, stop=stop)
    metrics.RENEWALS_BILLED.add(done.invoices)
    _count("billing_run", done.outcomes)
    report.run += done
    return bool(done.subscriptions)


def _settle(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = settle_processing(at=at)
    _count("settle_processing", done)
    report.settled += done
    return bool(done.by_payment)


def _retry(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = retry_due(at=at)
    _count("retry_due", done.retried)
    report.dunning += done
    return bool(done.retried.by_payment or done.final_actions)


def _overdue(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = mark_overdue(at=at)
    report.overdue += done
    return bool(done)


def _remind(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = send_reminders(at=at)
    report.reminders += done
    return bool(done)


def _dates(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = workflows_dates(at=at)  # date triggers: the account-local day's subscriptions
    report.enrolled += done
    return bool(done)


def _lists(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = lists_refresh(at=at)  # active lists' joins and leaves, from the audit events since the cursor
    report.list_changes += done
    return bool(done)


def _enroll(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = workflows_enroll(at=at)  # the audit events since the cursor, for the workflows' triggers
    report.enrolled += done
    return bool(done)


def _jobs(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    done = run_due(at=at, stop=stop)  # emails, jobs and exports
    report.jobs += done
    return bool(done)


def _expire(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    return bool(exports_expire(at=at))


def _purge(report: WorkReport, *, at: datetime, stop: threading.Event | None) -> bool:
    return bool(idempotency_purge(real_ms=clock.epoch_ms()))


STEPS: Sequence[Step] = (
    Step("reconcile_pending", _reconcile, pending_next_due, stops=False),
    Step("reconcile_purchases", _purchases, purchases_next_due, stops=False),
    Step("resume_due", _resume, resume_next_due),
    Step("cancel_due", _cancel, cancel_next_due),
    Step("billing_run", _bill, billing_next_due),
    Step("settle_processing", _settle, processing_next_due),
    Step("retry_due", _retry, retry_next_due),
    Step("mark_overdue", _overdue, overdue_next_due),
    Step("send_reminders", _remind, reminders_next_due),
    Step("workflows_dates", _dates, dates_next_due),
    Step("lists_refresh", _lists, lists_next_due, stops=False),
    Step("workflows_enroll", _enroll, enroll_next_due, stops=False),
    Step("run_due", _jobs, jobs_next_due),
    Step("exports_expire", _expire, exports_expire_next_due, stops=False),
    Step("idempotency_purge", _purge, idempotency_purge_next_due, stops=False),
)


def run_due_work(*, at: datetime, stop: threading.Event | None = None) -> WorkReport:
    """Everything due at ``at``, once, step by step in :data:`STEPS`' order; a set ``stop``
    ends the pass between steps (and the long steps between their items)."""
    report = WorkReport()
    for step in STEPS:
        if stop is not None and stop.is_set():
            break
        step.run(report, at=at, stop=stop)
    return report
