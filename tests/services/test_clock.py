"""The test clock: persisted, runs from where it was set unless frozen, never moves back."""

from datetime import UTC, datetime, timedelta

import pytest

from recurra.core import clock
from recurra.core.clock import ClockError
from recurra.core.models import TestClock

pytestmark = pytest.mark.django_db


def test_without_a_test_clock_row_sandbox_reads_real_time():
    before = datetime.now(UTC)
    assert before - timedelta(seconds=1) <= clock.now() <= datetime.now(UTC) + timedelta(seconds=1)


def test_frozen_clock_stands_still(frozen_clock):
    assert clock.now() == frozen_clock
    assert clock.now() == frozen_clock


def test_advance_moves_forward_and_keeps_running():
    target = datetime(2030, 3, 1, tzinfo=UTC)
    clock.advance_to(target)
    now = clock.now()
    assert target <= now < target + timedelta(seconds=5)
    state = TestClock.objects.get()
    assert state.simulated_at == target and not state.frozen


def test_advance_keeps_a_frozen_clock_frozen(frozen_clock):
    clock.advance_to(frozen_clock + timedelta(days=40))
    assert clock.now() == frozen_clock + timedelta(days=40)


def test_backwards_and_naive_are_refused(frozen_clock):
    with pytest.raises(ClockError, match="backwards"):
        clock.advance_to(frozen_clock - timedelta(seconds=1))
    with pytest.raises(ClockError, match="time zone"):
        clock.advance_to(datetime(2031, 1, 1))
    assert clock.now() == frozen_clock


def test_live_mode_ignores_the_test_clock_and_refuses_to_move(settings, frozen_clock):
    settings.RECURRA_MODE = "live"
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ClockError, match="sandbox"):
        clock.advance_to(frozen_clock + timedelta(days=1))


def test_non_utc_targets_are_stored_in_utc(frozen_clock):
    from zoneinfo import ZoneInfo

    oslo = datetime(2027, 3, 28, 3, 30, tzinfo=ZoneInfo("Europe/Oslo"))  # just after the DST jump
    clock.advance_to(oslo)
    assert clock.now() == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
