"""Settings forms: API keys, users and their roles; the account, notification and dunning settings.

The account settings forms only parse (a checkbox to a bool, "3, 5, 7" to a list of days):
``account_settings_update`` checks every value and reports all its errors at once, so a form
field never refuses a value the service would judge (lengths stay as ``maxlength`` typing hints).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import TYPE_CHECKING, Any

from babel.dates import get_timezone_location
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.validators import MaxLengthValidator
from django.forms.boundfield import BoundWidget
from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.accounts.models import AccountSettings, FinalFailureAction
from recurra.accounts.roles import Role
from recurra.accounts.services import MAX_RETRIES, MAX_SETTING_DAYS, SELLER_ADDRESS
from recurra.web.forms.base import ServiceForm, currency_choices
from recurra.web.forms.crm import AddressForm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _formatted(message: Promise, **values: Any) -> str:
    """``message % values`` in the language of the request that shows it (not of the import)."""
    return lazy(lambda: str(message) % values, str)()  # type: ignore[no-any-return]


def _role_field(initial: str = Role.VIEWER) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=initial)


class ApiKeyForm(ServiceForm):
    name = forms.CharField(
        label=_("Key name"), max_length=100, help_text=_("What uses it, e.g. “Accounting sync”.")
    )
    role = _role_field()


class UserForm(ServiceForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = _role_field()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", gettext("The two passwords differ."))
        return data

    def service_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "password_again"}


class RoleForm(ServiceForm):
    role = _role_field()


# The regions of the IANA names a business is in, by their names in the page's language; the other
# names (US/Eastern, Etc/GMT+1) are older aliases, accepted but not offered unless already chosen.
ZONE_REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}
Choices = list[tuple[str, Any]]


def _zone_label(zone: str, language: str) -> str:
    """A zone's place as the language names it (bokmål ``Europe/Copenhagen`` → ``København``, from
    Babel); in English, as its name writes it (``America/New_York`` → ``New York``).

    >>> _zone_label("Europe/Copenhagen", "nb"), _zone_label("Europe/Copenhagen", "en")
    ('København', 'Copenhagen')
    >>> _zone_label("America/Argentina/Buenos_Aires", "en")
    'Argentina/Buenos Aires'
    """
    written = zone.split("/", 1)[1].replace("_", " ")
    if language.startswith("en"):
        return written
    try:
        return str(get_timezone_location(zone, locale=language.replace("-", "_"), return_city=True))
    except (LookupError, ValueError):
        return written


@functools.cache
def _zone_groups(language: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    zones = sorted(zoneinfo.available_timezones())
    groups = []
    for region in ZONE_REGIONS:
        found = [(zone, _zone_label(zone, language)) for zone in zones if zone.startswith(f"{region}/")]
        labels = [label for _zone, label in found]
        # Two names of one place (Europe/Kiev, Europe/Kyiv) keep the names they are written with.
        found = [
            (zone, label if labels.count(label) == 1 else zone.split("/", 1)[1].replace("_", " "))
            for zone, label in found
        ]
        groups.append((region, tuple(sorted(found, key=lambda item: item[1]))))
    return tuple(groups)


def time_zone_choices(current: str) -> Choices:
    """UTC, then the zones grouped by region ("Oslo" under "Europe"), in the page's language; ``current``
    is offered too when it is an alias outside the regions, so that it stays chosen."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    groups = _zone_groups(language)
    choices: Choices = [("UTC", "UTC"), *((str(ZONE_REGIONS[region]), zones) for region, zones in groups)]
    offered = {"UTC"} | {zone for _region, zones in groups for zone, _label in zones}
    if current and current not in offered:
        choices.append((gettext("Other"), [(current, current)]))
    return choices


def _text(
    label: StrOrPromise, field: str | None = None, help_text: StrOrPromise = "", **attrs: str
) -> forms.CharField:
    """A text input; ``maxlength`` (a typing hint) from the settings column ``field``."""
    if field is not None:
        attrs["maxlength"] = str(AccountSettings._meta.get_field(field).max_length)  # type: ignore[union-attr]
    widget = forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text)


def _select(label: StrOrPromise, choices: Choices, **kwargs: Any) -> forms.CharField:
    """A select whose value the service checks (an unknown one is its error, beside the field)."""
    return forms.CharField(label=label, required=False, widget=forms.Select(choices=choices), **kwargs)


class AccountSettingsForm(AddressForm):
    """The business, its defaults and the seller's details on invoices (``seller_address`` and the
    ``seller_*`` fields)."""

    business_name = _text(_("Business name"), "business_name", autocomplete="organization")
    timezone = _select(_("Time zone"), [], help_text=_("Billing dates are days in this time zone."))
    default_currency = _select(_("Default currency"), currency_choices())
    default_language = _select(
        _("Default language"),
        list(settings.LANGUAGES),  # each in its own name: "Norsk bokmål"
        help_text=_(
            "Of new subscriptions' invoices and emails, of the notices to super admins, and of the "
            "pages of every user who has not chosen a language of their own (Settings → Profile)."
        ),
    )
    invoice_number_prefix = _text(
        _("Invoice number prefix"),
        "invoice_number_prefix",
        help_text=_(
            "Capital letters, digits, - and /. New invoices are numbered with it and a count: INV-1, "
            "INV-2, … (a new prefix starts its own count)."
        ),
    )
    seller_email = _text(_("Email"), "seller_email", autocomplete="email", inputmode="email")
    seller_phone = _text(_("Phone"), "seller_phone", autocomplete="tel", inputmode="tel")
    seller_tax_id = _text(_("Tax ID"), "seller_tax_id", help_text=_("VAT or organisation number."))
    seller_website = _text(_("Website"), "seller_website", autocomplete="url", inputmode="url")

    main = ("business_name", "timezone", "default_currency", "default_language", "invoice_number_prefix")
    field_order = [*main, "seller_email", "seller_phone", "seller_tax_id", "seller_website"]

    def __init__(self, *args: Any, current_zone: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.choices = time_zone_choices(current_zone)  # type: ignore[attr-defined]
        self.fields["invoice_number_prefix"].widget.attrs["autocapitalize"] = "characters"
        for field in self.fields.values():  # the service judges lengths (see the module doc)
            field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]

    @classmethod
    def initial_for(cls, row: AccountSettings) -> dict[str, Any]:
        values = {name: getattr(row, name) for name in cls.field_order}
        return {**values, **cls.address_initial(row)}

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.main]

    def seller_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("seller_")]

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        values[SELLER_ADDRESS] = values.pop("address")
        return values


