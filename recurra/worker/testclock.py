"""Advancing the sandbox test clock: move time forward and run, in time order, all work due on the way.

Billing dates are dates in the account's zone, so work falls due at local
midnights (and at the instants queued jobs name). The clock jumps from one
such instant to the next (never past one), as the steps' ``next_due`` tell
(``worker.steps``), and stops at ``to``; it returns when all of it is done.
Only one advance runs at a time in a process.

At each stop only the steps with work due run, in the pass's order. Whether a
step is due is known from the answers gathered after the stop before; once a
step has done something, the later ones are asked again (a renewal billed now
may have a reminder or an email due at once). The first pass, at the start,
runs every step. The account settings are read once per advance. An answer
asked at a stop after the last step that did work there stands for the next
stop too (nothing has changed since), so only the others are asked again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from recurra.accounts.selectors import account_settings_held
from recurra.core import clock
from recurra.core.clock import ClockError
from recurra.worker.steps import STEPS, WorkReport, run_due_work

_one_at_a_time = threading.Lock()


@dataclass
class AdvanceReport:
    started: datetime
    to: datetime
    steps: int = 0
    work: WorkReport = field(default_factory=WorkReport)

    @property
    def invoices(self) -> int:
        return self.work.run.invoices

    @property
    def payments(self) -> int:
        run = self.work.run.outcomes
        return run.succeeded + run.failed + run.processing + len(self.work.settled.by_payment)

    @property
    def emails(self) -> int:
        return self.work.jobs


def clock_advance(*, to: datetime) -> AdvanceReport:
    """Move the test clock to ``to``, running due work at each instant on the way (ClockError backwards)."""
    if not clock.is_test_clock():
        raise ClockError("the test clock exists only in sandbox mode")
    clock.check_target(to)
    with _one_at_a_time, account_settings_held():
        current = clock.now()
        if to < current:
            raise ClockError(f"the test clock cannot move backwards (now {_iso(current)}, asked {_iso(to)})")
        report = AdvanceReport(started=current, to=to)
        report.work += run_due_work(at=current)  # anything already due runs first
        due = _next_dues(after=current)
        while True:
            step = min([*_stops(due, after=current), to])
            clock.advance_to(step)
            known = _run_due_steps(report.work, due, at=step, since=current)
            report.steps += 1
            if step >= to:
                return report
            due = _next_dues(after=step, known=known)
            current = step


def next_due_at(*, after: datetime) -> datetime | None:
    """The first instant after ``after`` at which some work falls due (None: nothing scheduled)."""
    return min(_stops(_next_dues(after=after), after=after), default=None)


def _stops(due: dict[str, datetime | None], *, after: datetime) -> list[datetime]:
    """The instants after ``after`` at which steps that make the clock stop have work."""
    return [when for s in STEPS if s.stops and (when := due[s.name]) is not None and when > after]


Answers = dict[str, datetime | None]  # step name → its next due


def _next_dues(*, after: datetime, known: Answers | None = None) -> Answers:
    """Every step's next due after ``after``; the answers in ``known`` are taken as they are."""
    known = known or {}
    return {s.name: known[s.name] if s.name in known else s.next_due(after=after) for s in STEPS}


def _run_due_steps(work: WorkReport, due: Answers, *, at: datetime, since: datetime) -> Answers:
    """Run the steps due by ``at`` (``due`` was asked after ``since``, the stop before).

    Returns the answers that still stand after the stop: those asked at this stop after
    the last step that did work, of steps that did not run (so none is due by ``at``).
    """
    worked = False
    known: Answers = {}
    for step in STEPS:
        when = step.next_due(after=since) if worked else due[step.name]
        if when is not None and when <= at:
            if step.run(work, at=at, stop=None):
                worked = True
                known.clear()
        elif worked:
            known[step.name] = when
    return known


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
