"""Workflows as pages say them: a trigger in words ("Status becomes Unpaid", "7 days before Next
payment date"), what enrolled a subscription, and each step of an enrollment or a dry run (when, its
outcome, what it did or changed), in the page's language.

No business rules: it reads the definitions and the steps' ``detail`` as the engine wrote them
(``automation.workflows.actions``: emails sent, a property from → to, the branch taken, a delay's
end, a webhook's events, or the reason it was skipped or failed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from recurra.accounts.models import User
from recurra.accounts.selectors import account_settings
from recurra.automation.models import Enrollment, EnrollmentStatus, StepOutcome
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES, Kind
from recurra.web.forms.workflows import ACTION_LABELS, SETTABLE_LABELS
from recurra.web.templatetags.recurra_web import day, moment, money

# An event trigger's types in words (the types a workflow can follow: webhooks.catalog).
EVENT_WORDS = {
    "subscription.created": _("When a subscription is created"),
    "subscription.updated": _("When a subscription changes"),
    "subscription.scheduled": _("When a subscription is scheduled"),
    "subscription.activated": _("When a subscription becomes Active"),
    "subscription.past_due": _("When a subscription becomes Unpaid"),
    "subscription.paused": _("When a subscription is paused"),
    "subscription.resumed": _("When a subscription is resumed"),
    "subscription.canceled": _("When a subscription is canceled"),
    "subscription.expired": _("When a subscription expires"),
    "subscription.deleted": _("When a subscription is deleted"),
    "subscription.renewal_upcoming": _("When a payment reminder is due"),
    "invoice.created": _("When an invoice is issued"),
    "invoice.paid": _("When an invoice is paid"),
    "invoice.payment_failed": _("When a payment of an invoice fails"),
    "invoice.overdue": _("When an invoice becomes overdue"),
    "invoice.voided": _("When an invoice is voided"),
    "payment.succeeded": _("When a payment succeeds"),
    "payment.failed": _("When a payment fails"),
    "payment.refunded": _("When a payment is refunded"),
}
STOP_REASONS = {
    "workflow_deleted": _("Stopped: the workflow was deleted."),
    "subscription_deleted": _("Stopped: the subscription was deleted."),
}


def event_words(event_type: str) -> str:
    return str(EVENT_WORDS.get(event_type, event_type))


def value_text(key: str, value: Any) -> str:
    """A property's raw value (a trigger's from / to, an event's before / after) as pages show it."""
    prop = PROPERTIES.get(key)
    if value is None or value == "":
        return gettext("empty")
    if prop is None:
        return str(value)
    if prop.kind == Kind.CHOICE:
        return str(prop.label_of(value))
    if prop.kind == Kind.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    if prop.kind == Kind.MONEY and isinstance(value, int):
        return money(value, account_settings().default_currency)
    if prop.kind in (Kind.DATE, Kind.DATETIME):
        try:
            return day(date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    return str(value)


def _either(key: str, values: Iterable[Any]) -> str:
    return gettext(" or ").join(value_text(key, v) for v in values)


def trigger_text(trigger: Mapping[str, Any]) -> str:
    """A trigger in words: "Status becomes Unpaid", "7 days before Next payment date"..."""
    kind = trigger.get("type")
    if kind == "property_change":
        key = trigger.get("property", "")
        label = str(PROPERTIES[key].label) if key in PROPERTIES else key
        to, from_ = trigger.get("to"), trigger.get("from")
        names = {"property": label}
        if to and from_:
            return gettext("%(property)s changes from %(from)s to %(to)s") % {
                **names,
                "from": _either(key, from_),
                "to": _either(key, to),
            }
        if to:
            return gettext("%(property)s becomes %(to)s") % {**names, "to": _either(key, to)}
        if from_:
            return gettext("%(property)s changes from %(from)s") % {**names, "from": _either(key, from_)}
        return gettext("%(property)s changes") % names
    if kind == "event":
        types = list(trigger.get("event_types") or [])
        if len(types) == 1:
            return event_words(types[0])
        first = event_words(types[0]) if types else ""
        return ngettext(
            "%(first)s, or %(count)s other event",
            "%(first)s, or %(count)s other events",
            len(types) - 1,
        ) % {"first": first, "count": len(types) - 1}
    if kind == "date":
        key = trigger.get("property", "")
        label = str(PROPERTIES[key].label) if key in PROPERTIES else key
        offset = int(trigger.get("offset_days") or 0)
        if offset == 0:
            return gettext("On %(date)s") % {"date": label}
        if offset < 0:
            return ngettext("%(days)s day before %(date)s", "%(days)s days before %(date)s", -offset) % {
                "days": -offset,
                "date": label,
            }
        return ngettext("%(days)s day after %(date)s", "%(days)s days after %(date)s", offset) % {
            "days": offset,
            "date": label,
        }
    return gettext("When a subscription starts to match the filters")


def enrolled_by(trigger: Mapping[str, Any]) -> str:
    """What enrolled a subscription, beyond its trigger: the change, the event or the date."""
    parts = []
    kind = trigger.get("type")
    if kind == "property_change" and ("from_value" in trigger or "to_value" in trigger):
        key = trigger.get("property", "")
        parts.append(
            f"{value_text(key, trigger.get('from_value'))} → {value_text(key, trigger.get('to_value'))}"
        )
    elif kind == "event" and trigger.get("event_type"):
        parts.append(trigger["event_type"])
    elif kind == "date" and trigger.get("date"):
        key = trigger.get("property", "")
        label = str(PROPERTIES[key].label) if key in PROPERTIES else key
        parts.append(f"{label}: {value_text(key, trigger['date'])}")
    if trigger.get("stopped") == "depth":
        parts.append(gettext("not run: a loop of workflows (each one's change starting another)"))
    return "; ".join(parts)


@dataclass
class StepShown:
    path: str
    type: str
    label: str
    outcome: str
    outcome_label: str
    at: datetime
    lines: list[str] = field(default_factory=list)
    emails: list[dict[str, str]] = field(default_factory=list)


def _user_ids(details: Iterable[Mapping[str, Any]]) -> set[int]:
    found: set[int] = set()
    for detail in details:
        if detail.get("property") == "owner_id":
            found |= {v for v in (detail.get("from"), detail.get("to")) if isinstance(v, int)}
    return found


def user_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=wanted)}


