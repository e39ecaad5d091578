"""Fixtures for the API tests: ids in creation order, rows made through the API."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from recurra.core import clock
from recurra.worker.steps import run_due_work
from tests.api.support import ok
from tests.conftest import T0


@pytest.fixture
def ordered_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids in creation order: each new id gets its own millisecond (they sort by creation otherwise
    only to the millisecond)."""
    monkeypatch.setattr(clock, "epoch_ms", itertools.count(1_800_000_000_000).__next__)


@pytest.fixture
def make(api: Any) -> Callable[..., dict[str, Any]]:
    """``make("contacts", email=...)``: POST a row with the super_admin client; returns its JSON."""

    def create(resource: str, **body: Any) -> dict[str, Any]:
        return ok(api.post(f"/{resource}", body), 201)

    return create


@pytest.fixture
def product(make: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A monthly USD product with a 25% tax rate."""
    return make(
        "products",
        name="Pro plan",
        sku="PRO-1",
        unit_amount=1999,
        currency="USD",
        tax_rate_percent="25",
        billing_frequency="monthly",
    )


@pytest.fixture
def sub(make: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """A send-invoice monthly subscription from T0 (25.00), its first period billed (next: T0 + 1 month)."""
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    line = {"name": "Pro plan", "unit_amount": 2500, "currency": "USD", "billing_frequency": "monthly"}
    body = make(
        "subscriptions",
        contact_id=contact["id"],
        line_items=[line],
        collection_method="send_invoice",
        payment_terms="net_30",
    )
    run_due_work(at=T0)
    return body
