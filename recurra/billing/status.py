"""Where a subscription's status goes after its money moves (pure; the lifecycle table checks it).

- A payment failed, or an invoice went unpaid past its due date: Unpaid
  (``past_due``), unless it is paused or has ended.
- Paid: ``expired`` once every payment of a fixed term is made; else Unpaid
  while another overdue invoice is still open; else ``active``.
- Paused, canceled and expired subscriptions keep their status whatever the
  money does (a late ACH settlement does not revive a canceled one).
"""

from __future__ import annotations

from recurra.subscriptions.lifecycle import check_transition
from recurra.subscriptions.models import SubscriptionStatus as S

FROZEN = frozenset({S.PAUSED, S.CANCELED, S.EXPIRED})


def after_failure(current: str) -> str:
    if current in FROZEN:
        return current
    return check_transition(current, S.PAST_DUE)


def after_payment(current: str, *, term_complete: bool, overdue_open: int) -> str:
    if current in FROZEN:
        return current
    if term_complete:
        return check_transition(current, S.EXPIRED)
    return check_transition(current, S.PAST_DUE if overdue_open else S.ACTIVE)


def after_invoicing(current: str) -> str:
    """A scheduled subscription becomes active when its first period is invoiced."""
    return check_transition(current, S.ACTIVE) if current == S.SCHEDULED else current
