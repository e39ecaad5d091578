"""Deals: list with search and stage filter, record with line items and subscriptions, create and edit
with line items, convert into subscriptions (or an invoice); tie an existing subscription to the deal.

Converting: the deal page offers "Convert to subscription", or "Convert to
invoice" when none of its items recurs, once (not when it has no line items or
was converted). The confirmation page shows what will be made and asks for
the payment terms; converting goes to the first new subscription (else the
invoice) with a message naming everything made; a refusal stays on the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from recurra.catalog.models import Product
from recurra.catalog.terms import is_recurring
from recurra.commerce import conversion, quotes
from recurra.commerce.links import quote_url
from recurra.commerce.models import Quote, QuoteStatus
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.crm import selectors, services
from recurra.crm.models import Company, Contact, Deal, DealStage
from recurra.subscriptions.associations import subscription_associate_deal
from recurra.subscriptions.models import Subscription
from recurra.web.access import actor, editor, sees_buyer_links, viewer
from recurra.web.forms.deals import MAX_LINE_ITEMS, PREFIX, DealForms, LineItemForm, products_for
from recurra.web.forms.subscriptions import ConvertForm
from recurra.web.present import line_table
from recurra.web.views.common import confirm_page, form_page, list_page, posted, prefill, search_text
from recurra.web.views.record_subscriptions import associate_page, subscriptions_card
from recurra.web.views.subscription_new import new_url

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
    deal = get_object_or_404(Deal.objects.select_related("contact", "company", "owner"), pk=pk)
    converted = conversion.deal_converted(deal)
    makes_subscriptions = None if converted or not deal.line_items.exists() else _makes_subscriptions(deal)
    convert = None
    if makes_subscriptions is not None:
        convert = gettext("Convert to subscription") if makes_subscriptions else gettext("Convert to invoice")
    context = {
        "deal": deal,
        "lines": line_table(deal),
        "convert": convert,
        "converted": converted,
        "card": subscriptions_card(
            Subscription.objects.filter(deal=deal),
            new=new_url(deal),
            associate=reverse("web:deal_subscription_associate", args=[deal.pk]),
            convert=reverse("web:deal_convert", args=[deal.pk]) if makes_subscriptions else None,
        ),
        "quotes": quote_rows(deal, links=sees_buyer_links(request)),
    }
    return render(request, "web/deals/detail.html", context)


def quote_rows(deal: Deal, *, links: bool) -> list[dict[str, Any]]:
    """The deal's quotes as its page shows them: newest first, each with its link (``links``: for
    editors, ``access.sees_buyer_links``) and what it may do."""
    now = clock.now()
    rows = []
    for quote in deal.quotes.prefetch_related("line_items").order_by("-pk"):
        items = list(quote.line_items.all())
        recurring = any(is_recurring(i.billing_frequency) for i in items)
        rows.append(
            {
                "quote": quote,
                "total": sum(i.amounts.total for i in items),
                "expired": quotes.is_expired(quote, now),
                "url": quote_url(quote) if links and quote.status != QuoteStatus.DRAFT else "",
                "recurring": recurring,
                "convertible": quote_convertible(quote),
            }
        )
    return rows


def quote_convertible(quote: Quote) -> bool:
    """Whether the deal page offers to convert ``quote`` (web.views.quotes.quote_convert): the buyer
    has seen it (published or accepted, not a draft) and it is not turned into anything yet."""
    return quote.status in (QuoteStatus.PUBLISHED, QuoteStatus.ACCEPTED) and not quote.subscriptions.exists()


def _makes_subscriptions(deal: Deal) -> bool:
    """Whether converting ``deal`` makes subscriptions (else only an invoice of one-time items)."""
    return bool(conversion.deal_plan(deal, at=clock.now()).subscriptions)


@editor
@require_http_methods(["GET", "POST"])
def deal_convert(request: HttpRequest, pk: str) -> HttpResponse:
    """GET: what converting makes, and the payment terms. POST: convert, then the first thing made."""
    deal = get_object_or_404(Deal.objects.select_related("contact", "company"), pk=pk)
    form = ConvertForm(posted(request))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                done = conversion.deal_convert(
                    deal=deal,
                    payment_terms=form.cleaned_data["payment_terms"],
                    actor=actor(request),
                    at=clock.now(),
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_service_errors(ValidationFailed(exc.detail))
                status = 409
            else:
                messages.success(request, _converted_message(deal, done))
                return redirect(_converted_url(done))
    plan = conversion.deal_plan(deal, at=clock.now())
    context = {
        "deal": deal,
        "quote": conversion.deal_quote(deal),
        "form": terms_for(form, plan),
        "plan": plan,
        "converted": conversion.deal_converted(deal),
    }
    return render(request, "web/deals/convert.html", context, status=status)


def terms_for(form: ConvertForm, plan: conversion.Plan[Any]) -> ConvertForm:
    """``form`` with its payment terms' help naming only what ``plan`` makes."""
    several = len(plan.subscriptions) > 1
    if plan.subscriptions and plan.invoice:
        text = (
            gettext("Of every subscription's invoices and of the one-time items' invoice.")
            if several
            else gettext("Of the subscription's invoices and of the one-time items' invoice.")
        )
    elif plan.subscriptions:
        text = (
            gettext("Of every subscription's invoices.")
            if several
            else gettext("Of the subscription's invoices.")
        )
    elif plan.invoice:
        text = gettext("Of the one-time items' invoice.")
    else:
        text = ""
    form.fields["payment_terms"].help_text = text
    return form


