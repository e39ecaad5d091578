"""Email to many contacts (a list's members): written once, previewed, tested, then sent by a job.

The one way Recurra writes to many contacts at once. The lists code (or anything
else above) calls:

- :func:`bulk_email_preview` — the email as one contact would get it;
- :func:`bulk_email_test` — one message to the author's own address, ``[Test]``
  in its subject, its unsubscribe link a sample that unsubscribes nobody;
- :func:`bulk_email_send` — a :class:`BulkEmail` and ONE job, in the caller's
  transaction (house rule 8); the job queues one ``list_email`` per address.

Placeholders: ``{{ contact.first_name }}``, ``{{ contact.last_name }}``,
``{{ contact.email }}``, and of the contact's soonest upcoming subscription
(:data:`UPCOMING`, by next payment date, then end date)
``{{ subscription.name }}``, ``{{ subscription.next_payment_date }}``,
``{{ subscription.end_date }}`` (dates as the contact's language writes them;
empty when there is none). No template engine touches the author's text: a
regular expression replaces the known placeholders, and any other ``{{ ... }}``
is refused (a 422 on ``subject`` or ``body``) when the email is checked.

Recipients: one message per address, whatever its case (contacts with no
address are none); never to an unsubscribed contact (``Contact.email_opt_out``),
checked when the email is submitted and again when its batch is queued. If any
contact with an address is unsubscribed, the address is skipped. The addresses
are taken when the email is submitted (:class:`BulkEmailRecipient`: the list
as it was then); the job works through them in batches of :data:`BATCH`, each
in one transaction that queues its messages, counts them and deletes its rows,
so a job that crashed resumes where its last batch committed. Each message's
dedupe key ``bulk:<id>:<address>`` is the database's last guard against a
second message to the same address. A job that runs longer than
:data:`TIME_BUDGET_S` hands the rest to a job of its own (the lease of a
worker's job is five minutes).

The contact's subscriptions are in a layer above this one: they are asked
through a port, :func:`register_contact_facts` (the subscriptions app registers
its source when it starts).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from recurra.accounts.selectors import account_settings
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, ValidationFailed
from recurra.core.formats import day_text
from recurra.crm.models import Contact
from recurra.jobs.queue import job_enqueue
from recurra.jobs.runner import MAX_ATTEMPTS, job_handler
from recurra.notifications.models import BulkEmail, BulkEmailRecipient, BulkEmailStatus, EmailKind
from recurra.notifications.render import Rendered, render, supported_language
from recurra.notifications.services import EmailDraft, email_queue, emails_queue
from recurra.notifications.unsubscribe import sample_unsubscribe_url, unsubscribe_urls

JOB = "bulk_email.send"
BATCH = 1000  # addresses queued per transaction
TIME_BUDGET_S = 60.0  # a job's run, in real seconds, before it hands the rest to the next job
SUBJECT_MAX = 200
BODY_MAX = 20_000
SENT_SUBJECT_MAX = 250  # a subject with its placeholders filled (the message log keeps 300)
DEDUPE_KEY_MAX = 200

# Anything in double braces that reads like a name: a placeholder, known or not.
PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*}}")
PLACEHOLDERS = (
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "subscription.name",
    "subscription.next_payment_date",
    "subscription.end_date",
)
SYSTEM = Actor.system()

# Statuses: each one's next (rule 9). Queued → sending at the first batch; sent when no address is
# left; failed after MAX_ATTEMPTS runs in a row failed without progress.
TRANSITIONS: dict[str, frozenset[str]] = {
    BulkEmailStatus.QUEUED: frozenset({BulkEmailStatus.SENDING, BulkEmailStatus.FAILED}),
    BulkEmailStatus.SENDING: frozenset({BulkEmailStatus.SENT, BulkEmailStatus.FAILED}),
    BulkEmailStatus.SENT: frozenset(),
    BulkEmailStatus.FAILED: frozenset(),
}
FINISHED = frozenset({BulkEmailStatus.SENT, BulkEmailStatus.FAILED})


class BulkEmailTransitionError(ValueError):
    """A bulk email was asked to move to a status its own does not lead to."""


# The contacts' subscriptions, through a port -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the layers above know of a contact: their language (their subscriptions' emails'),
    and their soonest upcoming subscription's name and dates (none: empty)."""

    language: str = ""
    subscription_name: str = ""
    next_payment_date: date | None = None
    end_date: date | None = None


FactsSource = Callable[[Sequence[str]], Mapping[str, ContactFacts]]
_facts_sources: list[FactsSource] = []


def register_contact_facts(source: FactsSource) -> None:
    """``source(contact_ids)`` → ``{contact_id: ContactFacts}`` (contacts it knows nothing of left out)."""
    if source not in _facts_sources:
        _facts_sources.append(source)


