"""What every web form shares: service errors shown beside fields, money and percent inputs.

Rules:
- A form's cleaned data becomes keyword arguments of one service call
  (``service_values()``); the service decides what is valid, and its
  :class:`ValidationFailed` field errors are put back beside the form field of
  the same name (``address.country`` → ``country``).
- Dates are :class:`DateField`: only days in Recurra's supported range.
- Prices are typed in major units (``19.99``) and converted with
  :meth:`Money.from_major` (Decimal, never float); more decimals than the
  currency has, or anything that is not a plain number, is a form error.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import MAX_AMOUNT
from recurra.core.dates import EARLIEST, LATEST, out_of_range
from recurra.core.errors import ValidationFailed
from recurra.core.money import Money, currencies, exponent

_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,4})?$")


def sentence(message: str) -> str:
    """A service message ("must not be blank") as shown under a field ("Must not be blank")."""
    return message[:1].upper() + message[1:]


class ServiceForm(forms.Form):
    """A form whose data goes to a service; its ValidationFailed errors land on the fields."""

    template_name = "web/includes/form_fields.html"
    required_css_class = "required"
    #: service field name → form field name, where they differ
    service_fields: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def form_field(self, service_field: str) -> str | None:
        name = self.service_fields.get(service_field, service_field)
        if name not in self.fields:
            name = name.rsplit(".", 1)[-1]
        return name if name in self.fields else None

    def add_service_errors(self, exc: ValidationFailed) -> None:
        if not exc.errors:
            self.add_error(None, sentence(exc.detail))
        for error in exc.errors:
            name = self.form_field(error.field)
            if name is None:
                self.add_error(None, f"{error.field}: {error.message}")
            else:
                self.add_error(name, sentence(error.message))

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as the service's keyword arguments."""
        return dict(self.cleaned_data)


class DateField(forms.DateField):
    """A calendar date in the range Recurra accepts (:mod:`recurra.core.dates`): a day outside
    it is a form error, never a 500 further on."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and out_of_range(value):
            raise forms.ValidationError(
                _("Enter a date from %(earliest)s to %(latest)s."),
                code="out_of_range",
                params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )


def currency_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(code, code) for code in sorted(currencies())]
    return [("", blank), *choices] if blank is not None else choices


class CurrencyField(forms.ChoiceField):
    def __init__(self, *, blank: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", None if blank is not None else "USD")
        super().__init__(choices=currency_choices(blank), required=blank is None, **kwargs)


class AmountField(forms.CharField):
    """A price in major units as typed ("19.99"); cleans to a Decimal, converted later per currency."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        attrs = {"inputmode": "decimal", "autocomplete": "off", "maxlength": "24", "class": "num"}
        self.widget.attrs.update(attrs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        if not _AMOUNT.match(text):
            raise forms.ValidationError(_("Enter an amount such as 19.99 (digits and a decimal point only)."))
        return Decimal(text)


def to_minor(form: forms.Form, field: str, amount: Decimal | None, currency: str | None) -> int | None:
    """``amount`` in minor units of ``currency``, or None with a form error when it does not fit."""
    if amount is None or currency not in currencies():
        return None
    places = exponent(currency)
    if -amount.as_tuple().exponent > places:  # type: ignore[operator]
        form.add_error(
            field,
            gettext("%(currency)s takes at most %(places)s decimal places.")
            % {"currency": currency, "places": places},
        )
        return None
    minor = Money.from_major(amount, currency).amount
    if minor > MAX_AMOUNT:
        form.add_error(
            field,
            gettext("Enter at most %(amount)s %(currency)s.")
            % {"amount": Money(MAX_AMOUNT, currency).decimal, "currency": currency},
        )
        return None
    return minor


def major(amount: int, currency: str) -> Decimal:
    """Minor units as the amount a user would type: 1999 USD → Decimal("19.99")."""
    return Money(amount, currency).decimal


def percent_text(value: Decimal) -> str:
    """Decimal('12.5000') → "12.5"."""
    return f"{value.normalize():f}"


def percent_value(value: Decimal) -> Decimal:
    """Decimal('12.5000') → Decimal('12.5'), shown as typed ("12.5", "10", "0")."""
    return Decimal(percent_text(value))


class PercentField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(min_value=Decimal(0), max_value=Decimal(100), decimal_places=4, **kwargs)
        self.widget.attrs.update({"step": "any", "class": "num"})
