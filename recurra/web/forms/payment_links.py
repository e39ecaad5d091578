"""The payment link form with its line items (the deal's formset), as one unit for the link services.

Rules:
- Line items are the deal form's rows: from the product library or custom,
  with every billing field (frequency, terms, payments, start). Custom items
  are priced in the chosen currency; the link's currency is its items' (so a
  link of library products is in their currency, whatever is chosen).
- The checkout rules are the service's (``commerce.rules``) and come back
  beside what they name: the line items' own rules ("must charge something
  today", the minimum charge) above the rows, a row's beside its field, and
  "recurring items need the method saved" beside that checkbox.
- No payment method ticked is left to the service, which says one is needed.
- On edit, line items go to the service only when a row or the currency was
  changed, so an untouched link keeps its items exactly (an archived product
  too; the service would refuse to put one on again).
- The link "Create subscription → When a customer pays" makes
  (``SubscriptionLinkForms``) is this form whose items all recur: a row whose
  billing frequency (its own, else its product's; a custom item's blank one is
  one time) is one time is refused beside it.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import Product
from recurra.catalog.terms import BillingFrequency, is_recurring
from recurra.commerce.models import PaymentLink
from recurra.core.errors import ValidationFailed
from recurra.crm.models import Deal
from recurra.payments.method_types import online_type_choices
from recurra.payments.models import MethodType
from recurra.web.forms.base import CurrencyField, ServiceForm, sentence
from recurra.web.forms.deals import (
    PREFIX,
    BaseLineItemFormSet,
    DealForms,
    LineItemForm,
    LineItemFormSet,
    products_for,
)

CHECKOUT_FIELDS = (
    "allowed_payment_methods",
    "collect_billing_address",
    "collect_shipping_address",
    "save_payment_method",
)


class PaymentLinkForm(ServiceForm):
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("The buyer sees it on the checkout page.")
    )
    currency = CurrencyField(label=_("Currency"), help_text=_("Custom line items are priced in it."))
    deal = forms.ModelChoiceField(
        label=_("Deal"),
        queryset=Deal.objects.order_by("name", "id"),
        required=False,
        empty_label="—",
        help_text=_("The subscriptions bought through the link are tied to it."),
    )
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("An inactive link takes no payments.")
    )
    allowed_payment_methods = forms.MultipleChoiceField(
        label=_("Payment methods the buyer may use"),
        choices=online_type_choices,
        required=False,  # none ticked: the service's message
        initial=[MethodType.CARD, MethodType.ACH],
        widget=forms.CheckboxSelectMultiple,
    )
    collect_billing_address = forms.BooleanField(label=_("Collect the billing address"), required=False)
    collect_shipping_address = forms.BooleanField(label=_("Collect the shipping address"), required=False)
    save_payment_method = forms.BooleanField(
        label=_("Save the payment method for future charges"),
        required=False,
        initial=True,
        help_text=_("Needed for recurring items: their later payments are charged to it."),
    )

    @staticmethod
    def initial_for(link: PaymentLink) -> dict[str, Any]:
        names = ("name", "currency", "deal", "active", *CHECKOUT_FIELDS)
        return {name: getattr(link, name) for name in names}

    def service_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        del values["currency"]  # the items carry it
        return values


def products_of(link: PaymentLink | None) -> dict[str, Product]:
    """Line item product choices: the active library plus the (maybe archived) products on the link."""
    choices = products_for(None)
    if link is not None:
        used = link.line_items.exclude(product_id=None).values_list("product_id", flat=True)
        choices.update({p.pk: p for p in Product.objects.filter(pk__in=used).order_by("name", "id")})
    return choices


class PaymentLinkForms(DealForms):
    """The link form and the deal's line-item formset, validated and sent to the service together."""

    form: PaymentLinkForm  # type: ignore[assignment]

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        link: PaymentLink | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.link = link
        self.form = PaymentLinkForm(data, initial=PaymentLinkForm.initial_for(link) if link else initial)
        currency = (data.get("currency") if data else None) or (link.currency if link else "USD")
        # initial_for reads only the LineItemFields a deal's and a link's items share.
        items = [LineItemForm.initial_for(i) for i in link.line_items.all()] if link else []  # type: ignore[arg-type]
        self.line_items = cast(type[BaseLineItemFormSet], LineItemFormSet)(
            data,
            prefix=PREFIX,
            initial=items,
            form_kwargs={"products": products_of(link), "currency": currency},
        )
        #: the service's errors about the line items as a whole, shown above the rows
        self.items_errors: list[str] = []

    def service_values(self) -> dict[str, Any]:
        values = self.form.service_values()
        changed = self.link is None or self.line_items.has_changed() or "currency" in self.form.changed_data
        values["line_items"] = self.line_items.inputs() if changed else None
        return values

    def add_service_errors(self, exc: ValidationFailed) -> None:
        whole = [e for e in exc.errors if e.field == "line_items"]
        self.items_errors.extend(sentence(e.message) for e in whole)
        rest = [e for e in exc.errors if e.field != "line_items"]
        if rest or not exc.errors:
            super().add_service_errors(ValidationFailed(exc.detail, errors=rest))


ONE_TIME_REFUSED = _(
    "Choose a recurring billing frequency: the buyer subscribes to these items "
    "(a one-time item goes on a payment link of its own)."
)


class SubscriptionLinkForms(PaymentLinkForms):
    """The payment link of "Create subscription → When a customer pays": every item recurs."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for row in self.line_items.included_forms():
            data = getattr(row, "cleaned_data", {})
            product = row.products.get(data.get("product_id") or "")
            frequency = data.get("billing_frequency") or (
                product.billing_frequency if product else BillingFrequency.ONE_TIME
            )
            if "billing_frequency" in data and not is_recurring(frequency):
                row.add_error("billing_frequency", str(ONE_TIME_REFUSED))
                valid = False
        return valid
