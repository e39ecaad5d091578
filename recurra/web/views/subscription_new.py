"""The "Create subscription" page (from the Subscriptions page, or a contact's, company's or deal's
record, prefilled).

Rules:
- It starts with a choice: "Now" (this form: the seller creates the
  subscription) or "When a customer pays" (``/subscriptions/new/payment-link/``:
  a payment link of recurring items, from the product library or custom, made
  by ``commerce.payment_links`` like any other; the checkout creates the
  subscriptions when the buyer pays). Made, it shows the link's page with its
  URL to send. From a deal's record the link is tied to the deal. Both keep
  the record the page came from (``?contact=``, ``?company=``, ``?deal=``).
- ``/subscriptions/new/?contact=<id>`` preselects the contact (and, when they
  have one, their newest saved payment method with "Charge automatically",
  and their address as the billing address); ``?company=<id>`` preselects the
  company and its first contact as its page lists them (the newest), when it
  has contacts. A deal's record links with ``?deal=`` too: the new subscription
  is tied to that deal (and shows on its card).
- The contact and company are searched (record_search) and picked as radio
  buttons. Picking another contact reloads the payment method choices and,
  unless the seller typed a billing address, the billing address (htmx: the
  same page with ``?contact=`` and the address shown, of which those parts are
  picked out).
- Line items that differ in billing frequency, terms or number of payments
  make one subscription each (``subscriptions.grouping``, as payment links
  and deal conversion split them); the confirmation says so ("This creates 2
  subscriptions: monthly (2 items, $40.00/month) and annually (1 item,
  $120.00/year)") and shows each. One made: its page; several: the contact's
  record, whose card lists them.
- A valid first POST creates nothing: the service drafts the subscriptions
  (every rule checked, nothing written) and the page shows them in a
  confirmation dialog over the form (inert behind it). "Create subscription"
  posts the same values again with ``confirmed=1`` and creates them; "Back to
  the form" (``back=1``) shows the form again with everything kept. An error,
  at either step, goes beside its field (422) with everything kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from recurra.commerce import payment_links
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.crm import selectors as crm
from recurra.crm.models import Company, Contact, Deal
from recurra.payments.models import MethodType
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import Draft, subscriptions_create, subscriptions_draft
from recurra.web.access import actor, editor
from recurra.web.forms.payment_links import SubscriptionLinkForms
from recurra.web.forms.subscriptions import NewSubscriptionForms, prefilled
from recurra.web.present import PER_PERIOD, LineRow, LineTable, label
from recurra.web.selectors import UpcomingPayment, upcoming_payments
from recurra.web.views.common import form_page, posted, reposted
from recurra.web.views.record_search import COMPANY_BLANK, companies_picked, contact_label, contacts_picked

TEMPLATE = "web/subscriptions/new.html"
LINK_TEMPLATE = "web/subscriptions/new_link.html"
ORIGIN = ("contact", "company", "deal")
FIRST_PAYMENTS = 3  # shown in the confirmation


def subscription_url(sub: Subscription) -> str:
    return reverse("web:subscription", args=[sub.pk])


def new_url(record: Contact | Company | Deal) -> str:
    """The "Create subscription" page prefilled with ``record`` (a deal: with its contact and company)."""
    if isinstance(record, Deal):
        given = {"deal": record.pk, "contact": record.contact_id, "company": record.company_id}
    elif isinstance(record, Contact):
        given = {"contact": record.pk}
    else:
        given = {"company": record.pk}
    query = "&".join(f"{name}={pk}" for name, pk in given.items() if pk)
    return f"{reverse('web:subscription_new')}?{query}" if query else reverse("web:subscription_new")


def _origin(request: HttpRequest) -> tuple[Contact | None, Company | None, Deal | None]:
    contact = Contact.objects.filter(pk=request.GET.get("contact") or None).first()
    company = Company.objects.filter(pk=request.GET.get("company") or None).first()
    deal = Deal.objects.filter(pk=request.GET.get("deal") or None).first()
    if contact is None and company is not None:
        contact = crm.contact_list(company_id=company.pk).first()
    return contact, company, deal


def _choice(request: HttpRequest) -> str:
    """The query both choices keep: the record the page came from (``?contact=…&deal=…``), or ""."""
    kept = QueryDict(mutable=True)
    for name in ORIGIN:
        if request.GET.get(name):
            kept[name] = request.GET[name]
    return f"?{kept.urlencode()}" if kept else ""


@dataclass(frozen=True)
class Planned:
    """One subscription the confirmation shows: the draft, its line items, its first payment dates."""

    sub: Subscription
    lines: LineTable
    first_payments: list[UpcomingPayment]

    @property
    def per_period(self) -> str:
        """What follows its amount in the split's sentence: "/month"."""
        return str(PER_PERIOD[self.sub.billing_frequency])


