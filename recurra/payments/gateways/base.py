"""The PaymentGateway port: what Recurra asks of a payment processor (shaped like Stripe's API).

Amounts are integer minor units. Every charge carries an idempotency key: the
same key always answers the first charge made with it and never charges
again; the same key with another amount, currency or method is a programming
error and raises :class:`ValueError` (a :class:`GatewayError` would wrongly
mean "outcome unknown").

A gateway stands for an external system, so its calls that move money
(charge, charge_many, lookup, refund) commit on their own and refuse to run
inside a caller's transaction (:func:`own_transaction`): a rollback there
would otherwise forget a charge that the processor has made.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from django.db import DEFAULT_DB_ALIAS, connections, transaction


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"  # bank debits: the outcome comes days later (see lookup)
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class MethodDetails:
    """A tokenized method: the gateway's id for it and display hints, never the number itself."""

    gateway_method_id: str
    type: str  # "card" | "ach"
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    idempotency_key: str
    amount: int
    currency: str
    method_id: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Charge:
    idempotency_key: str
    charge_id: str
    amount: int
    currency: str
    status: ChargeStatus
    method_type: str
    failure_code: str | None = None
    failure_message: str = ""
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: str
    charge_id: str
    amount: int
    status: str


class GatewayError(Exception):
    """The gateway could not answer; the outcome is unknown (reconcile later by key)."""


class PartlyAnswered(GatewayError):
    """``charge_many`` got no answer for some requests, but did for the others.

    ``charges`` holds, in request order, each answer, or None where the
    outcome is unknown (reconcile that key later). A caller that only catches
    :class:`GatewayError` stays correct: it merely drops the answers it had.
    """

    def __init__(self, message: str, charges: Sequence[Charge | None]) -> None:
        super().__init__(message)
        self.charges = list(charges)


def in_callers_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True inside an atomic block (or a manual transaction) of the caller.

    The atomic blocks that wrap each test of pytest-django's ``db`` fixture
    (Django's TestCase) are marked ``_from_testcase`` and do not count: Django
    applies the same exception to ``atomic(durable=True)``.
    """
    connection = connections[using]
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        return True
    return not connection.in_atomic_block and not connection.get_autocommit()


@contextmanager
def own_transaction(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction that commits on its own; RuntimeError when the caller has one open."""
    if in_callers_transaction(using):
        raise RuntimeError("gateway called inside a transaction")
    with transaction.atomic(using=using, durable=True):
        yield


class PaymentGateway(ABC):
    name: str

    @abstractmethod
    def tokenize(self, token: str, *, at: datetime) -> MethodDetails:
        """The method a client-side token stands for; an unknown token is a 422 on ``token``."""

    @abstractmethod
    def charge(self, request: ChargeRequest, *, at: datetime) -> Charge:
        """Charge a saved method off-session; idempotent on the request's key."""

    def charge_many(self, requests: Sequence[ChargeRequest], *, at: datetime) -> list[Charge]:
        """One charge per request, in order (gateways with a faster way override this).

        A request without an answer does not lose the others': once all are
        asked, :class:`PartlyAnswered` carries the answers there are.
        """
        charges: list[Charge | None] = []
        unanswered: list[GatewayError] = []
        for request in requests:
            try:
                charges.append(self.charge(request, at=at))
            except GatewayError as error:
                charges.append(None)
                unanswered.append(error)
        if unanswered:
            raise PartlyAnswered(f"{len(unanswered)} of {len(charges)} unanswered: {unanswered[0]}", charges)
        return cast(list[Charge], charges)

    @abstractmethod
    def lookup(self, idempotency_key: str, *, at: datetime) -> Charge | None:
        """The charge made with this key as it stands at ``at``; None when there is none."""

    @abstractmethod
    def refund(self, *, charge_id: str, amount: int, idempotency_key: str, at: datetime) -> Refund:
        """Give back ``amount`` of a succeeded charge; all refunds together never exceed it."""

    def next_change_at(self, *, after: datetime) -> datetime | None:
        """When a charge will next change by itself after ``after`` (a bank debit settling), if known.

        The sandbox knows; real processors do not say (None), and Recurra polls them.
        """
        return None
