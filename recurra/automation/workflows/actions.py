"""What each action does, one strategy per type, for real or as a dry run (``ctx.dry``: nothing written).

Each returns a :class:`Done`: the outcome, what it did (``detail``, shown in the history as it is
kept), a delay's end, or the branch taken. An action that cannot be done for a reason a person can
act on (no owner to email, a name an edit refuses, a deleted endpoint) is *failed* or *skipped*
with that reason, and the enrollment goes on; anything else raises, and the job runner retries the
step later. Every change goes through the services a seller's edit uses, as the workflow's actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from recurra.accounts.models import User
from recurra.accounts.selectors import account_settings, account_zone
from recurra.automation.models import PublicEvent, WebhookDelivery, WebhookEndpoint, Workflow
from recurra.automation.webhooks import objects, publishing
from recurra.automation.webhooks.catalog import WILDCARD, WORKFLOW_WEBHOOK
from recurra.automation.workflows import matching, placeholders
from recurra.automation.workflows.spec import (
    OWNER,
    Action,
    AssignOwner,
    Branch,
    Delay,
    InternalEmail,
    SetProperty,
    Webhook,
)
from recurra.core import ids
from recurra.core.actors import Actor
from recurra.core.errors import RecurraError
from recurra.core.events import EVENT_ID_PREFIX
from recurra.core.models import Event
from recurra.crm.owners import owner_assign
from recurra.notifications.services import EmailDraft, emails_queue
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription

DONE, WAITING, SKIPPED, FAILED = "done", "waiting", "skipped", "failed"


@dataclass(frozen=True)
class Context:
    workflow_id: str
    workflow_name: str
    enrollment_id: str  # "" in a dry run
    event_id: str  # the audit event that enrolled the subscription ("" for date and filter triggers)
    subscription: Subscription
    actor: Actor
    at: datetime
    path: str
    dry: bool = False


@dataclass(frozen=True)
class Done:
    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
    wait_until: datetime | None = None
    branch: str | None = None  # "then" / "else"


def perform(action: Action, ctx: Context) -> Done:
    """Do ``action`` for ``ctx.subscription`` (or, dry, say what it would do)."""
    return _STRATEGIES[type(action)](action, ctx)


def _delay(action: Delay, ctx: Context) -> Done:
    until = ctx.at + timedelta(days=action.days, hours=action.hours)
    return Done(WAITING, {"until": until.isoformat()}, wait_until=until)


def _branch(action: Branch, ctx: Context) -> Done:
    taken = "then" if matching.matching(action.if_, [ctx.subscription.pk], at=ctx.at) else "else"
    return Done(DONE, {"branch": taken}, branch=taken)


def _language_of(user: User | None) -> str:
    return (user.language if user is not None else "") or account_settings().default_language


def _recipients(action: InternalEmail, sub: Subscription) -> tuple[list[tuple[str, str]], list[str]]:
    """((address, language), ...) to write to, and what could not be resolved (no owner...)."""
    found: dict[str, str] = {}
    missing: list[str] = []
    ids_wanted = [r for r in action.to if isinstance(r, int)]
    owner_id = getattr(sub, "owner_id", None)
    if OWNER in action.to and owner_id:
        ids_wanted.append(owner_id)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids_wanted, is_active=True).exclude(email="")}
    for one in action.to:
        if one == OWNER:
            user = users.get(owner_id) if owner_id else None
            if user is None:
                missing.append("owner")
            else:
                found.setdefault(user.email, _language_of(user))
        elif isinstance(one, int):
            user = users.get(one)
            if user is None:
                missing.append(f"user {one}")
            else:
                found.setdefault(user.email, _language_of(user))
        else:
            known = User.objects.filter(email__iexact=one, is_active=True).first()
            found.setdefault(one, _language_of(known))
    return list(found.items()), missing


def _email(action: InternalEmail, ctx: Context) -> Done:
    to, missing = _recipients(action, ctx.subscription)
    if not to:
        return Done(SKIPPED, {"reason": "no_recipient", "missing": missing})
    keys = placeholders.keys_in(action.subject, action.body)
    zone = account_zone()
    business = account_settings().business_name
    drafts, sent = [], []
    for address, language in to:
        values = placeholders.values_of(ctx.subscription, keys, language=language, zone=zone)
        subject = placeholders.fill(action.subject, values)
        body = placeholders.fill(action.body, values)
        sent.append({"to": address, "subject": subject, "body": body})
        drafts.append(
            EmailDraft(
                kind="workflow_notification",
                to=address,
                language=language,
                data={
                    "business_name": business,
                    "subject": subject,
                    "body": body,
                    "workflow_name": ctx.workflow_name,
                    "record_url": placeholders.record_url(ctx.subscription.pk),
                },
                subscription_id=ctx.subscription.pk,
                contact_id=ctx.subscription.contact_id,
                dedupe_key=f"workflow:{ctx.enrollment_id}:{ctx.path}:{address}"[:200]
                if ctx.enrollment_id
                else None,
            )
        )
    if not ctx.dry:
        emails_queue(drafts, at=ctx.at)
    return Done(DONE, {"emails": sent, **({"missing": missing} if missing else {})})


def _set_property(action: SetProperty, ctx: Context) -> Done:
    sub = ctx.subscription
    if action.property == "owner_id":
        return _owner(sub, action.value, ctx)
    before = getattr(sub, action.property)
    try:
        result = subscription_change(
            subscription=sub,
            changes=SubscriptionChanges(name=action.value),
            actor=ctx.actor,
            at=ctx.at,
            preview=ctx.dry,
        )
    except RecurraError as refused:
        return Done(FAILED, {"property": action.property, "error": refused.detail})
    changed = bool(result.changed)
    return Done(
        DONE if changed else SKIPPED,
        {
            "property": action.property,
            "from": before,
            "to": action.value,
            **({} if changed else {"reason": "unchanged"}),
        },
    )


def _owner(sub: Subscription, owner_id: int | None, ctx: Context) -> Done:
    before = getattr(sub, "owner_id", None)
    detail = {"property": "owner_id", "from": before, "to": owner_id}
    if before == owner_id:
        return Done(SKIPPED, {**detail, "reason": "unchanged"})
    if owner_id is not None and not User.objects.filter(pk=owner_id, is_active=True).exists():
        return Done(FAILED, {**detail, "error": f"user {owner_id} does not exist or is not active"})
    if ctx.dry:
        return Done(DONE, detail)
    try:
        with transaction.atomic():
            owner_assign(obj=sub, owner_id=owner_id, actor=ctx.actor)
    except RecurraError as refused:
        return Done(FAILED, {**detail, "error": refused.detail})
    return Done(DONE, detail)


def _assign_owner(action: AssignOwner, ctx: Context) -> Done:
    """Round robin over the active users of ``rotate``: the workflow's counter says whose turn it is."""
    active = set(User.objects.filter(pk__in=action.rotate, is_active=True).values_list("pk", flat=True))
    turn = [u for u in action.rotate if u in active]
    if not turn:
        return Done(FAILED, {"error": "none of the users to rotate is active"})
    if ctx.dry:
        count = Workflow.objects.filter(pk=ctx.workflow_id).values_list("rotation", flat=True).first() or 0
    else:
        locked = Workflow.objects.select_for_update().get(pk=ctx.workflow_id)
        count = locked.rotation
        locked.rotation = count + 1
        locked.save(update_fields=["rotation"])
    return _owner(ctx.subscription, turn[count % len(turn)], ctx)


