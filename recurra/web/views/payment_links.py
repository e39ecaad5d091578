"""Payment links: list with search, record with its checkout URL, purchases and subscriptions; create and
edit with line items (the deal's rows); deactivate, activate; delete.

Rules:
- Only ``commerce.payment_links`` writes a link: its checkout rules come back
  as errors beside the fields (``web.forms.payment_links``).
- "Today" is what a checkout made now would charge (the account's date), the
  future charges what it would start for later; both from ``commerce.plan``.
- A deleted link is not listed; its record URL (and its edit and delete URLs)
  show a "deleted" page (410) with the purchases and subscriptions it keeps.
- Purchases (pending, completed, declined) and subscriptions: the newest few.
- Deactivating and activating go through ``payment_link_update``, which
  re-checks the checkout rules: a link they no longer allow stays as it is,
  and the page says why (a flash error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.commerce import payment_links as services
from recurra.commerce.checkout import checkout_plan
from recurra.commerce.links import checkout_url
from recurra.commerce.models import PaymentLink
from recurra.commerce.plan import plan
from recurra.core import clock
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.pagination import paginate
from recurra.payments.models import MethodType
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.payment_links import PaymentLinkForms
from recurra.web.present import LineRow, LineTable, label
from recurra.web.views.checkout import plan_context
from recurra.web.views.common import (
    PAGE_SIZE,
    confirm_page,
    form_page,
    post_action,
    posted,
    preview,
    search_text,
)
from recurra.web.views.record_subscriptions import subscriptions_card

FORM = "web/payment_links/form.html"
ITEMS_SHOWN = 3


def link_url(link: PaymentLink) -> str:
    return reverse("web:payment_link", args=[link.pk])


@dataclass(frozen=True)
class LinkRow:
    link: PaymentLink
    items: str
    amount_today: int


def _row(link: PaymentLink, today: date) -> LinkRow:
    """A list row: the first few items ("Setup, Pro plan × 2 and 3 more") and today's charge."""
    items = list(link.line_items.all())
    names = [f"{i.name} × {i.quantity}" if i.quantity > 1 else i.name for i in items]
    summary = ", ".join(names[:ITEMS_SHOWN])
    if len(names) > ITEMS_SHOWN:
        more = len(names) - ITEMS_SHOWN
        summary = ngettext("%(items)s and %(more)d more", "%(items)s and %(more)d more", more) % {
            "items": summary,
            "more": more,
        }
    return LinkRow(link, summary, plan(items, today).amount_today)


def _links(q: str) -> QuerySet[PaymentLink]:
    qs = PaymentLink.objects.filter(deleted_at__isnull=True).prefetch_related("line_items")
    return qs.filter(name__icontains=q) if q else qs


@viewer
@require_GET
def payment_link_list(request: HttpRequest) -> HttpResponse:
    """Like ``common.list_page``, with each row's summary and today's charge worked out."""
    qs = _links(search_text(request))
    cursor = request.GET.get("cursor") or None
    try:
        page = paginate(qs, limit=PAGE_SIZE, cursor=cursor)
    except ValidationFailed:
        cursor, page = None, paginate(qs, limit=PAGE_SIZE)
    today = local_date(clock.now(), account_zone())
    context = {"page": page, "rows": [_row(link, today) for link in page.data], "cursor": cursor}
    return render(request, "web/payment_links/list.html", {**context, "q": search_text(request)})


def _history(link: PaymentLink) -> dict[str, object]:
    """The purchases made on the link (newest first) and the subscriptions they created."""
    purchases = link.purchases.select_related("contact").order_by("-created_at", "-id")
    subs = link.subscriptions.select_related("contact").order_by("-created_at", "-id")
    return {"purchases": preview(purchases), "card": subscriptions_card(subs, show_contact=True)}


def _deleted(request: HttpRequest, link: PaymentLink) -> HttpResponse:
    return render(request, "web/payment_links/deleted.html", {"link": link, **_history(link)}, status=410)


