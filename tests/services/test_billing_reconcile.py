"""Crash windows of a charge: the payment is written before the gateway call, settled by key after.

write payment (pending, key) ─┬─ crash ─► reconcile: gateway never saw the key → charge once with it
                              └─ gateway charges ─┬─ crash ─► reconcile: found by key → record, no 2nd charge
                                                  └─ record outcome (once, whoever comes first)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from recurra.billing import reconcile
from recurra.billing.charging import request_for
from recurra.billing.outcomes import record_charges
from recurra.billing.reconcile import reconcile_pending
from recurra.billing.run import RunReport, _invoice_batch, billing_run
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.gateways.sandbox import SandboxGateway
from recurra.payments.models import Payment
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription, SubscriptionLineItem

pytestmark = pytest.mark.django_db(transaction=True)
AT = datetime(2027, 1, 31, 9, tzinfo=UTC)


def subscribe(email: str, token: str = "tok_visa") -> Subscription:
    """A monthly subscription of 24.99 due at AT, charged automatically to a new ``token`` card."""
    contact = Contact.objects.create(email=email, first_name=email.split("@")[0].title())
    method = payment_method_add(contact=contact, token=token, actor=Actor.system(), at=AT)
    sub = Subscription.objects.create(
        name="Pro",
        status="active",
        contact=contact,
        currency="USD",
        billing_frequency="monthly",
        billing_terms="auto_renew",
        start_date=date(2027, 1, 31),
        next_payment_date=date(2027, 1, 31),
        next_payment_amount=2499,
        collection_method="charge_automatically",
        payment_method=method,
    )
    SubscriptionLineItem.objects.create(
        subscription=sub,
        name="Pro",
        unit_amount=1999,
        currency="USD",
        tax_rate_percent=Decimal(25),
        billing_frequency="monthly",
    )
    return sub


@pytest.fixture
def due(settings: object) -> Subscription:
    settings.RECURRA_LEASE_SECONDS = 0  # type: ignore[attr-defined]
    clock.freeze(AT)
    return subscribe("ann@example.com")


def stale_payments(n: int) -> list[str]:
    """``n`` more subscriptions whose run wrote invoice and pending payment, then died; payment ids by id."""
    for i in range(n):
        subscribe(f"buyer{i}@example.com")
    claimed, written = _invoice_batch(at=AT, today=AT.date(), limit=n + 1, report=RunReport())
    assert claimed == n + 1  # and the ``due`` fixture's
    return sorted(written.payments)


def crash_after_writing() -> Payment:
    """The run's first transaction committed (invoice + pending payment), then the worker died."""
    claimed, written = _invoice_batch(at=AT, today=AT.date(), limit=10, report=RunReport())
    assert claimed == 1
    (payment,) = written.payments.values()
    return Payment.objects.get(pk=payment.pk)


def test_never_charged_before_the_crash_is_charged_once_by_the_reconciler(due: Subscription) -> None:
    payment = crash_after_writing()
    assert payment.status == "pending" and SandboxCharge.objects.count() == 0

    outcome = reconcile_pending(at=AT)

    assert outcome.succeeded == 1
    assert SandboxCharge.objects.get().idempotency_key == payment.idempotency_key
    payment.refresh_from_db()
    assert (payment.status, payment.amount) == ("succeeded", 2499)
    assert Invoice.objects.get().status == "paid"
    due.refresh_from_db()
    assert (due.payments_made, due.total_collected) == (1, 2499)


def test_charged_but_not_recorded_is_recorded_without_a_second_charge(due: Subscription) -> None:
    payment = crash_after_writing()
    charge = get_gateway().charge(request_for(payment), at=AT)  # the gateway answered; the process died

    reconcile_pending(at=AT)
    reconcile_pending(at=AT)  # and again: nothing more

    assert SandboxCharge.objects.count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.gateway_charge_id) == ("succeeded", charge.charge_id)
    due.refresh_from_db()
    assert due.payments_made == 1


def test_an_answer_is_recorded_once_whoever_brings_it(due: Subscription) -> None:
    payment = crash_after_writing()
    charge = get_gateway().charge(request_for(payment), at=AT)

    first = record_charges([(payment.pk, charge)], at=AT)
    second = record_charges([(payment.pk, charge)], at=AT)

    assert (first.succeeded, second.succeeded, second.skipped) == (1, 0, 1)
    due.refresh_from_db()
    assert (due.payments_made, due.total_collected) == (1, 2499)


def test_a_payment_within_its_lease_is_left_to_its_worker(due: Subscription, settings: object) -> None:
    settings.RECURRA_LEASE_SECONDS = 3600  # type: ignore[attr-defined]
    crash_after_writing()
    assert reconcile_pending(at=AT).by_payment == {}
    assert SandboxCharge.objects.count() == 0


def test_rerunning_the_billing_run_bills_nothing_new(due: Subscription) -> None:
    assert billing_run(at=AT).invoices == 1
    again = billing_run(at=AT)
    assert (again.subscriptions, again.invoices, again.payments) == (0, 0, 0)
    assert (Invoice.objects.count(), Payment.objects.count(), SandboxCharge.objects.count()) == (1, 1, 1)


