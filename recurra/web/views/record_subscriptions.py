"""Subscriptions on a record's page (contact, company, deal, invoice, payment): the "Subscriptions"
card of its sidebar, the preview of a subscription shown when its name is hovered or focused, and
"Associate existing".

Rules:
- The card shows the newest few of the record's subscriptions (name, status,
  start date, next payment) and links to "All subscriptions" when there are
  more and the list can filter by the record (the view gives the link).
- Editors get one "Add" menu with what the record offers: "Create new
  subscription" (prefilled), "Associate existing", and on a deal that
  converts into subscriptions "Convert deal to subscription". Invoices and
  payments have none: billing fixes their subscription.
- The preview (``/subscriptions/<id>/preview/``, any signed-in user) is a small
  fragment that htmx loads once, the first time the name is hovered or focused.
- "Preview" beside each opens the subscription's side panel, the index's
  (``web.views.subscription_panel``, with its Actions menu), in the card's
  ``#record-panel`` over the page's right side; its ✕ or Escape closes it and
  focus goes back to that "Preview" (app.js). An action taken from it comes
  back to the record with ``?preview=<id>``, which opens it again. Without
  script "Preview" is a link to the subscription's page.
- "Associate existing" searches subscriptions by name or contact (``?q=``,
  or an exact id), leaving out those already tied to the record, and posts the
  chosen id; one service call ties it (the record's view says which) and goes
  back to the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from recurra.crm.models import Company, Contact, Deal
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import subscription_list
from recurra.web.access import viewer
from recurra.web.forms.subscriptions import AssociateForm
from recurra.web.views.common import PREVIEW_SIZE, form_page, posted, preview, search_text
from recurra.web.views.subscription_new import back_url

CARD_SIZE = 5
SEARCH_RESULTS = PREVIEW_SIZE


def subscriptions_card(
    qs: QuerySet[Subscription],
    *,
    new: str | None = None,
    associate: str | None = None,
    convert: str | None = None,
    everything: str | None = None,
    show_contact: bool = False,
    empty: str | None = None,
) -> dict[str, Any]:
    """The card of ``qs`` (newest first) with the "Add" menu's links that are given, "All
    subscriptions" (``everything``) and the text shown when there is none (``empty``)."""
    return {
        **preview(qs.select_related("contact"), size=CARD_SIZE),
        "add": bool(new or associate or convert),
        "new_url": new,
        "associate_url": associate,
        "convert_url": convert,
        "all_url": everything,
        "show_contact": show_contact,
        "empty": gettext("No subscriptions.") if empty is None else empty,
    }


def billed_subscriptions(subscription_ids: list[str]) -> list[Subscription]:
    """The subscriptions an invoice (or its payment) bills that still exist, in id order."""
    return list(Subscription.objects.filter(pk__in=subscription_ids).order_by("pk"))


def billed_card(subscription_ids: list[str], *, none: str) -> dict[str, Any]:
    """The card of the subscriptions an invoice or a payment bills (a purchase's: several): none
    (``none`` says why), or ones that may since have been deleted (the records keep their ids)."""
    gone = gettext("Its subscription was deleted.")
    return subscriptions_card(
        Subscription.objects.filter(pk__in=subscription_ids), empty=gone if subscription_ids else none
    )


@viewer
@require_GET
def subscription_preview(request: HttpRequest, pk: str) -> HttpResponse:
    """htmx: the preview of one subscription that a card shows beside its name."""
    sub = get_object_or_404(Subscription.objects.select_related("contact", "company"), pk=pk)
    return render(request, "web/subscriptions/preview.html", {"sub": sub})


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
    record: Contact | Company | Deal,
    candidates: QuerySet[Subscription],
    perform: Callable[[Subscription], object],
) -> HttpResponse:
    """Search ``candidates`` and pick one, then ``perform`` (one service call) and back to ``record``."""

    def save(values: dict[str, Any]) -> Subscription:
        perform(values["subscription"])
        return values["subscription"]

    context = {
        "record": record,
        "kind": record._meta.model_name,
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
        message=gettext("Subscription associated with %(record)s.") % {"record": record},
        context=context,
    )