@viewer
@require_GET
def payment_link_detail(request: HttpRequest, pk: str) -> HttpResponse:
    link = get_object_or_404(PaymentLink.objects.select_related("deal").prefetch_related("line_items"), pk=pk)
    if link.deleted_at is not None:
        return _deleted(request, link)
    context = {
        "link": link,
        "url": checkout_url(link),
        "methods": ", ".join(label(MethodType, m) for m in link.allowed_payment_methods),
        "lines": LineTable([LineRow(i, i.amounts) for i in link.line_items.all()], link.currency),
        **plan_context(checkout_plan(link, clock.now())),
        **_history(link),
    }
    return render(request, "web/payment_links/detail.html", context)


@editor
@require_http_methods(["GET", "POST"])
def payment_link_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        PaymentLinkForms(posted(request)),
        template=FORM,
        save=lambda values: services.payment_link_create(actor=actor(request), at=clock.now(), **values),
        success=link_url,
        message=gettext("Payment link created."),
    )


@editor
@require_http_methods(["GET", "POST"])
def payment_link_edit(request: HttpRequest, pk: str) -> HttpResponse:
    link = get_object_or_404(PaymentLink, pk=pk)
    if link.deleted_at is not None:
        return _deleted(request, link)
    return form_page(
        request,
        PaymentLinkForms(posted(request), link=link),
        template=FORM,
        save=lambda values: services.payment_link_update(
            link=link, actor=actor(request), at=clock.now(), **values
        ),
        success=link_url,
        message=gettext("Payment link saved."),
        context={"link": link},
    )


def _broken(exc: ValidationFailed) -> str:
    """The rules a change broke, in one line: "line items[1] billing start date must be …"."""
    words = [f"{e.field.replace('_', ' ').replace('.', ' ')} {e.message}" for e in exc.errors]
    return "; ".join(words) or exc.detail


def _set_active(request: HttpRequest, pk: str, active: bool) -> HttpResponse:
    link = get_object_or_404(PaymentLink, pk=pk)
    refused = (
        gettext("payment link %(name)s was not activated: %(broken)s; edit it first")
        if active
        else gettext("payment link %(name)s was not deactivated: %(broken)s; edit it first")
    )

    def perform() -> None:
        try:
            services.payment_link_update(link=link, active=active, actor=actor(request), at=clock.now())
        except ValidationFailed as exc:  # the checkout rules, re-checked on every change
            raise Conflict(refused % {"name": link, "broken": _broken(exc)}) from None

    done = (
        gettext("Payment link %(name)s activated: it takes payments again.")
        if active
        else gettext("Payment link %(name)s deactivated: its checkout page says it is not taking payments.")
    )
    return post_action(request, perform=perform, message=done % {"name": link}, next_url=link_url(link))


@editor
@require_POST
def payment_link_activate(request: HttpRequest, pk: str) -> HttpResponse:
    return _set_active(request, pk, True)


@editor
@require_POST
def payment_link_deactivate(request: HttpRequest, pk: str) -> HttpResponse:
    return _set_active(request, pk, False)


@editor
@require_http_methods(["GET", "POST"])
def payment_link_delete(request: HttpRequest, pk: str) -> HttpResponse:
    link = get_object_or_404(PaymentLink, pk=pk)
    if link.deleted_at is not None:
        return _deleted(request, link)
    return confirm_page(
        request,
        title=gettext("Delete %(name)s") % {"name": link},
        question=gettext(
            "Delete the payment link %(name)s? Its checkout page stops taking payments at once and says "
            "the link was deleted. This cannot be undone; its purchases and subscriptions stay."
        )
        % {"name": link},
        button=gettext("Delete payment link"),
        perform=lambda: services.payment_link_delete(link=link, actor=actor(request), at=clock.now()),
        done_url=reverse("web:payment_links"),
        cancel_url=link_url(link),
        message=gettext("Payment link %(name)s deleted.") % {"name": link},
    )
