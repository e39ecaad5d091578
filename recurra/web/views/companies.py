"""Companies: list with search, record with its contacts, deals and subscriptions, create, edit, delete;
tie an existing subscription to the company."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from recurra.core import clock
from recurra.crm import selectors, services
from recurra.crm.models import Company
from recurra.subscriptions.associations import subscription_associate_company
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import subscription_list
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.crm import CompanyForm
from recurra.web.views.common import confirm_page, form_page, list_page, posted, preview, search_text
from recurra.web.views.lists import add_to_list
from recurra.web.views.record_subscriptions import associate_page, subscriptions_card
from recurra.web.views.subscription_new import new_url

FORM = "web/companies/form.html"


def company_url(company: Company) -> str:
    return reverse("web:company", args=[company.pk])


@viewer
@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.company_list(q=search_text(request))
    return list_page(request, "web/companies/list.html", qs, add_to_list(request, "companies"))


@viewer
@require_GET
def company_detail(request: HttpRequest, pk: str) -> HttpResponse:
    company = get_object_or_404(Company.objects.select_related("owner"), pk=pk)
    context = {
        "company": company,
        "contacts": preview(selectors.contact_list(company_id=company.pk)),
        "deals": preview(selectors.deal_list(company_id=company.pk)),
        "card": subscriptions_card(
            subscription_list(company_id=company.pk),
            new=new_url(company),
            associate=reverse("web:company_subscription_associate", args=[company.pk]),
            everything=f"{reverse('web:subscriptions')}?company_id={company.pk}",
            show_contact=True,
        ),
    }
    return render(request, "web/companies/detail.html", context)


@editor
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        CompanyForm(posted(request)),
        template=FORM,
        save=lambda values: services.company_create(actor=actor(request), **values),
        success=company_url,
        message=gettext("Company created."),
    )


@editor
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: str) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    return form_page(
        request,
        CompanyForm(posted(request), initial=CompanyForm.initial_for(company), owner=company.owner_id),
        template=FORM,
        save=lambda values: services.company_update(company=company, actor=actor(request), **values),
        success=company_url,
        message=gettext("Company saved."),
        context={"company": company},
    )


@editor
@require_http_methods(["GET", "POST"])
def company_delete(request: HttpRequest, pk: str) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    return confirm_page(
        request,
        title=gettext("Delete %(name)s") % {"name": company},
        question=gettext("Delete the company %(name)s? Its contacts and deals stay, without a company.")
        % {"name": company},
        button=gettext("Delete company"),
        perform=lambda: services.company_delete(company=company, actor=actor(request)),
        done_url=reverse("web:companies"),
        cancel_url=company_url(company),
        message=gettext("Company %(name)s deleted.") % {"name": company},
    )


@editor
@require_http_methods(["GET", "POST"])
def company_subscription_associate(request: HttpRequest, pk: str) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    return associate_page(
        request,
        record=company,
        candidates=Subscription.objects.exclude(company=company),
        perform=lambda sub: subscription_associate_company(
            subscription=sub, company=company, actor=actor(request), at=clock.now()
        ),
    )
