"""A workflow's webhook step: a signed delivery through the webhooks queue, to that endpoint only,
verified by a real receiver with standardwebhooks and svix.

An event trigger delivers the public event of the audit event that enrolled the subscription (here
``subscription.updated``, which the endpoint has not subscribed to); a date trigger, having no
event, delivers a ``workflow.webhook`` event whose object is the subscription.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from recurra.accounts.selectors import account_zone
from recurra.automation.models import WebhookDelivery
from recurra.automation.webhooks import services as webhooks
from recurra.automation.workflows.services import workflow_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.worker.steps import run_due_work
from recurra.worker.testclock import clock_advance
from tests.automation.receiver import Receiver
from tests.automation.rows import a_subscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
SYSTEM = Actor.system()


def _endpoint(receiver: Receiver) -> str:
    made = webhooks.endpoint_create(
        url=receiver.url, enabled_events=["contact.created"], actor=SYSTEM, at=clock.now()
    )
    receiver.secrets.append(made.secret)
    return made.endpoint.pk


def _sub() -> Subscription:
    return a_subscription()


def test_an_event_trigger_delivers_the_enrolling_event(receiver: Receiver) -> None:
    endpoint = _endpoint(receiver)
    sub = _sub()
    workflow_create(
        name="Renamed → CRM",
        definition={
            "trigger": {"type": "event", "event_types": ["subscription.updated"]},
            "actions": [{"type": "webhook", "endpoint_id": endpoint}],
        },
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    subscription_change(
        subscription=sub, changes=SubscriptionChanges(name="Pro plan 2"), actor=SYSTEM, at=clock.now()
    )

    run_due_work(at=clock.now())

    (got,) = receiver.received
    assert got.verified_by == receiver.secrets
    assert got.json["type"] == "subscription.updated"
    assert got.json["data"]["object"]["name"] == "Pro plan 2"
    assert got.json["data"]["previous_attributes"] == {"name": "Pro plan"}
    assert WebhookDelivery.objects.get().status == "succeeded"
    run_due_work(at=clock.now())
    assert len(receiver.received) == 1  # once


def test_a_date_trigger_delivers_a_workflow_webhook_event(receiver: Receiver) -> None:
    endpoint = _endpoint(receiver)
    sub = _sub()
    workflow = workflow_create(
        name="3 days before → CRM",
        definition={
            "trigger": {"type": "date", "property": "next_payment_date", "offset_days": -3},
            "actions": [{"type": "webhook", "endpoint_id": endpoint}],
        },
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    clock_advance(to=datetime.combine(date(2027, 2, 12), time(1), tzinfo=account_zone()))

    (got,) = receiver.received
    assert got.verified_by == receiver.secrets
    assert got.json["type"] == "workflow.webhook"
    assert got.json["created_at"] == "2027-02-12T00:00:00Z"
    obj = got.json["data"]["object"]
    assert (obj["id"], obj["next_payment_date"]) == (sub.pk, "2027-02-15")
    assert obj["workflow"] == {"id": workflow.pk, "name": "3 days before → CRM"}
