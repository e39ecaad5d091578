"""Contacts: list with search, record with its company, deals and subscriptions, create, edit, delete;
tie an existing subscription to the contact (it becomes the subscription's contact)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from recurra.core import clock
from recurra.crm import selectors, services
from recurra.crm.models import Company, Contact
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.web import selectors as web_selectors
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.crm import ContactForm
from recurra.web.views.common import confirm_page, form_page, list_page, posted, prefill, preview, search_text
from recurra.web.views.lists import add_to_list
from recurra.web.views.record_subscriptions import associate_page, subscriptions_card
from recurra.web.views.subscription_new import new_url

FORM = "web/contacts/form.html"


def contact_url(contact: Contact) -> str:
    return reverse("web:contact", args=[contact.pk])


@viewer
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    company = Company.objects.filter(pk=request.GET.get("company_id") or None).first()
    qs = selectors.contact_list(q=search_text(request), company_id=company.pk if company else None)
    context = {"company": company, **add_to_list(request, "contacts")}
    return list_page(request, "web/contacts/list.html", qs, context)


@viewer
@require_GET
def contact_detail(request: HttpRequest, pk: str) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("company", "owner"), pk=pk)
    deals = preview(selectors.deal_list(contact_id=contact.pk))
    card = subscriptions_card(
        web_selectors.subscription_list(contact_id=contact.pk),
        new=new_url(contact),
        associate=reverse("web:contact_subscription_associate", args=[contact.pk]),
        everything=f"{reverse('web:subscriptions')}?contact_id={contact.pk}",
    )
    context = {"contact": contact, "deals": deals, "card": card}
    return render(request, "web/contacts/detail.html", context)


@editor
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        ContactForm(posted(request), initial=prefill(request, "company_id")),
        template=FORM,
        save=lambda values: services.contact_create(actor=actor(request), **values),
        success=contact_url,
        message=gettext("Contact created."),
    )


@editor
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: str) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    return form_page(
        request,
        ContactForm(posted(request), initial=ContactForm.initial_for(contact), owner=contact.owner_id),
        template=FORM,
        save=lambda values: services.contact_update(contact=contact, actor=actor(request), **values),
        success=contact_url,
        message=gettext("Contact saved."),
        context={"contact": contact},
    )


@editor
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: str) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    return confirm_page(
        request,
        title=gettext("Delete %(name)s") % {"name": contact},
        question=gettext("Delete the contact %(name)s (%(email)s)? Their deals stay, without a contact.")
        % {"name": contact, "email": contact.email},
        button=gettext("Delete contact"),
        perform=lambda: services.contact_delete(contact=contact, actor=actor(request)),
        done_url=reverse("web:contacts"),
        cancel_url=contact_url(contact),
        message=gettext("Contact %(name)s deleted.") % {"name": contact},
    )


@editor
@require_http_methods(["GET", "POST"])
def contact_subscription_associate(request: HttpRequest, pk: str) -> HttpResponse:
    """Make the contact the subscription's contact (an edit: the editing service's rules apply)."""
    contact = get_object_or_404(Contact, pk=pk)
    return associate_page(
        request,
        record=contact,
        candidates=Subscription.objects.exclude(contact=contact),
        perform=lambda sub: subscription_change(
            subscription=sub,
            changes=SubscriptionChanges(contact=contact),
            proration="none",
            actor=actor(request),
            at=clock.now(),
        ),
    )
