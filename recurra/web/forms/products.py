"""The product form: a price typed in major units becomes ``unit_amount`` in minor units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import Product
from recurra.catalog.terms import BillingFrequency
from recurra.web.forms.base import (
    AmountField,
    CurrencyField,
    PercentField,
    ServiceForm,
    major,
    percent_value,
    to_minor,
)


class ProductForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(
        label=_("SKU"), max_length=64, required=False, help_text=_("Optional; unique when set.")
    )
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea
    )
    price = AmountField(label=_("Unit price"), help_text=_("In major units, e.g. 19.99."))
    currency = CurrencyField(label=_("Currency"))
    tax_rate_percent = PercentField(label=_("Tax rate (%)"), initial="0")
    billing_frequency = forms.ChoiceField(
        label=_("Billing frequency"), choices=BillingFrequency.choices, initial=BillingFrequency.ONE_TIME
    )

    service_fields = {"unit_amount": "price"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs["rows"] = 3

    @classmethod
    def initial_for(cls, product: Product) -> dict[str, Any]:
        return {
            "name": product.name,
            "sku": product.sku or "",
            "description": product.description,
            "price": major(product.unit_amount, product.currency),
            "currency": product.currency,
            "tax_rate_percent": percent_value(product.tax_rate_percent),
            "billing_frequency": product.billing_frequency,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["unit_amount"] = to_minor(self, "price", data.get("price"), data.get("currency"))
        return data

    def service_values(self) -> dict[str, Any]:
        values = {k: v for k, v in self.cleaned_data.items() if k != "price"}
        values["sku"] = values["sku"] or None
        return values
