"""The words of recurring billing: frequencies, terms, starts, collection and payment terms.

Each frequency maps to one calendar step (months or weeks); schedule maths
and MRR normalisation read this table instead of branching on names.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingFrequency(models.TextChoices):
    ONE_TIME = "one_time", _("One time")
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    PER_SIX_MONTHS = "per_six_months", _("Every six months")
    ANNUALLY = "annually", _("Annually")
    PER_TWO_YEARS = "per_two_years", _("Every two years")
    PER_THREE_YEARS = "per_three_years", _("Every three years")
    PER_FOUR_YEARS = "per_four_years", _("Every four years")
    PER_FIVE_YEARS = "per_five_years", _("Every five years")


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
    AUTO_RENEW = "auto_renew", _("Renew automatically until cancelled")
    FIXED = "fixed", _("Fixed number of payments")


class BillingStartType(models.TextChoices):
    AT_PURCHASE = "at_purchase", _("At purchase")
    DATE = "date", _("On a date")
    DELAY_DAYS = "delay_days", _("Delayed by days")
    DELAY_MONTHS = "delay_months", _("Delayed by months")


MAX_NUMBER_OF_PAYMENTS = 1000


class CollectionMethod(models.TextChoices):
    """How a subscription's invoices are paid: charged to a saved method, or sent to be paid."""

    CHARGE_AUTOMATICALLY = "charge_automatically", _("Charge automatically")
    SEND_INVOICE = "send_invoice", _("Send invoice")


class PaymentTerms(models.TextChoices):
    """When an invoice falls due after it is issued (days in PAYMENT_TERM_DAYS)."""

    DUE_ON_RECEIPT = "due_on_receipt", _("Due on receipt")
    NET_15 = "net_15", _("Net 15")
    NET_30 = "net_30", _("Net 30")
    NET_45 = "net_45", _("Net 45")
    NET_60 = "net_60", _("Net 60")
    NET_90 = "net_90", _("Net 90")


PAYMENT_TERM_DAYS: dict[str, int] = {
    PaymentTerms.DUE_ON_RECEIPT: 0,
    PaymentTerms.NET_15: 15,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_45: 45,
    PaymentTerms.NET_60: 60,
    PaymentTerms.NET_90: 90,
}
