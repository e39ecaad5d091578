"""Forms that make a subscription or tie one to a record: "Create subscription", "Associate
existing", and the payment terms of a deal's conversion.

Rules:
- "Create subscription" is the deal's line-item formset without each row's
  billing start (one start, chosen once, is every item's), under the
  subscription's own fields, sent to ``subscriptions_create`` as one call
  (which makes one subscription per group of items).
  Only the chosen collection's fields go to the service: the payment method
  when charging automatically; the payment terms and the online payment
  options (accepted methods, collected addresses, saving the method) when
  sending invoices (charging automatically takes the service's defaults).
- The contact and the company are picked from a search (record_search), so
  the form never lists every contact: the field holds the chosen id.
- The payment method choices are the chosen contact's saved methods (not
  removed); with no contact chosen there are none.
- The billing address follows the contact until the seller types one: it is
  shown prefilled with the contact's address, and a blank one sends none (the
  service then copies the contact's).
- "Associate existing" takes a subscription id (typed, or picked from the
  search results, which post the same field).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.catalog.terms import BillingStartType, CollectionMethod, PaymentTerms
from recurra.core.errors import FieldError, ValidationFailed
from recurra.crm.models import Address, Company, Contact, Deal
from recurra.payments.method_types import online_type_choices
from recurra.payments.models import MethodType, PaymentMethod
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import INVOICE_LANGUAGES, INVOICE_SETTINGS
from recurra.web.forms.base import CurrencyField, DateField, ServiceForm, sentence
from recurra.web.forms.crm import AddressForm
from recurra.web.forms.deals import (
    PREFIX,
    BaseLineItemFormSet,
    DealForms,
    LineItemFormSet,
    billing_start,
    products_for,
)
from recurra.web.forms.owners import OwnerField, offer_owners

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_ITEM = re.compile(r"^line_items\[(\d+)\]\.?(.*)$")
_ITEM_START = re.compile(r"^line_items\[\d+\]\.(billing_start(?:\.\w+)?)$")
COLLECTION_CHOICES = [
    (CollectionMethod.CHARGE_AUTOMATICALLY, _("Charge a saved payment method automatically")),
    (CollectionMethod.SEND_INVOICE, _("Manual collection: send an invoice each period")),
]
START_CHOICES = [
    (BillingStartType.AT_PURCHASE, _("Now")),
    (BillingStartType.DATE, _("On a date")),
    (BillingStartType.DELAY_DAYS, _("Delayed by a number of days")),
    (BillingStartType.DELAY_MONTHS, _("Delayed by a number of months")),
]
_DELAY_ERROR = {
    BillingStartType.DELAY_DAYS: _("Enter the number of days."),
    BillingStartType.DELAY_MONTHS: _("Enter the number of months."),
}
MANUAL_OPTIONS = (
    "accept_online_payment",
    "allowed_payment_methods",
    "collect_billing_address",
    "collect_shipping_address",
    "save_payment_method",
)


def _check(label: StrOrPromise, *, initial: bool = False, help_text: StrOrPromise = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, initial=initial, help_text=help_text)


def _invoice_text(label: StrOrPromise, column: str, **kwargs: Any) -> forms.CharField:
    """A text of the invoices, as long as its column holds."""
    limit = getattr(Subscription._meta.get_field(column), "max_length", None)
    return forms.CharField(label=label, max_length=limit, required=False, **kwargs)


class NewSubscriptionForm(AddressForm):
    """The subscription's own fields; the address parts are its billing address."""

    # Picked from a search (web/subscriptions/picker.html), never rendered as a list of every record.
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.all(),
        widget=forms.HiddenInput,
        help_text=_("Gets the invoices, receipts and notices."),
    )
    deal = forms.ModelChoiceField(
        label=_("Deal"), queryset=Deal.objects.all(), required=False, widget=forms.HiddenInput
    )  # made from a deal's record: tied to that deal
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.all(),
        widget=forms.HiddenInput,
        required=False,
        help_text=_("None chosen: the contact's company."),
    )
    name = forms.CharField(
        label=_("Subscription name"),
        max_length=200,
        required=False,
        help_text=_('Left blank: the first item\'s name (plus "+ N more").'),
    )
    currency = CurrencyField(label=_("Currency"), help_text=_("Custom line items are priced in it."))
    billing_start_type = forms.ChoiceField(
        label=_("Billing starts"),
        choices=START_CHOICES,
        initial=BillingStartType.AT_PURCHASE,
        widget=forms.RadioSelect,
    )
    billing_start_date = DateField(
        label=_("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    billing_start_delay = forms.IntegerField(
        label=_("Delay (days or months)"),
        min_value=1,
        max_value=3650,
        required=False,
        widget=forms.NumberInput(attrs={"class": "num"}),
    )
    collection_method = forms.ChoiceField(
        label=_("Collection"),
        choices=COLLECTION_CHOICES,
        initial=CollectionMethod.SEND_INVOICE,
        widget=forms.RadioSelect,
    )
    payment_method = forms.ModelChoiceField(
        label=_("Payment method"),
        queryset=PaymentMethod.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("One of the contact's saved methods, charged on every payment date."),
    )
    payment_terms = forms.ChoiceField(
        label=_("Payment terms"),
        choices=PaymentTerms.choices,
        initial=PaymentTerms.NET_30,
        help_text=_("When each emailed invoice is due."),
    )
    accept_online_payment = _check(
        _("Accept online payments"), initial=True, help_text=_("The invoice page takes the accepted methods.")
    )
    allowed_payment_methods = forms.MultipleChoiceField(
        label=_("Accepted methods"),
        choices=online_type_choices,
        initial=[MethodType.CARD, MethodType.ACH],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    collect_billing_address = _check(_("Collect the billing address"))
    collect_shipping_address = _check(_("Collect the shipping address"))
    save_payment_method = _check(_("Save payment methods for future charges"), initial=True)
    invoice_comments = _invoice_text(
        _("Comments"), "invoice_comments", widget=forms.Textarea(attrs={"rows": 3})
    )
    invoice_footer = _invoice_text(_("Footer"), "invoice_footer", widget=forms.Textarea(attrs={"rows": 3}))
    invoice_po_number = _invoice_text(_("PO number"), "invoice_po_number")
    invoice_tax_id = _invoice_text(_("Tax ID"), "invoice_tax_id")
    invoice_language = forms.ChoiceField(
        label=_("Invoice language"),
        choices=[
            ("", _("The account's default")),
            *[(c, n) for c, n in settings.LANGUAGES if c in INVOICE_LANGUAGES],
        ],
        required=False,
    )
    owner_id = OwnerField(help_text=_("Who on the team looks after it."))
    # The contact whose address the billing address fields were prefilled with (see billing_initial).
    address_from = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["contact", "company", "name", "currency", "owner_id"]
    service_fields = {
        "payment_method_id": "payment_method",
        "billing_start": "billing_start_type",
        "billing_start.date": "billing_start_date",
        "billing_start.days": "billing_start_delay",
        "billing_start.months": "billing_start_delay",
        **{f"invoice_settings.{name}": column for name, column in INVOICE_SETTINGS.items()},
    }
    invoice_fields = tuple(INVOICE_SETTINGS.values())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].help_text = _("Two letters, e.g. US or NO.")
        contact_id = self.data.get("contact") if self.is_bound else self.initial.get("contact")
        field = cast(forms.ModelChoiceField, self.fields["payment_method"])
        field.queryset = PaymentMethod.objects.filter(
            contact_id=contact_id or None, detached_at=None
        ).order_by("-created_at", "-id")
        offer_owners(self, None)

    def clean(self) -> dict[str, Any]:
        """The chosen start's value (its date, its delay) is needed: said beside it, in words."""
        data = super().clean() or {}
        start = data.get("billing_start_type")
        if start == BillingStartType.DATE and "billing_start_date" in data and not data["billing_start_date"]:
            self.add_error("billing_start_date", _("Enter the start date."))
        if start in _DELAY_ERROR and "billing_start_delay" in data and data["billing_start_delay"] is None:
            self.add_error("billing_start_delay", _DELAY_ERROR[start])
        return data

    def show_invoice_settings(self) -> bool:
        """Open "Advanced invoice settings" when one of them is set or wrong."""
        return any(self.has_error(name) or self[name].value() for name in self.invoice_fields)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        automatic = data["collection_method"] == CollectionMethod.CHARGE_AUTOMATICALLY
        address = {part: data[part] for part in self.address_parts}
        values = {
            "contact": data["contact"],
            "company": data["company"],
            "deal": data["deal"],
            "name": data["name"] or None,
            "collection_method": data["collection_method"],
            "payment_method": data["payment_method"] if automatic else None,
            "payment_terms": None if automatic else data["payment_terms"],
            "billing_address": address if any(address.values()) else None,
            "invoice_settings": {name: data[column] or None for name, column in INVOICE_SETTINGS.items()},
            "owner_id": data["owner_id"],
        }
        if not automatic:
            values |= {name: data[name] for name in MANUAL_OPTIONS}
        return values


class NewSubscriptionForms(DealForms):
    """The subscription form and the deal's line-item formset (rows without their own start),
    validated and sent together; every row starts at the subscription's one start."""

    form: NewSubscriptionForm  # type: ignore[assignment]

    def __init__(self, data: QueryDict | None = None, *, initial: dict[str, Any] | None = None) -> None:
        self.deal = None
        self.form = NewSubscriptionForm(data, initial=initial)
        currency = (data.get("currency") if data else None) or "USD"
        self.line_items = cast(type[BaseLineItemFormSet], LineItemFormSet)(
            data,
            prefix=PREFIX,
            form_kwargs={"products": products_for(None), "currency": currency, "own_start": False},
        )

    def service_values(self) -> dict[str, Any]:
        start = billing_start(self.form.cleaned_data)
        return {**self.form.service_values(), "line_items": self.line_items.inputs(start)}

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """An item's start error is the subscription's start's (said once); the rest as for deals."""
        errors: list[FieldError] = []
        for error in exc.errors:
            match = _ITEM_START.match(error.field)
            found = FieldError(match[1], error.message) if match else error
            if found not in errors:
                errors.append(found)
        super().add_service_errors(ValidationFailed(exc.detail, errors=errors))


def billing_initial(contact: Contact | None, shown: Mapping[str, str]) -> dict[str, str]:
    """The billing address to show for ``contact``: the one ``shown`` on the page (the parts and
    ``address_from``, sent when the contact changes) if the seller typed it, else the contact's.
    Typed means not blank and not what it was prefilled with (``address_from``'s address)."""
    typed = {part: shown.get(part, "") for part in Address.ADDRESS_FIELDS}
    source = Contact.objects.filter(pk=shown.get("address_from") or None).first()
    if any(typed.values()) and (source is None or typed != source.address):
        return {**typed, "address_from": shown.get("address_from", "")}
    if contact is None:
        return {}
    return {**contact.address, "address_from": contact.pk}


def prefilled(
    contact: Contact | None,
    company: Company | None,
    shown: Mapping[str, str] | None = None,
    deal: Deal | None = None,
) -> dict[str, Any]:
    """The initial values for a subscription of ``contact`` (or of ``company``; from ``deal``, tied to
    it), charged to the contact's newest saved method when there is one, else sending invoices; the
    billing address as :func:`billing_initial` has it."""
    initial: dict[str, Any] = {"company": company.pk} if company is not None else {}
    if deal is not None:
        initial["deal"] = deal.pk
    initial |= billing_initial(contact, shown or {})
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
        label=_("Subscription ID"), max_length=40, help_text=_("Or search below and pick one.")
    )

    def clean_subscription(self) -> Subscription:
        pk = self.cleaned_data["subscription"].strip()
        sub = Subscription.objects.select_related("contact").filter(pk=pk).first()
        if sub is None:
            raise forms.ValidationError(gettext("No subscription %(id)s.") % {"id": pk})
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
        label=_("Payment terms"),
        choices=PaymentTerms.choices,
        initial=PaymentTerms.NET_30,
        help_text=_("Of every subscription's invoices and of the one-time items' invoice."),
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
    return gettext("Line item %(number)s%(where)s: %(message)s") % {
        "number": int(match[1]) + 1,
        "where": where,
        "message": error.message,
    }