def contact_facts(contact_ids: Sequence[str]) -> dict[str, ContactFacts]:
    found: dict[str, ContactFacts] = {}
    for source in _facts_sources:
        found.update(source(contact_ids))
    return found


def contact_language(contact_id: str, *, default: str | None = None) -> str:
    """The language to write to a contact in: theirs when known (their subscriptions' emails'),
    else ``default`` (the account's when not given)."""
    known = contact_facts([contact_id]).get(contact_id)
    if known is not None and known.language:
        return supported_language(known.language)
    return supported_language(default if default is not None else account_settings().default_language)


# Checking and filling the author's text -------------------------------------------------------


def bulk_email_check(*, subject: Any, body: Any) -> tuple[str, str]:
    """The subject and body, stripped; a 422 naming each problem (blank, too long, an unknown
    placeholder)."""
    errors: list[FieldError] = []
    checked = []
    for field, value, most in (("subject", subject, SUBJECT_MAX), ("body", body, BODY_MAX)):
        text = value.strip() if isinstance(value, str) else ""
        if not text or "\x00" in text:
            errors.append(FieldError(field, gettext("must not be blank")))
        elif len(text) > most:
            errors.append(
                FieldError(field, gettext("must be at most %(limit)s characters") % {"limit": most})
            )
        elif field == "subject" and ("\n" in text or "\r" in text):
            errors.append(FieldError(field, gettext("must be one line")))
        else:
            unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
            if unknown:
                errors.append(
                    FieldError(
                        field,
                        gettext("unknown placeholder(s): %(names)s; known: %(known)s")
                        % {"names": ", ".join(unknown), "known": ", ".join(PLACEHOLDERS)},
                    )
                )
        checked.append(text)
    if errors:
        raise ValidationFailed("invalid email", errors=errors)
    return checked[0], checked[1]


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value; anything else left as it is.

    >>> fill("Hi {{ contact.first_name }}, {x} {{y}}", {"contact.first_name": "Kari"})
    'Hi Kari, {x} {{y}}'
    """
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def placeholder_values(
    *, first_name: str, last_name: str, email: str, facts: ContactFacts | None, language: str
) -> dict[str, str]:
    """Each placeholder's text for one contact, in ``language``."""
    facts = facts or ContactFacts()
    return {
        "contact.first_name": first_name,
        "contact.last_name": last_name,
        "contact.email": email,
        "subscription.name": facts.subscription_name,
        "subscription.next_payment_date": day_text(facts.next_payment_date, language)
        if facts.next_payment_date
        else "",
        "subscription.end_date": day_text(facts.end_date, language) if facts.end_date else "",
    }


