"""The three workflows to start from ("Create workflow"), each a ready definition that the editor
shows before anything is saved, written in the language of the person creating it.

- ``unpaid_owner``: status becomes Unpaid → an internal email to the subscription's owner;
- ``remind_team``: N days (asked, 7 by default) before the next payment date → an internal email
  to the person creating it (as a user, so it follows their address and language);
- ``round_robin``: a subscription is created → its owner assigned in turn among the chosen users
  (all active editors and super admins to begin with).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.automation.workflows.spec import MAX_OFFSET_DAYS, MAX_ROTATE

DEFAULT_DAYS = 7
# The placeholders the emails use, put into their translated text (translators see %(name)s).
PLACEHOLDERS = {
    key: f"{{{{ subscription.{prop} }}}}"
    for key, prop in (
        ("name", "name"),
        ("contact", "contact"),
        ("amount", "next_payment_amount"),
        ("date", "next_payment_date"),
        ("url", "url"),
    )
}


@dataclass(frozen=True)
class Template:
    key: str
    title: Promise
    description: Promise


TEMPLATES = (
    Template(
        "unpaid_owner",
        _("Notify the owner when a subscription becomes Unpaid"),
        _("When a payment fails and the status becomes Unpaid, email the subscription's owner a link to it."),
    ),
    Template(
        "remind_team",
        _("Remind the team N days before the next payment"),
        _("Days before each next payment date, email the team: a time to call, upsell or remind to cancel."),
    ),
    Template(
        "round_robin",
        _("Assign new subscriptions round robin"),
        _("Each new subscription gets an owner, in turn among the users you choose."),
    ),
)
KEYS = tuple(t.key for t in TEMPLATES)


def team() -> list[User]:
    """The active editors and super admins (who may own and work subscriptions), by name."""
    return list(
        User.objects.filter(is_active=True, role__in=(Role.EDITOR, Role.SUPER_ADMIN)).order_by(
            "first_name", "last_name", "username"
        )[:MAX_ROTATE]
    )


def days_asked(text: str | None) -> int:
    """The N of "N days before" as asked (7 when it does not read; within what a trigger allows)."""
    text = (text or "").strip()
    return min(int(text), MAX_OFFSET_DAYS) if re.fullmatch(r"[0-9]{1,9}", text) else DEFAULT_DAYS


def template(key: str, *, user: User, days: int = DEFAULT_DAYS) -> tuple[str, dict[str, Any]]:
    """The name and definition of the template ``key`` (``blank``: a trigger, no steps yet)."""
    if key == "unpaid_owner":
        return str(TEMPLATES[0].title), {
            "trigger": {"type": "property_change", "property": "status", "to": ["past_due"]},
            "reenroll": True,
            "actions": [
                {
                    "type": "internal_email",
                    "to": ["owner"],
                    "subject": gettext("%(name)s is Unpaid") % PLACEHOLDERS,
                    "body": gettext(
                        "The payment of %(name)s failed and the subscription is Unpaid.\n\n"
                        "Contact: %(contact)s\n"
                        "Amount: %(amount)s\n\n"
                        "Open it: %(url)s"
                    )
                    % PLACEHOLDERS,
                }
            ],
        }
    if key == "remind_team":
        name = ngettext(
            "Remind the team %(days)s day before the next payment",
            "Remind the team %(days)s days before the next payment",
            days,
        ) % {"days": days}
        return name, {
            "trigger": {"type": "date", "property": "next_payment_date", "offset_days": -days},
            "actions": [
                {
                    "type": "internal_email",
                    "to": [user.pk],
                    "subject": gettext("%(name)s: next payment on %(date)s") % PLACEHOLDERS,
                    "body": gettext(
                        "%(name)s (%(contact)s) is charged %(amount)s on %(date)s.\n\nOpen it: %(url)s"
                    )
                    % PLACEHOLDERS,
                }
            ],
        }
    if key == "round_robin":
        return str(TEMPLATES[2].title), {
            "trigger": {"type": "event", "event_types": ["subscription.created"]},
            "actions": [{"type": "assign_owner", "rotate": [u.pk for u in team()]}],
        }
    return "", {"trigger": {"type": "property_change", "property": "status"}, "actions": []}