def _converted_message(deal: Deal, done: conversion.Conversion) -> str:
    return gettext("Deal %(deal)s converted into %(made)s.") % {"deal": deal, "made": made_text(done)}


def made_text(done: conversion.Conversion) -> str:
    """What a conversion made, by name: "subscription Pro, monthly and invoice INV-3"."""
    made = [gettext("subscription %(name)s") % {"name": sub} for sub in done.subscriptions]
    if done.invoice is not None:
        made.append(gettext("invoice %(number)s") % {"number": done.invoice.number})
    return _and(made)


def _and(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the active language."""
    if len(parts) == 1:
        return parts[0]
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}


def _converted_url(done: conversion.Conversion) -> str:
    if done.subscriptions:
        return reverse("web:subscription", args=[done.subscriptions[0].pk])
    assert done.invoice is not None  # a conversion makes at least one of them
    return reverse("web:invoice", args=[done.invoice.pk])


@editor
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        DealForms(posted(request), initial=prefill(request, "contact_id", "company_id")),
        template=FORM,
        save=lambda values: services.deal_create(actor=actor(request), **values),
        success=deal_url,
        message=gettext("Deal created."),
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
        message=gettext("Deal saved."),
        context={"deal": deal},
    )


@editor
@require_GET
def line_item_row(request: HttpRequest) -> HttpResponse:
    """htmx: one more blank line-item row, and the formset's form count raised by one
    (``?own_start=0``: without its billing start, for "Create subscription")."""
    return blank_line_item_row(
        request,
        LineItemForm,
        products=products_for(None),
        currency=request.GET.get("currency") or "USD",
        own_start=request.GET.get("own_start") != "0",
    )


def blank_line_item_row(
    request: HttpRequest,
    form_class: type[LineItemForm],
    *,
    products: dict[str, Product],
    currency: str,
    own_start: bool = True,
) -> HttpResponse:
    """The next blank row of a line-item formset (deals, a subscription's edit and new pages)."""
    try:
        index = int(request.GET.get(f"{PREFIX}-TOTAL_FORMS", ""))
    except ValueError:
        index = 0
    index = max(0, min(index, MAX_LINE_ITEMS - 1))
    row = form_class(
        prefix=f"{PREFIX}-{index}",
        products=products,
        currency=currency,
        own_start=own_start,
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
        title=gettext("Delete %(deal)s") % {"deal": deal},
        question=gettext("Delete the deal %(deal)s and its line items?") % {"deal": deal},
        button=gettext("Delete deal"),
        perform=lambda: services.deal_delete(deal=deal, actor=actor(request)),
        done_url=reverse("web:deals"),
        cancel_url=deal_url(deal),
        message=gettext("Deal %(deal)s deleted.") % {"deal": deal},
    )


@editor
@require_http_methods(["GET", "POST"])
def deal_subscription_associate(request: HttpRequest, pk: str) -> HttpResponse:
    """Make the deal the subscription's deal (its contact and company stay as they are)."""
    deal = get_object_or_404(Deal, pk=pk)
    return associate_page(
        request,
        record=deal,
        candidates=Subscription.objects.exclude(deal=deal),
        perform=lambda sub: subscription_associate_deal(
            subscription=sub, deal=deal, actor=actor(request), at=clock.now()
        ),
    )