def _one_line(text: str, most: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _Person:
    pk: str
    email: str
    first_name: str
    last_name: str


def _draft(
    person: _Person,
    *,
    to: str,
    subject: str,
    body: str,
    facts: ContactFacts | None,
    language: str,
    business: str,
    link: str,
    dedupe_key: str | None = None,
    test: bool = False,
) -> EmailDraft:
    values = placeholder_values(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        facts=facts,
        language=language,
    )
    data: dict[str, Any] = {
        "business_name": business,
        "subject": _one_line(fill(subject, values), SENT_SUBJECT_MAX),
        "body": fill(body, values),
        "unsubscribe_url": link,
    }
    if test:
        data["test"] = True
    return EmailDraft(
        kind=EmailKind.LIST_EMAIL,
        to=to,
        language=language,
        data=data,
        contact_id=person.pk,
        dedupe_key=dedupe_key,
    )


def _person(contact: Contact) -> _Person:
    return _Person(contact.pk, contact.email, contact.first_name, contact.last_name)


def _language(facts: ContactFacts | None, default: str) -> str:
    return supported_language(facts.language if facts is not None and facts.language else default)


# Preview and test -------------------------------------------------------------------------------


def bulk_email_preview(*, contact: Contact, subject: str, body: str) -> Rendered:
    """The email as ``contact`` would get it (placeholders filled, in their language); its
    unsubscribe link is the sample one. A 422 for a subject or body that cannot be sent."""
    subject, body = bulk_email_check(subject=subject, body=body)
    settings = account_settings()
    facts = contact_facts([contact.pk]).get(contact.pk)
    language = _language(facts, settings.default_language)
    draft = _draft(
        _person(contact),
        to=contact.email or "preview@example.com",
        subject=subject,
        body=body,
        facts=facts,
        language=language,
        business=settings.business_name,
        link=sample_unsubscribe_url(),
    )
    return render(draft.kind, draft.language, draft.data)


def bulk_email_test(*, to: str, contact: Contact, subject: str, body: str, at: datetime) -> None:
    """Queue one test message to ``to`` (the author's own address): ``contact``'s placeholders,
    ``[Test]`` before its subject, a line saying it is a test, and the sample unsubscribe link
    (in its body and headers), which unsubscribes nobody. A 422 for a bad address, subject or body."""
    subject, body = bulk_email_check(subject=subject, body=body)
    address = to.strip() if isinstance(to, str) else ""
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationFailed.field("to", gettext("is not a valid email address")) from None
    settings = account_settings()
    facts = contact_facts([contact.pk]).get(contact.pk)
    draft = _draft(
        _person(contact),
        to=address,
        subject=subject,
        body=body,
        facts=facts,
        language=_language(facts, settings.default_language),
        business=settings.business_name,
        link=sample_unsubscribe_url(),
        test=True,
    )
    with transaction.atomic():
        email_queue(draft, at=at)


# Sending ----------------------------------------------------------------------------------------


def _address_key(email: str) -> str:
    """An address as compared for one message each: stripped, in lower case ("" for none)."""
    email = (email or "").strip()
    return email.lower() if "@" in email else ""


def dedupe_key(bulk_email_id: str, address: str) -> str:
    """``bulk:<id>:<address>``; an address too long for the column by its SHA-256 instead."""
    key = f"bulk:{bulk_email_id}:{address}"
    if len(key) <= DEDUPE_KEY_MAX:
        return key
    return f"bulk:{bulk_email_id}:sha256:{hashlib.sha256(address.encode()).hexdigest()}"


def bulk_email_send(
    *, contacts: QuerySet[Contact], subject: str, body: str, source: str, actor: Actor, at: datetime
) -> BulkEmail:
    """Send an email to ``contacts`` (e.g. a list's members, as they are now): the
    :class:`BulkEmail`, its addresses and ONE job, in one transaction (the caller's, when it has one).

    The addresses of unsubscribed contacts are counted as ``skipped_opted_out`` at once; the rest
    are queued by the job. A 422 for a subject or body that cannot be sent (nothing is written).
    """
    if contacts.model is not Contact:
        raise TypeError("bulk_email_send takes a QuerySet of contacts")
    subject, body = bulk_email_check(subject=subject, body=body)
    given = 0
    holders: dict[str, list[str]] = {}  # address → its contacts, the first by id first
    opted_out: set[str] = set()
    for pk, email, out in (
        contacts.order_by("pk").values_list("pk", "email", "email_opt_out").iterator(chunk_size=2000)
    ):
        given += 1
        key = _address_key(email)
        if not key:
            continue
        holders.setdefault(key, []).append(pk)
        if out:
            opted_out.add(key)
    with transaction.atomic():
        bulk = BulkEmail(
            subject=subject,
            body=body,
            source=(source or "")[:200],
            contacts=given,
            recipients=len(holders),
            skipped_opted_out=len(opted_out),
            created_by=actor.as_dict(),
            created_at=at,
            updated_at=at,
        )
        bulk.save(force_insert=True)
        BulkEmailRecipient.objects.bulk_create(
            (
                BulkEmailRecipient(
                    bulk_email_id=bulk.pk, address=key, contact_id=pks[0], other_contact_ids=pks[1:]
                )
                for key, pks in holders.items()
                if key not in opted_out
            ),
            batch_size=BATCH,
        )
        events.record(
            type="bulkemail.created",
            obj=bulk,
            actor=actor,
            after=events.snapshot(bulk, exclude=("body",)),
            at=at,
        )
        job_enqueue(
            kind=JOB, payload={"bulk_email_id": bulk.pk}, run_at=at, dedupe_key=f"bulk_email:{bulk.pk}"
        )
    return bulk


def _move(bulk: BulkEmail, to: str, *, at: datetime) -> None:
    """Change the status along :data:`TRANSITIONS` (one ``bulkemail.<status>`` event), or raise."""
    if to not in TRANSITIONS[bulk.status]:
        raise BulkEmailTransitionError(f"a {bulk.status} bulk email cannot become {to}")
    before = bulk.status
    bulk.status, bulk.updated_at = to, at
    if to in FINISHED:
        bulk.finished_at = at
    events.record(
        type=f"bulkemail.{to}",
        obj=bulk,
        actor=SYSTEM,
        before={"status": before},
        after={"status": to, **_counts(bulk)},
        at=at,
    )


def _counts(bulk: BulkEmail) -> dict[str, int]:
    return {
        "recipients": bulk.recipients,
        "sent": bulk.sent,
        "skipped_opted_out": bulk.skipped_opted_out,
        "skipped_missing": bulk.skipped_missing,
    }


@job_handler(JOB)
def _run_job(payload: dict[str, Any], *, at: datetime) -> None:
    bulk_email_run(bulk_email_id=payload["bulk_email_id"], at=at)


def bulk_email_run(*, bulk_email_id: str, at: datetime, budget_s: float = TIME_BUDGET_S) -> BulkEmail | None:
    """The job: queue the messages of one bulk email, a batch per transaction, until none is left
    (then ``sent``) or ``budget_s`` has passed (then the rest is a job of its own). A failure is
    raised for the job queue to retry, and ends the email ``failed`` after the job queue's attempts."""
    started = time.monotonic()
    while True:
        try:
            bulk, more = _queue_batch(bulk_email_id, at=at)
        except Exception as exc:
            if _failed(bulk_email_id, exc, at=at):
                return None  # given up: recorded on the bulk email; the job ends
            raise
        if not more or bulk is None:
            return bulk
        if time.monotonic() - started >= budget_s:
            with transaction.atomic():
                done = bulk.sent + bulk.skipped_opted_out + bulk.skipped_missing
                job_enqueue(
                    kind=JOB,
                    payload={"bulk_email_id": bulk.pk},
                    run_at=at,
                    dedupe_key=f"bulk_email:{bulk.pk}:{done}",
                )
            return bulk


def _queue_batch(bulk_email_id: str, *, at: datetime) -> tuple[BulkEmail | None, bool]:
    """Queue the next batch's messages; (the bulk email, whether addresses are left)."""
    with transaction.atomic():
        bulk = BulkEmail.objects.select_for_update().filter(pk=bulk_email_id).first()
        if bulk is None or bulk.status in FINISHED:
            return bulk, False
        if bulk.status == BulkEmailStatus.QUEUED:
            _move(bulk, BulkEmailStatus.SENDING, at=at)
        rows = list(BulkEmailRecipient.objects.filter(bulk_email_id=bulk.pk).order_by("id")[:BATCH])
        if rows:
            _queue_rows(bulk, rows, at=at)
        more = len(rows) == BATCH  # fewer: none is left (the next run of exactly BATCH finds none)
        if not more:
            _move(bulk, BulkEmailStatus.SENT, at=at)
        bulk.failures, bulk.last_error, bulk.updated_at = 0, "", at
        bulk.save()
    return bulk, more


def _queue_rows(bulk: BulkEmail, rows: list[BulkEmailRecipient], *, at: datetime) -> None:
    wanted = {pk for row in rows for pk in (row.contact_id, *row.other_contact_ids)}
    found = {
        pk: (_Person(pk, email, first, last), out)
        for pk, email, first, last, out in Contact.objects.filter(pk__in=wanted).values_list(
            "pk", "email", "first_name", "last_name", "email_opt_out"
        )
    }
    settings = account_settings()
    facts = contact_facts([row.contact_id for row in rows])
    links = unsubscribe_urls(found)
    drafts: list[EmailDraft] = []
    opted = missing = 0
    for row in rows:
        holding = [
            found[pk]
            for pk in (row.contact_id, *row.other_contact_ids)
            if pk in found and _address_key(found[pk][0].email) == row.address
        ]
        if any(out for _, out in holding):
            opted += 1
            continue
        if not holding:
            missing += 1  # deleted, or another address now
            continue
        person = holding[0][0]
        known = facts.get(person.pk)
        drafts.append(
            _draft(
                person,
                to=person.email.strip(),
                subject=bulk.subject,
                body=bulk.body,
                facts=known,
                language=_language(known, settings.default_language),
                business=settings.business_name,
                link=links[person.pk],
                dedupe_key=dedupe_key(bulk.pk, row.address),
            )
        )
    emails_queue(drafts, at=at)  # a message already queued for an address (its key) is not again
    BulkEmailRecipient.objects.filter(pk__in=[row.pk for row in rows]).delete()
    bulk.sent += len(drafts)
    bulk.skipped_opted_out += opted
    bulk.skipped_missing += missing


def _failed(bulk_email_id: str, exc: Exception, *, at: datetime) -> bool:
    """Note a run that failed; True when it was the last the job queue would make (the bulk email
    is then ``failed``)."""
    with transaction.atomic():
        bulk = BulkEmail.objects.select_for_update().filter(pk=bulk_email_id).first()
        if bulk is None or bulk.status in FINISHED:
            return True
        bulk.failures += 1
        bulk.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        given_up = bulk.failures >= MAX_ATTEMPTS
        if given_up:
            _move(bulk, BulkEmailStatus.FAILED, at=at)
        bulk.updated_at = at
        bulk.save()
    return given_up
