"""Searchable choices of one record (a contact, a company, a subscription) for forms that cannot list
them all.

Rules:
- A picker is a search box that asks the server (htmx, ``GET /contacts/search/?q=``
  or ``/companies/search/?q=``) and radio buttons posting the form field: the
  chosen record first (checked, from ``?contact=`` / ``?company=``), then at most
  ``SEARCH_RESULTS`` others whose name or email (a company: name or domain)
  contains every word of ``q``; an empty ``q`` finds nothing.
- A subscription (a workflow's dry run) is found by its name, or its contact's name or email
  (``GET /subscriptions/search/?q=``).
- The company is optional: its picker also offers "The contact's company" (a
  blank value, checked when no company is chosen; its only user is "Create
  subscription", whose service then takes the contact's).
- Searching is a read: viewers may do it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from recurra.crm import selectors as crm
from recurra.crm.models import Company, Contact
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import subscription_list
from recurra.web.access import viewer
from recurra.web.views.common import PREVIEW_SIZE, search_text

SEARCH_RESULTS = PREVIEW_SIZE
RESULTS = "web/includes/picker_results.html"
R = TypeVar("R", bound=Model)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Picked:
    """What a picker shows: its radio buttons post ``name``."""

    name: str
    chosen: Choice | None
    found: list[Choice]
    q: str = ""
    blank: str | None = None  # the label of the blank choice of an optional field
    more: bool = False  # more than ``found`` match ``q``
    limit: int = SEARCH_RESULTS


def contact_label(contact: Contact) -> str:
    """ "Ingrid Hansen · ingrid@fjordline.example" (the email alone without a name)."""
    return f"{contact.full_name} · {contact.email}" if contact.full_name else contact.email


def company_label(company: Company) -> str:
    return f"{company.name} · {company.domain}" if company.domain else company.name


def _picked(
    name: str,
    matching: Callable[[str], QuerySet[R]],
    label: Callable[[R], str],
    *,
    q: str,
    chosen: object,
    blank: str | None = None,
) -> Picked:
    record = matching("").filter(pk=str(chosen)).first() if chosen else None
    found: list[R] = []
    if q:
        others = matching(q).exclude(pk=record.pk) if record else matching(q)
        found = list(others[: SEARCH_RESULTS + 1])
    return Picked(
        name=name,
        chosen=Choice(str(record.pk), label(record)) if record else None,
        found=[Choice(str(r.pk), label(r)) for r in found[:SEARCH_RESULTS]],
        q=q,
        blank=blank,
        more=len(found) > SEARCH_RESULTS,
    )


def contacts_picked(*, q: str = "", chosen: object = None) -> Picked:
    return _picked("contact", lambda q: crm.contact_list(q=q), contact_label, q=q, chosen=chosen)


def companies_picked(*, q: str = "", chosen: object = None, blank: str | None = None) -> Picked:
    return _picked("company", lambda q: crm.company_list(q=q), company_label, q=q, chosen=chosen, blank=blank)


def subscription_label(sub: Subscription) -> str:
    """ "Team plan · Ingrid Hansen · Unpaid" (the contact as pages show them)."""
    return f"{sub.name} · {sub.contact} · {sub.get_status_display()}"


def subscriptions_picked(*, q: str = "", chosen: object = None) -> Picked:
    return _picked(
        "subscription",
        lambda q: subscription_list(q=q).select_related("contact").order_by("-id"),
        subscription_label,
        q=q,
        chosen=chosen,
    )


COMPANY_BLANK = _("The contact's company")


@viewer
@require_GET
def contact_search(request: HttpRequest) -> HttpResponse:
    """htmx: the contact picker's radio buttons for ``?q=`` (``?contact=``: the chosen one, kept)."""
    picked = contacts_picked(q=search_text(request), chosen=request.GET.get("contact"))
    return render(request, RESULTS, {"picked": picked})


@viewer
@require_GET
def company_search(request: HttpRequest) -> HttpResponse:
    """htmx: the company picker's radio buttons for ``?q=`` (``?company=``: the chosen one, kept)."""
    picked = companies_picked(
        q=search_text(request), chosen=request.GET.get("company"), blank=str(COMPANY_BLANK)
    )
    return render(request, RESULTS, {"picked": picked})


@viewer
@require_GET
def subscription_search(request: HttpRequest) -> HttpResponse:
    """htmx: the subscription picker's radio buttons for ``?q=`` (``?subscription=``: the chosen one)."""
    picked = subscriptions_picked(q=search_text(request), chosen=request.GET.get("subscription"))
    return render(request, RESULTS, {"picked": picked})
