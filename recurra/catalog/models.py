"""Products, and the line-item fields every priced document copies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from recurra.catalog.pricing import LineAmounts, line_amounts
from recurra.catalog.terms import BillingFrequency, BillingStartType, BillingTerms
from recurra.core import ids
from recurra.core.models import Timestamped
from recurra.core.money import Money

MAX_AMOUNT = 999_999_999_999  # minor units; far above any real price, far below BIGINT
MAX_QUANTITY = 1_000_000
AMOUNT_RULE = f"must be whole minor units from 0 to {MAX_AMOUNT}"


def is_amount(value: object) -> bool:
    """An int of minor units from 0 to MAX_AMOUNT (not a bool, a float or a string)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Product(Timestamped):
    """An item in the product library. Once used on a line item it can only be archived."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("prod"))
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (NULL: many products have no SKU; unique when set)
    description = models.TextField(blank=True, max_length=5000)
    unit_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    tax_rate_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal(0), validators=PERCENT
    )
    billing_frequency = models.CharField(
        max_length=20, choices=BillingFrequency.choices, default=BillingFrequency.ONE_TIME
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Lower("sku"), name="product_sku_unique_ci"),
            models.CheckConstraint(condition=models.Q(unit_amount__gte=0), name="product_unit_amount_gte_0"),
        ]
        indexes = [models.Index(Lower("name"), name="product_name_ci")]

    def __str__(self) -> str:
        return self.name

    @property
    def price(self) -> Money:
        return Money(self.unit_amount, self.currency)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class LineItemFields(models.Model):
    """A priced line: a copy of its product's values at the time, owned by its document."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("li"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    unit_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    quantity = models.PositiveIntegerField(default=1)
    discount_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal(0), validators=PERCENT
    )
    tax_rate_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal(0), validators=PERCENT
    )
    billing_frequency = models.CharField(max_length=20, choices=BillingFrequency.choices)
    billing_terms = models.CharField(
        max_length=20, choices=BillingTerms.choices, default=BillingTerms.AUTO_RENEW
    )
    number_of_payments = models.PositiveIntegerField(null=True, blank=True)
    billing_start_type = models.CharField(
        max_length=20, choices=BillingStartType.choices, default=BillingStartType.AT_PURCHASE
    )
    billing_start_date = models.DateField(null=True, blank=True)
    billing_start_days = models.PositiveIntegerField(null=True, blank=True)
    billing_start_months = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    @property
    def amounts(self) -> LineAmounts:
        return line_amounts(
            unit_amount=self.unit_amount,
            quantity=self.quantity,
            discount_percent=self.discount_percent,
            tax_rate_percent=self.tax_rate_percent,
        )

    @property
    def billing_start(self) -> dict[str, Any]:
        start: dict[str, Any] = {"type": self.billing_start_type}
        if self.billing_start_type == BillingStartType.DATE:
            start["date"] = self.billing_start_date
        elif self.billing_start_type == BillingStartType.DELAY_DAYS:
            start["days"] = self.billing_start_days
        elif self.billing_start_type == BillingStartType.DELAY_MONTHS:
            start["months"] = self.billing_start_months
        return start
