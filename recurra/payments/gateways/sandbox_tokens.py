"""The sandbox's test tokens and what their charges do (API.md "Sandbox payment tokens").

Display hints follow Stripe's test numbers (visa 4242, mastercard 4444, the
decline card 0002...); cards expire :data:`CARD_LIFETIME_YEARS` after they
are tokenized. Bank debits (ACH) are ``processing`` for :data:`ACH_SETTLEMENT`
and then settle: ``tok_ach`` succeeds, ``tok_ach_fail`` fails
``insufficient_funds`` (retryable, like an R01 return).

A charge's final outcome is stored by name (a key of :data:`OUTCOMES`), so a
processing charge settles to what was decided when it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
    "card_declined": Outcome(ChargeStatus.FAILED, "card_declined", "Your card was declined."),
    "insufficient_funds": Outcome(
        ChargeStatus.FAILED, "insufficient_funds", "Your card has insufficient funds.", retryable=True
    ),
    "ach_insufficient_funds": Outcome(
        ChargeStatus.FAILED, "insufficient_funds", "The bank account has insufficient funds.", retryable=True
    ),
    # A method id the sandbox never issued (Stripe's resource_missing): nothing to retry with.
    "resource_missing": Outcome(ChargeStatus.FAILED, "resource_missing", "No such payment method."),
}
MISSING_METHOD = "resource_missing"


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

    @property
    def depends_on_history(self) -> bool:
        return self.first != self.later


def _card(brand: str, last4: str, first: str, later: str | None = None) -> TestToken:
    return TestToken("card", brand, last4, first, later or first)


def _ach(last4: str, outcome: str) -> TestToken:
    return TestToken("ach", "Test Bank", last4, outcome, outcome, ACH_SETTLEMENT)


TOKENS: dict[str, TestToken] = {
    "tok_visa": _card("visa", "4242", "succeeded"),
    "tok_mastercard": _card("mastercard", "4444", "succeeded"),
    "tok_decline": _card("visa", "0002", "card_declined"),
    "tok_insufficient_funds": _card("visa", "9995", "insufficient_funds"),
    "tok_fail_renewals": _card("visa", "0341", "succeeded", "insufficient_funds"),
    "tok_ach": _ach("6789", "succeeded"),
    "tok_ach_fail": _ach("2227", "ach_insufficient_funds"),
}
