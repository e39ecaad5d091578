"""Subscriptions made or tied from the seller's side: "Create subscription" (the Subscriptions page,
or a contact's or company's record, prefilled) and "Associate existing" (a record's card).

Rules:
- ``/subscriptions/new/?contact=<id>`` preselects the contact (and, when they
  have one, their newest saved payment method with "Charge automatically",
  and their address as the billing address); ``?company=<id>`` preselects the
  company and its first contact as its page lists them (the newest), when it
  has contacts.
- The contact and company are searched (record_search) and picked as radio
  buttons. Picking another contact reloads the payment method choices and,
  unless the seller typed a billing address, the billing address (htmx: the
  same page with ``?contact=`` and the address shown, of which those parts are
  picked out).
- A valid first POST creates nothing: the service drafts the subscription
  (every rule checked, nothing written) and the page shows it in a
  confirmation dialog over the form (inert behind it). "Create subscription"
  posts the same values again with ``confirmed=1`` and creates it; "Back to
  the form" (``back=1``) shows the form again with everything kept. An error,
  at either step, goes beside its field (422) with everything kept.
- "Associate existing" searches subscriptions by name or contact (``?q=``,
  or an exact id), leaving out those already tied to the record, and posts the
  chosen id; one service call ties it (the record's page says which) and goes
  back to the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.crm import selectors as crm
from recurra.crm.models import Company, Contact
from recurra.payments.models import MethodType
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import subscription_list
from recurra.subscriptions.services import Draft, subscription_draft
from recurra.subscriptions.services import subscription_create as create
from recurra.web.access import actor, editor
from recurra.web.forms.subscriptions import AssociateForm, NewSubscriptionForms, prefilled
from recurra.web.present import LineRow, LineTable, label
from recurra.web.selectors import upcoming_payments
from recurra.web.views.common import PREVIEW_SIZE, form_page, posted, preview, reposted, search_text
from recurra.web.views.record_search import COMPANY_BLANK, companies_picked, contact_label, contacts_picked

SEARCH_RESULTS = PREVIEW_SIZE
TEMPLATE = "web/subscriptions/new.html"
FIRST_PAYMENTS = 3  # shown in the confirmation


def subscription_url(sub: Subscription) -> str:
    return reverse("web:subscription", args=[sub.pk])


def new_url(record: Contact | Company) -> str:
    """The "Create subscription" page prefilled with ``record``."""
    kind = "contact" if isinstance(record, Contact) else "company"
    return f"{reverse('web:subscription_new')}?{kind}={record.pk}"


def _origin(request: HttpRequest) -> tuple[Contact | None, Company | None]:
    contact = Contact.objects.filter(pk=request.GET.get("contact") or None).first()
    company = Company.objects.filter(pk=request.GET.get("company") or None).first()
    if contact is None and company is not None:
        contact = crm.contact_list(company_id=company.pk).first()
    return contact, company


def _confirmation(draft: Draft, data: QueryDict) -> dict[str, Any]:
    """What the confirmation shows of ``draft``, and the posted values its "Create subscription" posts."""
    sub = draft.subscription
    return {
        "draft": sub,
        "contact_label": contact_label(sub.contact),
        "accepted_methods": [label(MethodType, method) for method in sub.allowed_payment_methods],
        "lines": LineTable([LineRow(item, item.amounts) for item in draft.line_items], sub.currency),
        "first_payments": upcoming_payments(sub, count=FIRST_PAYMENTS),
        "reposted": reposted(data, "confirmed", "back"),
    }


def _page(request: HttpRequest, new: NewSubscriptionForms, status: int, **context: Any) -> HttpResponse:
    """The form (its contact and company pickers showing the chosen ones) and, with a draft, the
    confirmation."""
    form = new.form
    pickers = {
        "contact_picked": contacts_picked(chosen=form["contact"].value()),
        "company_picked": companies_picked(chosen=form["company"].value(), blank=COMPANY_BLANK),
    }
    return render(request, TEMPLATE, {"form": new, **pickers, **context}, status=status)


@editor
@require_http_methods(["GET", "POST"])
def subscription_new(request: HttpRequest) -> HttpResponse:
    contact, company = _origin(request)
    back = company or contact
    new = NewSubscriptionForms(posted(request), initial=prefilled(contact, company, request.GET))
    context = {"back": back, "back_url": back_url(back)}
    if request.method == "GET" or request.POST.get("back"):
        return _page(request, new, 200, **context)
    if not new.is_valid():
        return _page(request, new, 422, **context)
    values = new.service_values()
    try:
        if request.POST.get("confirmed") == "1":
            sub = create(actor=actor(request), at=clock.now(), **values)
            messages.success(request, "Subscription created.")
            return redirect(subscription_url(sub))
        draft = subscription_draft(at=clock.now(), **values)
    except ValidationFailed as exc:
        new.add_service_errors(exc)
        return _page(request, new, 422, **context)
    return _page(request, new, 200, **context, **_confirmation(draft, request.POST))


def back_url(record: Contact | Company | None) -> str:
    if isinstance(record, Contact):
        return reverse("web:contact", args=[record.pk])
    if isinstance(record, Company):
        return reverse("web:company", args=[record.pk])
    return reverse("web:subscriptions")


def subscriptions_card(
    qs: QuerySet[Subscription],
    *,
    new: str | None = None,
    associate: str | None = None,
    everything: str | None = None,
    show_contact: bool = False,
) -> dict[str, Any]:
    """The "Subscriptions" card of a record's page: the newest few of ``qs``, and its links (editors
    see "Create subscription" and "Associate existing" where given; "All" when there are more)."""
    return {
        **preview(qs),
        "new_url": new,
        "associate_url": associate,
        "all_url": everything,
        "show_contact": show_contact,
    }


def _found(request: HttpRequest, candidates: QuerySet[Subscription]) -> list[Subscription] | None:
    """The subscriptions the search names (its exact id, else its words), None when nothing was searched."""
    q = search_text(request)
    if not q:
        return None
    exact = list(candidates.filter(pk=q).select_related("contact", "company"))
    if exact:
        return exact
    return list(
        subscription_list(q=q)
        .filter(pk__in=candidates.values("pk"))
        .select_related("contact", "company")[:SEARCH_RESULTS]
    )


def associate_page(
    request: HttpRequest,
    *,
    record: Contact | Company,
    candidates: QuerySet[Subscription],
    perform: Callable[[Subscription], object],
) -> HttpResponse:
    """Search ``candidates`` and pick one, then ``perform`` (one service call) and back to ``record``."""

    def save(values: dict[str, Any]) -> Subscription:
        perform(values["subscription"])
        return values["subscription"]

    context = {
        "record": record,
        "kind": "contact" if isinstance(record, Contact) else "company",
        "record_url": back_url(record),
        "q": search_text(request),
        "found": _found(request, candidates),
    }
    return form_page(
        request,
        AssociateForm(posted(request)),
        template="web/contacts/associate_subscription.html",
        save=save,
        success=lambda sub: back_url(record),
        message=f"Subscription associated with {record}.",
        context=context,
    )
