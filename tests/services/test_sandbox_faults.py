"""The sandbox's fault tokens: the first call for each charge or refund key fails with GatewayError.

    tok_lost_reply     1st call: made ─ commit ─ GatewayError   lookup: the charge   2nd call: the same charge
    tok_timeout        1st call: GatewayError (nothing made)    lookup: None         2nd call: made, answered
    tok_gateway_error  1st call: 500 (nothing made)             lookup: None         2nd call: made, answered

"First" is per idempotency key and durable (a SandboxFault row, or for a lost
reply the charge or refund row itself), so a new gateway instance and a racing
worker agree on it: exactly one call sees the fault.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from recurra.payments.gateways.base import Charge, ChargeStatus, GatewayError, PartlyAnswered, Refund
from recurra.payments.gateways.models import SandboxCharge, SandboxFault, SandboxRefund
from recurra.payments.gateways.sandbox import SandboxGateway
from tests.conftest import T0
from tests.services.test_sandbox_gateway import method, race, req

pytestmark = pytest.mark.django_db
LATER = T0 + timedelta(minutes=1)
MESSAGES = {
    "tok_lost_reply": "timed out reading the gateway's reply (the call was processed)",
    "tok_timeout": "timed out connecting to the gateway (nothing was sent)",
    "tok_gateway_error": "the gateway answered 500 Internal Server Error",
}
BEFORE = ["tok_timeout", "tok_gateway_error"]


def succeeded(key: str, charge_id: str, amount: int = 1000) -> Charge:
    return Charge(key, charge_id, amount, "USD", ChargeStatus.SUCCEEDED, "card")


def charge_rows() -> list[tuple[str, int, str]]:
    return list(
        SandboxCharge.objects.order_by("idempotency_key").values_list("idempotency_key", "amount", "status")
    )


def test_lost_reply_makes_the_charge_loses_the_first_answer_and_answers_the_same_charge_after():
    pm = method(SandboxGateway(), "tok_lost_reply")

    with pytest.raises(GatewayError) as lost:
        SandboxGateway().charge(req("k", pm), at=T0)

    assert not isinstance(lost.value, PartlyAnswered)  # charge() raises the plain port error
    assert str(lost.value) == f"1 of 1 unanswered: {MESSAGES['tok_lost_reply']}"
    made = SandboxCharge.objects.get()
    assert charge_rows() == [("k", 1000, "succeeded")]
    assert SandboxGateway().lookup("k", at=T0) == succeeded("k", made.pk)  # a new instance: the truth
    assert SandboxGateway().charge(req("k", pm), at=LATER) == succeeded("k", made.pk)
    assert SandboxGateway().charge(req("k", pm), at=LATER) == succeeded("k", made.pk)
    assert charge_rows() == [("k", 1000, "succeeded")]  # never a second charge
    assert not SandboxFault.objects.exists()  # the charge row itself says the reply was lost once
    with pytest.raises(GatewayError):
        SandboxGateway().charge(req("k2", pm), at=LATER)  # per key: a new key's first answer is lost too
    assert SandboxCharge.objects.count() == 2


@pytest.mark.parametrize("token", BEFORE)
def test_timeout_and_server_error_make_nothing_on_the_first_call_and_charge_on_the_next(token):
    pm = method(SandboxGateway(), token)

    with pytest.raises(GatewayError) as failed:
        SandboxGateway().charge(req("k", pm), at=T0)

    assert str(failed.value) == f"1 of 1 unanswered: {MESSAGES[token]}"
    assert not SandboxCharge.objects.exists()
    assert SandboxGateway().lookup("k", at=T0) is None
    assert list(SandboxFault.objects.values_list("kind", "idempotency_key", "created_at")) == [
        ("charge", "k", T0)
    ]
    second = SandboxGateway().charge(req("k", pm), at=LATER)  # a new instance: the fault is remembered
    made = SandboxCharge.objects.get()
    assert second == succeeded("k", made.pk)
    assert made.created_at == LATER
    assert SandboxGateway().charge(req("k", pm), at=LATER) == second
    assert SandboxGateway().lookup("k", at=LATER) == second
    assert charge_rows() == [("k", 1000, "succeeded")]


def test_charge_many_answers_every_request_but_the_faulted_ones():
    gateway = SandboxGateway()
    visa, lost, timeout, error = (
        method(gateway, t) for t in ("tok_visa", "tok_lost_reply", "tok_timeout", "tok_gateway_error")
    )
    batch = [req("a", visa), req("b", lost, 2000), req("c", timeout), req("d", error), req("e", visa, 500)]

    with pytest.raises(PartlyAnswered) as partly:
        gateway.charge_many(batch, at=T0)

    ids = dict(SandboxCharge.objects.values_list("idempotency_key", "pk"))
    assert partly.value.charges == [succeeded("a", ids["a"]), None, None, None, succeeded("e", ids["e"], 500)]
    assert str(partly.value).startswith("3 of 5 unanswered: ")
    assert charge_rows() == [("a", 1000, "succeeded"), ("b", 2000, "succeeded"), ("e", 500, "succeeded")]

    again = gateway.charge_many(batch, at=LATER)

    ids = dict(SandboxCharge.objects.values_list("idempotency_key", "pk"))
    assert again == [
        succeeded("a", ids["a"]),
        succeeded("b", ids["b"], 2000),
        succeeded("c", ids["c"]),
        succeeded("d", ids["d"]),
        succeeded("e", ids["e"], 500),
    ]
    assert len(ids) == 5 and SandboxCharge.objects.count() == 5


def _charged(token: str) -> str:
    """A succeeded charge of 1000 on a new ``token`` method (its own first fault spent); its id."""
    gateway = SandboxGateway()
    pm = method(gateway, token)
    with pytest.raises(GatewayError):
        gateway.charge(req("paid", pm), at=T0)
    return gateway.charge(req("paid", pm), at=T0).charge_id


def test_lost_reply_makes_the_refund_and_answers_it_on_the_next_call():
    charge_id = _charged("tok_lost_reply")

    with pytest.raises(GatewayError, match=r"^timed out reading the gateway's reply"):
        SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r1", at=T0)

    made = SandboxRefund.objects.get()
    assert (made.idempotency_key, made.charge_id, made.amount) == ("r1", charge_id, 300)
    again = SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r1", at=LATER)
    assert again == Refund(made.pk, charge_id, 300, "succeeded")
    assert SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r1", at=LATER) == again
    assert SandboxRefund.objects.count() == 1  # never a second refund
    with pytest.raises(GatewayError):  # per key: another refund's first reply is lost too
        SandboxGateway().refund(charge_id=charge_id, amount=700, idempotency_key="r2", at=LATER)
    assert sorted(SandboxRefund.objects.values_list("amount", flat=True)) == [300, 700]


@pytest.mark.parametrize("token", BEFORE)
def test_timeout_and_server_error_refund_nothing_on_the_first_call_and_refund_on_the_next(token):
    charge_id = _charged(token)

    with pytest.raises(GatewayError) as failed:
        SandboxGateway().refund(charge_id=charge_id, amount=1001, idempotency_key="r1", at=T0)

    assert str(failed.value) == MESSAGES[token]  # before the gateway checks anything (1001 is too much)
    assert not SandboxRefund.objects.exists()
    assert SandboxFault.objects.filter(kind="refund").count() == 1
    with pytest.raises(GatewayError):  # another key is another first call
        SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r2", at=T0)
    refund = SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r2", at=LATER)
    made = SandboxRefund.objects.get()
    assert refund == Refund(made.pk, charge_id, 300, "succeeded")
    assert SandboxGateway().refund(charge_id=charge_id, amount=300, idempotency_key="r2", at=LATER) == refund
    assert SandboxRefund.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("token", ["tok_lost_reply", *BEFORE])
def test_two_first_calls_at_once_exactly_one_sees_the_fault(token):
    pm = method(SandboxGateway(), token)

    for attempt in range(5):
        key = f"k{attempt}"
        results = race(*(lambda k=key: SandboxGateway().charge(req(k, pm), at=T0) for _ in range(2)))

        assert sorted(type(r).__name__ for r in results) == ["Charge", "GatewayError"], results
        (answer,) = [r for r in results if isinstance(r, Charge)]
        assert answer == succeeded(key, SandboxCharge.objects.get(idempotency_key=key).pk)
    assert SandboxCharge.objects.count() == 5
    charge_id = SandboxCharge.objects.get(idempotency_key="k0").pk

    for attempt in range(5):
        key = f"r{attempt}"
        results = race(
            *(
                lambda k=key: SandboxGateway().refund(
                    charge_id=charge_id, amount=100, idempotency_key=k, at=T0
                )
                for _ in range(2)
            )
        )

        assert sorted(type(r).__name__ for r in results) == ["GatewayError", "Refund"], results
    assert SandboxRefund.objects.count() == 5
