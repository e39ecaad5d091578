"""Emails: queued in the caller's transaction, sent after it through a real SMTP server, retried, logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from recurra.jobs import runner
from recurra.notifications.models import EmailMessage
from recurra.notifications.services import EmailDraft, email_queue, emails_queue
from tests import smtp
from tests.unit.test_email_render import SAMPLES

pytestmark = pytest.mark.django_db
smtp_server, smtp_down = smtp.smtp_server, smtp.smtp_down  # the fixtures, used by name
AT = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


def receipt(language: str = "en", **overrides: object) -> EmailDraft:
    fields: dict = {
        "kind": "receipt",
        "to": "kari@example.com",
        "language": language,
        "data": SAMPLES["receipt"],
        "contact_id": "con_1",
        "subscription_id": "sub_1",
        "invoice_id": "in_1",
        "payment_id": "pay_1",
    }
    return EmailDraft(**(fields | overrides))  # type: ignore[arg-type]


def body(message: Any, subtype: str) -> str:
    """A part's text as Recurra wrote it (SMTP carries CRLF line ends)."""
    return str(message.get_body((subtype,)).get_content()).replace("\r\n", "\n")


def queue(*drafts: EmailDraft, at: datetime = AT) -> int:
    with transaction.atomic():
        return emails_queue(drafts, at=at)


