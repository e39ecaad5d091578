"""The sandbox's test tokens and what their charges do (API.md "Sandbox payment tokens").

Display hints follow Stripe's test numbers (visa 4242, mastercard 4444, the
decline card 0002...); cards expire :data:`CARD_LIFETIME_YEARS` after they
are tokenized. Bank debits (ACH) are ``processing`` for :data:`ACH_SETTLEMENT`
and then settle: ``tok_ach`` succeeds, ``tok_ach_fail`` fails
``insufficient_funds`` (retryable, like an R01 return).

A charge's final outcome is stored by name (a key of :data:`OUTCOMES`), so a
processing charge settles to what was decided when it was made.

Fault tokens are cards that succeed like ``tok_visa``, except that the first
call for each charge or refund (per idempotency key) raises ``GatewayError``
(:data:`FAULTS`): ``tok_lost_reply`` after the charge or refund is made (only
the reply is lost), ``tok_timeout`` and ``tok_gateway_error`` before anything
happens. A later call with the same key goes through; a look-up tells the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext_noop as N_  # stored in English, shown translated

from recurra.payments.gateways.base import ChargeStatus

ACH_SETTLEMENT = timedelta(days=4)
CARD_LIFETIME_YEARS = 3


@dataclass(frozen=True, slots=True)
class Outcome:
    status: ChargeStatus
    failure_code: str = ""
    failure_message: str = ""
    retryable: bool = False


OUTCOMES: dict[str, Outcome] = {
    "succeeded": Outcome(ChargeStatus.SUCCEEDED),
    "card_declined": Outcome(ChargeStatus.FAILED, "card_declined", N_("Your card was declined.")),
    "insufficient_funds": Outcome(
        ChargeStatus.FAILED,
        "insufficient_funds",
        N_("Your card has insufficient funds."),
        retryable=True,
    ),
    "ach_insufficient_funds": Outcome(
        ChargeStatus.FAILED,
        "insufficient_funds",
        N_("The bank account has insufficient funds."),
        retryable=True,
    ),
    # A method id the sandbox never issued (Stripe's resource_missing): nothing to retry with.
    "resource_missing": Outcome(ChargeStatus.FAILED, "resource_missing", N_("No such payment method.")),
}
MISSING_METHOD = "resource_missing"


@dataclass(frozen=True, slots=True)
class Fault:
    """How the first call for a key fails: ``acts`` when the gateway made the charge or refund first."""

    acts: bool
    message: str


FAULTS: dict[str, Fault] = {
    "lost_reply": Fault(acts=True, message="timed out reading the gateway's reply (the call was processed)"),
    "timeout": Fault(acts=False, message="timed out connecting to the gateway (nothing was sent)"),
    "server_error": Fault(acts=False, message="the gateway answered 500 Internal Server Error"),
}


@dataclass(frozen=True, slots=True)
class TestToken:
    """A token's method (type and display hints) and the outcome of its first and later charges."""

    __test__ = False  # not a pytest test class

    type: str
    brand: str
    last4: str
    first: str  # key of OUTCOMES
    later: str
    settles_after: timedelta | None = None  # None: the outcome is immediate
    fault: str | None = None  # key of FAULTS: how the first call for each key fails

    @property
    def depends_on_history(self) -> bool:
        return self.first != self.later


def _card(
    brand: str, last4: str, first: str, later: str | None = None, fault: str | None = None
) -> TestToken:
    return TestToken("card", brand, last4, first, later or first, fault=fault)


def _ach(last4: str, outcome: str) -> TestToken:
    return TestToken("ach", "Test Bank", last4, outcome, outcome, ACH_SETTLEMENT)


TOKENS: dict[str, TestToken] = {
    "tok_visa": _card("visa", "4242", "succeeded"),
    "tok_mastercard": _card("mastercard", "4444", "succeeded"),
    "tok_decline": _card("visa", "0002", "card_declined"),
    "tok_insufficient_funds": _card("visa", "9995", "insufficient_funds"),
    "tok_fail_renewals": _card("visa", "0341", "succeeded", "insufficient_funds"),
    "tok_lost_reply": _card("visa", "0077", "succeeded", fault="lost_reply"),
    "tok_timeout": _card("visa", "0259", "succeeded", fault="timeout"),
    "tok_gateway_error": _card("visa", "0119", "succeeded", fault="server_error"),
    "tok_ach": _ach("6789", "succeeded"),
    "tok_ach_fail": _ach("2227", "ach_insufficient_funds"),
}
