"""The sandbox gateway: a deterministic, stateful fake processor in its own tables.

Which token a method came from decides its charges (see ``sandbox_tokens``).
State lives in the database, so a new instance (or a restarted process) sees
every method, charge and refund made before.

- Idempotency: one row per key (a unique column). The same key answers the
  stored charge; with another amount, currency or method it is a ValueError.
  Two workers racing on one key both answer the charge that won the insert.
- Bank debits settle lazily by the clock: a charge is ``processing`` while
  ``at < settles_at``; the first call at or after ``settles_at`` persists the
  outcome. Asked about an earlier ``at``, a settled charge still answers
  ``processing``: its state at that time.
- ``tok_fail_renewals``: the first charge ever made on the method succeeds,
  every later one fails. The method row is locked while deciding.
- A method id the sandbox never issued is a failed charge
  (``resource_missing``), so one bad row does not stop a batch.
- Fault tokens (``sandbox_tokens.FAULTS``) fail the first call for each
  charge or refund key with ``GatewayError``, raised after the call's
  transaction commits. ``tok_lost_reply``: the call that makes the charge
  (or refund) loses its reply; a racing call meets the stored row and gets
  the answer. ``tok_timeout``, ``tok_gateway_error``: the call that inserts
  the key's :class:`SandboxFault` row makes nothing; a racing call meets that
  row and goes through. In ``charge_many`` only the faulted requests go
  unanswered (``PartlyAnswered``); ordinary tokens cost no extra query.
- ``tokenize`` may run inside a caller's transaction: a method that a rollback
  forgets moves no money (and the API's Idempotency-Key middleware wraps each
  request in one). Every other call refuses to (see ``base.own_transaction``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import Min

from recurra.core.bulk import insert_objects
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.instances import any_of, build, fetch
from recurra.payments.gateways.base import (
    Charge,
    ChargeRequest,
    ChargeStatus,
    Customer,
    GatewayError,
    MethodDetails,
    PartlyAnswered,
    PaymentGateway,
    Refund,
    own_transaction,
)
from recurra.payments.gateways.models import SandboxCharge, SandboxFault, SandboxMethod, SandboxRefund
from recurra.payments.gateways.sandbox_tokens import (
    CARD_LIFETIME_YEARS,
    FAULTS,
    MISSING_METHOD,
    OUTCOMES,
    TOKENS,
    Fault,
)

CHUNK = 1000
T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by(model: type[M], field: str, values: Iterable[Any]) -> dict[Any, M]:
    """Rows whose ``field`` is one of ``values``, keyed by it (read in chunks)."""
    distinct = list(dict.fromkeys(values))
    found: dict[Any, M] = {}
    for chunk in _chunks(distinct):
        for row in fetch(model._default_manager.filter(any_of(field, chunk))):
            found[getattr(row, field)] = row
    return found


def _check(request: ChargeRequest) -> None:
    if not request.idempotency_key or len(request.idempotency_key) > 200:
        raise ValueError("an idempotency key of 1 to 200 characters is required")
    if isinstance(request.amount, bool) or not isinstance(request.amount, int) or request.amount <= 0:
        raise ValueError(f"amount must be a positive integer of minor units, not {request.amount!r}")
    if len(request.currency) != 3 or not request.currency.isalpha() or not request.currency.isupper():
        raise ValueError(f"currency must be an ISO 4217 code like USD, not {request.currency!r}")


def _params(request: ChargeRequest) -> tuple[int, str, str]:
    return request.amount, request.currency, request.method_id


def _same_charge(row: SandboxCharge, request: ChargeRequest) -> None:
    """ValueError when a key already used is sent with other amount, currency or method."""
    if (row.amount, row.currency, row.method_ref) != _params(request):
        raise ValueError(
            f"idempotency key {request.idempotency_key!r} was used for another charge "
            f"({row.amount} {row.currency} on {row.method_ref}); use a new key"
        )


def _unique_requests(requests: Sequence[ChargeRequest]) -> list[ChargeRequest]:
    """The first request of each key; a key repeated with other values is a ValueError."""
    first: dict[str, ChargeRequest] = {}
    for request in requests:
        _check(request)
        seen = first.setdefault(request.idempotency_key, request)
        if _params(seen) != _params(request):
            raise ValueError(f"idempotency key {request.idempotency_key!r} is used twice with other values")
    return list(first.values())


def _fault_of(method: SandboxMethod | None) -> Fault | None:
    spec = TOKENS[method.token] if method is not None else None
    return FAULTS[spec.fault] if spec is not None and spec.fault else None


def _first_calls(kind: str, faults: dict[str, Fault], at: datetime) -> set[str]:
    """Which of ``faults``' keys this call is the first for: it inserted their SandboxFault row.

    A key whose row exists (an earlier call, or a racing one that committed
    first: the insert waits for it) is not. The rows commit with the caller's transaction.
    """
    names = {fault: name for name, fault in FAULTS.items()}
    mine: set[str] = set()
    for chunk in _chunks(list(faults)):
        rows = [
            build(SandboxFault, kind=kind, idempotency_key=key, fault=names[faults[key]], created_at=at)
            for key in chunk
        ]
        SandboxFault.objects.bulk_create(rows, ignore_conflicts=True)
        ours = SandboxFault.objects.filter(kind=kind, idempotency_key__in=chunk, pk__in=[r.pk for r in rows])
        mine.update(ours.values_list("idempotency_key", flat=True))
    return mine


def _apply_outcome(row: SandboxCharge) -> None:
    outcome = OUTCOMES[row.outcome]
    row.status, row.failure_code = outcome.status, outcome.failure_code
    row.failure_message, row.retryable = outcome.failure_message, outcome.retryable


def _settle_due(rows: Iterable[SandboxCharge], at: datetime) -> None:
    """Persist the outcome of processing charges whose settlement time ``at`` has reached."""
    due = [r for r in rows if r.status == ChargeStatus.PROCESSING and r.settles_at and at >= r.settles_at]
    for row in due:
        _apply_outcome(row)
    if due:
        fields = ["status", "failure_code", "failure_message", "retryable"]
        SandboxCharge.objects.bulk_update(due, fields, batch_size=CHUNK)


def _as_charge(row: SandboxCharge, at: datetime) -> Charge:
    """The charge as it stood at ``at`` (call :func:`_settle_due` first)."""
    charge = Charge(
        idempotency_key=row.idempotency_key,
        charge_id=row.pk,
        amount=row.amount,
        currency=row.currency,
        status=ChargeStatus(row.status),
        method_type=row.method_type,
        failure_code=row.failure_code or None,
        failure_message=row.failure_message,
        retryable=row.retryable,
    )
    if row.settles_at is not None and at < row.settles_at:
        return replace(
            charge, status=ChargeStatus.PROCESSING, failure_code=None, failure_message="", retryable=False
        )
    return charge


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def tokenize(self, token: str, *, at: datetime, customer: Customer | None = None) -> MethodDetails:
        spec = TOKENS.get(token)
        if spec is None:
            raise ValidationFailed.field("token", f"is not a sandbox test token (one of {', '.join(TOKENS)})")
        card = spec.type == "card"
        with transaction.atomic():
            method = SandboxMethod.objects.create(
                token=token,
                type=spec.type,
                brand=spec.brand,
                last4=spec.last4,
                exp_month=at.month if card else None,
                exp_year=at.year + CARD_LIFETIME_YEARS if card else None,
                created_at=at,
            )
        return MethodDetails(
            gateway_method_id=method.pk,
            type=method.type,
            brand=method.brand,
            last4=method.last4,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
        )

    def charge(self, request: ChargeRequest, *, at: datetime) -> Charge:
        try:
            return self.charge_many([request], at=at)[0]
        except PartlyAnswered as unanswered:
            raise GatewayError(str(unanswered)) from None

    def charge_many(self, requests: Sequence[ChargeRequest], *, at: datetime) -> list[Charge]:
        """All in one transaction, with bulk reads and chunked inserts (no per-row queries).

        Faulted requests (fault tokens) are None in the ``PartlyAnswered`` raised after the commit.
        """
        unique = _unique_requests(requests)
        with own_transaction():
            stored = _by(SandboxCharge, "idempotency_key", (r.idempotency_key for r in unique))
            for request in unique:
                if request.idempotency_key in stored:
                    _same_charge(stored[request.idempotency_key], request)
            new = [r for r in unique if r.idempotency_key not in stored]
            methods = _by(SandboxMethod, "id", (r.method_id for r in new))
            faults = {r.idempotency_key: f for r in new if (f := _fault_of(methods.get(r.method_id)))}
            blocked = _first_calls("charge", {k: f for k, f in faults.items() if not f.acts}, at)
            rows = self._new_rows([r for r in new if r.idempotency_key not in blocked], methods, at)
            stored.update(self._insert(rows, {r.idempotency_key: r for r in new}))
            _settle_due(stored.values(), at)
        made = {r.idempotency_key for r in rows if stored[r.idempotency_key].pk == r.pk}
        unanswered = blocked | {key for key in made if key in faults and faults[key].acts}
        if not unanswered:
            return [_as_charge(stored[r.idempotency_key], at) for r in requests]
        charges = [
            None if r.idempotency_key in unanswered else _as_charge(stored[r.idempotency_key], at)
            for r in requests
        ]
        message = faults[min(unanswered)].message
        raise PartlyAnswered(f"{len(unanswered)} of {len(unique)} unanswered: {message}", charges)

    def _new_rows(
        self, requests: Sequence[ChargeRequest], methods: dict[Any, SandboxMethod], at: datetime
    ) -> list[SandboxCharge]:
        charged = self._charged_before([m for m in methods.values() if TOKENS[m.token].depends_on_history])
        rows = []
        for request in requests:
            method = methods.get(request.method_id)
            row = build(
                SandboxCharge,
                idempotency_key=request.idempotency_key,
                method=method,
                method_ref=request.method_id,
                method_type=method.type if method else "",
                amount=request.amount,
                currency=request.currency,
                description=request.description[:500],
                created_at=at,
            )
            if method is None:
                row.outcome = MISSING_METHOD
            else:
                spec = TOKENS[method.token]
                row.outcome = spec.later if method.pk in charged else spec.first
                charged.add(method.pk)
                row.settles_at = at + spec.settles_after if spec.settles_after else None
            if row.settles_at is None:
                _apply_outcome(row)
            else:
                row.status = ChargeStatus.PROCESSING
            rows.append(row)
        return rows

    @staticmethod
    def _charged_before(methods: list[SandboxMethod]) -> set[str]:
        """Which of ``methods`` have a charge already; locks them so that racing charges queue."""
        if not methods:
            return set()
        ids = [m.pk for m in methods]
        list(SandboxMethod.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        return set(SandboxCharge.objects.filter(method_id__in=ids).values_list("method_id", flat=True))

    @staticmethod
    def _insert(rows: list[SandboxCharge], asked: dict[str, ChargeRequest]) -> dict[str, SandboxCharge]:
        """Insert in chunks; a chunk that meets a key charged meanwhile keeps the winner's rows."""
        result: dict[str, SandboxCharge] = {}
        for chunk in _chunks(rows):
            try:
                with transaction.atomic():
                    insert_objects(chunk)
                result.update((row.idempotency_key, row) for row in chunk)
            except IntegrityError:
                SandboxCharge.objects.bulk_create(chunk, ignore_conflicts=True)
                stored = _by(SandboxCharge, "idempotency_key", (row.idempotency_key for row in chunk))
                for key, row in stored.items():
                    _same_charge(row, asked[key])
                result.update(stored)
        return result

    def next_change_at(self, *, after: datetime) -> datetime | None:
        """The next settlement of a processing bank debit after ``after``."""
        return (
            SandboxCharge.objects.filter(status=ChargeStatus.PROCESSING, settles_at__gt=after)
            .aggregate(first=Min("settles_at"))
            .get("first")
        )

    def lookup(self, idempotency_key: str, *, at: datetime, reference: str = "") -> Charge | None:
        with own_transaction():
            row = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
            if row is None:
                return None
            _settle_due([row], at)
        return _as_charge(row, at)

    def refund(self, *, charge_id: str, amount: int, idempotency_key: str, at: datetime) -> Refund:
        """Refund part or all of a succeeded charge; the same key answers the first refund.

        Over what is left to refund is a 422 on ``amount``; a charge that has not
        succeeded (by ``at``) is a 409; an unknown charge or a key reused for
        another refund is a ValueError.
        """
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationFailed.field("amount", "must be a positive integer of minor units")
        with own_transaction():
            locked = SandboxCharge.objects.select_for_update(of=("self",)).select_related("method")
            charge = locked.filter(pk=charge_id).first()
            if charge is None:
                raise ValueError(f"no sandbox charge {charge_id}")
            existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if (existing.charge_id, existing.amount) != (charge_id, amount):
                    raise ValueError(f"idempotency key {idempotency_key!r} was used for another refund")
                return Refund(existing.pk, existing.charge_id, existing.amount, existing.status)
            fault = _fault_of(charge.method)
            if fault and not fault.acts and not _first_calls("refund", {idempotency_key: fault}, at):
                fault = None  # an earlier call had the fault: this one goes through
            made = None if fault and not fault.acts else self._new_refund(charge, amount, idempotency_key, at)
        if fault is not None:
            raise GatewayError(fault.message)  # before refunding, or after (the reply lost)
        assert made is not None
        return Refund(made.pk, made.charge_id, made.amount, made.status)

    @staticmethod
    def _new_refund(charge: SandboxCharge, amount: int, key: str, at: datetime) -> SandboxRefund:
        _settle_due([charge], at)
        status = _as_charge(charge, at).status
        if status != ChargeStatus.SUCCEEDED:
            raise Conflict(f"only a succeeded charge can be refunded; {charge.pk} is {status}")
        refunded = charge.refunds.aggregate(total=models.Sum("amount"))["total"] or 0
        left = charge.amount - refunded
        if amount > left:
            raise ValidationFailed.field("amount", f"is more than the {left} left to refund of {charge.pk}")
        return SandboxRefund.objects.create(idempotency_key=key, charge=charge, amount=amount, created_at=at)
