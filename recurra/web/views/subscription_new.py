"""Subscriptions made or tied from the seller's side: "Create subscription" (the Subscriptions page,
or a contact's or company's record, prefilled) and "Associate existing" (a record's card).

Rules:
- ``/subscriptions/new/?contact=<id>`` preselects the contact (and, when they
  have one, their newest saved payment method with "Charge automatically");
  ``?company=<id>`` preselects the company and its first contact as its page
  lists them (the newest), when it has contacts.
- Changing the contact reloads only the payment method choices (htmx: the same
  page with ``?contact=``, of which the field is picked out).
- "Associate existing" searches subscriptions by name or contact (``?q=``,
  or an exact id), leaving out those already tied to the record, and posts the
  chosen id; one service call ties it (the record's page says which) and goes
  back to the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from recurra.core import clock
from recurra.crm import selectors as crm
from recurra.crm.models import Company, Contact
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import subscription_list
from recurra.subscriptions.services import subscription_create as create
from recurra.web.access import actor, editor
from recurra.web.forms.subscriptions import AssociateForm, NewSubscriptionForms, prefilled
from recurra.web.views.common import PREVIEW_SIZE, form_page, posted, preview, search_text

SEARCH_RESULTS = PREVIEW_SIZE


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


@editor
@require_http_methods(["GET", "POST"])
def subscription_new(request: HttpRequest) -> HttpResponse:
    contact, company = _origin(request)
    back = company or contact
    return form_page(
        request,
        NewSubscriptionForms(posted(request), initial=prefilled(contact, company)),
        template="web/subscriptions/new.html",
        save=lambda values: create(actor=actor(request), at=clock.now(), **values),
        success=subscription_url,
        message="Subscription created.",
        context={"back": back, "back_url": back_url(back)},
    )


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
