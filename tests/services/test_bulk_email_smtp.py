"""An email to 10,000 contacts, end to end through a real SMTP server (aiosmtpd).

    10,000 contacts: 9,800 addresses, 200 of them twice (again in upper case, after a space);
                     1 in 20 addresses unsubscribed, and 20 more through their second contact
    bulk_email_send  → one job → run_due: the job queues, the email queue sends over SMTP
    aiosmtpd         exactly one message per address still subscribed, none to the others;
                     each with List-Unsubscribe <…/unsubscribe/<token>/> and List-Unsubscribe-Post
    one-click POST   to one message's link (RFC 8058, no CSRF token): 200, that contact unsubscribed,
                     audited as the link's

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (about 30 s on SQLite on a laptop-class
machine, most of it rendering and sending 9,290 messages).
"""

from __future__ import annotations

import email
import email.policy
import time
from email.parser import BytesHeaderParser
from email.policy import compat32
from urllib.parse import urlsplit

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.jobs.runner import run_due
from recurra.notifications.bulk import bulk_email_send
from recurra.notifications.models import BulkEmail, EmailMessage
from recurra.notifications.unsubscribe import contact_for_token
from tests import smtp
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
smtp_server = smtp.smtp_server  # the fixture, used by name

ADDRESSES = 9_800
TWICE = 200  # addresses with a second contact: every 49th
OUT_EVERY = 20  # 1 in 20 addresses unsubscribed


def seed() -> tuple[set[str], set[str]]:
    """The contacts; (addresses to write to, addresses unsubscribed), in lower case."""
    contacts = []
    opted_out = set()
    for i in range(ADDRESSES):
        out = i % OUT_EVERY == 0
        contacts.append(Contact(email=f"c{i:05d}@example.com", first_name=f"C{i}", email_opt_out=out))
        if out:
            opted_out.add(f"c{i:05d}@example.com")
    for j in range(TWICE):
        i = j * 49
        out = j % 10 == 5  # the second contact unsubscribed, the first not (i = 245, 735, ...)
        contacts.append(Contact(email=f" C{i:05d}@Example.COM", first_name=f"Twin{i}", email_opt_out=out))
        if out:
            opted_out.add(f"c{i:05d}@example.com")
    Contact.objects.bulk_create(contacts, batch_size=1000)
    every = {f"c{i:05d}@example.com" for i in range(ADDRESSES)}
    return every - opted_out, opted_out


def test_ten_thousand_contacts_get_one_message_per_address_with_working_unsubscribe_links(
    smtp_server: smtp.SmtpServer,
) -> None:
    account_settings_update(actor=SYSTEM, business_name="Fjordline Software AS")
    wanted, opted_out = seed()
    assert (Contact.objects.count(), len(wanted), len(opted_out)) == (10_000, 9_290, 510)
    started = time.perf_counter()

    sent = bulk_email_send(
        contacts=Contact.objects.all(),
        subject="{{ contact.first_name }}, renew now",
        body="Hi {{ contact.first_name }},\n\nYour plan ends soon.",
        source="list:lst_renewals",
        actor=SYSTEM,
        at=T0,
    )
    submitted = time.perf_counter() - started
    run_due(at=T0)
    seconds = time.perf_counter() - started

    received = [str(to).lower() for _, tos in smtp_server.envelopes for to in tos]
    assert len(received) == len(set(received)) == 9_290  # one each, none twice
    assert set(received) == wanted and not set(received) & opted_out
    sent.refresh_from_db()
    assert (
        sent.status,
        sent.contacts,
        sent.recipients,
        sent.sent,
        sent.skipped_opted_out,
        sent.skipped_missing,
    ) == (
        "sent",
        10_000,
        9_800,
        9_290,
        510,
        0,
    )
    assert sent.sent + sent.skipped_opted_out + sent.skipped_missing == sent.recipients
    logged = EmailMessage.objects.filter(kind="list_email")
    assert (logged.count(), logged.filter(status="sent").count()) == (9_290, 9_290)

    links = {}
    headers = BytesHeaderParser(policy=compat32)  # headers only: a full parse of each takes a millisecond
    for raw in smtp_server.raw:
        message = headers.parsebytes(raw)
        to = str(message["To"]).lower()
        link = " ".join(str(message["List-Unsubscribe"]).split())  # unfolded: the URL is long
        assert link.startswith("<") and link.endswith(">"), link
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert str(message["Auto-Submitted"]) == "auto-generated"
        token = urlsplit(link[1:-1]).path.removeprefix("/unsubscribe/").removesuffix("/")
        links[to] = (link[1:-1], token)
    assert len(links) == 9_290
    # Every link names the contact it was sent to (spot-checked: a signature check per message).
    for to in sorted(links)[::97]:
        contact = contact_for_token(links[to][1])
        assert contact is not None and contact.email.strip().lower() == to
    first = email.message_from_bytes(smtp_server.raw[0], policy=email.policy.default)
    body = first.get_body(preferencelist=("plain",)).get_content()
    assert str(first["Subject"]) == f"{body.split(',')[0].removeprefix('Hi ')}, renew now"
    assert links[str(first["To"]).lower()][0] in body

    # The mailbox provider's unsubscribe button: one POST, no CSRF token, no page.
    link, token = links["c00001@example.com"]
    response = Client(enforce_csrf_checks=True).post(
        urlsplit(link).path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.content) == (200, b"")
    one = Contact.objects.get(email="c00001@example.com")
    assert one.email_opt_out is True
    event = Event.objects.get(object_id=one.pk, type="contact.updated")
    assert (event.actor_type, event.actor_name, event.data) == (
        "system",
        "Unsubscribe link (one-click)",
        {"before": {"email_opt_out": False}, "after": {"email_opt_out": True}},
    )
    assert BulkEmail.objects.count() == 1
    print(f"\n10,000 contacts: submitted in {submitted:.2f} s, all sent in {seconds:.1f} s")
    assert seconds < 120, seconds


def test_a_twin_address_goes_to_the_first_contact_in_its_own_case(smtp_server: smtp.SmtpServer) -> None:
    Contact.objects.bulk_create(
        [
            Contact(email="Ada@Example.com", first_name="Ada"),
            Contact(email=" ADA@example.COM ", first_name="Twin"),
        ]
    )
    bulk_email_send(
        contacts=Contact.objects.all(),
        subject="Hi {{ contact.first_name }}",
        body="B",
        source="",
        actor=SYSTEM,
        at=T0,
    )
    run_due(at=T0)
    assert [
        (tos, str(m["Subject"]))
        for (_, tos), m in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    ] == [(["Ada@Example.com"], "Hi Ada")]
