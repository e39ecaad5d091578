"""Email this list in the app: preview as the first member gets it, a test to oneself, then the send
and its progress; nothing to the unsubscribed; editors only."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from recurra.core import clock
from recurra.crm.models import Contact
from recurra.insights.lists.services import list_create, list_members_add
from recurra.notifications.models import BulkEmail, EmailMessage
from recurra.subscriptions.models import Subscription
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM
from tests.web.html import messages

pytestmark = pytest.mark.usefixtures("frozen_clock")
BODY = {"subject": "Renew, {{ contact.first_name }}", "body": "It ends on {{ subscription.end_date }}."}


@pytest.fixture
def vip(db):
    found = list_create(name="VIP", object="contacts", kind="static", actor=SYSTEM, at=clock.now())
    ada = Contact.objects.create(email="ada@example.com", first_name="Ada")
    bo = Contact.objects.create(email="bo@example.com", first_name="Bo", email_opt_out=True)
    Subscription.objects.create(
        name="Pro",
        status="active",
        contact=ada,
        currency="USD",
        billing_frequency="monthly",
        billing_terms="fixed",
        start_date=date(2026, 6, 1),
        next_payment_date=date(2027, 2, 1),
        end_date=date(2027, 5, 31),
        collection_method="charge_automatically",
    )
    list_members_add(record_list=found, ids=[ada.pk, bo.pk], actor=SYSTEM, at=clock.now())
    return found


def test_preview_test_then_send(editor: Client, vip) -> None:
    page = editor.post(f"/lists/{vip.pk}/email/", {**BODY, "action": "preview"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Renew, Ada" in text and "31 May 2027" in text
    assert not EmailMessage.objects.exists()

    tested = editor.post(f"/lists/{vip.pk}/email/", {**BODY, "action": "test"}, follow=True)
    (test,) = EmailMessage.objects.filter(kind="list_email")
    assert (test.to, test.data["test"]) == ("editor@recurra.example", True)  # "[Test]" in its subject
    assert any("A test went to" in m for m in messages(tested))

    sent = editor.post(f"/lists/{vip.pk}/email/", {**BODY, "action": "send"})
    assert sent.status_code == 302
    bulk = BulkEmail.objects.get()
    run_due_work(at=clock.now())
    progress = editor.get(sent["Location"])
    assert 'data-status="sent"' in progress.content.decode()
    to_list = EmailMessage.objects.filter(kind="list_email").exclude(pk=test.pk)
    assert list(to_list.values_list("to", flat=True)) == ["ada@example.com"]  # not bo: unsubscribed
    bulk.refresh_from_db()
    assert (bulk.sent, bulk.skipped_opted_out) == (1, 1)


def test_bad_placeholders_and_viewers(editor: Client, viewer: Client, vip) -> None:
    bad = editor.post(
        f"/lists/{vip.pk}/email/", {"subject": "x", "body": "{{ contact.shoe }}", "action": "send"}
    )
    assert bad.status_code == 422 and not BulkEmail.objects.exists()
    assert viewer.get(f"/lists/{vip.pk}/email/").status_code == 403
    assert viewer.post(f"/lists/{vip.pk}/email/", {**BODY, "action": "send"}).status_code == 403
