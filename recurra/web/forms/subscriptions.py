"""Forms that make a subscription or tie one to a record: "Create subscription", "Associate
existing", and the payment terms of a deal's conversion.

Rules:
- "Create subscription" is the deal's line-item formset (every billing field:
  a new subscription chooses its frequency, terms and start) under the
  subscription's own fields, sent to ``subscription_create`` as one call.
  Only the chosen collection's field goes to the service: the payment method
  when charging automatically, the payment terms when sending invoices.
- The payment method choices are the chosen contact's saved methods (not
  removed); with no contact chosen there are none.
- "Associate existing" takes a subscription id (typed, or picked from the
  search results, which post the same field).
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.http import QueryDict

from recurra.core.errors import FieldError, ValidationFailed
from recurra.crm.models import Company, Contact
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.models import CollectionMethod, PaymentTerms, Subscription
from recurra.web.forms.base import CurrencyField, ServiceForm, sentence
from recurra.web.forms.deals import PREFIX, BaseLineItemFormSet, DealForms, LineItemFormSet, products_for

_ITEM = re.compile(r"^line_items\[(\d+)\]\.?(.*)$")


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        contact = cast(Contact, obj)
        return f"{contact.full_name} · {contact.email}" if contact.full_name else contact.email


class NewSubscriptionForm(ServiceForm):
    contact = ContactChoiceField(
        label="Contact",
        queryset=Contact.objects.order_by("email", "id"),
        empty_label="—",
        help_text="Gets the invoices, receipts and notices.",
    )
    company = forms.ModelChoiceField(
        label="Company",
        queryset=Company.objects.order_by("name", "id"),
        required=False,
        empty_label="The contact's company",
    )
    name = forms.CharField(
        label="Subscription name",
        max_length=200,
        required=False,
        help_text='Left blank: the first item\'s name (plus "+ N more").',
    )
    currency = CurrencyField(label="Currency", help_text="Custom line items are priced in it.")
    collection_method = forms.ChoiceField(
        label="Collection",
        choices=CollectionMethod.choices,
        initial=CollectionMethod.SEND_INVOICE,
        widget=forms.RadioSelect,
    )
    payment_method = forms.ModelChoiceField(
        label="Payment method",
        queryset=PaymentMethod.objects.none(),
        required=False,
        empty_label="—",
        help_text="One of the contact's saved methods, charged on every payment date.",
    )
    payment_terms = forms.ChoiceField(
        label="Payment terms",
        choices=PaymentTerms.choices,
        initial=PaymentTerms.NET_30,
        help_text="When each emailed invoice is due.",
    )

    service_fields = {"payment_method_id": "payment_method"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contact_id = self.data.get("contact") if self.is_bound else self.initial.get("contact")
        field = cast(forms.ModelChoiceField, self.fields["payment_method"])
        field.queryset = PaymentMethod.objects.filter(
            contact_id=contact_id or None, detached_at=None
        ).order_by("-created_at", "-id")

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        automatic = data["collection_method"] == CollectionMethod.CHARGE_AUTOMATICALLY
        return {
            "contact": data["contact"],
            "company": data["company"],
            "name": data["name"] or None,
            "collection_method": data["collection_method"],
            "payment_method": data["payment_method"] if automatic else None,
            "payment_terms": None if automatic else data["payment_terms"],
        }


class NewSubscriptionForms(DealForms):
    """The subscription form and the deal's line-item formset, validated and sent together."""

    form: NewSubscriptionForm  # type: ignore[assignment]

    def __init__(self, data: QueryDict | None = None, *, initial: dict[str, Any] | None = None) -> None:
        self.deal = None
        self.form = NewSubscriptionForm(data, initial=initial)
        currency = (data.get("currency") if data else None) or "USD"
        self.line_items = cast(type[BaseLineItemFormSet], LineItemFormSet)(
            data, prefix=PREFIX, form_kwargs={"products": products_for(None), "currency": currency}
        )

    def service_values(self) -> dict[str, Any]:
        return {**self.form.service_values(), "line_items": self.line_items.inputs()}


def prefilled(contact: Contact | None, company: Company | None) -> dict[str, Any]:
    """The initial values for a subscription of ``contact`` (or of ``company``), charged to the
    contact's newest saved method when there is one, else sending invoices."""
    initial: dict[str, Any] = {"company": company.pk} if company is not None else {}
    if contact is None:
        return initial
    method = (
        PaymentMethod.objects.filter(contact=contact, detached_at=None).order_by("-created_at", "-id").first()
    )
    if method is not None:
        initial |= {"payment_method": method.pk, "collection_method": CollectionMethod.CHARGE_AUTOMATICALLY}
    return {**initial, "contact": contact.pk}


class AssociateForm(ServiceForm):
    subscription = forms.CharField(
        label="Subscription ID", max_length=40, help_text="Or search below and pick one."
    )

    def clean_subscription(self) -> Subscription:
        pk = self.cleaned_data["subscription"].strip()
        sub = Subscription.objects.select_related("contact").filter(pk=pk).first()
        if sub is None:
            raise forms.ValidationError(f"No subscription {pk}.")
        return sub

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """The service's errors are about the subscription picked: shown beside it."""
        if not exc.errors:
            self.add_error("subscription", sentence(exc.detail))
        for error in exc.errors:
            self.add_error("subscription", sentence(error.message))


class ConvertForm(ServiceForm):
    """The payment terms of what a deal's conversion makes; its refusals phrased for the deal page."""

    payment_terms = forms.ChoiceField(
        label="Payment terms",
        choices=PaymentTerms.choices,
        initial=PaymentTerms.NET_30,
        help_text="Of every subscription's invoices and of the one-time items' invoice.",
    )

    def add_service_errors(self, exc: ValidationFailed) -> None:
        if not exc.errors:
            self.add_error(None, sentence(exc.detail))
        for error in exc.errors:
            self.add_error(self.form_field(error.field), _phrase(error))


def _phrase(error: FieldError) -> str:
    """``line_items[2].billing_start.date: must be …`` → "Line item 3 (billing start date): Must be …"."""
    match = _ITEM.match(error.field)
    if match is None:
        return sentence(error.message)
    where = f" ({match[2].replace('.', ' ').replace('_', ' ')})" if match[2] else ""
    return f"Line item {int(match[1]) + 1}{where}: {error.message}"
