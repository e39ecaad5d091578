"""``{{ subscription.<property> }}`` in a workflow email, filled with the subscription's values as a
person reads them, in the recipient's language: statuses by their label, dates and money in the
language's formats, ``url`` the record's page. Nothing else in the text is a template: braces that
are not a placeholder stay as they are (a workflow's author cannot reach anything else).

>>> fill("Hello {{ subscription.name }}, {x}", {"name": "Team plan"})
'Hello Team plan, {x}'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from recurra.automation.workflows.spec import PLACEHOLDER
from recurra.core.formats import day_text, moment_text, money_text
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES, Kind


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value ("" when there is none)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def record_url(subscription_id: str) -> str:
    return settings.RECURRA_BASE_URL + reverse("web:subscription", args=[subscription_id])


def values_of(sub: Subscription, keys: set[str], *, language: str, zone: ZoneInfo) -> dict[str, str]:
    """The text of each placeholder in ``keys`` for ``sub``, in ``language``."""
    found: dict[str, str] = {}
    with translation.override(language):
        for key in keys:
            if key == "url":
                found[key] = record_url(sub.pk)
            elif key in PROPERTIES:
                found[key] = _shown(key, PROPERTIES[key].of(sub), sub, language, zone)
    return found


def _shown(key: str, value: Any, sub: Subscription, language: str, zone: ZoneInfo) -> str:
    prop = PROPERTIES[key]
    if value is None or value == "":
        return ""
    if prop.kind == Kind.CHOICE:
        return str(prop.label_of(value))
    if prop.kind == Kind.MONEY:
        return money_text(int(value), sub.currency, language)
    if prop.kind == Kind.DATETIME and isinstance(value, datetime):
        return moment_text(value, zone, language)
    if prop.kind == Kind.DATE and isinstance(value, date):
        return day_text(value, language)
    if prop.kind == Kind.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    return str(value)


def keys_in(*texts: str) -> set[str]:
    """The placeholder keys used in ``texts``."""
    return {key for text in texts for key in PLACEHOLDER.findall(text)}