def test_the_recorder_reuses_the_rows_it_wrote_only_while_unchanged(due: Subscription) -> None:
    """billing.written: an unchanged row is taken from memory; a row changed since is read afresh."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recurra.billing.charging import charge_pending

    _, written = _invoice_batch(at=AT, today=AT.date(), limit=10, report=RunReport())
    Subscription.objects.filter(pk=due.pk).update(total_collected=100)  # e.g. a refund's bookkeeping

    with CaptureQueriesContext(connection) as queries:
        charge_pending(list(written.payments.values()), at=AT, written=written)

    due.refresh_from_db()
    assert (due.payments_made, due.total_collected) == (1, 100 + 2499)  # not the stale 0 + 2499
    full_reads = {
        table
        for q in queries.captured_queries
        for table in ("invoicing_invoice", "subscriptions_subscription")
        if f'"{table}"."name"' in q["sql"] or f'"{table}"."number"' in q["sql"]
    }
    if connection.vendor == "postgresql":
        assert full_reads == {"subscriptions_subscription"}  # the invoice was as written: not read again
    else:
        assert full_reads == {"invoicing_invoice", "subscriptions_subscription"}  # no xmin: read afresh


@pytest.mark.parametrize("token", ["tok_lost_reply", "tok_timeout", "tok_gateway_error"])
def test_a_fault_on_one_charge_of_a_batch_keeps_the_others_answers(due: Subscription, token: str) -> None:
    faulty = subscribe("bo@example.com", token)

    report = billing_run(at=AT)

    statuses = dict(Payment.objects.values_list("subscription_id", "status"))
    assert statuses == {due.pk: "succeeded", faulty.pk: "pending"}  # Ann's answer was recorded
    assert (report.outcomes.succeeded, report.payments) == (1, 2)
    made = 2 if token == "tok_lost_reply" else 1
    assert SandboxCharge.objects.count() == made

    settled = reconcile_pending(at=AT)  # the lease is over: asked by key (found, or charged once more)

    assert settled.by_payment == {Payment.objects.get(subscription=faulty).pk: "succeeded"}
    payments = list(Payment.objects.values_list("idempotency_key", "status", "gateway_charge_id"))
    charges = dict(SandboxCharge.objects.values_list("idempotency_key", "pk"))
    assert sorted((status, charges[key] == charge) for key, status, charge in payments) == [
        ("succeeded", True),
        ("succeeded", True),
    ]
    assert len(charges) == 2  # one charge per payment key
    assert Invoice.objects.filter(status="paid").count() == 2


def test_a_pass_reconciles_within_its_budget_and_always_makes_one_look_up(due: Subscription) -> None:
    ids = stale_payments(4)

    first = reconcile_pending(at=AT, seconds=0)  # the budget is spent after the first look-up

    assert first.by_payment == {ids[0]: "succeeded"}
    assert SandboxCharge.objects.count() == 1
    rest = reconcile_pending(at=AT, seconds=None)
    assert rest.by_payment == dict.fromkeys(ids[1:], "succeeded")
    assert SandboxCharge.objects.count() == 5


class Killed(BaseException):
    """The process dies (kill -9) in the middle of a look-up."""


@pytest.mark.parametrize(
    ("within", "killed_at", "recorded"),
    [
        (3600, 23, 20),  # answers wait in a group: the 20 of the first group were recorded, 2 lost
        (0, 7, 6),  # no time to wait: each answer is recorded as soon as it came
    ],
)
def test_a_crash_loses_at_most_one_group_of_answers(
    due: Subscription, monkeypatch: pytest.MonkeyPatch, within: float, killed_at: int, recorded: int
) -> None:
    ids = stale_payments(24)
    real_lookup = SandboxGateway.lookup
    calls = [0]

    def dying_lookup(self: SandboxGateway, key: str, *, at: datetime, reference: str = "") -> object:
        calls[0] += 1
        if calls[0] == killed_at:
            raise Killed
        return real_lookup(self, key, at=at)

    monkeypatch.setattr(reconcile, "RECORD_WITHIN", within)
    monkeypatch.setattr(SandboxGateway, "lookup", dying_lookup)
    with pytest.raises(Killed):
        reconcile_pending(at=AT, seconds=None)

    assert (
        list(Payment.objects.filter(status="succeeded").order_by("pk").values_list("pk", flat=True))
        == (ids[:recorded])
    )
    assert SandboxCharge.objects.count() == killed_at - 1  # charged, some answers lost with the process
    monkeypatch.setattr(SandboxGateway, "lookup", real_lookup)
    assert len(reconcile_pending(at=AT, seconds=None).by_payment) == 25 - recorded
    charges = dict(SandboxCharge.objects.values_list("idempotency_key", "pk"))
    payments = dict(Payment.objects.values_list("idempotency_key", "gateway_charge_id"))
    assert charges == payments and len(charges) == 25  # one charge per key, each recorded once