def _webhook(action: Webhook, ctx: Context) -> Done:
    endpoint = WebhookEndpoint.objects.filter(pk=action.endpoint_id).first()
    if endpoint is None:
        return Done(FAILED, {"error": f"webhook endpoint {action.endpoint_id} was deleted"})
    detail: dict[str, Any] = {"endpoint_id": endpoint.pk, "url": endpoint.url}
    if ctx.dry:
        return Done(DONE, detail)
    made = _deliver(endpoint, ctx)
    return Done(DONE, {**detail, "events": made})


def _deliver(endpoint: WebhookEndpoint, ctx: Context) -> list[str]:
    """Deliveries to ``endpoint`` of the public events of the enrollment's audit event (those
    already written, or written now); of a ``workflow.webhook`` event when nothing enrolled it."""
    at = ctx.at
    audit = Event.objects.filter(pk=ctx.event_id).first() if ctx.event_id else None
    if audit is not None:
        existing = list(PublicEvent.objects.filter(pk=audit.pk))
        if not existing:
            only = publishing.Subscribers(((endpoint.pk, frozenset({WILDCARD})),), frozenset({WILDCARD}))
            return [e.type for e in publishing.publish([audit], only)]
        events = existing
    else:
        obj = objects.render("subscription", [ctx.subscription.pk]).get(ctx.subscription.pk) or {
            "id": ctx.subscription.pk
        }
        event_id = ids.new_id(EVENT_ID_PREFIX)
        sequence = (
            PublicEvent.objects.filter(object_id=ctx.subscription.pk).aggregate(m=Max("sequence"))["m"] or 0
        ) + 1
        body = publishing.envelope(
            event_id=event_id,
            type=WORKFLOW_WEBHOOK,
            created_at=at,
            sequence=sequence,
            obj={**obj, "workflow": {"id": ctx.workflow_id, "name": ctx.workflow_name}},
            previous=None,
        )
        event = PublicEvent(
            id=event_id,
            type=WORKFLOW_WEBHOOK,
            object_type="subscription",
            object_id=ctx.subscription.pk,
            sequence=sequence,
            body=body,
            created_at=at,
        )
        event.save(force_insert=True)
        events = [event]
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=endpoint, event=e, run_at=at, created_at=at, updated_at=at) for e in events]
    )
    return [e.type for e in events]


_STRATEGIES: dict[type, Callable[[Any, Context], Done]] = {
    Delay: _delay,
    Branch: _branch,
    InternalEmail: _email,
    SetProperty: _set_property,
    AssignOwner: _assign_owner,
    Webhook: _webhook,
}
