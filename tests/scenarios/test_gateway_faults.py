"""Money paths when the payment processor does not answer: each ends settled exactly once.

Driven through the product's own API and the worker, on the sandbox (its fault tokens) and on
Stripe (localstripe, its recording proxy dropping calls); the processor's own records
(``tests.books``) are compared with the payments and refunds:

    2027-01-01  Team plan 31.00/month; its first charge is answered (the worker settles a lost one)
    2027-01-11  cancel now, prorated (21 of 31 days: 21.00)
                - the refund is made, its answer lost (tok_lost_reply; Stripe's POST /v1/refunds):
                  "on its way"; the worker asks again with the same key and records the one refund
                  (Stripe: found by the key in its metadata, not made again)
                - nothing made (tok_gateway_error: a server error; Stripe: the POST never arrives):
                  "on its way"; the worker makes it, with the same key
    2027-01-11  upgrade to 62.00, prorated (21.00); the charge never reaches the processor
                (tok_timeout; Stripe: the PaymentIntent is prepared, its confirm never arrives)
                → pending; the reconciler charges it once by its key
"""

from __future__ import annotations

from datetime import date

import pytest

from recurra.core import clock
from recurra.payments.models import Payment, Refund
from recurra.worker.steps import run_due_work
from tests.books import Books, StripeBooks
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)

REFUNDS = r"^/v1/refunds$"
CONFIRM = r"^/v1/payment_intents/[^/]+/confirm$"


@pytest.fixture(autouse=True)
def leases_end_at_once(settings):
    """A payment nobody answered is the reconciler's at the next pass (not 2 minutes later)."""
    settings.RECURRA_LEASE_SECONDS = 0


def _subscribed(scenario, books: Books, fault: str):
    """Faye's subscription, charged once; on the sandbox to the ``fault`` token's card."""
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("faye@example.com", "Faye", "Fault")
    token = books.world.card() if isinstance(books, StripeBooks) else fault
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100), token=token)
    scenario.advance(date(2027, 1, 11))
    (payment,) = Payment.objects.all()
    assert (payment.status, len(books.charges())) == ("succeeded", 1)
    return sub, payment


def _next_post_fails(books: Books, fault: str, path: str) -> None:
    """On Stripe, the next POST to ``path`` meets ``fault`` at the proxy (the sandbox's card does it)."""
    if isinstance(books, StripeBooks):
        getattr(books.world.proxy, fault)(path, method="POST")


def _sent_alike(books: Books, path: str, key: str, times: int) -> None:
    """On Stripe: ``times`` POSTs to ``path``, each with the Idempotency-Key ``key`` and the same fields."""
    if isinstance(books, StripeBooks):
        posts = books.world.proxy.calls("POST", path)
        assert [(p.idempotency_key, p.fields) for p in posts] == [(key, posts[0].fields)] * times


def _made_for(books: Books, key: str) -> list:
    return [charge for charge in books.charges() if charge.key == key]


@pytest.mark.parametrize(
    ("books", "fault", "made"),
    [
        pytest.param("sandbox", "tok_lost_reply", 1, id="sandbox-lost_reply"),
        pytest.param("sandbox", "tok_gateway_error", 0, id="sandbox-gateway_error"),
        pytest.param("stripe", "lose_reply", 1, id="stripe-lost_reply"),
        pytest.param("stripe", "no_answer", 0, id="stripe-no_answer"),
    ],
    indirect=["books"],
)
def test_a_cancellations_refund_without_an_answer_is_on_its_way_then_made_once(
    scenario, api, books, fault, made
):
    sub, payment = _subscribed(scenario, books, fault)
    _next_post_fails(books, fault, REFUNDS)

    response = api.post(
        f"/subscriptions/{sub.pk}/cancel", {"confirm": True, "when": "now", "refund": "prorated"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "canceled"
    assert body["refunds"] == [{"payment_id": payment.pk, "amount": 2100, "status": "pending", "error": None}]
    (refund,) = Refund.objects.all()
    assert refund.status == "pending"
    assert len(books.refunds(payment.gateway_charge_id)) == made

    run_due_work(at=clock.now())  # the worker's follow-up job, same key

    refund.refresh_from_db()
    payment.refresh_from_db()
    ((refund_id, refunded),) = books.refunds(payment.gateway_charge_id)
    assert (refund.status, refund.gateway_refund_id, refunded) == ("succeeded", refund_id, 2100)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 2100)
    assert scenario.fresh(sub).total_collected == 3100 - 2100
    run_due_work(at=clock.now())
    assert len(books.refunds(payment.gateway_charge_id)) == Refund.objects.count() == 1
    _sent_alike(books, REFUNDS, refund.idempotency_key, 2 - made)  # again only if it never arrived


@pytest.mark.parametrize(
    ("books", "fault"),
    [pytest.param("sandbox", "tok_timeout", id="sandbox"), pytest.param("stripe", "no_answer", id="stripe")],
    indirect=["books"],
)
def test_an_upgrades_charge_that_never_arrives_is_charged_once_by_the_reconciler(scenario, api, books, fault):
    sub, renewal = _subscribed(scenario, books, fault)
    _next_post_fails(books, fault, CONFIRM)

    response = api.patch(
        f"/subscriptions/{sub.pk}",
        {"line_items": [{"name": "Team plan", "unit_amount": 6200}], "proration": "prorate"},
    )

    assert response.status_code == 200, response.content
    upgrade = Payment.objects.exclude(pk=renewal.pk).get()
    assert (upgrade.origin, upgrade.amount, upgrade.status) == ("proration", 2100, "pending")
    assert _made_for(books, upgrade.idempotency_key) == []

    run_due_work(at=clock.now())  # the reconciler: nothing charged under the key → charge it

    upgrade.refresh_from_db()
    (charge,) = _made_for(books, upgrade.idempotency_key)
    assert (upgrade.status, upgrade.gateway_charge_id, charge.amount) == ("succeeded", charge.charge_id, 2100)
    assert upgrade.invoice.status == "paid"
    assert scenario.fresh(sub).total_collected == 3100 + 2100
    run_due_work(at=clock.now())
    assert len(books.charges()) == Payment.objects.count() == 2
    confirm = rf"^/v1/payment_intents/{upgrade.gateway_charge_id}/confirm$"
    _sent_alike(books, confirm, f"{upgrade.idempotency_key}/confirm", 2)