def _planned(draft: Draft) -> Planned:
    sub = draft.subscription
    lines = LineTable([LineRow(item, item.amounts) for item in draft.line_items], sub.currency)
    return Planned(sub, lines, upcoming_payments(sub, count=FIRST_PAYMENTS))


def _confirmation(drafts: list[Draft], data: QueryDict) -> dict[str, Any]:
    """What the confirmation shows of ``drafts`` (one per subscription; the contact, company, collection
    and address are theirs alike), and the posted values its "Create subscription" posts."""
    sub = drafts[0].subscription
    return {
        "draft": sub,
        "planned": [_planned(draft) for draft in drafts],
        "contact_label": contact_label(sub.contact),
        "accepted_methods": [label(MethodType, method) for method in sub.allowed_payment_methods],
        "reposted": reposted(data, "confirmed", "back"),
    }


def _page(request: HttpRequest, new: NewSubscriptionForms, status: int, **context: Any) -> HttpResponse:
    """The form (its contact and company pickers showing the chosen ones) and, with a draft, the
    confirmation."""
    form = new.form
    pickers = {
        "contact_picked": contacts_picked(chosen=form["contact"].value()),
        "company_picked": companies_picked(chosen=form["company"].value(), blank=str(COMPANY_BLANK)),
    }
    return render(request, TEMPLATE, {"form": new, **pickers, **context}, status=status)


@editor
@require_http_methods(["GET", "POST"])
def subscription_new(request: HttpRequest) -> HttpResponse:
    contact, company, deal = _origin(request)
    back = deal or company or contact
    new = NewSubscriptionForms(posted(request), initial=prefilled(contact, company, request.GET, deal))
    context = {"back": back, "back_url": back_url(back), "origin_query": _choice(request)}
    if request.method == "GET" or request.POST.get("back"):
        return _page(request, new, 200, **context)
    if not new.is_valid():
        return _page(request, new, 422, **context)
    values = new.service_values()
    try:
        if request.POST.get("confirmed") == "1":
            made = subscriptions_create(actor=actor(request), at=clock.now(), **values)
            return _created(request, made)
        drafts = subscriptions_draft(at=clock.now(), **values)
    except ValidationFailed as exc:
        new.add_service_errors(exc)
        return _page(request, new, 422, **context)
    return _page(request, new, 200, **context, **_confirmation(drafts, request.POST))


def _created(request: HttpRequest, made: list[Subscription]) -> HttpResponse:
    """One subscription made: its page; several: the contact's record, whose card lists them."""
    if len(made) == 1:
        messages.success(request, gettext("Subscription created."))
        return redirect(subscription_url(made[0]))
    names = {"names": ", ".join(sub.name for sub in made[:-1]), "last": made[-1].name, "count": len(made)}
    messages.success(request, gettext("%(count)d subscriptions created: %(names)s and %(last)s.") % names)
    return redirect(back_url(made[0].contact))


@editor
@require_http_methods(["GET", "POST"])
def subscription_new_link(request: HttpRequest) -> HttpResponse:
    """The "When a customer pays" choice: a payment link of recurring items (``commerce.payment_links``),
    then its page with the URL to send."""
    contact, company, deal = _origin(request)
    back = deal or company or contact
    initial = {"deal": deal.pk} if deal is not None else None
    return form_page(
        request,
        SubscriptionLinkForms(posted(request), initial=initial),
        template=LINK_TEMPLATE,
        save=lambda values: payment_links.payment_link_create(actor=actor(request), at=clock.now(), **values),
        success=lambda link: reverse("web:payment_link", args=[link.pk]),
        message=gettext(
            "Payment link created: send its link to the customer. Their subscription starts when they pay."
        ),
        context={"back": back, "back_url": back_url(back), "origin_query": _choice(request)},
    )


def back_url(record: Contact | Company | Deal | None) -> str:
    """The page of ``record``; the Subscriptions page without one."""
    if record is None:
        return reverse("web:subscriptions")
    return reverse(f"web:{record._meta.model_name}", args=[record.pk])
