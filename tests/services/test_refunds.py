"""payment_refund: full and partial refunds through the sandbox gateway, refusals, audit, retries.

A card subscription of 40.00 USD a month is billed by the real billing run at T0
(2027-01-15 09:30 UTC, frozen), which charges the sandbox: one succeeded payment of 4000.

    charge 4000 ── refund 1500 (partially_refunded, 1500) ── refund 2500 (refunded, 4000)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.payments.gateways.models import SandboxRefund
from recurra.payments.gateways.sandbox import SandboxGateway
from recurra.payments.models import Payment, Refund
from recurra.payments.refunds import payment_refund
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
USER = Actor("user", "7", "Eddie Editor")
AMOUNT = 4000


def paid_payment(email: str = "ada@example.com", token: str = "tok_visa") -> Payment:
    """A payment of 4000 USD made by the billing run at T0 on a saved ``token`` card (committed
    as the run commits: call it outside a transaction)."""
    contact = Contact.objects.create(email=email, first_name="Ada")
    method = payment_method_add(contact=contact, token=token, actor=SYSTEM, at=T0)
    item = LineItemInput(name="Pro plan", unit_amount=AMOUNT, currency="USD", billing_frequency="monthly")
    sub = subscription_create(
        contact=contact,
        line_items=[item],
        collection_method="charge_automatically",
        payment_method=method,
        payment_terms=None,
        actor=SYSTEM,
        at=T0,
    )
    billing_run(at=T0)
    return Payment.objects.get(subscription=sub)


@pytest.fixture
def payment(db: None) -> Payment:
    made = paid_payment()
    assert (made.status, made.amount, made.amount_refunded) == ("succeeded", AMOUNT, 0)
    return made


def refund(payment: Payment, amount: int | None, **values: Any) -> Payment:
    return payment_refund(payment=payment, amount=amount, actor=USER, at=T0, **values)


def at_gateway(payment: Payment) -> list[int]:
    return list(
        SandboxRefund.objects.filter(charge_id=payment.gateway_charge_id).values_list("amount", flat=True)
    )


def state(payment: Payment) -> tuple[str, int]:
    row = Payment.objects.get(pk=payment.pk)
    return row.status, row.amount_refunded


def refunds_of(payment: Payment) -> list[tuple[int, str]]:
    return [(r.amount, r.status) for r in Refund.objects.filter(payment=payment).order_by("pk")]


def test_a_full_refund(payment: Payment) -> None:
    done = refund(payment, AMOUNT)

    assert (done.status, done.amount_refunded) == ("refunded", AMOUNT)
    assert state(payment) == ("refunded", AMOUNT)
    assert at_gateway(payment) == [AMOUNT]
    [row] = Refund.objects.filter(payment=payment)
    assert (row.amount, row.status) == (AMOUNT, "succeeded")
    assert row.gateway_refund_id == SandboxRefund.objects.get().pk
    assert row.id.startswith("re_")


def test_no_amount_refunds_everything_left(payment: Payment) -> None:
    refund(payment, 1000)
    done = refund(payment, None)
    assert (done.status, done.amount_refunded) == ("refunded", AMOUNT)
    assert at_gateway(payment) == [1000, 3000]
    assert refunds_of(payment) == [(1000, "succeeded"), (3000, "succeeded")]


def test_two_partial_refunds_up_to_the_total(payment: Payment) -> None:
    assert state(refund(payment, 1500)) == ("partially_refunded", 1500)
    assert state(refund(payment, 2500)) == ("refunded", AMOUNT)
    assert at_gateway(payment) == [1500, 2500]
    with pytest.raises(Conflict, match=r"only a succeeded payment can be refunded; .* is refunded"):
        refund(payment, None)


def test_more_than_is_left_is_a_422_and_changes_nothing(payment: Payment) -> None:
    refund(payment, 1500)
    events_before = Event.objects.count()

    with pytest.raises(ValidationFailed) as caught:
        refund(payment, 2501)

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("amount", "is more than the $25.00 left to refund")
    ]
    assert state(payment) == ("partially_refunded", 1500)
    assert at_gateway(payment) == [1500]
    assert refunds_of(payment) == [(1500, "succeeded")]
    assert Event.objects.count() == events_before


@pytest.mark.parametrize("amount", [0, -5, True, 10.0, "100"])
def test_an_amount_must_be_a_positive_integer(payment: Payment, amount: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        refund(payment, amount)
    assert [e.field for e in caught.value.errors] == ["amount"]
    assert not Refund.objects.exists()


def test_refunding_a_failed_payment_is_a_409(db: None) -> None:
    failed = paid_payment("bo@example.com", token="tok_decline")
    assert failed.status == "failed"

    with pytest.raises(Conflict) as caught:
        refund(failed, None)

    assert caught.value.detail == f"only a succeeded payment can be refunded; payment {failed.pk} is failed"
    assert not Refund.objects.exists() and not SandboxRefund.objects.exists()
    assert state(failed) == ("failed", 0)


def test_audit_events_with_before_and_after(payment: Payment) -> None:
    refund(payment, 1500)
    refund(payment, None)

    kinds = ("payment.refunded", "payment.partially_refunded")
    [first, second] = Event.objects.filter(object_id=payment.pk, type__in=kinds).order_by("pk")
    assert (first.type, first.actor_type, first.actor_name) == (
        "payment.partially_refunded",
        "user",
        USER.name,
    )
    assert first.data["before"] == {"status": "succeeded", "amount_refunded": 0}
    assert first.data["after"] == {"status": "partially_refunded", "amount_refunded": 1500}
    [r1, r2] = Refund.objects.filter(payment=payment).order_by("pk")
    assert (first.data["refund_id"], first.data["amount"]) == (r1.pk, 1500)
    assert second.type == "payment.refunded"
    assert second.data["before"] == {"status": "partially_refunded", "amount_refunded": 1500}
    assert second.data["after"] == {"status": "refunded", "amount_refunded": AMOUNT}
    assert (second.data["refund_id"], second.data["amount"]) == (r2.pk, 2500)
    refund_events = Event.objects.filter(object_id=r1.pk).order_by("pk")
    assert [e.type for e in refund_events] == ["refund.created", "refund.succeeded"]
    assert refund_events[0].data["after"]["status"] == "pending"
    assert refund_events[1].data == {
        "before": {"status": "pending", "gateway_refund_id": ""},
        "after": {"status": "succeeded", "gateway_refund_id": r1.gateway_refund_id},
    }


def test_only_the_money_figures_of_the_subscription_and_invoice_change(payment: Payment) -> None:
    sub_before = Subscription.objects.filter(pk=payment.subscription_id).values().get()
    invoice_before = Invoice.objects.filter(pk=payment.invoice_id).values().get()
    events_before = set(
        Event.objects.exclude(object_type__in=("payment", "refund")).values_list("pk", flat=True)
    )

    refund(payment, None)

    # total collected is net of refunds; the invoice keeps what was paid and says what went back
    sub_after = Subscription.objects.filter(pk=payment.subscription_id).values().get()
    assert sub_after == {**sub_before, "total_collected": sub_before["total_collected"] - 4000}
    invoice_after = Invoice.objects.filter(pk=payment.invoice_id).values().get()
    assert invoice_after == {**invoice_before, "amount_refunded": 4000}
    assert invoice_after["amount_paid"] == 4000
    assert set(Event.objects.exclude(object_type__in=("payment", "refund")).values_list("pk", flat=True)) == (
        events_before
    )


def test_the_gateway_gets_one_key_per_refund(payment: Payment, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, str]] = []
    real = SandboxGateway.refund

    def spy(self: SandboxGateway, **kwargs: Any) -> Any:
        calls.append((kwargs["charge_id"], kwargs["amount"], kwargs["idempotency_key"]))
        return real(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "refund", spy)
    refund(payment, 1000)
    refund(payment, 1000)

    rows = Refund.objects.filter(payment=payment).order_by("pk")
    assert calls == [(payment.gateway_charge_id, 1000, r.idempotency_key) for r in rows]
    assert len({key for *_, key in calls}) == 2
    assert sorted(SandboxRefund.objects.values_list("idempotency_key", flat=True)) == sorted(
        r.idempotency_key for r in rows
    )


def test_a_gateway_refusal_releases_the_reservation(payment: Payment) -> None:
    """The gateway already gave back 3500 (outside Recurra): 1000 is refused there, 500 is fine."""
    SandboxGateway().refund(
        charge_id=payment.gateway_charge_id, amount=3500, idempotency_key="elsewhere", at=T0
    )

    with pytest.raises(ValidationFailed):
        refund(payment, 1000)

    assert refunds_of(payment) == [(1000, "failed")]
    assert state(payment) == ("succeeded", 0)
    [failed] = Refund.objects.all()
    assert failed.failure_message.startswith("amount: is more than the 500 left to refund")
    assert [e.type for e in Event.objects.filter(object_id=failed.pk).order_by("pk")] == [
        "refund.created",
        "refund.failed",
    ]
    assert state(refund(payment, 500)) == ("partially_refunded", 500)


def test_a_refund_left_pending_by_a_crash_is_completed_by_a_retry_with_its_key(
    payment: Payment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after reserving (before the gateway answers): the reservation holds, and the
    same key completes it once, however often it is retried."""

    def crash(self: SandboxGateway, **kwargs: Any) -> Any:
        raise SystemExit("killed")

    with monkeypatch.context() as patch:
        patch.setattr(SandboxGateway, "refund", crash)
        with pytest.raises(SystemExit):
            refund(payment, 3000, key="retry-me")
    assert refunds_of(payment) == [(3000, "pending")]
    with pytest.raises(ValidationFailed, match=r"\$10\.00 left"):
        refund(payment, 1001)  # 3000 stays reserved

    done = refund(payment, 3000, key="retry-me")
    again = refund(payment, 3000, key="retry-me")

    assert (done.status, done.amount_refunded) == ("partially_refunded", 3000)
    assert (again.status, again.amount_refunded) == ("partially_refunded", 3000)
    assert refunds_of(payment) == [(3000, "succeeded")]
    assert at_gateway(payment) == [3000]
    assert Event.objects.filter(object_id=payment.pk, type="payment.partially_refunded").count() == 1


def test_a_key_of_another_payment_is_a_409(payment: Payment) -> None:
    refund(payment, 100, key="k1")
    other = paid_payment("cy@example.com")
    with pytest.raises(Conflict, match="used to refund another payment"):
        refund(other, 100, key="k1")
    assert state(other) == ("succeeded", 0)


def test_it_refuses_to_run_inside_a_transaction(payment: Payment) -> None:
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside a transaction"):
        refund(payment, 100)
    assert not Refund.objects.exists()
