"""Assign an owner to the subscriptions ticked on the Subscriptions page (editors).

The index's rows carry checkboxes of a POST form outside its GET form ("Assign
owner": a user or "No owner", then Apply). The ticked subscriptions get that
owner in one transaction (``crm.owners.owners_assign``: an event for each one
that changed); the page comes back as it was, saying "Owner assigned to N
subscriptions" (N: all ticked, those that had that owner already included).
Nothing ticked, no owner chosen, or an owner who can no longer be assigned:
back with the reason, nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from recurra.core.errors import NotFound, ValidationFailed
from recurra.crm.owners import owners_assign
from recurra.subscriptions.models import Subscription
from recurra.web.access import actor, editor
from recurra.web.forms.base import sentence
from recurra.web.forms.owners import BulkOwnerForm
from recurra.web.views.common import next_url, statement


@editor
@require_POST
def subscription_owners_assign(request: HttpRequest) -> HttpResponse:
    back = next_url(request, reverse("web:subscriptions"))
    form = BulkOwnerForm(request.POST)
    if not form.is_valid():
        problems = [sentence(str(message)) for errors in form.errors.values() for message in errors]
        messages.error(request, " ".join(problems))
        return redirect(back)
    ids, owner_id = form.cleaned_data["ids"], form.owner_id()
    try:
        owners_assign(model=Subscription, ids=ids, owner_id=owner_id, actor=actor(request))
    except (ValidationFailed, NotFound) as exc:
        reasons = [sentence(e.message) for e in getattr(exc, "errors", [])] or [exc.detail]
        messages.error(request, statement("; ".join(reasons)))
        return redirect(back)
    count = len(ids)
    if owner_id is None:
        text = ngettext(
            "Owner removed from %(count)d subscription.", "Owner removed from %(count)d subscriptions.", count
        )
    else:
        text = ngettext(
            "Owner assigned to %(count)d subscription.", "Owner assigned to %(count)d subscriptions.", count
        )
    messages.success(request, text % {"count": count})
    return redirect(back)
