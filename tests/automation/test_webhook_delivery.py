"""Delivery under failure, by the test clock: the schedule exactly, fresh signatures, 410, disabling,
rotation. A real receiver on 127.0.0.1 verifies every request with standardwebhooks and svix.

Timeline of the failing endpoint (T0 = 2027-01-15 09:30 UTC, the contact created at T0):

    attempt  1 T0 500 │ 2 +5s hang │ 3 +5m5s 500 │ 4 +35m5s 200 → succeeded, endpoint healthy
    always 500: attempts at 0, 5s, 5m5s, 35m5s, 2h35m5s, 7h35m5s, 17h35m5s, 27h35m5s, 39h35m5s,
    51h35m5s, 63h35m5s, 72h → failed; the endpoint (failing 72 h) disabled, super admins emailed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from recurra.accounts.services import user_create
from recurra.automation.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from recurra.automation.webhooks import schedule, sending, services
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.crm.services import contact_create
from recurra.notifications.models import EmailMessage
from recurra.worker.testclock import clock_advance
from tests.automation.receiver import Receiver

pytestmark = pytest.mark.django_db
T0 = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)
SYSTEM = Actor.system()


@pytest.fixture
def stepping_timestamps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each signature a second after the one before (real seconds barely pass in a test, and the
    header counts whole seconds): shows that every attempt signs afresh."""
    steps = itertools.count(1)
    real = sending.signing_seconds
    monkeypatch.setattr(sending, "signing_seconds", lambda: real() + next(steps))
    yield


def endpoint_for(receiver: Receiver, *types: str) -> WebhookEndpoint:
    made = services.endpoint_create(
        url=receiver.url, enabled_events=list(types), actor=SYSTEM, at=clock.now()
    )
    receiver.secrets.append(made.secret)
    return made.endpoint


def attempts(endpoint: WebhookEndpoint) -> list[WebhookAttempt]:
    return list(WebhookAttempt.objects.filter(delivery__endpoint=endpoint).order_by("at", "number"))


def test_500_hang_500_then_200_follow_the_schedule_each_signed_afresh(receiver, stepping_timestamps) -> None:
    clock.freeze(T0)
    receiver.script = [(500, 0), (200, 1.0), (500, 0), (200, 0)]  # the 2nd answers after the 0.5 s timeout
    endpoint = endpoint_for(receiver, "contact.created")
    contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    clock_advance(to=T0 + timedelta(hours=1))

    made = attempts(endpoint)
    assert [(a.at - T0, a.response_status, a.error[:9]) for a in made] == [
        (timedelta(0), 500, "answered "),
        (timedelta(seconds=5), None, "timed out"),
        (timedelta(minutes=5, seconds=5), 500, "answered "),
        (timedelta(minutes=35, seconds=5), 200, ""),
    ]
    assert len(receiver.received) == 4
    assert len({r.id for r in receiver.received}) == 1  # one webhook-id throughout
    assert len({r.headers["webhook-timestamp"] for r in receiver.received}) == 4
    assert len({r.headers["webhook-signature"] for r in receiver.received}) == 4
    assert all(r.verified_by == receiver.secrets for r in receiver.received)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 4, 200)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.status == "enabled"


def test_failing_for_three_days_gives_up_and_disables_the_endpoint(receiver) -> None:
    clock.freeze(T0)
    user_create(
        username="boss",
        email="boss@example.com",
        password="correct horse battery 9",
        role="super_admin",
        actor=SYSTEM,
    )
    receiver.script = [(500, 0)]
    endpoint = endpoint_for(receiver, "contact.created")
    contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    clock_advance(to=T0 + timedelta(days=2, hours=23))
    endpoint.refresh_from_db()
    assert endpoint.status == "enabled"  # 63h35m: failing, not yet three days
    assert not EmailMessage.objects.filter(kind="admin_webhook_disabled").exists()

    clock_advance(to=T0 + timedelta(days=5))
    assert [a.at - T0 for a in attempts(endpoint)] == schedule.offsets()
    assert len(receiver.received) == schedule.MAX_ATTEMPTS == 12
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == ("failed", 12)
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.disabled_at) == ("disabled", T0 + timedelta(days=3))
    email = EmailMessage.objects.get(kind="admin_webhook_disabled")
    assert email.to == "boss@example.com"
    assert receiver.url in email.subject and "three days" in email.text_body
    # disabled: a new event makes no delivery for it
    contact_create(actor=SYSTEM, email="bob@example.com", first_name="Bob")
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


def test_410_gone_stops_at_once(receiver) -> None:
    clock.freeze(T0)
    receiver.script = [(410, 0)]
    endpoint = endpoint_for(receiver, "*")
    contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    clock_advance(to=T0 + timedelta(days=1))
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, 410)
    assert len(receiver.received) == 1


def test_during_a_rotation_either_secret_verifies_for_24_hours(receiver) -> None:
    clock.freeze(T0)
    endpoint = endpoint_for(receiver, "contact.created")
    old = receiver.secrets[0]
    rotated = services.endpoint_secret_rotate(endpoint=endpoint, actor=SYSTEM, at=clock.now())
    new = rotated.secret
    receiver.secrets.append(new)
    contact_create(actor=SYSTEM, email="ada@example.com", first_name="Ada")
    clock_advance(to=T0 + timedelta(hours=23))
    contact_create(actor=SYSTEM, email="bob@example.com", first_name="Bob")
    clock_advance(to=T0 + timedelta(hours=24, minutes=1))
    contact_create(actor=SYSTEM, email="cy@example.com", first_name="Cy")
    clock_advance(to=T0 + timedelta(hours=25))
    assert [r.verified_by for r in receiver.received] == [[old, new], [old, new], [new]]
    assert [len(r.headers["webhook-signature"].split()) for r in receiver.received] == [2, 2, 1]
    for event in Event.objects.all():  # no secret in the audit trail
        assert "whsec_" not in str(event.data)
