"""The deal form with its line items (a formset), as one unit for the deal services.

Rules:
- A line item names a product (blank fields take the product's values) or is
  custom (name and unit price required); custom items are in the deal's
  currency, product items in the product's (the service insists they match).
- Number of payments counts only with fixed terms; a start date or delay only
  with the start type that uses it (the form hides the others).
- ``own_start=False`` leaves a row's billing start fields out: the start is
  the document's one choice, given to ``to_input`` ("Create subscription").
- On edit, line items go to the service only when the user changed them or
  the deal's currency (which the items must share), so an untouched deal
  keeps its items exactly (even one whose product was archived since).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.catalog.models import Product
from recurra.catalog.terms import (
    MAX_NUMBER_OF_PAYMENTS,
    BillingFrequency,
    BillingStartType,
    BillingTerms,
)
from recurra.core.errors import ValidationFailed
from recurra.crm.models import Company, Contact, Deal, DealLineItem, DealStage
from recurra.web.forms.base import (
    AmountField,
    CurrencyField,
    DateField,
    PercentField,
    ServiceForm,
    major,
    percent_value,
    to_minor,
)
from recurra.web.forms.owners import OwnerField, offer_owners

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

PREFIX = "items"
MAX_LINE_ITEMS = 100
_ITEM_ERROR = re.compile(r"^line_items\[(\d+)\]\.(.+)$")
_DELAY = {BillingStartType.DELAY_DAYS: "days", BillingStartType.DELAY_MONTHS: "months"}


def product_choices(products: Iterable[Product]) -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = [("", gettext("Custom item"))]
    for p in products:
        label = f"{p.name} · {p.price.format()} {BillingFrequency(p.billing_frequency).label.lower()}"
        choices.append(
            (p.pk, gettext("%(product)s (archived)") % {"product": label} if p.is_archived else label)
        )
    return choices


def billing_start(data: Mapping[str, Any]) -> BillingStart:
    """The start chosen with the billing start fields (type, date, delay) in ``data``, cleaned."""
    start = data["billing_start_type"]
    delay = {_DELAY[start]: data.get("billing_start_delay")} if start in _DELAY else {}
    return BillingStart(
        type=start, date=data.get("billing_start_date") if start == BillingStartType.DATE else None, **delay
    )


def _number(label: str | _StrPromise, low: int, high: int, **kwargs: Any) -> forms.IntegerField:
    field = forms.IntegerField(label=label, min_value=low, max_value=high, required=False, **kwargs)
    field.widget.attrs["class"] = "num"
    return field


class DealForm(ServiceForm):
    name = forms.CharField(label=_("Deal name"), max_length=200)
    stage = forms.ChoiceField(label=_("Stage"), choices=DealStage.choices)
    currency = CurrencyField(label=_("Currency"), help_text=_("Custom line items are priced in it."))
    close_date = DateField(
        label=_("Close date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    contact_id = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.order_by("email", "id"), required=False, empty_label="—"
    )
    company_id = forms.ModelChoiceField(
        label=_("Company"), queryset=Company.objects.order_by("name", "id"), required=False, empty_label="—"
    )
    owner_id = OwnerField()

    def __init__(self, *args: Any, owner: int | None = None, **kwargs: Any) -> None:
        """``owner``: the deal's owner now (offered though deactivated since)."""
        super().__init__(*args, **kwargs)
        offer_owners(self, owner)

    @classmethod
    def initial_for(cls, deal: Deal) -> dict[str, Any]:
        names = ("name", "stage", "currency", "close_date", "contact_id", "company_id", "owner_id")
        return {name: getattr(deal, name) for name in names}

    def service_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        for name in ("contact_id", "company_id"):
            values[name] = values[name].pk if values[name] else None
        return values


