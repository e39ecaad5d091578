"""GET /emails: the message log, filtered, paged newest first, readable by every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from recurra.accounts.roles import Role
from recurra.jobs import runner
from recurra.notifications.models import EmailMessage
from recurra.notifications.services import EmailDraft, emails_queue
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.conftest import T0
from tests.unit.test_email_render import SAMPLES

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")


def draft(kind: str, to: str, subscription_id: str | None = None) -> EmailDraft:
    return EmailDraft(kind=kind, to=to, language="en", data=SAMPLES[kind], subscription_id=subscription_id)


@pytest.fixture
def log(settings) -> dict[str, str]:
    """Three emails: a receipt and a reminder for sub_1 (sent), an invoice for sub_2 (still queued)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        emails_queue(
            [
                draft("receipt", "kari@example.com", "sub_1"),
                draft("payment_reminder", "kari@example.com", "sub_1"),
            ],
            at=T0,
        )
        emails_queue([draft("invoice", "ola@example.com", "sub_2")], at=T0 + timedelta(hours=1))
    runner.run_due(at=T0)
    return {e.kind: e.pk for e in EmailMessage.objects.all()}


def ids(response) -> list[str]:
    return [e["id"] for e in ok(response)["data"]]


def test_list_is_newest_first_with_the_documented_fields(api, log):
    body = ok(api.get("/emails"))
    assert (body["has_more"], body["next_cursor"]) == (False, None)
    invoice, reminder, receipt = body["data"]
    assert [invoice["id"], reminder["id"], receipt["id"]] == [
        log["invoice"],
        log["payment_reminder"],
        log["receipt"],
    ]
    assert receipt == {
        "id": log["receipt"],
        "to": "kari@example.com",
        "kind": "receipt",
        "subject": "Receipt from Fjord Software AS: NOK1,234.50",
        "status": "sent",
        "language": "en",
        "contact_id": None,
        "subscription_id": "sub_1",
        "invoice_id": None,
        "payment_id": None,
        "attempts": 1,
        "last_error": "",
        "run_at": T0_TEXT,
        "created_at": T0_TEXT,
        "sent_at": T0_TEXT,
    }
    assert (invoice["status"], invoice["subject"], invoice["sent_at"], invoice["attempts"]) == (
        "queued",
        "",
        None,
        0,
    )
    assert "text_body" not in receipt and "html_body" not in receipt


def test_filters(api, log):
    assert ids(api.get("/emails", to="kari@example.com")) == [log["payment_reminder"], log["receipt"]]
    assert ids(api.get("/emails", subscription_id="sub_2")) == [log["invoice"]]
    assert ids(api.get("/emails", kind="receipt")) == [log["receipt"]]
    assert ids(api.get("/emails", status="queued")) == [log["invoice"]]
    assert ids(api.get("/emails", to="kari@example.com", kind="invoice")) == []
    assert ids(api.get("/emails", to="nobody@example.com")) == []


def test_pages_follow_the_cursor(api, log):
    first = ok(api.get("/emails", limit=2))
    assert [e["id"] for e in first["data"]] == [log["invoice"], log["payment_reminder"]]
    assert first["has_more"] is True
    second = ok(api.get("/emails", limit=2, cursor=first["next_cursor"]))
    assert ([e["id"] for e in second["data"]], second["has_more"]) == ([log["receipt"]], False)


def test_one_email_includes_its_bodies(api, log):
    email = ok(api.get(f"/emails/{log['receipt']}"))
    assert email["text_body"].startswith("Hi Kari Nordmann,\n\nThank you for your payment of NOK1,234.50")
    assert email["html_body"].startswith("<!doctype html>")
    queued = ok(api.get(f"/emails/{log['invoice']}"))
    assert (queued["text_body"], queued["html_body"]) == ("", "")


def test_unknown_email_is_404(api, log):
    assert_problem(api.get("/emails/em_nothing"), 404)


def test_bad_filters_are_422(api, log):
    assert_problem(api.get("/emails", kind="newsletter"), 422, "kind")
    assert_problem(api.get("/emails", status="bounced"), 422, "status")


def test_roles(api_as, log):
    assert_problem(api_as(None).get("/emails"), 401)
    assert_problem(api_as(None).get(f"/emails/{log['receipt']}"), 401)
    for role in (Role.VIEWER, Role.EDITOR, Role.SUPER_ADMIN):
        assert len(ids(api_as(role).get("/emails"))) == 3
        assert ok(api_as(role).get(f"/emails/{log['receipt']}"))["id"] == log["receipt"]


def test_the_log_cannot_be_written_through_the_api(api, log):
    assert api.post("/emails", {"to": "x@example.com"}).status_code == 405
    assert api.delete(f"/emails/{log['receipt']}").status_code == 405
    assert EmailMessage.objects.count() == 3
