"""/subscriptions/{id}/payment-method-update-link: send the buyer a link to save a new payment method."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import get_or_404, no_content
from recurra.api.fields import Id
from recurra.core import clock
from recurra.subscriptions import update_links
from recurra.subscriptions.models import Subscription

router = Router(tags=["subscriptions"])


class UpdateLinkOut(BaseModel):
    url: str = Field(
        description="the buyer's page: whoever holds it can save a method, so give it to the buyer only"
    )
    expires_at: datetime


@router.post(
    "/{subscription_id}/payment-method-update-link",
    response=UpdateLinkOut,
    summary="Send a payment-method update link",
    description=(
        f"A new link, valid {update_links.LINK_DAYS} days, emailed to the contact (email kind "
        "payment_method_update). On its page the buyer saves a new payment method, which becomes the "
        "subscription's and is charged every past-due invoice at once. Earlier links keep working until "
        "they expire or are revoked. 409 when the subscription is canceled or expired. The link is handed "
        "out once: a replay of this answer (Idempotency-Key) has REDACTED in place of its token."
    ),
)
def create_update_link(request: HttpRequest, subscription_id: Id) -> UpdateLinkOut:
    link, url = update_links.update_link_create(
        subscription=get_or_404(Subscription, subscription_id),
        actor=actor(request),
        at=clock.now(),
        email=True,
    )
    return UpdateLinkOut(url=url, expires_at=link.expires_at)


@router.post(
    "/{subscription_id}/payment-method-update-link/revoke",
    response={204: None},
    summary="Revoke the payment-method update links",
    description="Every link of the subscription stops working at once (a 204 also when none was live).",
)
def revoke_update_links(request: HttpRequest, subscription_id: Id) -> HttpResponse:
    update_links.update_link_revoke(
        subscription=get_or_404(Subscription, subscription_id), actor=actor(request), at=clock.now()
    )
    return no_content()
