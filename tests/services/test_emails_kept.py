"""The email queue keeps outcomes 100 at a time: one UPDATE for a batch, each row its own bodies;
a row whose lease another worker holds keeps that worker's state."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from recurra.core import clock
from recurra.jobs import runner
from recurra.notifications.models import EmailMessage
from recurra.notifications.render import render
from recurra.notifications.send import KEEP_EVERY
from recurra.notifications.services import EmailDraft, emails_queue
from tests.unit.test_email_render import SAMPLES

pytestmark = pytest.mark.django_db
AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


def _queue(n: int) -> None:
    drafts = [
        EmailDraft(
            kind="receipt", to=f"buyer{i}@example.com", language=("en", "nb")[i % 2], data=SAMPLES["receipt"]
        )
        for i in range(n)
    ]
    with transaction.atomic():
        assert emails_queue(drafts, at=AT) == n


def _updates(queries: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith('UPDATE "notifications_emailmessage"') for q in queries.captured_queries)


def test_a_batch_of_150_is_kept_in_two_updates_each_row_with_its_own_rendering():
    assert KEEP_EVERY == 100
    _queue(150)
    sent = AT + timedelta(seconds=5)
    with CaptureQueriesContext(connection) as queries:
        assert runner.run_due(at=sent) == 150
    assert _updates(queries) == 3  # the claim, then the outcomes of 100 and of 50

    english, norwegian = (
        render("receipt", "en", SAMPLES["receipt"]),
        render("receipt", "nb", SAMPLES["receipt"]),
    )
    rows = EmailMessage.objects.order_by("to")
    assert {(e.status, e.attempts, e.lease_until_ms, e.sent_at, e.updated_at) for e in rows} == {
        ("sent", 1, 0, sent, sent)  # the test backend keeps them in memory
    }
    for email in rows:
        expected = english if int(email.to.removeprefix("buyer").split("@")[0]) % 2 == 0 else norwegian
        assert (email.subject, email.text_body, email.html_body) == (
            expected.subject,
            expected.text,
            expected.html,
        )
    assert english.subject != norwegian.subject


def test_an_outcome_is_not_kept_over_a_lease_another_worker_took(monkeypatch):
    _queue(3)
    taken: list[str] = []
    deliver = runner._QUEUES["emails"].handle

    def handle(message, **kwargs):  # type: ignore[no-untyped-def]
        if not taken:  # another worker takes the first row (as after an expired lease)
            EmailMessage.objects.filter(pk=message.pk).update(lease_until_ms=clock.epoch_ms() + 600_000)
            taken.append(message.pk)
        return deliver(message, **kwargs)

    monkeypatch.setitem(
        runner._QUEUES, "emails", dataclasses.replace(runner._QUEUES["emails"], handle=handle)
    )
    assert runner.run_due(at=AT) == 3
    states = dict(EmailMessage.objects.values_list("pk", "status"))
    assert states.pop(taken[0]) == "sending"  # the other worker's, untouched
    assert set(states.values()) == {"sent"}
