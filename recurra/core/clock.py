"""The only reader of "now" in Recurra.

Live mode: the system clock. Sandbox mode: a persisted test clock, so that a
user (or a scenario test) can move time forward through months of billing.
The test clock keeps running at real speed from the last point it was set to,
unless it is frozen (tests freeze it for exact timestamps). It never moves
backwards.

Services take ``at=`` and do not call :func:`now` themselves where the caller
can pass the time in; this module is for the edges (requests, the worker).

Advancing the test clock *and running the work due on the way* belongs to the
worker, on top of every layer; the API and the web app ask for it through the
port :func:`advance_running_due_work`, which the worker app registers.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from recurra.core.dates import out_of_range
from recurra.core.prepared import Prepared

if TYPE_CHECKING:
    from recurra.core.models import TestClock


class ClockError(ValueError):
    """The test clock was asked to do something it cannot (move back, run live)."""


def _system_now() -> datetime:
    return datetime.now(UTC)


def epoch_ms() -> int:
    """Real milliseconds since the epoch, for ordering ids; never for business dates."""
    return time.time_ns() // 1_000_000


def is_test_clock() -> bool:
    return settings.RECURRA_MODE == "sandbox"


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    if not is_test_clock():
        return _system_now()
    held = _held.get()
    if held:
        state = held[0]
    else:
        found = _test_clock().objects()
        state = found[0] if found else None
        if held is not None:
            held.append(state)
    return state.read(_system_now()) if state is not None else _system_now()


# The test clock's row as read in the current scope: [] until read, [row or None] after; None
# outside a scope (each now() reads it).
_held: ContextVar[list[TestClock | None] | None] = ContextVar("test_clock_held", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within, the test clock's row is read at most once (a request is one moment of its hands;
    time still runs at real speed from them). Moving or freezing the clock within forgets it.

    Threads started within read it afresh (a new thread starts outside the scope).
    """
    token = _held.set([])
    try:
        yield
    finally:
        _held.reset(token)


def _forget_held() -> None:
    held = _held.get()
    if held is not None:
        held.clear()


@functools.cache
def _test_clock() -> Prepared[TestClock]:
    """The test clock's row, read at every request in sandbox mode: compiled once."""
    from recurra.core.models import TestClock

    return Prepared(TestClock, lambda: TestClock.objects.filter(pk=TestClock.SINGLETON).order_by())


def check_target(to: datetime) -> None:
    """ClockError unless ``to`` is an aware instant on a day Recurra accepts (recurra.core.dates)."""
    if to.tzinfo is None:
        raise ClockError("the target time needs a time zone")
    problem = out_of_range(to)  # its own day: no conversion that could overflow
    if problem:
        raise ClockError(f"the target time {problem}")


def advance_to(to: datetime) -> datetime:
    """Move the test clock to ``to`` (aware, within the supported dates). Moving backwards raises
    ClockError.

    Only moves the hands: running the work that falls due on the way is the
    billing engine's job, which calls this.
    """
    if not is_test_clock():
        raise ClockError("the test clock exists only in sandbox mode")
    check_target(to)
    from recurra.core.models import TestClock

    target = to.astimezone(UTC)
    current = now()
    if target < current:
        raise ClockError(
            f"the test clock cannot move backwards (now {current.isoformat()}, asked {target.isoformat()})"
        )
    TestClock.objects.update_or_create(
        pk=TestClock.SINGLETON, defaults={"simulated_at": target, "real_at": _system_now()}
    )
    _forget_held()
    return target


def freeze(at: datetime) -> None:
    """Stop the test clock at ``at`` (tests only: exact, repeatable timestamps)."""
    from recurra.core.models import TestClock

    TestClock.objects.update_or_create(
        pk=TestClock.SINGLETON,
        defaults={"simulated_at": at.astimezone(UTC), "real_at": _system_now(), "frozen": True},
    )
    _forget_held()


class AdvanceSummary(Protocol):
    """What an advance with its due work did: where it stopped, how many stops, what it made."""

    @property
    def to(self) -> datetime: ...
    @property
    def steps(self) -> int: ...
    @property
    def invoices(self) -> int: ...
    @property
    def payments(self) -> int: ...
    @property
    def emails(self) -> int: ...


_due_work_runner: Callable[..., AdvanceSummary] | None = None


def register_due_work_runner(runner: Callable[..., AdvanceSummary]) -> None:
    """Set what :func:`advance_running_due_work` calls (``runner(to=...)``; the worker's, at startup)."""
    global _due_work_runner
    _due_work_runner = runner


def advance_running_due_work(*, to: datetime) -> AdvanceSummary:
    """Move the test clock to ``to``, running in time order the work due on the way (ClockError
    backwards or in live mode). LookupError when no runner is registered (the worker app is not
    installed)."""
    if _due_work_runner is None:
        raise LookupError("no runner of due work is registered: is recurra.worker installed?")
    return _due_work_runner(to=to)
