"""The billing run's audit trail is complete: replaying its events rebuilds every row it touched.

Forty renewals due at T0 (``bench.seed``: card renewals that succeed, cards
that fail, invoices sent), billed by one ``billing_run``. Then, for every
invoice, payment and subscription, its events in order are applied to the row
as it was before (nothing, for a row the run created; the seeded row, for a
subscription): each update's ``before`` must be the state reached so far, and
the end state must be the row as stored (``updated_at`` aside: no event
carries it). The event types are those clients subscribe to, and each row's
creation event holds its whole row as JSON (dates and money as
``core.events.jsonable`` writes them).

    seeded sub ─ subscription.updated (billed) ─ subscription.updated (paid) ─► stored sub
    ∅ ─ invoice.created ─ invoice.paid ─► stored invoice
    ∅ ─ payment.created ─ payment.succeeded ─► stored payment
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest
from django.db import models

from bench.seed import FAIL_RENEWALS, SEND_INVOICE, VISA, kind_of, seed_due_subscriptions
from recurra.accounts.models import User
from recurra.billing.run import billing_run
from recurra.core import events
from recurra.core.models import Event
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from tests.races.invariants import index_of

pytestmark = pytest.mark.django_db
N = 40
UNTRACKED = "updated_at"  # stamped on every write; the event's own created_at says when


def _state(obj: models.Model) -> dict[str, Any]:
    """The row as its events would tell it: JSON-ready values, as read back from JSON."""
    snap = json.loads(json.dumps(events.snapshot(obj)))
    snap.pop(UNTRACKED)
    return snap


def _replay(start: dict[str, Any] | None, trail: list[Event]) -> dict[str, Any] | None:
    state = None if start is None else dict(start)
    for event in trail:
        if event.type.endswith(".created"):
            assert state is None, f"{event.type} of a row that existed"
            assert "before" not in event.data
            state = dict(event.data["after"])
            state.pop(UNTRACKED)
            continue
        assert state is not None, f"{event.type} before the row's creation"
        before, after = event.data["before"], event.data["after"]
        assert set(before) == set(after) and before != after
        assert {k: state[k] for k in before} == before, f"{event.type}: before is not the state so far"
        state.update(after)
    return state


def _trail() -> dict[str, list[Event]]:
    trail: dict[str, list[Event]] = defaultdict(list)
    for event in Event.objects.order_by("created_at", "id"):
        trail[event.object_id].append(event)
    return trail


def test_replaying_the_runs_events_rebuilds_every_row_it_touched(frozen_clock: datetime) -> None:
    seed_due_subscriptions(N, at=frozen_clock)
    seeded = {sub.pk: _state(sub) for sub in Subscription.objects.all()}
    assert not Event.objects.exists()  # the seed writes none

    report = billing_run(at=frozen_clock)

    assert report.invoices == N
    trail = _trail()
    for model in (Invoice, Payment):
        for row in model.objects.all():
            assert trail[row.pk][0].type == f"{model._meta.model_name}.created"
            assert _replay(None, trail[row.pk]) == _state(row)
    for sub in Subscription.objects.all():
        assert _replay(seeded[sub.pk], trail[sub.pk]) == _state(sub)
    assert {e.actor_type for t in trail.values() for e in t} == {"system"}
    assert {e.created_at for t in trail.values() for e in t} == {frozen_clock}


def test_each_kind_of_renewal_writes_the_event_types_clients_subscribe_to(frozen_clock: datetime) -> None:
    seed_due_subscriptions(N, at=frozen_clock)

    billing_run(at=frozen_clock)

    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for sub in Subscription.objects.select_related("contact"):
        objects = [sub.pk, *Invoice.objects.filter(subscription=sub).values_list("pk", flat=True)]
        objects += Payment.objects.filter(subscription=sub).values_list("pk", flat=True)
        kind = kind_of(index_of(sub.contact.email))
        by_kind[kind] += Counter(Event.objects.filter(object_id__in=objects).values_list("type", flat=True))
    renewals = Counter(kind_of(i) for i in range(N))
    per_renewal = {kind: {t: n / renewals[kind] for t, n in types.items()} for kind, types in by_kind.items()}
    assert per_renewal == {
        VISA: {
            "subscription.updated": 2,  # billed (periods, next date), then paid (payments, money)
            "invoice.created": 1,
            "payment.created": 1,
            "payment.succeeded": 1,
            "invoice.paid": 1,
        },
        FAIL_RENEWALS: {
            "subscription.updated": 1,
            "invoice.created": 1,
            "payment.created": 1,
            "payment.failed": 1,
            "invoice.updated": 1,  # overdue_at
            "subscription.past_due": 1,
        },
        SEND_INVOICE: {"subscription.updated": 1, "invoice.created": 1},
    }


def test_a_created_rows_event_holds_the_whole_row_as_json(frozen_clock: datetime) -> None:
    seed_due_subscriptions(N, at=frozen_clock)

    billing_run(at=frozen_clock)

    invoice = Invoice.objects.filter(payments__status="succeeded").first()
    assert invoice is not None
    created = Event.objects.get(object_id=invoice.pk, type="invoice.created").data["after"]
    assert set(created) == {f.attname for f in Invoice._meta.concrete_fields}
    assert created["status"] == "open" and created["amount_paid"] == 0  # as it was: paid later
    assert created["period_start"] == "2027-01-15" and created["created_at"] == "2027-01-15T09:30:00Z"
    assert created["total"] == invoice.total and created["subscription_id"] == invoice.subscription_id
    paid = Event.objects.get(object_id=invoice.pk, type="invoice.paid").data
    assert paid["after"] == {
        "status": "paid",
        "paid_at": "2027-01-15T09:30:00Z",
        "amount_due": 0,
        "amount_paid": invoice.total,
    }


def test_the_runs_emails_hold_their_data_as_json(frozen_clock: datetime) -> None:
    User.objects.create_user(username="admin", email="admin@example.com", role="super_admin")
    seed_due_subscriptions(N, at=frozen_clock)

    billing_run(at=frozen_clock)

    kinds = Counter(EmailMessage.objects.values_list("kind", flat=True))
    renewals = Counter(kind_of(i) for i in range(N))
    assert kinds == {
        "receipt": renewals[VISA],
        "admin_payment_succeeded": renewals[VISA],  # a merchant notice each, to the super admin
        "payment_failed": renewals[FAIL_RENEWALS],
        "admin_payment_failed": renewals[FAIL_RENEWALS],
        "invoice": renewals[SEND_INVOICE],
    }
    receipt = EmailMessage.objects.filter(kind="receipt").first()
    assert receipt is not None
    invoice = Invoice.objects.get(pk=receipt.invoice_id)
    assert receipt.data["paid_on"] == "2027-01-15" and receipt.data["period_end"] == "2027-02-15"
    assert receipt.data["amount"] == invoice.total and receipt.data["invoice_number"] == invoice.number
    assert receipt.data["lines"][0]["amount"] == invoice.lines.order_by("position").first().amount_total
