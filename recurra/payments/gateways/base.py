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

Some processors (Stripe) create a charge object before confirming it:
:meth:`PaymentGateway.prepare` returns each request with the processor's
``reference`` for it, which the caller stores (committed) before it calls
:meth:`~PaymentGateway.charge`. Such a gateway never confirms a charge whose
reference the caller has not stored, so a look-up by that reference tells
every charge it made; a reference lost to a crash belongs to a charge never
confirmed, which moves no money.

Every call of an operation (:data:`OPERATIONS`) that ends without an answer (``GatewayError``) or with
an unexpected exception is counted in ``recurra_gateway_errors_total`` by gateway and operation
(``core.metrics``): each gateway class's own operations are wrapped when the class is made. A call
inside another (the sandbox's ``charge`` asks its ``charge_many``) is counted once, as the outer.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from recurra.core import metrics
from recurra.core.errors import RecurraError


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"  # bank debits: the outcome comes days later (see lookup)
    FAILED = "failed"
    # Only for an on-session charge (``ChargeRequest.on_session``): the buyer, still on the page,
    # must authenticate it (3-D Secure) with ``Charge.action_secret``; an off-session charge that
    # needs it is FAILED with ``authentication_required`` instead.
    REQUIRES_ACTION = "requires_action"


# The failure_code of a charge the buyer's bank wants them to authenticate (off session it cannot be).
AUTHENTICATION_REQUIRED = "authentication_required"


@dataclass(frozen=True, slots=True)
class Customer:
    """Whom a method is saved for: the processor keeps one customer per contact (none yet: by email)."""

    contact_id: str | None
    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class MethodDetails:
    """A tokenized method: the gateway's id for it and display hints, never the number itself."""

    gateway_method_id: str
    type: str  # "card" | "ach" | "sepa_debit"
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    customer_id: str = ""  # the processor's customer it is attached to ("" where there is none)
    bank_name: str = ""
    mandate: str = ""  # a bank debit's mandate reference


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    idempotency_key: str
    amount: int
    currency: str
    method_id: str
    description: str = ""
    method_type: str = "card"  # the saved method's type ("card", "ach", "sepa_debit")
    customer_id: str = ""
    reference: str = ""  # the processor's id for this charge once prepared (see the module's notes)
    metadata: Mapping[str, str] = field(default_factory=dict)
    on_session: bool = False  # the buyer is on the page and can authenticate (3-D Secure)


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
    action_secret: str = ""  # REQUIRES_ACTION: what the buyer's page authenticates with


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


OPERATIONS = ("tokenize", "prepare", "charge", "charge_many", "lookup", "refund")
_in_call: ContextVar[bool] = ContextVar("gateway_call", default=False)
Method = TypeVar("Method", bound=Callable[..., Any])


def counting_errors(operation: str) -> Callable[[Method], Method]:
    """Decorate a gateway method to count its errors in ``recurra_gateway_errors_total`` (see the
    module); a RecurraError (a decline, a refusal: the processor's answer) is not an error."""

    def wrap(method: Method) -> Method:
        @functools.wraps(method)
        def call(self: PaymentGateway, *args: Any, **kwargs: Any) -> Any:
            if _in_call.get():
                return method(self, *args, **kwargs)
            token = _in_call.set(True)
            try:
                return method(self, *args, **kwargs)
            except GatewayError:
                metrics.GATEWAY_ERRORS.add(gateway=self.name, operation=operation, kind="unanswered")
                raise
            except RecurraError:
                raise
            except Exception:
                metrics.GATEWAY_ERRORS.add(gateway=self.name, operation=operation, kind="error")
                raise
            finally:
                _in_call.reset(token)

        call.counts_errors = True  # type: ignore[attr-defined]
        return cast(Method, call)

    return wrap


class PaymentGateway(ABC):
    name: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for operation in OPERATIONS:
            method = cls.__dict__.get(operation)
            if callable(method) and not getattr(method, "counts_errors", False):
                setattr(cls, operation, counting_errors(operation)(method))

    @abstractmethod
    def tokenize(self, token: str, *, at: datetime, customer: Customer | None = None) -> MethodDetails:
        """The method a client-side token stands for, attached to ``customer`` where the processor
        keeps customers; an unknown or declined token is a 422 on ``token``."""

    @counting_errors("prepare")
    def prepare(self, requests: Sequence[ChargeRequest], *, at: datetime) -> list[ChargeRequest]:
        """The requests ready to charge, in order: each with its ``reference`` where the processor
        creates the charge before confirming it (store it, committed, before :meth:`charge`).

        The default needs no step: requests come back unchanged. Idempotent on each key.
        """
        return list(requests)

    @abstractmethod
    def charge(self, request: ChargeRequest, *, at: datetime) -> Charge:
        """Charge a saved method off-session; idempotent on the request's key."""

    @counting_errors("charge_many")
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
    def lookup(self, idempotency_key: str, *, at: datetime, reference: str = "") -> Charge | None:
        """The charge made with this key (and the stored ``reference``, for a gateway that prepares)
        as it stands at ``at``; None when there is none."""

    @abstractmethod
    def refund(self, *, charge_id: str, amount: int, idempotency_key: str, at: datetime) -> Refund:
        """Give back ``amount`` of a succeeded charge; all refunds together never exceed it."""

    def next_change_at(self, *, after: datetime) -> datetime | None:
        """When a charge will next change by itself after ``after`` (a bank debit settling), if known.

        The sandbox knows; real processors do not say (None), and Recurra polls them.
        """
        return None

    def poll_processing_from(self, started: datetime) -> datetime:
        """From when a charge still ``processing`` since ``started`` is looked up (before that its
        processor's webhook tells). By default at once."""
        return started


def prepared(
    gateway: PaymentGateway, request: ChargeRequest, *, store: Callable[[str], None], at: datetime
) -> ChargeRequest:
    """``request`` ready to charge: prepared and its reference handed to ``store`` (which commits it)
    when the gateway needs that and it has none yet."""
    if request.reference:
        return request
    ready = gateway.prepare([request], at=at)[0]
    if ready.reference:
        store(ready.reference)
    return replace(request, reference=ready.reference)
