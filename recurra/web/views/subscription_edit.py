"""Edit a subscription (editors): name, dates, contact, method, address, line items, previewed first.

Rules:
- GET shows the form prefilled; the page opens only for a subscription the
  service would edit (active, scheduled, Unpaid, no charge on its way): else a
  flash error and back to the record.
- POST ``action=preview`` (and any action but ``confirm``) validates and asks
  the service for a preview (``preview=True``: nothing written), then shows the
  same form with the new lines, what changes and, with ``prorate``, the
  prorated invoice. Its "Confirm" button re-posts exactly the previewed values
  (hidden copies, so an edit typed after the preview is not saved unseen) with
  ``action=confirm``, which saves and goes back to the record with a message.
- Only what the user changed goes to the service: the name and next payment
  date when edited, the line items when a row was changed, added or removed
  (a re-sent unchanged date would re-anchor the schedule; re-sent items would
  be replaced and prorated for nothing).
- Line items reuse the deal's line-item form without the fields a
  subscription's items do not choose (frequency, terms, payments, start): the
  service bills every item at the subscription's.
- The contact (any contact, picked from a search like "Create subscription"'s:
  the page never lists every contact; the new one gets every later email),
  the payment method (the current contact's own; the service checks a new
  contact's) and the billing address go to the service only when changed,
  like the rest.
- The owner (active users, or "No owner"; the owner of the moment stays
  offered though deactivated since) goes to the service only when changed;
  changed alone, it bills nothing and emails no one (``editing``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from recurra.accounts.models import User
from recurra.catalog.models import Product
from recurra.catalog.terms import BillingStartType, BillingTerms
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.crm.models import Contact
from recurra.crm.owners import KEEP
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.editing import ChangeResult, SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.web.access import actor, editor
from recurra.web.forms.base import DateField
from recurra.web.forms.crm import AddressForm
from recurra.web.forms.deals import (
    MAX_LINE_ITEMS,
    PREFIX,
    BaseLineItemFormSet,
    DealForms,
    LineItemForm,
    products_for,
)
from recurra.web.forms.owners import OwnerField, offer_owners
from recurra.web.present import Change, LineRow, LineTable, refund_target, subscription_title, value_text
from recurra.web.templatetags.recurra_web import day, money
from recurra.web.views.common import posted, reposted, statement
from recurra.web.views.deals import blank_line_item_row
from recurra.web.views.record_search import contact_label, contacts_picked

TEMPLATE = "web/subscriptions/edit.html"
PRORATION_CHOICES = [
    ("none", _("From the next period (no proration)")),
    ("prorate", _("Prorate now: credit the unused part of this period and charge the new price for it")),
]
# Fields of ChangeResult.changed shown in the preview, in this order (the anchor is internal).
_CHANGE_LABELS = {
    "name": _("Name"),
    "contact_id": _("Contact"),
    "owner_id": _("Owner"),
    "line_items": _("Line items"),
    "next_payment_amount": _("Next payment amount"),
    "mrr": _("MRR"),
    "next_payment_date": _("Next payment date"),
    "end_date": _("End date"),
}
_MONEY = ("next_payment_amount", "mrr")


class EditForm(AddressForm):
    """The subscription's own fields; the address parts are its billing address."""

    name = forms.CharField(label=_("Subscription name"), max_length=200)
    next_payment_date = DateField(
        label=_("Next payment date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A new date re-anchors the schedule: later payments follow from it."),
    )
    # Picked from a search (web/subscriptions/picker.html), never rendered as a list of every contact.
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.all(),
        widget=forms.HiddenInput,
        required=False,  # left out: unchanged
        help_text=_("The new contact gets every later email; the payment method must then be theirs."),
    )
    payment_method = forms.ModelChoiceField(
        label=_("Payment method"), queryset=PaymentMethod.objects.none(), required=False, empty_label=_("—")
    )
    owner_id = OwnerField(help_text=_("Changing only the owner bills nothing and emails no one."))
    proration = forms.ChoiceField(
        label=_("Price changes apply"),
        choices=PRORATION_CHOICES,
        initial="none",
        widget=forms.RadioSelect,
    )

    field_order = ["name", "next_payment_date", "contact", "payment_method", "owner_id"]

    def __init__(self, *args: Any, sub: Subscription, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        methods = PaymentMethod.objects.filter(detached_at=None).order_by("-created_at", "-id")
        field = cast(forms.ModelChoiceField, self.fields["payment_method"])
        field.queryset = methods.filter(contact_id=sub.contact_id)  # the contact's own, not removed
        offer_owners(self, sub.owner_id)


class EditLineItemForm(LineItemForm):
    """A deal line-item row without the billing fields: the subscription's frequency, terms and
    start apply to every item (a library product's price is taken per the subscription's period)."""

    billed_as_subscription = (
        "billing_frequency",
        "billing_terms",
        "number_of_payments",
        "billing_start_type",
        "billing_start_date",
        "billing_start_delay",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.billed_as_subscription:
            del self.fields[name]

    def show_advanced(self) -> bool:
        return self.has_error("description") or bool(self["description"].value())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # What LineItemForm.to_input reads; the service replaces them by the subscription's.
        data["billing_terms"] = BillingTerms.AUTO_RENEW
        data["billing_start_type"] = BillingStartType.AT_PURCHASE
        return data


EditLineItemFormSet = forms.formset_factory(
    EditLineItemForm,
    formset=BaseLineItemFormSet,
    extra=0,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_LINE_ITEMS,
    validate_max=True,
)


def products_of(sub: Subscription) -> dict[str, Product]:
    """The active library, plus the (maybe archived) products already on the subscription."""
    choices = products_for(None)
    used = sub.line_items.exclude(product_id=None).values_list("product_id", flat=True)
    choices.update({p.pk: p for p in Product.objects.filter(pk__in=used).order_by("name", "id")})
    return choices


class EditForms(DealForms):
    """The edit form and the line-item formset; validation and service errors as for deals."""

    form: EditForm  # type: ignore[assignment]

    def __init__(self, data: QueryDict | None, *, sub: Subscription) -> None:
        self.sub = sub
        initial = {
            "name": sub.name,
            "next_payment_date": sub.next_payment_date,
            "contact": sub.contact_id,
            "payment_method": sub.payment_method_id,
            "owner_id": sub.owner_id,
            "proration": "none",
            **EditForm.address_initial(sub),
        }
        self.form = EditForm(data, initial=initial, sub=sub)
        # initial_for reads only the LineItemFields a deal's and a subscription's items share.
        items = [LineItemForm.initial_for(i) for i in sub.line_items.all()]  # type: ignore[arg-type]
        self.line_items = cast(type[BaseLineItemFormSet], EditLineItemFormSet)(
            data,
            prefix=PREFIX,
            initial=items,
            form_kwargs={"products": products_of(sub), "currency": sub.currency},
        )

    def changes(self) -> tuple[SubscriptionChanges, str]:
        """What the user changed, as the service's changes, and the proration choice."""
        data, edited = self.form.cleaned_data, self.form.changed_data
        next_date: date | None = data["next_payment_date"] if "next_payment_date" in edited else None
        address = {part: data.get(part, "") for part in self.form.address_parts}
        changes = SubscriptionChanges(
            name=data["name"] if "name" in edited else None,
            next_payment_date=next_date,
            line_items=self.line_items.inputs() if self.line_items.has_changed() else None,
            contact=data["contact"] if "contact" in edited and data["contact"] else None,
            payment_method=data["payment_method"] if "payment_method" in edited else None,
            billing_address=address if set(edited) & set(self.form.address_parts) else None,
            owner_id=data["owner_id"] if "owner_id" in edited else KEEP,
        )
        return changes, data["proration"]


def _edit(
    request: HttpRequest, sub: Subscription, changes: SubscriptionChanges, proration: str, *, preview: bool
) -> ChangeResult:
    return subscription_change(
        subscription=sub,
        changes=changes,
        proration=proration,
        actor=actor(request),
        at=clock.now(),
        preview=preview,
    )


def _value(field: str, value: Any, currency: str) -> str:
    if field in _MONEY:
        return money(value, currency)
    if isinstance(value, date):
        return day(value)
    return value_text(value)


def _changes_shown(result: ChangeResult) -> list[Change]:
    currency = result.subscription.currency
    rows = []
    for field, label in _CHANGE_LABELS.items():
        if field not in result.changed:
            continue
        if field == "line_items":
            rows.append(Change(str(label), gettext("replaced"), gettext("as below")))
            continue
        before, after = result.changed[field]
        if field == "contact_id":
            labels = {c.pk: contact_label(c) for c in Contact.objects.filter(pk__in=[before, after])}
            rows.append(Change(str(label), labels.get(before, "—"), labels.get(after, "—")))
            continue
        if field == "owner_id":
            names = {u.pk: str(u) for u in User.objects.filter(pk__in=[before, after])}
            nobody = gettext("No owner")
            rows.append(Change(str(label), names.get(before, nobody), names.get(after, nobody)))
            continue
        rows.append(Change(str(label), _value(field, before, currency), _value(field, after, currency)))
    return rows


def _saved_message(sub: Subscription, result: ChangeResult) -> str:
    if not result.saved:
        return gettext("Nothing to save: subscription %(subscription)s is unchanged.") % {
            "subscription": subscription_title(sub)
        }
    text = gettext("Subscription %(subscription)s saved.") % {
        "subscription": subscription_title(result.subscription)
    }
    prorated = result.proration
    invoice = prorated.invoice if prorated is not None else None
    if prorated is None or invoice is None:
        return text
    amount = money(abs(invoice.total), invoice.currency)
    if invoice.total < 0:
        return gettext(
            "%(saved)s Prorated invoice %(number)s credits %(amount)s (owed back; not refunded by itself)."
        ) % {"saved": text, "number": invoice.number, "amount": amount}
    values = {"saved": text, "number": invoice.number, "amount": amount, "status": _status(invoice)}
    if prorated.payment_id:
        payment = Payment.objects.select_related("payment_method").get(pk=prorated.payment_id)
        return gettext(
            "%(saved)s Prorated invoice %(number)s of %(amount)s created and charged to %(target)s; "
            "the invoice is %(status)s."
        ) % {**values, "target": refund_target(payment)}
    return gettext("%(saved)s Prorated invoice %(number)s of %(amount)s created; it is %(status)s.") % values


def _status(invoice: Invoice) -> str:
    return str(invoice.get_status_display()).lower()


def _page(request: HttpRequest, edit: EditForms, status: int, **context: Any) -> HttpResponse:
    """The form (its contact picker showing the chosen contact) and the context's extras."""
    picked = contacts_picked(chosen=edit.form["contact"].value())
    return render(
        request, TEMPLATE, {"form": edit, "sub": edit.sub, "contact_picked": picked, **context}, status=status
    )


@editor
@require_http_methods(["GET", "POST"])
def subscription_edit(request: HttpRequest, pk: str) -> HttpResponse:
    sub = get_object_or_404(Subscription.objects.select_related("contact"), pk=pk)
    back = reverse("web:subscription", args=[sub.pk])
    edit = EditForms(posted(request), sub=sub)
    confirm = request.POST.get("action") == "confirm"
    try:
        if request.method == "GET":
            _edit(request, sub, SubscriptionChanges(), "none", preview=True)  # editable? (writes nothing)
            return _page(request, edit, 200)
        if not edit.is_valid():
            return _page(request, edit, 422)
        changes, proration = edit.changes()
        result = _edit(request, sub, changes, proration, preview=not confirm)
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
        return redirect(back)
    except ValidationFailed as exc:
        edit.add_service_errors(exc)
        return _page(request, edit, 422)
    if confirm:
        messages.success(request, _saved_message(sub, result))
        return redirect(back)
    context = {
        "preview": result,
        "lines": LineTable([LineRow(i, i.amounts) for i in result.line_items], sub.currency),
        "changes": _changes_shown(result),
        "previewed": reposted(request.POST, "action"),
    }
    return _page(request, edit, 200, **context)


@editor
@require_GET
def line_item_row(request: HttpRequest, pk: str) -> HttpResponse:
    """htmx: one more blank line-item row for the subscription, and the form count raised by one."""
    sub = get_object_or_404(Subscription, pk=pk)
    return blank_line_item_row(request, EditLineItemForm, products=products_of(sub), currency=sub.currency)
