"""The webhook endpoint form (Settings → Developers → Webhooks)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from recurra.automation.webhooks.catalog import EVENT_TYPES, ON_REQUEST, WILDCARD
from recurra.web.forms.base import ServiceForm


def event_choices() -> list[tuple[str, Any]]:
    """Every type by its code (``subscription.created``: the API's name, the same in every language)."""
    codes = [(t, format_html("<code>{}</code>", t)) for t in EVENT_TYPES if t not in ON_REQUEST]
    return [(WILDCARD, _("Every event type (*)")), *codes]


class EndpointForm(ServiceForm):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=2000,
        help_text=_("Where Recurra POSTs events: https in live mode; public addresses only."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/recurra"}),
    )
    enabled_events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[WILDCARD],
        error_messages={"required": _("Choose at least one event type.")},
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def service_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["enabled_events"] = list(values["enabled_events"])
        return values
