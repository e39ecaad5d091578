from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.automation.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(autouse=True)
def short_timeout() -> Iterator[None]:
    """A short delivery timeout, so that a hang past it costs a test half a second."""
    with override_settings(RECURRA_WEBHOOKS_TIMEOUT=0.5):
        yield
