"""What a Stripe answer means to Recurra: a PaymentIntent's status, or a decline, as a ``Charge``.

Statuses (:data:`STATUSES`): ``succeeded`` is paid; ``processing`` (bank
debits) waits for the webhook or a look-up; ``requires_action`` is an
on-session charge the buyer authenticates on the page, and off session a
failure ``authentication_required`` (the buyer is asked to confirm on the
invoice page); ``requires_payment_method`` after a confirmation is a decline;
``requires_confirmation`` was never confirmed, so no charge (None);
``canceled`` is a failure.

Declines (:data:`DECLINES`) are looked up by Stripe's ``decline_code``, else
its error ``code``. A soft decline follows the retry schedule; a hard one is
never retried automatically (the buyer updates the method). A code not in
the table is soft, as Stripe advises for declines it does not explain.

>>> DECLINES["lost_card"].retryable, DECLINES["insufficient_funds"].retryable
(False, True)
>>> decline_of(code="card_declined", decline_code="stolen_card").retryable
False
>>> decline_of(code="card_declined", decline_code=None).retryable
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from recurra.payments.gateways.base import AUTHENTICATION_REQUIRED, Charge, ChargeStatus
from recurra.payments.gateways.stripe_amounts import from_stripe


@dataclass(frozen=True, slots=True)
class Decline:
    retryable: bool


SOFT = Decline(retryable=True)
HARD = Decline(retryable=False)

DECLINES: dict[str, Decline] = {
    # soft: the issuer may say yes another day
    "insufficient_funds": SOFT,
    "processing_error": SOFT,
    "try_again_later": SOFT,
    "generic_decline": SOFT,
    "card_declined": SOFT,  # no decline code given
    "issuer_not_available": SOFT,
    "reenter_transaction": SOFT,
    "approve_with_id": SOFT,
    "card_velocity_exceeded": SOFT,
    "withdrawal_count_limit_exceeded": SOFT,
    "rate_limit": SOFT,
    # hard: retrying cannot help; the buyer must act
    AUTHENTICATION_REQUIRED: HARD,
    "lost_card": HARD,
    "stolen_card": HARD,
    "expired_card": HARD,
    "do_not_honor": HARD,
    "pickup_card": HARD,
    "restricted_card": HARD,
    "fraudulent": HARD,
    "merchant_blacklist": HARD,
    "incorrect_number": HARD,
    "invalid_number": HARD,
    "incorrect_cvc": HARD,
    "invalid_cvc": HARD,
    "invalid_expiry_month": HARD,
    "invalid_expiry_year": HARD,
    "invalid_account": HARD,
    "card_not_supported": HARD,
    "currency_not_supported": HARD,
    "new_account_information_available": HARD,
    "not_permitted": HARD,
    "revocation_of_all_authorizations": HARD,
    "revocation_of_authorization": HARD,
    "security_violation": HARD,
    "service_not_allowed": HARD,
    "stop_payment_order": HARD,
    "transaction_not_allowed": HARD,
    "testmode_decline": HARD,
    "payment_intent_authentication_failure": HARD,
    "resource_missing": HARD,  # the method is gone (detached)
    "amount_too_small": HARD,
    "amount_too_large": HARD,
    "invalid_amount": HARD,
    "canceled": HARD,
    # bank debits
    "debit_not_authorized": HARD,
    "account_closed": HARD,
    "no_account": HARD,
    "bank_account_restricted": HARD,
}


def decline_of(*, code: str | None, decline_code: str | None) -> Decline:
    return DECLINES.get(decline_code or code or "", SOFT)


@dataclass(frozen=True, slots=True)
class Status:
    """What a PaymentIntent status makes of a charge (None: no charge was made)."""

    charge: ChargeStatus | None


STATUSES: dict[str, Status] = {
    "succeeded": Status(ChargeStatus.SUCCEEDED),
    "processing": Status(ChargeStatus.PROCESSING),
    "requires_capture": Status(ChargeStatus.PROCESSING),  # never asked for; money is held
    "requires_action": Status(ChargeStatus.REQUIRES_ACTION),
    "requires_payment_method": Status(ChargeStatus.FAILED),
    "canceled": Status(ChargeStatus.FAILED),
    "requires_confirmation": Status(None),
}

METHOD_TYPES = {"card": "card", "sepa_debit": "sepa_debit", "us_bank_account": "ach"}
STRIPE_METHOD_TYPES = {ours: theirs for theirs, ours in METHOD_TYPES.items()}


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a Stripe answer is about: Recurra's key, Stripe's PaymentIntent (if any), what was asked."""

    key: str
    intent_id: str
    amount: int
    currency: str
    method_type: str

    def failed(self, *, code: str | None, decline_code: str | None = None, message: str = "") -> Charge:
        """A failed charge, with Stripe's own code (its decline code where it gave one) and message."""
        return Charge(
            idempotency_key=self.key,
            charge_id=self.intent_id,
            amount=self.amount,
            currency=self.currency,
            status=ChargeStatus.FAILED,
            method_type=self.method_type,
            failure_code=(decline_code or code or "card_declined")[:40],
            failure_message=(message or "The payment was declined.")[:300],
            retryable=decline_of(code=code, decline_code=decline_code).retryable,
        )


ASK_BUYER = "Your bank asks you to confirm this payment."


def charge_of(intent: Mapping[str, Any], *, key: str, method_type: str, on_session: bool) -> Charge | None:
    """The charge a PaymentIntent stands for (see the module's table); None if never confirmed."""
    status = STATUSES.get(str(intent["status"]))
    if status is None:
        raise ValueError(f"unknown PaymentIntent status {intent['status']!r}")
    if status.charge is None:
        return None
    currency = str(intent["currency"]).upper()
    attempt = Attempt(
        key, str(intent["id"]), from_stripe(int(intent["amount"]), currency), currency, method_type
    )
    if status.charge == ChargeStatus.REQUIRES_ACTION and not on_session:
        return attempt.failed(code=AUTHENTICATION_REQUIRED, message=ASK_BUYER)
    if status.charge == ChargeStatus.FAILED:
        error = intent.get("last_payment_error") or {}
        if intent["status"] == "canceled":
            error = {"code": "canceled", "message": "The payment was canceled before it completed."}
        return attempt.failed(
            code=error.get("code"),
            decline_code=error.get("decline_code"),
            message=str(error.get("message") or ""),
        )
    return Charge(
        idempotency_key=key,
        charge_id=attempt.intent_id,
        amount=attempt.amount,
        currency=currency,
        status=status.charge,
        method_type=method_type,
        action_secret=str(intent.get("client_secret") or "")
        if status.charge == ChargeStatus.REQUIRES_ACTION
        else "",
    )
