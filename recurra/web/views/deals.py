"""Deals: list with search and stage filter, record with line items, create and edit with line items."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from recurra.catalog.models import Product
from recurra.crm import selectors, services
from recurra.crm.models import Company, Contact, Deal, DealStage
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.deals import MAX_LINE_ITEMS, PREFIX, DealForms, LineItemForm, products_for
from recurra.web.present import line_table
from recurra.web.views.common import confirm_page, form_page, list_page, posted, prefill, search_text

FORM = "web/deals/form.html"


def deal_url(deal: Deal) -> str:
    return reverse("web:deal", args=[deal.pk])


@viewer
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage") if request.GET.get("stage") in DealStage.values else None
    contact = Contact.objects.filter(pk=request.GET.get("contact_id") or None).first()
    company = Company.objects.filter(pk=request.GET.get("company_id") or None).first()
    qs = selectors.deal_list(
        q=search_text(request),
        stage=stage,
        contact_id=contact.pk if contact else None,
        company_id=company.pk if company else None,
    )
    context = {"stage": stage or "", "stages": DealStage.choices, "contact": contact, "company": company}
    return list_page(request, "web/deals/list.html", qs, context)


@viewer
@require_GET
def deal_detail(request: HttpRequest, pk: str) -> HttpResponse:
    deal = get_object_or_404(Deal.objects.select_related("contact", "company"), pk=pk)
    return render(request, "web/deals/detail.html", {"deal": deal, "lines": line_table(deal)})


@editor
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        DealForms(posted(request), initial=prefill(request, "contact_id", "company_id")),
        template=FORM,
        save=lambda values: services.deal_create(actor=actor(request), **values),
        success=deal_url,
        message="Deal created.",
    )


@editor
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: str) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    return form_page(
        request,
        DealForms(posted(request), deal=deal),
        template=FORM,
        save=lambda values: services.deal_update(deal=deal, actor=actor(request), **values),
        success=deal_url,
        message="Deal saved.",
        context={"deal": deal},
    )


@editor
@require_GET
def line_item_row(request: HttpRequest) -> HttpResponse:
    """htmx: one more blank line-item row, and the formset's form count raised by one."""
    return blank_line_item_row(
        request, LineItemForm, products=products_for(None), currency=request.GET.get("currency") or "USD"
    )


def blank_line_item_row(
    request: HttpRequest, form_class: type[LineItemForm], *, products: dict[str, Product], currency: str
) -> HttpResponse:
    """The next blank row of a line-item formset (deals, a subscription's edit page)."""
    try:
        index = int(request.GET.get(f"{PREFIX}-TOTAL_FORMS", ""))
    except ValueError:
        index = 0
    index = max(0, min(index, MAX_LINE_ITEMS - 1))
    row = form_class(
        prefix=f"{PREFIX}-{index}",
        products=products,
        currency=currency,
        empty_permitted=True,
        use_required_attribute=False,
    )
    context = {"row": row, "number": index + 1, "prefix": PREFIX, "total": index + 1}
    return render(request, "web/deals/line_item_added.html", context)


@editor
@require_http_methods(["GET", "POST"])
def deal_delete(request: HttpRequest, pk: str) -> HttpResponse:
    deal = get_object_or_404(Deal, pk=pk)
    return confirm_page(
        request,
        title=f"Delete {deal}",
        question=f"Delete the deal {deal} and its line items?",
        button="Delete deal",
        perform=lambda: services.deal_delete(deal=deal, actor=actor(request)),
        done_url=reverse("web:deals"),
        cancel_url=deal_url(deal),
        message=f"Deal {deal} deleted.",
    )
