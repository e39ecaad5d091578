"""Read-only shapes for templates: line tables, payments progress, changed values (``web.timeline``).

No business rules here: amounts come from the records (or the pricing
arithmetic), labels from the model choices ("past_due" shows as "Unpaid").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Choices
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import LineItemFields
from recurra.catalog.pricing import LineAmounts
from recurra.catalog.terms import BillingFrequency as Frequency
from recurra.core.money import Money, total
from recurra.crm.models import Deal
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription


@dataclass(frozen=True)
class LineRow:
    item: LineItemFields
    amounts: LineAmounts


@dataclass(frozen=True)
class LineTable:
    rows: list[LineRow]
    currency: str

    def _sum(self, part: str) -> Money:
        return total([Money(getattr(r.amounts, part), r.item.currency) for r in self.rows], self.currency)

    @property
    def net(self) -> Money:
        return self._sum("net")

    @property
    def tax(self) -> Money:
        return self._sum("tax")

    @property
    def total(self) -> Money:
        return self._sum("total")


def line_table(record: Deal | Subscription) -> LineTable:
    """A deal's or a subscription's line items in order, each with its amounts (the service's arithmetic)."""
    return LineTable([LineRow(i, i.amounts) for i in record.line_items.all()], record.currency)


def payments_progress(sub: Subscription) -> str:
    """Payments made, and of how many for a fixed term: "3 of 12" (auto-renew: "3")."""
    if sub.number_of_payments is None:
        return str(sub.payments_made)
    return gettext("%(made)s of %(total)s") % {"made": sub.payments_made, "total": sub.number_of_payments}


def subscription_title(sub: Subscription) -> str:
    """A subscription as a message names it: ``“Pro monthly” for Fjordline`` (its company, else contact)."""
    return gettext("“%(name)s” for %(customer)s") % {"name": sub.name, "customer": sub.company or sub.contact}


def refund_target(payment: Payment) -> str:
    """Where a payment's money goes back to: its method (``Visa •••• 4242``), else its kind (``Card``)."""
    if payment.payment_method is not None:
        return str(payment.payment_method)
    return str(payment.get_method_type_display())


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


MAX_VALUE_TEXT = 80


def value_text(value: object) -> str:
    """One audited value as short text: empty → "—", booleans yes/no, long text cut with "…"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    text = str(value)
    return text if len(text) <= MAX_VALUE_TEXT else f"{text[: MAX_VALUE_TEXT - 1]}…"


def label(choices: type[Choices], value: str) -> str:
    """The label of a stored choice ("net_30" → "Net 30"); the raw value if it is not one of them."""
    return str(dict(choices.choices).get(value, value))


# What follows an amount charged every period: "$40.00/month", "$10.00 every two weeks".
PER_PERIOD: dict[str, Promise] = {
    Frequency.WEEKLY: _("/week"),
    Frequency.BIWEEKLY: _(" every two weeks"),
    Frequency.MONTHLY: _("/month"),
    Frequency.QUARTERLY: _("/quarter"),
    Frequency.PER_SIX_MONTHS: _(" every six months"),
    Frequency.ANNUALLY: _("/year"),
    Frequency.PER_TWO_YEARS: _(" every two years"),
    Frequency.PER_THREE_YEARS: _(" every three years"),
    Frequency.PER_FOUR_YEARS: _(" every four years"),
    Frequency.PER_FIVE_YEARS: _(" every five years"),
}