def radios(
    field: forms.BoundField, outcomes: dict[str, str] | dict[str, Promise]
) -> list[tuple[BoundWidget, str | Promise]]:
    """Each radio button of ``field`` with the sentence saying what its choice does."""
    return [(radio, outcomes[radio.data["value"]]) for radio in field]


class NotificationSettingsForm(ServiceForm):
    """Emails to the buyer (reminders, failed payments) and the super admins' payment notices."""

    payment_reminders_enabled = forms.BooleanField(
        label=_("Remind the buyer before each automatic charge"), required=False
    )
    reminder_days_before = forms.IntegerField(
        label=_("Days before the charge"),
        required=False,
        widget=forms.NumberInput(attrs={"min": "1", "max": str(MAX_SETTING_DAYS), "class": "num"}),
        help_text=_formatted(_("1 to %(max)s."), max=MAX_SETTING_DAYS),
    )
    failed_payment_emails_enabled = forms.BooleanField(
        label=_("Email the buyer when a payment fails (with a link to update the payment method)"),
        required=False,
    )
    admin_notifications_enabled = forms.BooleanField(
        label=_("Send super admins a notice of payments made and failed"), required=False
    )
    admin_notifications_digest = forms.TypedChoiceField(
        label=_("Notices"),
        choices=[("each", _("One email per payment")), ("digest", _("One daily digest"))],
        coerce=lambda value: value == "digest",
        widget=forms.RadioSelect,
    )

    @classmethod
    def initial_for(cls, row: AccountSettings) -> dict[str, Any]:
        values = {name: getattr(row, name) for name in cls.base_fields}
        return {
            **values,
            "admin_notifications_digest": "digest" if row.admin_notifications_digest else "each",
        }

    def notice_modes(self) -> list[tuple[BoundWidget, str | Promise]]:
        return radios(
            self["admin_notifications_digest"],
            {
                "each": gettext("Each super admin gets an email as each payment succeeds or fails."),
                "digest": gettext(
                    "Each super admin gets one email after midnight summing up the day's payments "
                    "(none on a day without payments)."
                ),
            },
        )


_DAYS = re.compile(r"\d{1,4}")
FINAL_ACTION_OUTCOMES: dict[str, Promise] = {
    FinalFailureAction.KEEP_PAST_DUE: _(
        "The subscription stays Unpaid and nothing more is tried; it is "
        "paid when the buyer pays the invoice or saves a new payment method."
    ),
    FinalFailureAction.CANCEL: _(
        "The subscription is canceled at once, nothing refunded, and the buyer gets the cancellation email."
    ),
    FinalFailureAction.PAUSE: _("The subscription is paused: nothing is billed until someone resumes it."),
}


class RetryDaysField(forms.CharField):
    """Days typed as "3, 5, 7" (commas or spaces); cleans to ``[3, 5, 7]``, nothing typed to ``[]``."""

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        parts = [part for part in re.split(r"[\s,]+", super().to_python(value) or "") if part]
        if not all(_DAYS.fullmatch(part) for part in parts):
            raise forms.ValidationError(
                gettext("Enter whole numbers of days separated by commas, such as 3, 5, 7.")
            )
        return [int(part) for part in parts]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


class DunningSettingsForm(ServiceForm):
    """When a declined renewal is charged again, and what happens when the last try fails."""

    retry_schedule_days = RetryDaysField(
        label=_("Retry days after the first failure"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "3, 5, 7"}),
        help_text=_formatted(
            _(
                "Strictly increasing, 1 to %(max)s, at most %(count)s days, such as 3, 5, 7. "
                "Empty: no retries."
            ),
            max=MAX_SETTING_DAYS,
            count=MAX_RETRIES,
        ),
    )
    final_failure_action = forms.CharField(
        label=_("When the last retry fails"),
        required=False,
        widget=forms.RadioSelect(choices=FinalFailureAction.choices),
    )

    @classmethod
    def initial_for(cls, row: AccountSettings) -> dict[str, Any]:
        return {name: getattr(row, name) for name in cls.base_fields}

    def final_actions(self) -> list[tuple[BoundWidget, str | Promise]]:
        return radios(self["final_failure_action"], FINAL_ACTION_OUTCOMES)


class ProfileForm(ServiceForm):
    """A user's own settings: the language of their pages ("": the account's default language)."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_(
            "Of your pages in Recurra. What buyers receive (emails, invoices, PDFs) keeps its own language."
        ),
    )

    def __init__(self, *args: Any, account_language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = dict(settings.LANGUAGES).get(account_language, account_language)
        default = gettext("Account default (%(language)s)") % {"language": name}
        self.fields["language"].choices = [("", default), *settings.LANGUAGES]  # type: ignore[attr-defined]
