"""Stripe's webhooks for tests: events from tests/fixtures/stripe (Stripe's documented shape),
signed as Stripe signs them, delivered to ``POST /webhooks/stripe``, processed as the worker would."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from django.test import Client

from recurra.core import clock
from recurra.jobs.runner import run_due
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

FIXTURES = Path(__file__).parent / "fixtures" / "stripe"
URL = "/webhooks/stripe"


def use_stripe(settings: Any) -> Any:
    """Recurra on Stripe (pytest-django's ``settings``), with a Stripe that no call reaches: for
    events whose processing asks Stripe nothing."""
    settings.RECURRA_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: nothing answers
    return settings


def fixture(
    name: str, *, event_id: str | None = None, created: int | None = None, **fields: Any
) -> dict[str, Any]:
    """The event in ``fixtures/stripe/<name>.json``; ``fields`` replace those of its ``data.object``."""
    event: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    event = copy.deepcopy(event)
    if event_id is not None:
        event["id"] = event_id
    if created is not None:
        event["created"] = created
    event["data"]["object"].update(fields)
    return event


def signature(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<unix time>,v1=<HMAC-SHA256 of "t.body">``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def deliver(
    event: dict[str, Any] | bytes,
    *,
    client: Client | None = None,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    header: str | None = None,
) -> Any:
    """POST the event as Stripe does (its JSON, signed); ``header`` replaces the signature."""
    body = event if isinstance(event, bytes) else json.dumps(event, indent=2).encode()
    signed = signature(body, secret=secret, timestamp=timestamp) if header is None else header
    headers = {"Stripe-Signature": signed} if signed else {}
    return (client or Client(enforce_csrf_checks=True)).post(
        URL, data=body, content_type="application/json", headers=headers
    )


def process() -> int:
    """Run what is due now, as the worker does (the events' jobs, then the emails they queued)."""
    return run_due(at=clock.now())
