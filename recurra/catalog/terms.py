"""The words of recurring billing: frequencies, terms, starts, collection and payment terms.

Each frequency maps to one calendar step (months or weeks); schedule maths
and MRR normalisation read this table instead of branching on names.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db import models


class BillingFrequency(models.TextChoices):
    ONE_TIME = "one_time", "One time"
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    PER_SIX_MONTHS = "per_six_months", "Every six months"
    ANNUALLY = "annually", "Annually"
    PER_TWO_YEARS = "per_two_years", "Every two years"
    PER_THREE_YEARS = "per_three_years", "Every three years"
    PER_FOUR_YEARS = "per_four_years", "Every four years"
    PER_FIVE_YEARS = "per_five_years", "Every five years"


@dataclass(frozen=True, slots=True)
class Step:
    """One billing period: a whole number of months or of weeks."""

    months: int = 0
    weeks: int = 0

    @property
    def per_month(self) -> Fraction:
        """How many of these periods fit in a month: weekly is 52/12, annually 1/12."""
        if self.weeks:
            return Fraction(52, 12 * self.weeks)
        return Fraction(1, self.months)


STEPS: dict[str, Step] = {
    BillingFrequency.WEEKLY: Step(weeks=1),
    BillingFrequency.BIWEEKLY: Step(weeks=2),
    BillingFrequency.MONTHLY: Step(months=1),
    BillingFrequency.QUARTERLY: Step(months=3),
    BillingFrequency.PER_SIX_MONTHS: Step(months=6),
    BillingFrequency.ANNUALLY: Step(months=12),
    BillingFrequency.PER_TWO_YEARS: Step(months=24),
    BillingFrequency.PER_THREE_YEARS: Step(months=36),
    BillingFrequency.PER_FOUR_YEARS: Step(months=48),
    BillingFrequency.PER_FIVE_YEARS: Step(months=60),
}


def is_recurring(frequency: str) -> bool:
    return frequency in STEPS


class BillingTerms(models.TextChoices):
    AUTO_RENEW = "auto_renew", "Renew automatically until cancelled"
    FIXED = "fixed", "Fixed number of payments"


class BillingStartType(models.TextChoices):
    AT_PURCHASE = "at_purchase", "At purchase"
    DATE = "date", "On a date"
    DELAY_DAYS = "delay_days", "Delayed by days"
    DELAY_MONTHS = "delay_months", "Delayed by months"


MAX_NUMBER_OF_PAYMENTS = 1000


class CollectionMethod(models.TextChoices):
    """How a subscription's invoices are paid: charged to a saved method, or sent to be paid."""

    CHARGE_AUTOMATICALLY = "charge_automatically", "Charge automatically"
    SEND_INVOICE = "send_invoice", "Send invoice"


class PaymentTerms(models.TextChoices):
    """When an invoice falls due after it is issued (days in PAYMENT_TERM_DAYS)."""

    DUE_ON_RECEIPT = "due_on_receipt", "Due on receipt"
    NET_15 = "net_15", "Net 15"
    NET_30 = "net_30", "Net 30"
    NET_45 = "net_45", "Net 45"
    NET_60 = "net_60", "Net 60"
    NET_90 = "net_90", "Net 90"


PAYMENT_TERM_DAYS: dict[str, int] = {
    PaymentTerms.DUE_ON_RECEIPT: 0,
    PaymentTerms.NET_15: 15,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_45: 45,
    PaymentTerms.NET_60: 60,
    PaymentTerms.NET_90: 90,
}
