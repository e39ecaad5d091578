"""Public events are written in the change's transaction, only when an enabled endpoint wants them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from recurra.automation.models import PublicEvent, WebhookDelivery
from recurra.automation.webhooks import catalog, services
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.services import contact_create

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _endpoint(types: list[str]):
    return services.endpoint_create(
        url="http://127.0.0.1:9/x", enabled_events=types, actor=SYSTEM, at=clock.now()
    ).endpoint


def test_without_endpoints_nothing_is_written_and_the_endpoints_are_read_once_per_transaction() -> None:
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for n in range(3):
            contact_create(actor=SYSTEM, email=f"c{n}@example.com")
    reads = [q["sql"] for q in queries.captured_queries if "automation_webhookendpoint" in q["sql"]]
    assert len(reads) == 1
    assert not any("automation_publicevent" in q["sql"] for q in queries.captured_queries)
    assert PublicEvent.objects.count() == 0


def test_only_wanted_types_to_enabled_endpoints() -> None:
    paid = _endpoint(["invoice.paid"])
    contacts = _endpoint(["contact.created"])
    off = _endpoint(["*"])
    services.endpoint_update(endpoint=off, actor=SYSTEM, status="disabled")
    contact_create(actor=SYSTEM, email="ada@example.com")
    (event,) = PublicEvent.objects.all()
    assert event.type == "contact.created"
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [contacts.pk]
    assert not WebhookDelivery.objects.filter(endpoint__in=[paid, off]).exists()


def test_a_rolled_back_change_makes_no_event() -> None:
    _endpoint(["*"])
    with pytest.raises(RuntimeError), transaction.atomic():
        contact_create(actor=SYSTEM, email="ada@example.com")
        raise RuntimeError("rolled back")
    assert PublicEvent.objects.count() == WebhookDelivery.objects.count() == 0


def test_the_docs_list_every_event_type_with_a_sample() -> None:
    text = DOCS.read_text()
    for event_type in catalog.EVENT_TYPES:
        assert f"| [`{event_type}`]" in text, event_type
        assert f"### {event_type}\n\n```json\n" in text, event_type