def test_a_queued_receipt_is_sent_after_commit_with_subject_text_and_html(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "Fjord Software <billing@fjord.example>"
    assert queue(receipt()) == 1
    email = EmailMessage.objects.get()
    assert (email.status, email.subject, email.text_body, email.sent_at) == ("queued", "", "", None)
    assert smtp_server.messages == []  # nothing leaves before the runner

    assert runner.run_due(at=AT + timedelta(seconds=5)) == 1

    [message] = smtp_server.messages
    assert smtp_server.envelopes == [("billing@fjord.example", ["kari@example.com"])]
    assert message["Subject"] == "Receipt from Fjord Software AS: NOK1,234.50"
    assert message["From"] == "Fjord Software <billing@fjord.example>"
    assert message["To"] == "kari@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Recurra-Email-Id"] == email.pk
    text, html = body(message, "plain"), body(message, "html")
    assert text.startswith("Hi Kari Nordmann,\n\nThank you for your payment of NOK1,234.50 for Pro plan.\n")
    assert '<td style="padding:3px 0;text-align:right;vertical-align:top;">INV-0007</td>' in html

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error, email.lease_until_ms) == ("sent", 1, "", 0)
    assert email.sent_at == AT + timedelta(seconds=5)
    assert email.updated_at == AT + timedelta(seconds=5)
    assert email.subject == message["Subject"]
    assert email.text_body == text
    assert email.html_body == html
    assert runner.run_due(at=AT + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 1  # sent once


def test_norwegian_email_arrives_in_norwegian(smtp_server):
    queue(receipt("nb"))
    runner.run_due(at=AT)
    [message] = smtp_server.messages
    # Django folds an encoded subject after "Subject:"; unfolding leaves one leading space.
    assert message["Subject"].strip() == "Kvittering fra Fjord Software AS: 1\xa0234,50\xa0kr"
    assert body(message, "plain").startswith(
        "Hei Kari Nordmann,\n\nTakk for betalingen på 1\xa0234,50\xa0kr for Pro plan.\n"
    )
    assert '<html lang="nb">' in body(message, "html")


def test_one_connection_serves_a_batch(smtp_server, monkeypatch):
    opened: list[int] = []
    from django.core.mail.backends.smtp import EmailBackend

    real_open = EmailBackend.open

    def counting_open(self):  # type: ignore[no-untyped-def]
        created = real_open(self)
        if created:
            opened.append(1)
        return created

    monkeypatch.setattr(EmailBackend, "open", counting_open)
    queue(*(receipt(to=f"buyer{n}@example.com") for n in range(5)))
    assert runner.run_due(at=AT) == 5
    assert sorted(rcpt[0] for _, rcpt in smtp_server.envelopes) == [f"buyer{n}@example.com" for n in range(5)]
    assert len(opened) == 1


def test_without_email_url_the_email_is_only_logged(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    queue(receipt())
    assert runner.run_due(at=AT) == 1
    email = EmailMessage.objects.get()
    assert (email.status, email.sent_at, email.attempts) == ("logged", AT, 1)
    assert email.subject == "Receipt from Fjord Software AS: NOK1,234.50"
    assert email.text_body.startswith("Hi Kari Nordmann,")
    assert email.html_body.startswith("<!doctype html>")
    assert mail.outbox == []


def test_smtp_down_is_retried_with_backoff_then_failed_after_six_attempts(smtp_down):
    queue(receipt())
    now = AT
    for attempt, gap in enumerate([1, 5, 30, 120, 720], start=1):
        assert runner.run_due(at=now) == 1
        email = EmailMessage.objects.get()
        assert (email.status, email.attempts, email.run_at) == (
            "queued",
            attempt,
            now + timedelta(minutes=gap),
        )
        assert email.last_error.startswith("ConnectionRefusedError: ")
        assert email.sent_at is None
        now += timedelta(minutes=gap)
    assert runner.run_due(at=now) == 1
    email = EmailMessage.objects.get()
    assert (email.status, email.attempts, email.sent_at) == ("failed", 6, None)
    assert email.last_error.startswith("ConnectionRefusedError: ")
    assert email.subject == ""  # outcome fields are only kept when it went
    assert runner.run_due(at=now + timedelta(days=7)) == 0
    assert EmailMessage.objects.count() == 1  # never lost: still in the log


def test_a_buyer_link_is_kept_until_the_last_attempt_then_redacted(smtp_down):
    url = "https://billing.example.com/update-payment-method/lTxa2388QtaLTAzEqN6BH1AQhHwGFqahng-VBRUrBJU/"
    data = SAMPLES["payment_method_update"] | {"update_url": url}
    queue(receipt(kind="payment_method_update", data=data))
    now = AT
    for gap in [1, 5, 30, 120, 720]:
        runner.run_due(at=now)
        assert EmailMessage.objects.get().data["update_url"] == url  # needed for the next attempt
        now += timedelta(minutes=gap)
    runner.run_due(at=now)
    email = EmailMessage.objects.get()
    assert email.status == "failed"
    assert email.data == data | {"update_url": "https://billing.example.com/update-payment-method/REDACTED/"}


def test_smtp_back_up_sends_on_the_next_attempt(smtp_down):
    queue(receipt())
    runner.run_due(at=AT)
    runner.run_due(at=AT + timedelta(minutes=1))
    server = smtp.SmtpServer(port=smtp_down)
    controller = Controller(server, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        assert runner.run_due(at=AT + timedelta(minutes=5)) == 0  # the third attempt is due at +6 min
        assert runner.run_due(at=AT + timedelta(minutes=6)) == 1
    finally:
        controller.stop()
    email = EmailMessage.objects.get()
    assert (email.status, email.attempts, email.sent_at) == ("sent", 3, AT + timedelta(minutes=6))
    assert len(server.messages) == 1


def test_dedupe_key_prevents_a_second_reminder(smtp_server):
    reminder = EmailDraft(
        kind="payment_reminder",
        to="kari@example.com",
        language="en",
        data=SAMPLES["payment_reminder"],
        subscription_id="sub_1",
        dedupe_key="reminder:sub_1:2027-02-15",
    )
    assert queue(reminder, reminder) == 1  # twice in one batch
    runner.run_due(at=AT)
    with transaction.atomic():
        assert email_queue(reminder, at=AT + timedelta(days=1)) is False  # after it was sent
    assert runner.run_due(at=AT + timedelta(days=1)) == 0
    assert EmailMessage.objects.count() == 1
    assert len(smtp_server.messages) == 1


def test_emails_rolled_back_with_their_transaction_are_never_sent(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        emails_queue([receipt()], at=AT)
        raise RuntimeError("billing failed")
    assert runner.run_due(at=AT) == 0
    assert not EmailMessage.objects.exists()
    assert smtp_server.messages == []


def test_queueing_thousands_takes_a_few_statements():
    drafts = [receipt(to=f"b{n}@example.com", dedupe_key=f"r:{n}") for n in range(2500)]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        assert emails_queue(drafts, at=AT) == 2500
    # One insert per thousand: COPY on PostgreSQL, a multi-row INSERT on SQLite (core.bulk), each in
    # a savepoint (a key taken meanwhile by another transaction: again, with conflicts ignored).
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    selects = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert len(inserts) == 3
    assert len(selects) == 3  # the taken dedupe keys, once per thousand; no clock read per row
    first = EmailMessage.objects.order_by("id").first()
    assert first is not None
    assert (first.created_at, first.updated_at, first.run_at, first.status) == (AT, AT, AT, "queued")
    assert (first.contact_id, first.subscription_id, first.invoice_id, first.payment_id) == (
        "con_1",
        "sub_1",
        "in_1",
        "pay_1",
    )


def test_data_is_stored_as_json_and_language_normalised():
    from datetime import date

    data = SAMPLES["export_ready"] | {"expires_on": date(2027, 2, 14)}
    queue(EmailDraft(kind="export_ready", to="ops@example.com", language="nb-NO", data=data))
    email = EmailMessage.objects.get()
    assert email.data["expires_on"] == "2027-02-14"
    assert (email.language, email.contact_id, email.dedupe_key) == ("nb", "", None)


def test_a_render_error_is_retried_and_kept(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    queue(receipt())
    EmailMessage.objects.update(data={"business_name": "x"})  # a broken row (e.g. written by hand)
    assert runner.run_due(at=AT) == 1
    email = EmailMessage.objects.get()
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.last_error.startswith("MissingData: receipt email data lacks contact_name, ")
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_queueing_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="emails_queue must be called inside the transaction"):
        emails_queue([receipt()], at=AT)
    assert not EmailMessage.objects.exists()


def test_a_key_taken_by_another_transaction_meanwhile_is_skipped(monkeypatch):
    """The keys are looked up first; one taken after the look-up (another transaction committed it)
    fails the fast insert, which is made again with conflicts ignored."""
    from recurra.notifications import services

    drafts = [receipt(to=f"b{n}@example.com", dedupe_key=f"r:{n}") for n in range(3)]
    EmailMessage.objects.create(to="other@example.com", kind="receipt", run_at=AT, dedupe_key="r:1")
    monkeypatch.setattr(services, "keys_taken", lambda keys: set())  # looked up before it committed
    with transaction.atomic():
        assert emails_queue(drafts, at=AT) == 3  # one too many: said in its docstring
    assert sorted(EmailMessage.objects.values_list("dedupe_key", "to")) == [
        ("r:0", "b0@example.com"),
        ("r:1", "other@example.com"),
        ("r:2", "b2@example.com"),
    ]
