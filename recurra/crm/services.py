"""CRM use cases: contacts, companies and deals with their associations."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext

from recurra.catalog.line_items import LineItemInput, resolve_line_items
from recurra.catalog.models import AMOUNT_RULE, is_amount
from recurra.core import events, records
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, NotFound, ValidationFailed
from recurra.core.money import CurrencyError, normalize_currency
from recurra.crm.models import Address, Company, Contact, Deal, DealLineItem, DealStage, Owned
from recurra.crm.owners import KEEP, OwnerChange, owner_assign, owner_change_error
from recurra.crm.selectors import contacts_with_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _existing(model: type[models.Model], pk: str | None, field: str) -> Any:
    """The row ``pk`` names, None for None, or a 422 on ``field`` when there is none."""
    if pk is None:
        return None
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed.field(field, f"no {model._meta.verbose_name} {pk}")
    return obj


def _owner_checked(owner_id: OwnerChange, current: Owned | None, errors: list[FieldError]) -> None:
    """The problem with ``owner_id`` (KEEP: none) into ``errors``; ``current``: the record being
    changed (its own owner again is never a problem), None for a new one."""
    problem = owner_change_error(owner_id, current.owner_id if current is not None else None)
    if problem is not None:
        errors.append(problem)


def _update_owned(
    obj: Owned, *, actor: Actor, owner_id: OwnerChange, unique_field: str | None = None, **cleaned: Any
) -> None:
    """Save ``cleaned`` (one ``<model>.updated`` event) and, when given, the owner (through
    ``owner_assign``: an event of its own), in one transaction. A change of the owner alone
    touches nothing else."""
    with transaction.atomic():
        if cleaned or owner_id is KEEP:
            records.update(obj, actor=actor, unique_field=unique_field, **cleaned)
        if owner_id is not KEEP:
            owner_assign(obj=obj, owner_id=owner_id, actor=actor)


def address_columns(address: Any, errors: list[FieldError], *, field: str = "address") -> dict[str, str]:
    """The columns of an address's parts (``{"line1": ..., "country": ...}``): each stripped, None as
    "", the country upper-cased; a part left out is not among them. A part that is not text, is
    unknown, is too long for its column or a country that is not two letters is an error on
    ``<field>.<part>``; an address that is not a mapping, on ``field``."""
    if address is None:
        return {}
    if not isinstance(address, dict):
        errors.append(FieldError(field, "must be an address with " + ", ".join(Address.ADDRESS_FIELDS)))
        return {}
    columns = {}
    for part, value in address.items():
        if part not in Address.ADDRESS_FIELDS:
            errors.append(FieldError(f"{field}.{part}", gettext("is not a part of an address")))
            continue
        column = Address.column(part)
        text = (value or "").strip() if isinstance(value, str | None) else None
        limit: int = getattr(Address._meta.get_field(column), "max_length", 0)
        if part == "country" and text:
            text = text.upper()
            if not _COUNTRY.match(text):
                errors.append(
                    FieldError(f"{field}.country", gettext("must be a two-letter ISO 3166 country code"))
                )
        elif text is None or len(text) > limit:
            errors.append(
                FieldError(
                    f"{field}.{part}",
                    gettext("must be text of at most %(limit)s characters") % {"limit": limit},
                )
            )
        columns[column] = text or ""
    return columns


def _clean_contact(values: dict[str, Any], contact: Contact | None = None) -> dict[str, Any]:
    """Checked contact fields; ``owner_id`` when given (``contact``: the one changed, else None)."""
    errors: list[FieldError] = []
    cleaned = {k: v for k, v in values.items() if k not in ("address", "company_id")}
    owner_id = cleaned.pop("owner_id", KEEP)
    for name in ("first_name", "last_name", "phone"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if "email_opt_out" in cleaned and not isinstance(cleaned["email_opt_out"], bool):
        errors.append(FieldError("email_opt_out", gettext("must be true or false")))
    if "email" in cleaned:
        cleaned["email"] = (cleaned["email"] or "").strip()
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError:
            errors.append(FieldError("email", gettext("is not a valid email address")))
    cleaned.update(address_columns(values.get("address"), errors))
    _owner_checked(owner_id, contact, errors)
    if errors:
        raise ValidationFailed("invalid contact", errors=errors)
    if "company_id" in values:
        cleaned["company"] = _existing(Company, values["company_id"], "company_id")
    if owner_id is not KEEP:
        cleaned["owner_id"] = owner_id
    return cleaned


def _email_taken(email: str, exclude_pk: str | None = None) -> bool:
    return contacts_with_email(email).exclude(pk=exclude_pk).exists()


def contact_create(*, actor: Actor, **values: Any) -> Contact:
    """A contact; the email is unique whatever its case; ``owner_id`` an active user or None."""
    cleaned = _clean_contact(values)
    if _email_taken(cleaned["email"]):
        raise ValidationFailed.field("email", gettext("another contact has this email"))
    return records.create(Contact, actor=actor, unique_field="email", **cleaned)


def contact_update(*, contact: Contact, actor: Actor, **changes: Any) -> Contact:
    """Change a contact; ``owner_id`` (when given) through ``owner_assign``, in the same transaction."""
    cleaned = _clean_contact(changes, contact)
    owner_id = cleaned.pop("owner_id", KEEP)
    if "email" in cleaned and _email_taken(cleaned["email"], exclude_pk=contact.pk):
        raise ValidationFailed.field("email", gettext("another contact has this email"))
    _update_owned(contact, actor=actor, owner_id=owner_id, unique_field="email", **cleaned)
    return contact


def contact_email_opt_out(*, contact: Contact, opted_out: bool, actor: Actor, at: datetime) -> bool:
    """Set whether the contact is unsubscribed from email to lists; True when that changed.

    The unsubscribe link (``notifications.unsubscribe``) calls it with a system actor naming the
    link. The row is locked, so two clicks at once write one ``contact.updated`` event (before and
    after ``{"email_opt_out": ...}``, made ``at``); the same value again writes nothing.
    :func:`contact_update` changes it too, among the contact's other fields (the same event).
    """
    if not isinstance(opted_out, bool):
        raise ValidationFailed.field("email_opt_out", gettext("must be true or false"))
    with transaction.atomic():
        locked = Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if locked is None:
            raise NotFound(f"no contact {contact.pk}")
        if locked.email_opt_out == opted_out:
            contact.email_opt_out = opted_out
            return False
        Contact.objects.filter(pk=locked.pk).update(email_opt_out=opted_out, updated_at=at)
        events.record(
            type="contact.updated",
            obj=locked,
            actor=actor,
            before={"email_opt_out": locked.email_opt_out},
            after={"email_opt_out": opted_out},
            at=at,
        )
    contact.email_opt_out, contact.updated_at = opted_out, at
    return True


def contact_delete(*, contact: Contact, actor: Actor) -> None:
    records.delete(contact, actor=actor, in_use=f"contact {contact.pk} is still in use")


def _clean_company(values: dict[str, Any], company: Company | None = None) -> dict[str, Any]:
    errors: list[FieldError] = []
    cleaned = {k: v for k, v in values.items() if k != "address"}
    owner_id = cleaned.pop("owner_id", KEEP)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors.append(FieldError("name", gettext("must not be blank")))
    if "phone" in cleaned:
        cleaned["phone"] = (cleaned["phone"] or "").strip()
    if "domain" in cleaned:
        domain = (cleaned["domain"] or "").strip().lower().removeprefix("https://").removeprefix("http://")
        domain = domain.removeprefix("www.").rstrip("/")
        if domain and not _DOMAIN.match(domain):
            errors.append(FieldError("domain", gettext("is not a domain name like example.com")))
        cleaned["domain"] = domain
    cleaned.update(address_columns(values.get("address"), errors))
    _owner_checked(owner_id, company, errors)
    if errors:
        raise ValidationFailed("invalid company", errors=errors)
    if owner_id is not KEEP:
        cleaned["owner_id"] = owner_id
    return cleaned


def company_create(*, actor: Actor, **values: Any) -> Company:
    return records.create(Company, actor=actor, **_clean_company(values))


def company_update(*, company: Company, actor: Actor, **changes: Any) -> Company:
    """Change a company; ``owner_id`` (when given) through ``owner_assign``, in the same transaction."""
    cleaned = _clean_company(changes, company)
    _update_owned(company, actor=actor, owner_id=cleaned.pop("owner_id", KEEP), **cleaned)
    return company


def company_delete(*, company: Company, actor: Actor) -> None:
    """Delete a company; its contacts and deals stay, without it."""
    records.delete(company, actor=actor, in_use=f"company {company.pk} is still in use")


DEFAULT_CURRENCY = "USD"


def _clean_deal(values: dict[str, Any], deal: Deal | None) -> dict[str, Any]:
    """Checked deal fields; ``line_items`` (resolved) when given. ``deal`` is None for a new one."""
    errors: list[FieldError] = []
    cleaned = {k: v for k, v in values.items() if k not in ("contact_id", "company_id", "line_items")}
    owner_id = cleaned.pop("owner_id", KEEP)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors.append(FieldError("name", gettext("must not be blank")))
    if "stage" in cleaned and cleaned["stage"] not in DealStage.values:
        errors.append(FieldError("stage", gettext("unknown deal stage")))
    if "currency" in cleaned:
        try:
            cleaned["currency"] = normalize_currency(cleaned["currency"] or "")
        except CurrencyError as exc:
            errors.append(FieldError("currency", str(exc)))
    if "amount" in cleaned and not is_amount(cleaned["amount"]):
        errors.append(FieldError("amount", AMOUNT_RULE))
    _owner_checked(owner_id, deal, errors)
    if errors:
        raise ValidationFailed("invalid deal", errors=errors)
    if "contact_id" in values:
        cleaned["contact"] = _existing(Contact, values["contact_id"], "contact_id")
    if "company_id" in values:
        cleaned["company"] = _existing(Company, values["company_id"], "company_id")
    cleaned.update(_priced_by_line_items(values.get("line_items"), cleaned, deal))
    if deal is None:
        cleaned.setdefault("currency", DEFAULT_CURRENCY)
    if owner_id is not KEEP:
        cleaned["owner_id"] = owner_id
    return cleaned


def _priced_by_line_items(
    items: list[LineItemInput] | None, cleaned: dict[str, Any], deal: Deal | None
) -> dict[str, Any]:
    """With line items (the new ones, else the deal's own), the deal's currency and amount are theirs.

    A currency or amount sent along must agree with them; a new deal's
    currency is its items' when it is not given. Removing every item leaves
    the amount sent with them, else 0. A product archived since it was put on
    the deal may stay on it.
    """
    result: dict[str, Any] = {}
    current = list(deal.line_items.all()) if deal is not None else []
    if items is not None:
        in_use = {line.product_id for line in current if line.product_id}
        result["line_items"] = resolve_line_items(
            items, currency=cleaned.get("currency"), products_in_use=in_use
        )
        lines = [DealLineItem(**values) for values in result["line_items"]]
    else:
        lines = current
    if not lines:
        if items is not None:  # all removed: the amount is whatever is sent, else nothing
            result["amount"] = cleaned.get("amount", 0)
        return result
    currency, amount = lines[0].currency, sum(line.amounts.net for line in lines)
    errors = []
    if cleaned.get("currency", currency) != currency:
        errors.append(
            FieldError(
                "currency", gettext("must be the line items' currency, %(currency)s") % {"currency": currency}
            )
        )
    if cleaned.get("amount", amount) != amount:
        errors.append(
            FieldError(
                "amount",
                gettext("is the line items' subtotal, %(amount)s; leave it out") % {"amount": amount},
            )
        )
    if errors:
        raise ValidationFailed("the deal does not agree with its line items", errors=errors)
    return {**result, "currency": currency, "amount": amount}


def _set_line_items(deal: Deal, items: list[dict[str, Any]], actor: Actor) -> None:
    """Replace the deal's line items; a ``deal.line_items_replaced`` event when they changed."""
    before = [_line_item_summary(i) for i in deal.line_items.all()]
    deal.line_items.all().delete()
    DealLineItem.objects.bulk_create(DealLineItem(deal=deal, **item) for item in items)
    after = [_line_item_summary(i) for i in deal.line_items.all()]
    if before != after:
        events.record(
            type="deal.line_items_replaced",
            obj=deal,
            actor=actor,
            before={"line_items": before},
            after={"line_items": after},
        )


def deal_create(*, actor: Actor, line_items: list[LineItemInput] | None = None, **values: Any) -> Deal:
    """A deal; with line items its currency and amount come from them."""
    cleaned = _clean_deal({**values, "line_items": line_items}, None)
    items = cleaned.pop("line_items", None)
    with transaction.atomic():
        deal = records.create(Deal, actor=actor, **cleaned)
        if items:
            _set_line_items(deal, items, actor)
    return deal


def deal_update(
    *, deal: Deal, actor: Actor, line_items: list[LineItemInput] | None = None, **changes: Any
) -> Deal:
    """Change a deal. ``line_items`` replaces all of them ([] removes them); None keeps them.
    ``owner_id`` (when given) through ``owner_assign``, in the same transaction."""
    cleaned = _clean_deal({**changes, "line_items": line_items}, deal)
    items = cleaned.pop("line_items", None)
    owner_id = cleaned.pop("owner_id", KEEP)
    with transaction.atomic():
        if items is not None:
            _set_line_items(deal, items, actor)
        _update_owned(deal, actor=actor, owner_id=owner_id, **cleaned)
    return deal


def _line_item_summary(item: DealLineItem) -> dict[str, Any]:
    return events.snapshot(item, exclude=("id", "deal"))


def deal_delete(*, deal: Deal, actor: Actor) -> None:
    records.delete(deal, actor=actor, in_use=f"deal {deal.pk} is still in use")
