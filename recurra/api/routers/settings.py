"""/settings: the account's settings; everyone reads them, only a super admin changes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, Field, StrictBool, StrictInt

from recurra.accounts import services
from recurra.accounts.models import AccountSettings, FinalFailureAction
from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings
from recurra.api.auth import ApiKeyAuth, actor
from recurra.api.fields import (
    TEXT,
    AddressIn,
    AddressOut,
    Currency,
    In,
    Name,
    Phone,
    ShortText,
    changes,
    omittable,
)
from recurra.core import clock

router = Router(tags=["settings"])
Language = Literal[services.SETTINGS_LANGUAGES]  # type: ignore[valid-type]
FailureAction = Literal[tuple(FinalFailureAction.values)]  # type: ignore[valid-type]
Days = Annotated[StrictInt, Field(ge=1, le=services.MAX_SETTING_DAYS)]


class SettingsPatch(In):
    timezone: Annotated[str, Field(max_length=64), TEXT] = omittable(
        description="an IANA time zone name such as Europe/Oslo; billing dates are dates in this zone"
    )
    default_currency: Currency = omittable()
    default_language: Language = omittable()  # type: ignore[valid-type]
    business_name: Name = omittable()
    invoice_number_prefix: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Z0-9/-]+$")] = (
        omittable(description="the start of every new invoice number, e.g. INV-")
    )
    payment_reminders_enabled: StrictBool = omittable()
    reminder_days_before: Days = omittable()
    failed_payment_emails_enabled: StrictBool = omittable()
    admin_notifications_enabled: StrictBool = omittable()
    admin_notifications_digest: StrictBool = omittable(
        description="one daily summary instead of a notice each"
    )
    retry_schedule_days: Annotated[list[Days], Field(max_length=services.MAX_RETRIES)] = omittable(
        description="days after the first failure to retry, strictly increasing; [] for no retries"
    )
    final_failure_action: FailureAction = omittable()  # type: ignore[valid-type]
    seller_address: AddressIn = omittable(
        description="the seller's address on invoices; parts left out stay as they are"
    )
    seller_email: Annotated[str, Field(max_length=254), TEXT] = omittable(
        description='the seller\'s email address on invoices; "" for none'
    )
    seller_phone: Phone = omittable(description='the seller\'s phone number on invoices; "" for none')
    seller_tax_id: ShortText = omittable(
        description='the seller\'s VAT or organisation number on invoices; "" for none'
    )
    seller_website: Annotated[str, Field(max_length=200), TEXT] = omittable(
        description='the seller\'s web address on invoices (https:// is added when left out); "" for none'
    )


class SettingsOut(BaseModel):
    timezone: str
    default_currency: str
    default_language: str
    business_name: str
    invoice_number_prefix: str
    payment_reminders_enabled: bool
    reminder_days_before: int
    failed_payment_emails_enabled: bool
    admin_notifications_enabled: bool
    admin_notifications_digest: bool
    retry_schedule_days: list[int]
    final_failure_action: str
    seller_address: AddressOut
    seller_email: str
    seller_phone: str
    seller_tax_id: str
    seller_website: str
    updated_at: datetime

    @classmethod
    def of(cls, s: AccountSettings) -> SettingsOut:
        values = {name: getattr(s, name) for name in cls.model_fields if name != "seller_address"}
        return cls(**values, seller_address=AddressOut(**s.address))


@router.get("", response=SettingsOut, summary="The account settings")
def get_settings(request: HttpRequest) -> SettingsOut:
    return SettingsOut.of(account_settings())


@router.patch(
    "", response=SettingsOut, auth=ApiKeyAuth(Role.SUPER_ADMIN), summary="Change settings (super admin)"
)
def update_settings(request: HttpRequest, payload: SettingsPatch) -> SettingsOut:
    row = services.account_settings_update(actor=actor(request), at=clock.now(), **changes(payload))
    return SettingsOut.of(row)
