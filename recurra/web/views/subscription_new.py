"""The "Create subscription" page (from the Subscriptions page, or a contact's, company's or deal's
record, prefilled).

Rules:
- ``/subscriptions/new/?contact=<id>`` preselects the contact (and, when they
  have one, their newest saved payment method with "Charge automatically");
  ``?company=<id>`` preselects the company and its first contact as its page
  lists them (the newest), when it has contacts. A deal's record links with
  both, its contact and its company.
- Changing the contact reloads only the payment method choices (htmx: the same
  page with ``?contact=``, of which the field is picked out).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from recurra.core import clock
from recurra.crm import selectors as crm
from recurra.crm.models import Company, Contact, Deal
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create as create
from recurra.web.access import actor, editor
from recurra.web.forms.subscriptions import NewSubscriptionForms, prefilled
from recurra.web.views.common import form_page, posted


def subscription_url(sub: Subscription) -> str:
    return reverse("web:subscription", args=[sub.pk])


def new_url(record: Contact | Company | Deal) -> str:
    """The "Create subscription" page prefilled with ``record`` (a deal: with its contact and company)."""
    if isinstance(record, Deal):
        given = {"contact": record.contact_id, "company": record.company_id}
    elif isinstance(record, Contact):
        given = {"contact": record.pk}
    else:
        given = {"company": record.pk}
    query = "&".join(f"{name}={pk}" for name, pk in given.items() if pk)
    return f"{reverse('web:subscription_new')}?{query}" if query else reverse("web:subscription_new")


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


def back_url(record: Contact | Company | Deal | None) -> str:
    """The page of ``record``; the Subscriptions page without one."""
    if record is None:
        return reverse("web:subscriptions")
    return reverse(f"web:{record._meta.model_name}", args=[record.pk])
