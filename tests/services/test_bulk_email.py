"""Email to many contacts (``notifications.bulk``): one message per address, never to an unsubscribed
contact, placeholders filled per contact, a job that resumes without sending twice, counts that add up.

Kari's subscriptions in the placeholder test (T0 = 15 Jan 2027, 09:30 UTC; monthly, send_invoice):

    Team plan   auto-renew, starts 1 Mar 2027      next payment 1 Mar, no end
    Basic       2 payments, starts 1 Feb 2027      next payment 1 Feb, ends after 2 months: the soonest
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.conf import settings

from recurra.accounts.services import account_settings_update
from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.crm.services import contact_create, contact_email_opt_out, contact_update
from recurra.jobs.models import Job
from recurra.jobs.runner import MAX_ATTEMPTS, run_due
from recurra.notifications import bulk
from recurra.notifications.bulk import (
    bulk_email_check,
    bulk_email_preview,
    bulk_email_run,
    bulk_email_send,
    bulk_email_test,
    dedupe_key,
)
from recurra.notifications.models import BulkEmail, BulkEmailRecipient, EmailMessage
from recurra.notifications.unsubscribe import contact_for_token, unsubscribe_url
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")

ALICE = Actor("user", "7", "Alice Admin")
BASE = settings.RECURRA_BASE_URL


def person(email: str, first: str = "", last: str = "", **values: Any) -> Contact:
    return contact_create(actor=SYSTEM, email=email, first_name=first, last_name=last, **values)


def send(
    contacts: Any = None, subject: str = "Hello {{ contact.first_name }}", body: str = "Body"
) -> BulkEmail:
    return bulk_email_send(
        contacts=contacts if contacts is not None else Contact.objects.all(),
        subject=subject,
        body=body,
        source="list:lst_test",
        actor=ALICE,
        at=T0,
    )


def messages(**filters: Any) -> list[EmailMessage]:
    return list(EmailMessage.objects.filter(kind="list_email", **filters).order_by("to"))


def counts(b: BulkEmail) -> tuple[Any, ...]:
    b.refresh_from_db()
    return (b.status, b.contacts, b.recipients, b.sent, b.skipped_opted_out, b.skipped_missing)


def sub(contact: Contact, name: str, **item: Any) -> Any:
    return subscription_create(
        contact=contact,
        name=name,
        line_items=[
            LineItemInput(name=name, unit_amount=3100, currency="USD", billing_frequency="monthly", **item)
        ],
        collection_method="send_invoice",
        payment_terms="net_30",
        invoice_settings={"language": "nb"},
        actor=SYSTEM,
        at=T0,
    )


def test_one_message_per_address_never_to_an_unsubscribed_contact() -> None:
    ada = person("ada@example.com", "Ada")
    person("bob@example.com", "Bob", email_opt_out=True)
    # The same address as Ada's but for its case and a stray space: the database holds both (its
    # uniqueness is of the address as typed, lower-cased), the email goes to it once.
    twin = Contact.objects.create(email=" ADA@Example.com", first_name="Twin")
    person("cy@example.com", "Cy")
    Contact.objects.create(email="", first_name="No address")

    sent = send()
    # Written at once: the email, its addresses (the unsubscribed one counted, not kept), one job.
    assert counts(sent) == ("queued", 5, 3, 0, 1, 0)
    assert sorted(BulkEmailRecipient.objects.values_list("address", "contact_id", "other_contact_ids")) == [
        ("ada@example.com", ada.pk, [twin.pk]),
        ("cy@example.com", Contact.objects.get(email="cy@example.com").pk, []),
    ]
    assert list(Job.objects.values_list("kind", "payload")) == [
        ("bulk_email.send", {"bulk_email_id": sent.pk})
    ]
    assert messages() == []  # nothing before the job runs (after the commit)

    run_due(at=T0)

    assert counts(sent) == ("sent", 5, 3, 2, 1, 0)
    found = messages()
    assert [(m.to, m.contact_id, m.dedupe_key) for m in found] == [
        ("ada@example.com", ada.pk, f"bulk:{sent.pk}:ada@example.com"),
        ("cy@example.com", Contact.objects.get(email="cy@example.com").pk, f"bulk:{sent.pk}:cy@example.com"),
    ]
    assert [m.subject for m in found] == ["Hello Ada", "Hello Cy"]
    assert all(m.status == "sent" for m in found)  # to the test backend (django.core.mail.outbox)
    assert BulkEmailRecipient.objects.count() == 0
    assert sent.finished_at == T0
    assert list(Event.objects.filter(object_id=sent.pk).order_by("id").values_list("type", "actor_name")) == [
        ("bulkemail.created", "Alice Admin"),
        ("bulkemail.sending", "Recurra"),
        ("bulkemail.sent", "Recurra"),
    ]


def test_a_second_run_of_the_job_sends_nothing_twice() -> None:
    for n in range(5):
        person(f"p{n}@example.com", f"P{n}")
    sent = send()
    run_due(at=T0)
    assert counts(sent) == ("sent", 5, 5, 5, 0, 0)
    bulk_email_run(bulk_email_id=sent.pk, at=T0)  # a crashed worker's job run again, or a stray one
    assert counts(sent) == ("sent", 5, 5, 5, 0, 0)
    assert len(messages()) == 5


def test_a_crash_mid_way_resumes_where_the_last_batch_committed(monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(7):
        person(f"p{n}@example.com", f"P{n}")
    monkeypatch.setattr(bulk, "BATCH", 3)
    real = bulk.emails_queue
    calls = []

    def crash_on_the_second_batch(drafts: Any, *, at: Any) -> int:
        calls.append(len(drafts))
        queued = real(drafts, at=at)  # written, then the transaction rolls back
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return queued

    monkeypatch.setattr(bulk, "emails_queue", crash_on_the_second_batch)
    sent = send()
    run_due(at=T0)  # batch 1 committed; batch 2 rolled back; the job waits a minute to retry

    assert counts(sent) == ("sending", 7, 7, 3, 0, 0)
    assert len(messages()) == 3
    sent.refresh_from_db()
    assert (sent.failures, sent.last_error) == (1, "RuntimeError: the worker died")
    (job,) = Job.objects.all()
    assert (job.status, job.attempts) == ("queued", 1)

    run_due(at=job.run_at)  # the retry: batches 2 and 3 (of one)

    assert counts(sent) == ("sent", 7, 7, 7, 0, 0)
    assert calls == [3, 3, 3, 1]
    assert sorted(m.to for m in messages()) == [f"p{n}@example.com" for n in range(7)]
    sent.refresh_from_db()
    assert (sent.failures, sent.last_error) == (0, "")


def test_a_key_already_taken_is_the_last_guard() -> None:
    ada = person("ada@example.com", "Ada")
    sent = send()
    # A message for the address exists already (say a run whose batch committed the messages but
    # was recorded twice): the database refuses a second one.
    EmailMessage.objects.create(
        to="ada@example.com", kind="list_email", run_at=T0, dedupe_key=dedupe_key(sent.pk, "ada@example.com")
    )
    run_due(at=T0)
    assert [(m.to, m.contact_id) for m in messages()] == [("ada@example.com", "")]
    assert ada.pk  # the one already there; none new
    assert counts(sent) == ("sent", 1, 1, 1, 0, 0)


def test_progress_is_counted_per_batch_and_a_long_run_hands_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(5):
        person(f"p{n}@example.com")
    person("out@example.com")
    monkeypatch.setattr(bulk, "BATCH", 2)
    monkeypatch.setattr(bulk, "TIME_BUDGET_S", 0.0)  # each run does one batch, then hands on
    sent = send()
    contact_email_opt_out(
        contact=Contact.objects.get(email="out@example.com"), opted_out=True, actor=SYSTEM, at=T0
    )

    seen = []
    for _ in range(5):
        (job,) = Job.objects.filter(status="queued")
        bulk_email_run(bulk_email_id=sent.pk, at=T0, budget_s=0.0)
        job.status = "done"
        job.save()
        seen.append(counts(sent)[2:])
        if seen[-1][1:3] == (5, 1):
            break
    # (recipients, sent, opted out, missing) after each run; the one who unsubscribed after the
    # email was submitted (the last address) is skipped when their batch comes.
    assert seen == [(6, 2, 0, 0), (6, 4, 0, 0), (6, 5, 1, 0)]
    assert counts(sent)[0] == "sending"
    bulk_email_run(bulk_email_id=sent.pk, at=T0, budget_s=0.0)  # finds none left
    assert counts(sent) == ("sent", 6, 6, 5, 1, 0)
    assert len(messages()) == 5


def test_a_contact_deleted_or_readdressed_meanwhile_is_skipped_as_missing() -> None:
    gone = person("gone@example.com")
    moved = person("moved@example.com")
    person("stays@example.com")
    sent = send()
    gone.delete()
    contact_update(contact=moved, actor=SYSTEM, email="elsewhere@example.com")
    run_due(at=T0)
    assert counts(sent) == ("sent", 3, 3, 1, 0, 2)
    assert [m.to for m in messages()] == ["stays@example.com"]


def test_any_unsubscribed_holder_of_an_address_skips_it() -> None:
    person("ada@example.com", "Ada")
    Contact.objects.create(email="Ada@example.com ", first_name="Twin", email_opt_out=True)
    sent = send()
    run_due(at=T0)
    assert counts(sent) == ("sent", 2, 1, 0, 1, 0)
    assert messages() == []


def test_an_email_that_keeps_failing_ends_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    person("ada@example.com")
    sent = send()

    def broken(drafts: Any, *, at: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bulk, "emails_queue", broken)
    for attempt in range(MAX_ATTEMPTS):
        (job,) = Job.objects.all()
        run_due(at=job.run_at)
        sent.refresh_from_db()
        assert sent.failures == attempt + 1
    assert counts(sent) == ("failed", 1, 1, 0, 0, 0)
    assert sent.last_error == "RuntimeError: disk full"
    assert Job.objects.get().status == "done"  # given up by the email itself; nothing runs again
    assert messages() == []


def test_placeholders_are_filled_per_contact_in_their_language() -> None:
    account_settings_update(actor=SYSTEM, business_name="Fjordline AS")
    kari = person("kari@example.com", "Kari", "Nordmann")
    sub(kari, "Team plan", billing_start=BillingStart(type="date", date=date(2027, 3, 1)))
    basic = sub(
        kari,
        "Basic",
        billing_terms="fixed",
        number_of_payments=2,
        billing_start=BillingStart(type="date", date=date(2027, 2, 1)),
    )
    assert (basic.next_payment_date, basic.end_date) == (date(2027, 2, 1), date(2027, 4, 1))
    person("ola@example.com", "Ola")  # no subscription: empty values, the account's language
    body = (
        "Hi {{contact.first_name}} {{ contact.last_name }} ({{ contact.email }}): "
        "{{ subscription.name }} next {{ subscription.next_payment_date }}, ends {{ subscription.end_date }}."
    )
    sent = send(subject="{{ subscription.name }} for {{ contact.first_name }}", body=body)
    run_due(at=T0)

    kari_email, ola_email = messages()
    assert (kari_email.language, ola_email.language) == ("nb", "en")
    assert kari_email.data == {
        "business_name": "Fjordline AS",
        "subject": "Basic for Kari",
        "body": "Hi Kari Nordmann (kari@example.com): Basic next 1. feb. 2027, ends 1. apr. 2027.",
        "unsubscribe_url": f"{BASE}/unsubscribe/REDACTED/",  # kept without the token
    }
    assert kari_email.subject == "Basic for Kari"
    assert ola_email.data["body"] == "Hi Ola  (ola@example.com):  next , ends ."
    assert ola_email.subject == "for Ola"
    assert f"Meld deg av disse e-postene: {BASE}/unsubscribe/REDACTED/" in kari_email.text_body
    assert counts(sent)[0] == "sent"


def test_unknown_placeholders_and_bad_text_are_a_422_and_write_nothing() -> None:
    person("ada@example.com")
    with pytest.raises(ValidationFailed) as caught:
        send(subject="Hi {{ contact.nickname }}", body="{{ subscription.mrr }} {{ unsubscribe_url }}")
    known = ", ".join(bulk.PLACEHOLDERS)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("subject", f"unknown placeholder(s): contact.nickname; known: {known}"),
        ("body", f"unknown placeholder(s): subscription.mrr, unsubscribe_url; known: {known}"),
    ]
    assert caught.value.status == 422
    with pytest.raises(ValidationFailed) as caught:
        bulk_email_check(subject="  ", body="x" * (bulk.BODY_MAX + 1))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("subject", "must not be blank"),
        ("body", "must be at most 20000 characters"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        bulk_email_check(subject="Two\nlines", body=None)
    assert [e.field for e in caught.value.errors] == ["subject", "body"]
    # Braces that are no placeholder's are the author's text.
    assert bulk_email_check(subject=" {x} {{ }} ", body="{{") == ("{x} {{ }}", "{{")
    assert (BulkEmail.objects.count(), Job.objects.count(), BulkEmailRecipient.objects.count()) == (0, 0, 0)


def test_a_long_subject_is_cut_to_fit_the_message_log() -> None:
    person("ada@example.com", "A" * 100, "B" * 100)
    subject = "{{ contact.first_name }} {{ contact.last_name }} " + "x" * 150
    send(subject=subject)
    run_due(at=T0)
    (sent,) = messages()
    assert len(sent.subject) == bulk.SENT_SUBJECT_MAX and sent.subject.endswith("…")


def test_an_empty_list_is_sent_at_once() -> None:
    sent = send(Contact.objects.none())
    run_due(at=T0)
    assert counts(sent) == ("sent", 0, 0, 0, 0, 0)


def test_the_preview_is_one_contacts_email_with_the_sample_link() -> None:
    kari = person("kari@example.com", "Kari")
    sub(kari, "Team plan")
    shown = bulk_email_preview(
        contact=kari, subject="Hi {{ contact.first_name }}", body="{{ subscription.name }} <3"
    )
    assert shown.subject == "Hi Kari"
    assert shown.text.startswith("Team plan <3\n\n--\nSendt av")  # Kari's emails are in bokmål
    assert f"{BASE}/unsubscribe/test/" in shown.text
    assert "Team plan &lt;3" in shown.html
    assert EmailMessage.objects.count() == 0
    with pytest.raises(ValidationFailed):
        bulk_email_preview(contact=kari, subject="{{ nope }}", body="x")


def test_a_test_message_goes_to_the_author_marked_and_unsubscribes_nobody() -> None:
    kari = person("kari@example.com", "Kari")
    bulk_email_test(
        to=" me@fjordline.example ", contact=kari, subject="Hi {{ contact.first_name }}", body="B", at=T0
    )
    run_due(at=T0)
    (test,) = messages()
    assert (test.to, test.subject, test.contact_id, test.dedupe_key) == (
        "me@fjordline.example",
        "[Test] Hi Kari",
        kari.pk,
        None,
    )
    assert test.data["test"] is True
    assert test.text_body.startswith("This is a test. Its unsubscribe link unsubscribes nobody.\n\nB\n")
    with pytest.raises(ValidationFailed) as caught:
        bulk_email_test(to="not an address", contact=kari, subject="s", body="b", at=T0)
    assert [e.field for e in caught.value.errors] == ["to"]
    kari.refresh_from_db()
    assert kari.email_opt_out is False


def test_opting_out_is_one_audited_change() -> None:
    ada = person("ada@example.com")
    later = T0.replace(hour=12)
    assert contact_email_opt_out(contact=ada, opted_out=True, actor=ALICE, at=later) is True
    assert contact_email_opt_out(contact=ada, opted_out=True, actor=ALICE, at=later) is False
    ada.refresh_from_db()
    assert (ada.email_opt_out, ada.updated_at) == (True, later)
    (event,) = Event.objects.filter(object_id=ada.pk, type="contact.updated")
    assert (event.actor_name, event.created_at, event.data) == (
        "Alice Admin",
        later,
        {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}},
    )
    contact_update(contact=ada, actor=SYSTEM, email_opt_out=False)  # the team, on the contact's word
    ada.refresh_from_db()
    assert ada.email_opt_out is False
    assert Event.objects.filter(object_id=ada.pk, type="contact.updated").count() == 2
    with pytest.raises(ValidationFailed):
        contact_update(contact=ada, actor=SYSTEM, email_opt_out="yes")
    with pytest.raises(ValidationFailed):
        contact_email_opt_out(contact=ada, opted_out=1, actor=SYSTEM, at=T0)  # type: ignore[arg-type]


def test_the_unsubscribe_token_names_one_contact_and_nothing_else() -> None:
    ada, bob = person("ada@example.com"), person("bob@example.com")
    token = unsubscribe_url(ada.pk).rstrip("/").rsplit("/", 1)[1]
    assert contact_for_token(token) == ada
    assert contact_for_token(token.replace(ada.pk, bob.pk)) is None  # another id under its signature
    assert contact_for_token(ada.pk) is None and contact_for_token("test") is None
    from recurra.invoicing.links import pay_token
    from recurra.invoicing.models import Invoice

    assert contact_for_token(pay_token(Invoice(pk=ada.pk))) is None  # another purpose's signature


def test_transactional_emails_still_go_to_an_unsubscribed_contact() -> None:
    kari = person("kari@example.com", "Kari", email_opt_out=True)
    sub(kari, "Team plan")
    from recurra.worker.steps import run_due_work

    run_due_work(at=clock.now())  # the first invoice (send_invoice): emailed
    invoice_email = EmailMessage.objects.get(kind="invoice")
    assert (invoice_email.to, invoice_email.status) == ("kari@example.com", "sent")
