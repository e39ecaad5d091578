"""The payment method types a seller may accept online, and the one check of a chosen list.

Cards, ACH bank debits (US dollars) and SEPA Direct Debits (euros, through
Stripe); ``offline`` is how staff record money that came another way, never
a method a buyer picks.

>>> online_types_errors(["card", "sepa_debit"], required=True)
[]
>>> [e.message for e in online_types_errors(["card", "offline"], required=True)]
['must be card, ach or sepa_debit']
>>> [e.field for e in online_types_errors([], required=True)]
['allowed_payment_methods']
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from recurra.core.errors import FieldError
from recurra.payments.models import MethodType

ONLINE_TYPES: tuple[str, ...] = (MethodType.CARD, MethodType.ACH, MethodType.SEPA_DEBIT)
FIELD = "allowed_payment_methods"


def online_types_errors(types: Iterable[str], *, required: bool) -> list[FieldError]:
    """What is wrong with ``types`` as accepted methods (``required``: at least one is needed)."""
    chosen = list(types)
    words = ", ".join(ONLINE_TYPES[:-1]) + f" or {ONLINE_TYPES[-1]}"
    errors = [
        FieldError(f"{FIELD}[{index}]", f"must be {words}")
        for index, kind in enumerate(chosen)
        if kind not in ONLINE_TYPES
    ]
    if required and not chosen:
        errors.append(FieldError(FIELD, "needs at least one payment method"))
    return errors


def online_type_choices() -> list[tuple[str, str]]:
    """The accepted-methods choices a seller sees: SEPA Direct Debit only where Stripe collects it."""
    shown = ONLINE_TYPES if settings.RECURRA_GATEWAY == "stripe" else ONLINE_TYPES[:2]
    return [(kind, str(MethodType(kind).label)) for kind in shown]
