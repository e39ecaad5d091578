"""The owner of a record as a form field: "No owner" or one of the active users (and the
record's owner of the moment, kept though deactivated since)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from recurra.accounts.selectors import owner_choices
from recurra.crm.owners import MAX_BULK

FIELD = "owner_id"


class OwnerField(forms.TypedChoiceField):
    """A user's id (an int), or None for "No owner"; its choices come from :func:`offer_owners`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Owner"))
        super().__init__(required=False, coerce=int, empty_value=None, choices=(), **kwargs)


def offer_owners(form: forms.Form, current: Any) -> None:
    """Give ``form``'s owner field its choices: "No owner", the active users and ``current``."""
    field = form.fields[FIELD]
    assert isinstance(field, OwnerField)
    kept = int(current) if isinstance(current, int | str) and str(current).isdigit() else None
    field.choices = [("", _("No owner")), *owner_choices(kept)]


NO_OWNER = "none"


class BulkOwnerForm(forms.Form):
    """ "Assign owner" on the Subscriptions page: the ticked rows (``ids``, repeated) and the owner
    chosen ("none": no owner)."""

    owner = forms.ChoiceField(
        label=_("Owner"), error_messages={"required": _("Choose an owner, or No owner.")}
    )

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        self.posted = data
        choices = [(str(pk), name) for pk, name in owner_choices()]
        field = self.fields["owner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose an owner…")), (NO_OWNER, _("No owner")), *choices]
        field.error_messages["invalid_choice"] = _("That user cannot be made an owner.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ids = list(dict.fromkeys(pk.strip() for pk in self.posted.getlist("ids") if pk.strip()))
        if not ids:
            raise forms.ValidationError(_("Tick at least one subscription."))
        if len(ids) > MAX_BULK or any(len(pk) > 40 for pk in ids):
            raise forms.ValidationError(_("Tick at most %(max)s subscriptions.") % {"max": MAX_BULK})
        data["ids"] = ids
        return data

    def owner_id(self) -> int | None:
        owner = self.cleaned_data["owner"]
        return None if owner == NO_OWNER else int(owner)
