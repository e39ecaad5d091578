"""Fixtures for the race tests: PostgreSQL, committed data (other processes must see it), a frozen clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from bench.seed import Seeded, seed_due_subscriptions


@pytest.fixture
def seed(frozen_clock: datetime) -> Callable[[int], Seeded]:
    """``seed(n)``: n monthly renewals due at the frozen clock (T0), committed."""
    return lambda n: seed_due_subscriptions(n, at=frozen_clock)