def _missing(missing: Iterable[str]) -> str:
    said = [gettext("no owner") if m == "owner" else m for m in missing]
    return ", ".join(said)


def _lines(kind: str, outcome: str, detail: Mapping[str, Any], names: Mapping[int, str]) -> list[str]:
    if kind == "stop":
        return [str(STOP_REASONS.get(detail.get("reason", ""), detail.get("reason", "")))]
    lines: list[str] = []
    if kind == "delay" and detail.get("until"):
        until = datetime.fromisoformat(detail["until"])
        lines.append(gettext("Waits until %(moment)s.") % {"moment": moment(until)})
    elif kind == "branch" and detail.get("branch"):
        if detail["branch"] == "then":
            lines.append(gettext("It matched the condition: took “then”."))
        else:
            lines.append(gettext("It did not match the condition: took “else”."))
    elif kind == "internal_email":
        if detail.get("reason") == "no_recipient":
            missing = _missing(detail.get("missing", []))
            lines.append(gettext("No one to email (%(missing)s).") % {"missing": missing})
        elif detail.get("missing"):
            lines.append(gettext("Not emailed: %(missing)s.") % {"missing": _missing(detail["missing"])})
    elif "property" in detail:
        key = detail["property"]
        label = str(SETTABLE_LABELS.get(key, key))

        def shown(value: Any) -> str:
            if key == "owner_id":
                return names.get(value, str(value)) if value is not None else gettext("no owner")
            return str(value) if value not in (None, "") else gettext("empty")

        if detail.get("reason") == "unchanged":
            lines.append(
                gettext("%(property)s was %(value)s already: nothing changed.")
                % {"property": label, "value": shown(detail.get("to"))}
            )
        elif not detail.get("error"):
            lines.append(
                f"{label}: {shown(detail.get('from'))} → {shown(detail.get('to'))}",
            )
    elif kind == "webhook" and detail.get("url"):
        events = ", ".join(detail.get("events") or [])
        if events:
            lines.append(gettext("To %(url)s: %(events)s.") % {"url": detail["url"], "events": events})
        else:
            lines.append(gettext("To %(url)s.") % {"url": detail["url"]})
    if detail.get("error"):
        lines.append(gettext("Not done: %(error)s.") % {"error": str(detail["error"]).rstrip(".")})
    return lines


def steps_shown(steps: Iterable[Any], names: Mapping[int, str] | None = None) -> list[StepShown]:
    """Steps (an enrollment's, or a dry run's) with what each did, in words."""
    steps = list(steps)
    if names is None:
        names = user_names(_user_ids(s.detail for s in steps))
    outcomes = dict(StepOutcome.choices)
    shown = []
    for s in steps:
        label = gettext("Stopped") if s.type == "stop" else str(ACTION_LABELS.get(s.type, s.type))
        shown.append(
            StepShown(
                path=s.path,
                type=s.type,
                label=label,
                outcome=s.outcome,
                outcome_label=str(outcomes.get(s.outcome, s.outcome)),
                at=s.at,
                lines=_lines(s.type, s.outcome, s.detail, names),
                emails=list(s.detail.get("emails") or []) if s.type == "internal_email" else [],
            )
        )
    return shown


@dataclass
class EnrollmentShown:
    enrollment: Enrollment
    workflow_name: str
    workflow_id: str
    workflow_deleted: bool
    version: int
    trigger: str
    cause: str
    status: str
    status_label: str
    subscription_id: str
    subscription_name: str
    steps: list[StepShown]
    next_step_at: datetime | None


def enrollments_shown(enrollments: Iterable[Enrollment]) -> list[EnrollmentShown]:
    """Enrollments (from ``enrollment_list``: workflow, version and steps fetched with them)."""
    rows = list(enrollments)
    names = user_names(_user_ids(s.detail for e in rows for s in e.steps.all()))
    subs = dict(
        Subscription.objects.filter(pk__in={e.subscription_id for e in rows}).values_list("pk", "name")
    )
    statuses = dict(EnrollmentStatus.choices)
    shown = []
    for e in rows:
        waiting = e.status == EnrollmentStatus.QUEUED
        shown.append(
            EnrollmentShown(
                enrollment=e,
                workflow_name=e.workflow.name,
                workflow_id=e.workflow_id,
                workflow_deleted=e.workflow.deleted_at is not None,
                version=e.version.number,
                trigger=trigger_text(e.trigger),
                cause=enrolled_by(e.trigger),
                status=e.status,
                status_label=str(statuses.get(e.status, e.status)),
                subscription_id=e.subscription_id,
                subscription_name=subs.get(e.subscription_id, ""),
                steps=steps_shown(e.steps.all(), names),
                next_step_at=e.run_at if waiting else None,
            )
        )
    return shown