class LineItemForm(ServiceForm):
    """One line item row; ``products`` are the choices, ``currency`` the deal's (for custom prices);
    ``own_start=False``: no billing start fields (the start is given to :meth:`to_input`)."""

    product_id = forms.ChoiceField(label=_("Product"), required=False)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    quantity = _number(_("Quantity"), 1, 1_000_000, initial=1)
    unit_price = AmountField(label=_("Unit price"), required=False)
    discount_percent = PercentField(label=_("Discount (%)"))
    tax_rate_percent = PercentField(label=_("Tax (%)"))
    billing_frequency = forms.ChoiceField(
        label=_("Billing frequency"),
        required=False,
        choices=[("", _("Product's (custom: one time)")), *BillingFrequency.choices],
    )
    billing_terms = forms.ChoiceField(
        label=_("Billing terms"), choices=BillingTerms.choices, initial=BillingTerms.AUTO_RENEW
    )
    number_of_payments = _number(_("Number of payments"), 1, MAX_NUMBER_OF_PAYMENTS)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False)
    billing_start_type = forms.ChoiceField(
        label=_("Billing starts"), choices=BillingStartType.choices, initial=BillingStartType.AT_PURCHASE
    )
    billing_start_date = DateField(
        label=_("Start date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    billing_start_delay = _number(_("Delay (days or months)"), 1, 3650)

    service_fields = {
        "unit_amount": "unit_price",
        "currency": "product_id",
        "billing_start.date": "billing_start_date",
        "billing_start.days": "billing_start_delay",
        "billing_start.months": "billing_start_delay",
    }
    start_fields = ("billing_start_type", "billing_start_date", "billing_start_delay")
    advanced = ("description", *start_fields)

    def __init__(
        self,
        *args: Any,
        products: dict[str, Product],
        currency: str,
        own_start: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.products = products
        self.currency = currency
        if not own_start:
            for name in self.start_fields:
                del self.fields[name]
        product_field = cast(forms.ChoiceField, self.fields["product_id"])
        product_field.choices = product_choices(products.values())

    @staticmethod
    def initial_for(item: DealLineItem) -> dict[str, Any]:
        delay = item.billing_start_days or item.billing_start_months
        return {
            "product_id": item.product_id or "",
            "name": item.name,
            "description": item.description,
            "unit_price": major(item.unit_amount, item.currency),
            "quantity": item.quantity,
            "discount_percent": percent_value(item.discount_percent),
            "tax_rate_percent": percent_value(item.tax_rate_percent),
            "billing_frequency": item.billing_frequency,
            "billing_terms": item.billing_terms,
            "number_of_payments": item.number_of_payments,
            "billing_start_type": item.billing_start_type,
            "billing_start_date": item.billing_start_date,
            "billing_start_delay": delay,
        }

    def show_advanced(self) -> bool:
        """Open the "more options" part when it holds an error or a non-default value."""
        if any(self.has_error(name) for name in self.advanced if name in self.fields):
            return True
        value = self["billing_start_type"].value() if "billing_start_type" in self.fields else None
        return bool(self["description"].value()) or value not in (None, "", BillingStartType.AT_PURCHASE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product = self.products.get(data.get("product_id") or "")
        price_currency = product.currency if product else self.currency
        data["unit_amount"] = to_minor(self, "unit_price", data.get("unit_price"), price_currency)
        return data

    def to_input(self, start: BillingStart | None = None) -> LineItemInput:
        """The row as the service's input; ``start`` (the document's) or else the row's own."""
        d = self.cleaned_data
        product_id = d.get("product_id") or None
        return LineItemInput(
            product_id=product_id,
            name=d.get("name") or None,
            description=d.get("description") or None,
            unit_amount=d.get("unit_amount"),
            currency=None if product_id else self.currency,
            quantity=d.get("quantity") or 1,
            discount_percent=d.get("discount_percent") or Decimal(0),
            tax_rate_percent=d.get("tax_rate_percent"),
            billing_frequency=d.get("billing_frequency") or None,
            billing_terms=d["billing_terms"],
            number_of_payments=(
                d.get("number_of_payments") if d["billing_terms"] == BillingTerms.FIXED else None
            ),
            billing_start=start if start is not None else billing_start(d),
        )


class BaseLineItemFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = gettext("Remove this line item")

    def included_forms(self) -> list[LineItemForm]:
        """Rows that go to the service: existing ones not removed, new ones filled in."""
        rows = []
        for index, form in enumerate(self.forms):
            if getattr(form, "cleaned_data", {}).get("DELETE"):
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            rows.append(form)
        return rows

    def inputs(self, start: BillingStart | None = None) -> list[LineItemInput]:
        """The rows as the service's inputs, each starting at ``start`` when given."""
        return [form.to_input(start) for form in self.included_forms()]


LineItemFormSet = forms.formset_factory(
    LineItemForm,
    formset=BaseLineItemFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_LINE_ITEMS,
    validate_max=True,
)


def products_for(deal: Deal | None) -> dict[str, Product]:
    """Line item product choices: the active library plus any product already on the deal."""
    used = set(deal.line_items.values_list("product_id", flat=True)) if deal else set()
    qs = Product.objects.filter(archived_at__isnull=True) | Product.objects.filter(pk__in=used - {None})
    return {p.pk: p for p in qs.order_by("name", "id")}


class DealForms:
    """The deal form and its line-item formset, validated and sent to the service together."""

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        deal: Deal | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.deal = deal
        owner = deal.owner_id if deal else None
        self.form = DealForm(data, initial=DealForm.initial_for(deal) if deal else initial, owner=owner)
        currency = (data.get("currency") if data else None) or (deal.currency if deal else "USD")
        items = [LineItemForm.initial_for(i) for i in deal.line_items.all()] if deal else []
        self.line_items = cast(type[BaseLineItemFormSet], LineItemFormSet)(
            data,
            prefix=PREFIX,
            initial=items,
            form_kwargs={"products": products_for(deal), "currency": currency},
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.line_items.is_valid()])

    def service_values(self) -> dict[str, Any]:
        values = self.form.service_values()
        changed = self.deal is None or self.line_items.has_changed() or "currency" in self.form.changed_data
        values["line_items"] = self.line_items.inputs() if changed else None
        return values

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """Line item errors (``line_items[1].name``) go to their row, the rest to the deal form."""
        rows = self.line_items.included_forms()
        rest = []
        for error in exc.errors:
            match = _ITEM_ERROR.match(error.field)
            if match and int(match[1]) < len(rows):
                rows[int(match[1])].add_service_errors(ValidationFailed.field(match[2], error.message))
            else:
                rest.append(error)
        if rest or not exc.errors:
            self.form.add_service_errors(ValidationFailed(exc.detail, errors=rest))
