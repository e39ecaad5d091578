"""Contact and company forms: fields named as the services' keywords, address grouped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from recurra.crm.models import Address, Company, Contact
from recurra.web.forms.base import ServiceForm
from recurra.web.forms.owners import OwnerField, offer_owners

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


def _text(label: str | _StrPromise, max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=False, widget=forms.TextInput(attrs=attrs)
    )


class AddressForm(ServiceForm):
    """A postal address; the service gets it as ``address={line1, ..., country}``."""

    line1 = _text(_("Address line 1"), 200)
    line2 = _text(_("Address line 2"), 200)
    city = _text(_("City"), 100)
    state = _text(_("State or region"), 100)
    postal_code = _text(_("Postal code"), 20)
    country = _text(_("Country"), 2)

    address_parts = Address.ADDRESS_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].help_text = _("Two-letter code, e.g. US or NO.")

    @staticmethod
    def address_initial(record: Address) -> dict[str, str]:
        return dict(record.address)

    def service_values(self) -> dict[str, Any]:
        values = {k: v for k, v in self.cleaned_data.items() if k not in self.address_parts}
        values["address"] = {part: self.cleaned_data.get(part, "") for part in self.address_parts}
        return values

    def address_fields(self) -> list[forms.BoundField]:
        return [self[part] for part in self.address_parts]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.address_parts]


class ContactForm(AddressForm):
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput)
    first_name = _text(_("First name"), 100)
    last_name = _text(_("Last name"), 100)
    phone = _text(_("Phone"), 40, inputmode="tel")
    company_id = forms.ModelChoiceField(
        label=_("Company"), queryset=Company.objects.order_by("name", "id"), required=False, empty_label="—"
    )
    owner_id = OwnerField()
    email_opt_out = forms.BooleanField(
        label=_("Unsubscribed from email to lists"),
        required=False,
        help_text=_("Gets no email sent to a list. Receipts, invoices and payment notices still go."),
    )

    field_order = ["email", "first_name", "last_name", "phone", "company_id", "owner_id", "email_opt_out"]

    def __init__(self, *args: Any, owner: int | None = None, **kwargs: Any) -> None:
        """``owner``: the contact's owner now (offered though deactivated since)."""
        super().__init__(*args, **kwargs)
        offer_owners(self, owner)

    @classmethod
    def initial_for(cls, contact: Contact) -> dict[str, Any]:
        names = ("email", "first_name", "last_name", "phone", "email_opt_out")
        values = {name: getattr(contact, name) for name in names}
        owned = {"company_id": contact.company_id, "owner_id": contact.owner_id}
        return {**values, **owned, **cls.address_initial(contact)}

    def service_values(self) -> dict[str, Any]:
        values = super().service_values()
        company = values.pop("company_id")
        values["company_id"] = company.pk if company else None
        return values


class CompanyForm(AddressForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    domain = _text(_("Domain"), 253, placeholder="example.com")
    phone = _text(_("Phone"), 40, inputmode="tel")
    owner_id = OwnerField()

    field_order = ["name", "domain", "phone", "owner_id"]

    def __init__(self, *args: Any, owner: int | None = None, **kwargs: Any) -> None:
        """``owner``: the company's owner now (offered though deactivated since)."""
        super().__init__(*args, **kwargs)
        offer_owners(self, owner)

    @classmethod
    def initial_for(cls, company: Company) -> dict[str, Any]:
        values = {name: getattr(company, name) for name in ("name", "domain", "phone", "owner_id")}
        return {**values, **cls.address_initial(company)}
