"""The rules every checkout document (a payment link, a payable quote) is saved under.

- ``allowed_payment_methods``: at least one, each ``card`` or ``ach``.
- It charges something today, at least the currency's minimum
  (``commerce.minimums``): a document whose items all start later needs a
  one-time item, or one that starts at purchase, as well.
- Recurring items need ``save_payment_method``: their later payments are
  charged to the method saved at checkout.
- A fixed start date is today or later (in the account's zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from recurra.catalog.terms import BillingStartType
from recurra.commerce.minimums import minimum_charge
from recurra.commerce.plan import plan
from recurra.core.errors import FieldError
from recurra.core.money import Money
from recurra.payments.method_types import online_types_errors


def methods_errors(methods: Iterable[str]) -> list[FieldError]:
    return online_types_errors(methods, required=True)


def checkout_errors(
    items: Sequence[Any], *, currency: str, save_payment_method: bool, today: date, new_items: bool = True
) -> list[FieldError]:
    """What stops ``items`` (stored line items) being sold on a checkout from ``today``.

    ``new_items``: the items are being set now, so a fixed start date must not
    have passed (items saved earlier whose date has passed start at purchase).
    """
    errors = [
        FieldError(f"line_items[{index}].billing_start.date", f"must be today ({today.isoformat()}) or later")
        for index, item in enumerate(items)
        if new_items and item.billing_start_type == BillingStartType.DATE and item.billing_start_date < today
    ]
    bought = plan(items, today)
    minimum = minimum_charge(currency)
    if not bought.due_today:
        errors.append(
            FieldError(
                "line_items",
                "every item starts later, but a checkout must charge something today: "
                "add a one-time item or one that starts at purchase",
            )
        )
    elif bought.amount_today < minimum:
        errors.append(
            FieldError(
                "line_items",
                f"today's payment ({Money(bought.amount_today, currency).format()}) is below the "
                f"minimum charge in {currency} ({Money(minimum, currency).format()})",
            )
        )
    if bought.has_recurring and not save_payment_method:
        errors.append(
            FieldError(
                "save_payment_method",
                "must be on for recurring items: their later payments are charged to the saved method",
            )
        )
    return errors
