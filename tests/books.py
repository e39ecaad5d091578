"""What the payment processor itself holds, read back so a reliability test runs on either processor.

A test compares Recurra's payments and refunds with the processor's own
records: :class:`SandboxBooks` reads the sandbox's rows, :class:`StripeBooks`
asks localstripe (straight, not through the recording proxy) for its
PaymentIntents and Refunds. Both answer in Recurra's terms: minor units, and
a charge ``succeeded`` or ``failed``.

A test asks for the ``books`` fixture (a plugin of the whole suite), on the
sandbox unless parametrized indirectly with ``"stripe"``: then Recurra
charges through localstripe (the ``stripe_gateway`` fixture) for that test.

A charge (:class:`Made`) is one that moved money or was declined. A Stripe
PaymentIntent that was never confirmed (a crash or a lost reply orphaned it
between creating it and storing its id) moved none: it is not a charge, and
:meth:`StripeBooks.unconfirmed` lists it apart. The sandbox has none such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from recurra.payments.gateways.models import SandboxCharge, SandboxRefund
from recurra.payments.gateways.stripe import KEY_METADATA
from recurra.payments.gateways.stripe_amounts import from_stripe
from tests.localstripe import StripeWorld

SEED_PREFIX = "seed/"  # bench.seed's own period-0 charges: history, not made by the run under test
# A PaymentIntent's status once confirmed, in Recurra's words (requires_payment_method: declined).
CONFIRMED = {"succeeded": "succeeded", "requires_payment_method": "failed"}
UNCONFIRMED = "requires_confirmation"


@dataclass(frozen=True)
class Made:
    key: str  # the Recurra idempotency key it was made for
    charge_id: str  # what Recurra stores as the payment's gateway_charge_id
    status: str  # "succeeded" | "failed" (a Stripe status it does not expect is kept as it is)
    amount: int  # minor units
    method: str  # the processor's id of the method charged


class Books(Protocol):
    name: str

    def charges(self) -> list[Made]:
        """Every charge made (seed history left out), in no particular order."""
        ...

    def unconfirmed(self) -> list[Any]:
        """Charges prepared but never confirmed (Stripe's orphaned PaymentIntents)."""
        ...

    def refunds(self, charge_id: str) -> list[tuple[str, int]]:
        """``(refund id, amount)`` of every refund of the charge ``charge_id``, sorted."""
        ...


class SandboxBooks:
    name = "sandbox"

    def charges(self) -> list[Made]:
        rows = SandboxCharge.objects.exclude(idempotency_key__startswith=SEED_PREFIX)
        return [
            Made(key, pk, status, amount, method)
            for key, pk, status, amount, method in rows.values_list(
                "idempotency_key", "pk", "status", "amount", "method_ref"
            )
        ]

    def unconfirmed(self) -> list[Any]:
        return []

    def refunds(self, charge_id: str) -> list[tuple[str, int]]:
        return sorted(SandboxRefund.objects.filter(charge_id=charge_id).values_list("pk", "amount"))


@dataclass
class StripeBooks:
    world: StripeWorld
    name = "stripe"

    def charges(self) -> list[Made]:
        return [_made(intent) for intent in self.world.intents() if intent.status != UNCONFIRMED]

    def unconfirmed(self) -> list[Any]:
        return [intent for intent in self.world.intents() if intent.status == UNCONFIRMED]

    def refunds(self, charge_id: str) -> list[tuple[str, int]]:
        found = self.world.client().v1.refunds.list(params={"payment_intent": charge_id, "limit": 100})
        return sorted(_refunded(found.auto_paging_iter()))


def _made(intent: Any) -> Made:
    return Made(
        key=str(intent.metadata[KEY_METADATA]),
        charge_id=str(intent.id),
        status=CONFIRMED.get(intent.status, intent.status),
        amount=from_stripe(int(intent.amount), str(intent.currency).upper()),
        method=str(intent.payment_method),
    )


def _refunded(refunds: Iterable[Any]) -> Iterable[tuple[str, int]]:
    for refund in refunds:
        yield str(refund.id), from_stripe(int(refund.amount), str(refund.currency).upper())


@pytest.fixture
def books(request: pytest.FixtureRequest) -> Books:
    """The processor the test runs against: ``"sandbox"`` (the default) or ``"stripe"``."""
    if getattr(request, "param", "sandbox") == "stripe":
        return StripeBooks(request.getfixturevalue("stripe_gateway"))
    return SandboxBooks()
