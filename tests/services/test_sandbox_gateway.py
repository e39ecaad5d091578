"""The sandbox gateway: every test token, idempotency, batches, ACH settlement, refunds, transactions.

ACH timeline (T0 = 2027-01-15 09:30 UTC):

    T0 charge ── processing ──────────────── T0+4d settles (succeeded / failed)
                 lookup at T0+4d-1µs: processing    lookup at T0+4d: settled, persisted
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from recurra.core.errors import Conflict, ValidationFailed
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Charge, ChargeRequest, ChargeStatus, MethodDetails
from recurra.payments.gateways.models import SandboxCharge, SandboxMethod, SandboxRefund
from recurra.payments.gateways.sandbox import SandboxGateway
from tests.conftest import T0

pytestmark = pytest.mark.django_db
SETTLES = T0 + timedelta(days=4)
NO_FUNDS = "Your card has insufficient funds."
ACH_NO_FUNDS = "The bank account has insufficient funds."


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway()


def method(gateway: SandboxGateway, token: str) -> str:
    return gateway.tokenize(token, at=T0).gateway_method_id


def req(key: str, method_id: str, amount: int = 1000, currency: str = "USD") -> ChargeRequest:
    return ChargeRequest(idempotency_key=key, amount=amount, currency=currency, method_id=method_id)


@pytest.mark.parametrize(
    ("token", "type_", "brand", "last4", "exp"),
    [
        ("tok_visa", "card", "visa", "4242", (1, 2030)),
        ("tok_mastercard", "card", "mastercard", "4444", (1, 2030)),
        ("tok_decline", "card", "visa", "0002", (1, 2030)),
        ("tok_insufficient_funds", "card", "visa", "9995", (1, 2030)),
        ("tok_fail_renewals", "card", "visa", "0341", (1, 2030)),
        ("tok_lost_reply", "card", "visa", "0077", (1, 2030)),
        ("tok_timeout", "card", "visa", "0259", (1, 2030)),
        ("tok_gateway_error", "card", "visa", "0119", (1, 2030)),
        ("tok_ach", "ach", "Test Bank", "6789", (None, None)),
        ("tok_ach_fail", "ach", "Test Bank", "2227", (None, None)),
    ],
)
def test_tokenize_gives_a_method_and_display_hints(gateway, token, type_, brand, last4, exp):
    details = gateway.tokenize(token, at=T0)

    assert details == MethodDetails(details.gateway_method_id, type_, brand, last4, *exp)
    assert details.gateway_method_id.startswith("sbxpm_")
    stored = SandboxMethod.objects.get(pk=details.gateway_method_id)
    assert (stored.token, stored.created_at) == (token, T0)


def test_each_tokenize_makes_a_new_method(gateway):
    assert method(gateway, "tok_visa") != method(gateway, "tok_visa")
    assert SandboxMethod.objects.count() == 2


@pytest.mark.parametrize("token", ["tok_nope", "4242424242424242", "", "TOK_VISA"])
def test_an_unknown_token_is_a_422_on_token_and_saves_nothing(gateway, token):
    with pytest.raises(ValidationFailed) as raised:
        gateway.tokenize(token, at=T0)

    assert [e.field for e in raised.value.errors] == ["token"]
    assert "tok_visa" in raised.value.errors[0].message
    assert not SandboxMethod.objects.exists()


@pytest.mark.parametrize(
    ("token", "status", "code", "message", "retryable"),
    [
        ("tok_visa", ChargeStatus.SUCCEEDED, None, "", False),
        ("tok_mastercard", ChargeStatus.SUCCEEDED, None, "", False),
        ("tok_decline", ChargeStatus.FAILED, "card_declined", "Your card was declined.", False),
        ("tok_insufficient_funds", ChargeStatus.FAILED, "insufficient_funds", NO_FUNDS, True),
    ],
)
def test_card_tokens_charge_as_documented_every_time(gateway, token, status, code, message, retryable):
    pm = method(gateway, token)

    for key in ("k1", "k2", "k3"):
        charge = gateway.charge(req(key, pm, amount=2500), at=T0)
        assert charge == Charge(key, charge.charge_id, 2500, "USD", status, "card", code, message, retryable)
        assert charge.charge_id.startswith("sbxch_")
    assert SandboxCharge.objects.filter(method_id=pm).count() == 3


def test_fail_renewals_succeeds_once_per_method_then_fails_retryably(gateway):
    pm, other = method(gateway, "tok_fail_renewals"), method(gateway, "tok_fail_renewals")

    first = gateway.charge(req("k1", pm), at=T0)
    later = [
        gateway.charge(req(k, pm), at=T0 + timedelta(days=30 * i)) for i, k in enumerate(["k2", "k3"], 1)
    ]
    other_first = gateway.charge(req("k4", other), at=T0)

    assert first.status == ChargeStatus.SUCCEEDED
    assert [(c.status, c.failure_code, c.retryable) for c in later] == [
        (ChargeStatus.FAILED, "insufficient_funds", True)
    ] * 2
    assert other_first.status == ChargeStatus.SUCCEEDED  # the rule is per saved method
    assert gateway.charge(req("k1", pm), at=T0 + timedelta(days=90)) == first  # a replay stays the first


def test_fail_renewals_inside_one_batch_succeeds_only_for_the_first_request(gateway):
    pm = method(gateway, "tok_fail_renewals")

    charges = gateway.charge_many([req("a", pm), req("b", pm), req("c", pm)], at=T0)

    assert [c.status for c in charges] == [ChargeStatus.SUCCEEDED, ChargeStatus.FAILED, ChargeStatus.FAILED]


def test_the_same_key_twice_charges_once(gateway):
    pm = method(gateway, "tok_visa")

    first = gateway.charge(req("renewal-1", pm), at=T0)
    again = gateway.charge(req("renewal-1", pm), at=T0 + timedelta(hours=1))

    assert again == first
    assert SandboxCharge.objects.count() == 1


@pytest.mark.parametrize(
    "changed",
    [{"amount": 1001}, {"currency": "EUR"}, {"method_id": "other"}],
)
def test_the_same_key_with_other_values_is_a_value_error_and_charges_nothing(gateway, changed):
    pm = method(gateway, "tok_visa")
    gateway.charge(req("k", pm), at=T0)
    values = {"idempotency_key": "k", "amount": 1000, "currency": "USD", "method_id": pm, **changed}

    with pytest.raises(ValueError, match="was used for another charge"):
        gateway.charge(ChargeRequest(**values), at=T0)

    assert SandboxCharge.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(0, "USD"), (-5, "USD"), (10.5, "USD"), (True, "USD"), (100, "usd"), (100, "US"), (100, "U$D")],
)
def test_invalid_charge_requests_are_value_errors(gateway, amount, currency):
    pm = method(gateway, "tok_visa")

    with pytest.raises(ValueError):
        gateway.charge(req("k", pm, amount=amount, currency=currency), at=T0)

    assert not SandboxCharge.objects.exists()


def test_an_unknown_method_is_a_failed_charge_not_an_exception(gateway):
    charge = gateway.charge(req("k", "sbxpm_missing"), at=T0)

    missing = (ChargeStatus.FAILED, "", "resource_missing", "No such payment method.", False)
    assert charge == Charge("k", charge.charge_id, 1000, "USD", *missing)


def test_charge_many_mixes_new_and_already_charged_keys(gateway):
    visa, decline = method(gateway, "tok_visa"), method(gateway, "tok_decline")
    old_a = gateway.charge(req("a", visa), at=T0)
    old_b = gateway.charge(req("b", decline), at=T0)
    later = T0 + timedelta(days=1)

    charges = gateway.charge_many(
        [req("c", visa, 700), req("a", visa), req("d", decline), req("b", decline), req("c", visa, 700)],
        at=later,
    )

    assert [c.idempotency_key for c in charges] == ["c", "a", "d", "b", "c"]
    assert charges[1] == old_a and charges[3] == old_b
    assert charges[0] == charges[4]
    assert (charges[0].status, charges[0].amount) == (ChargeStatus.SUCCEEDED, 700)
    assert charges[2].failure_code == "card_declined"
    assert SandboxCharge.objects.count() == 4
    assert SandboxCharge.objects.get(idempotency_key="c").created_at == later


def test_charge_many_refuses_a_batch_with_a_reused_key_before_writing_anything(gateway):
    pm = method(gateway, "tok_visa")
    gateway.charge(req("a", pm), at=T0)

    with pytest.raises(ValueError):
        gateway.charge_many([req("new", pm), req("a", pm, amount=5)], at=T0)
    with pytest.raises(ValueError, match="used twice"):
        gateway.charge_many([req("x", pm), req("x", pm, amount=5)], at=T0)

    assert list(SandboxCharge.objects.values_list("idempotency_key", flat=True)) == ["a"]


def test_charge_many_reads_and_writes_in_bulk(gateway):
    methods = [method(gateway, "tok_visa") for _ in range(5)] + [method(gateway, "tok_fail_renewals")]
    requests = [req(f"k{i}", methods[i % len(methods)]) for i in range(3500)]
    gateway.charge_many(requests[:1500], at=T0)

    with CaptureQueriesContext(connection) as queries:
        charges = gateway.charge_many(requests, at=T0)

    kinds = Counter(q["sql"].split()[0] for q in queries.captured_queries)
    assert kinds["SELECT"] == 4 + 1 + 2  # keys in chunks of 1000, methods, lock + history of fail_renewals
    assert kinds["INSERT"] + kinds["COPY"] == 2  # 2000 new rows, one statement per chunk of 1000
    assert len(charges) == 3500 and SandboxCharge.objects.count() == 3500
    failed = sum(c.status == ChargeStatus.FAILED for c in charges)
    assert failed == 3500 // 6 - 1  # the fail_renewals method's charges after its first


def test_a_key_charged_by_another_worker_meanwhile_answers_that_charge(gateway, monkeypatch):
    """The insert meets the unique key (another worker won between our read and our insert)."""
    pm = method(gateway, "tok_visa")
    original = SandboxGateway._new_rows

    def racing(self, requests, methods, at):
        rows = original(self, requests, methods, at)
        original(self, [req("b", pm)], methods, at)[0].save()  # the other worker's charge for "b" lands first
        return rows

    monkeypatch.setattr(SandboxGateway, "_new_rows", racing)
    charges = gateway.charge_many([req("a", pm), req("b", pm)], at=T0)

    winner = SandboxCharge.objects.get(idempotency_key="b")
    assert [c.charge_id for c in charges] == [SandboxCharge.objects.get(idempotency_key="a").pk, winner.pk]
    assert SandboxCharge.objects.count() == 2


@pytest.mark.parametrize(
    ("token", "status", "code", "message", "retryable"),
    [
        ("tok_ach", ChargeStatus.SUCCEEDED, None, "", False),
        ("tok_ach_fail", ChargeStatus.FAILED, "insufficient_funds", ACH_NO_FUNDS, True),
    ],
)
def test_ach_is_processing_until_exactly_four_days_later(gateway, token, status, code, message, retryable):
    pm = method(gateway, token)
    charge = gateway.charge(req("k", pm), at=T0)
    processing = Charge("k", charge.charge_id, 1000, "USD", ChargeStatus.PROCESSING, "ach")

    assert charge == processing
    assert gateway.lookup("k", at=SETTLES - timedelta(microseconds=1)) == processing
    assert SandboxCharge.objects.get().status == "processing"  # not settled early

    settled = Charge("k", charge.charge_id, 1000, "USD", status, "ach", code, message, retryable)
    assert gateway.lookup("k", at=SETTLES) == settled
    assert SandboxCharge.objects.get().status == status  # persisted
    assert gateway.charge(req("k", pm), at=SETTLES + timedelta(days=1)) == settled  # a replay, settled
    assert gateway.lookup("k", at=T0 + timedelta(days=1)) == processing  # its state at that earlier time


def test_lookup_of_an_unknown_key_is_none(gateway):
    assert gateway.lookup("never-charged", at=T0) is None


def test_state_survives_a_restart(gateway):
    pm = method(gateway, "tok_ach")
    charge = gateway.charge(req("k", pm), at=T0)

    restarted = get_gateway()
    assert isinstance(restarted, SandboxGateway) and restarted is not gateway
    assert restarted.lookup("k", at=SETTLES).status == ChargeStatus.SUCCEEDED
    assert restarted.charge(req("k", pm), at=SETTLES).charge_id == charge.charge_id
    assert SandboxCharge.objects.count() == 1


def test_get_gateway_picks_by_setting_and_refuses_unknown_names():
    assert get_gateway("sandbox").name == "sandbox"
    with (
        override_settings(RECURRA_GATEWAY="nope"),
        pytest.raises(ValueError, match="unknown payment gateway"),
    ):
        get_gateway()


def test_calls_that_move_money_refuse_to_run_inside_a_transaction(gateway):
    pm = method(gateway, "tok_visa")
    charge = gateway.charge(req("k", pm), at=T0)
    calls = [
        lambda: gateway.charge(req("new", pm), at=T0),
        lambda: gateway.charge_many([req("new", pm)], at=T0),
        lambda: gateway.lookup("k", at=T0),
        lambda: gateway.refund(charge_id=charge.charge_id, amount=100, idempotency_key="r", at=T0),
    ]

    for call in calls:
        with transaction.atomic(), pytest.raises(RuntimeError, match="gateway called inside a transaction"):
            call()

    assert SandboxCharge.objects.count() == 1 and not SandboxRefund.objects.exists()


def test_tokenize_may_run_inside_a_transaction(gateway):
    with transaction.atomic():
        details = gateway.tokenize("tok_visa", at=T0)

    assert SandboxMethod.objects.filter(pk=details.gateway_method_id).exists()


def test_refunds_up_to_the_charge_and_no_further(gateway):
    charge = gateway.charge(req("k", method(gateway, "tok_visa"), amount=1000), at=T0)

    first = gateway.refund(charge_id=charge.charge_id, amount=300, idempotency_key="r1", at=T0)
    replay = gateway.refund(charge_id=charge.charge_id, amount=300, idempotency_key="r1", at=T0)
    with pytest.raises(ValidationFailed) as over:
        gateway.refund(charge_id=charge.charge_id, amount=701, idempotency_key="r2", at=T0)
    rest = gateway.refund(charge_id=charge.charge_id, amount=700, idempotency_key="r3", at=T0)

    assert first.refund_id.startswith("sbxre_")
    assert replay == first and (first.charge_id, first.amount, first.status) == (
        charge.charge_id,
        300,
        "succeeded",
    )
    assert [e.field for e in over.value.errors] == ["amount"] and "700 left" in over.value.errors[0].message
    assert rest.amount == 700
    assert sorted(SandboxRefund.objects.values_list("amount", flat=True)) == [300, 700]


def test_refund_refusals(gateway):
    failed = gateway.charge(req("f", method(gateway, "tok_decline")), at=T0)
    ach = gateway.charge(req("a", method(gateway, "tok_ach")), at=T0)
    paid = gateway.charge(req("p", method(gateway, "tok_visa")), at=T0)
    gateway.refund(charge_id=paid.charge_id, amount=100, idempotency_key="r", at=T0)

    with pytest.raises(Conflict, match="is failed"):
        gateway.refund(charge_id=failed.charge_id, amount=100, idempotency_key="r1", at=T0)
    with pytest.raises(Conflict, match="is processing"):
        gateway.refund(charge_id=ach.charge_id, amount=100, idempotency_key="r2", at=T0)
    with pytest.raises(ValidationFailed):
        gateway.refund(charge_id=paid.charge_id, amount=0, idempotency_key="r3", at=T0)
    with pytest.raises(ValueError, match="no sandbox charge"):
        gateway.refund(charge_id="sbxch_nope", amount=100, idempotency_key="r4", at=T0)
    with pytest.raises(ValueError, match="another refund"):
        gateway.refund(charge_id=paid.charge_id, amount=200, idempotency_key="r", at=T0)

    assert SandboxRefund.objects.count() == 1
    assert gateway.refund(charge_id=ach.charge_id, amount=100, idempotency_key="r5", at=SETTLES).amount == 100


def race(*calls):
    """Run ``calls`` in threads started together (each thread its own connection); their results."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # reported below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_charging_one_key_at_once_make_one_charge():
    pm = method(SandboxGateway(), "tok_visa")

    for attempt in range(5):
        key = f"renewal-{attempt}"
        batch = [req(f"{key}-{i}", pm) for i in range(300)] + [req(key, pm)]
        results = race(*(lambda b=batch: SandboxGateway().charge_many(b, at=T0) for _ in range(2)))

        assert all(isinstance(r, list) for r in results), results
        first, second = results
        assert [c.charge_id for c in first] == [c.charge_id for c in second]
        assert SandboxCharge.objects.filter(idempotency_key=key).count() == 1
    assert SandboxCharge.objects.count() == 5 * 301


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_first_charges_on_a_fail_renewals_method_let_only_one_succeed():
    pm = method(SandboxGateway(), "tok_fail_renewals")

    results = race(*(lambda key=key: SandboxGateway().charge(req(key, pm), at=T0) for key in ("a", "b", "c")))

    assert sorted(r.status for r in results) == [
        ChargeStatus.FAILED,
        ChargeStatus.FAILED,
        ChargeStatus.SUCCEEDED,
    ]
