"""The subscription state machine: one table of allowed moves, one function that checks them.

    scheduled ──start──► active ◄──paid── past_due
        │                 │  ▲               │
        │               pause│resume         │
        ▼                 ▼  │               ▼
    canceled ◄──────── paused ──────────► canceled
                  active/past_due ──last fixed payment paid──► expired

``canceled`` and ``expired`` are terminal: nothing leaves them.
"""

from __future__ import annotations

from recurra.core.errors import Conflict
from recurra.subscriptions.models import SubscriptionStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.ACTIVE, S.PAST_DUE, S.EXPIRED, S.PAUSED, S.CANCELED}),
    S.ACTIVE: frozenset({S.PAST_DUE, S.PAUSED, S.CANCELED, S.EXPIRED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.PAUSED, S.CANCELED, S.EXPIRED}),
    S.PAUSED: frozenset({S.ACTIVE, S.PAST_DUE, S.CANCELED}),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
}
TERMINAL = frozenset(status for status, moves in TRANSITIONS.items() if not moves)
BILLABLE = frozenset({S.SCHEDULED, S.ACTIVE, S.PAST_DUE})


class InvalidTransition(Conflict):
    """A subscription was asked to move where its status does not allow."""


def check_transition(current: str, target: str) -> str:
    """``target`` if the move is allowed (staying put always is); else InvalidTransition (a 409)."""
    if current == target or target in TRANSITIONS[current]:
        return target
    raise InvalidTransition(
        f"a subscription that is {S(current).label.lower()} cannot become {S(target).label.lower()}"
    )
