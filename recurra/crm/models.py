"""Contacts, companies, deals and their associations.

Associations are direct: a contact's company (its primary company), a deal's
contact and a deal's company. Each side is optional and survives the other's
deletion (the link is cleared, never the record).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from recurra.catalog.models import LineItemFields
from recurra.core import ids
from recurra.core.models import Timestamped


class Address(models.Model):
    """A postal address, stored as columns on the record that has it."""

    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166-1 alpha-2",  # i18n: not text
    )

    ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")

    class Meta:
        abstract = True

    @staticmethod
    def column(part: str) -> str:
        return f"address_{part}" if part.startswith("line") else part

    @property
    def address(self) -> dict[str, str]:
        return {part: getattr(self, self.column(part)) for part in self.ADDRESS_FIELDS}


class Owned(models.Model):
    """A record someone on the team answers for: its owner, a user (none: nobody yet).

    Changed only through :func:`recurra.crm.owners.owner_assign` (one audit event per change).
    A user who is deleted leaves their records without an owner; a deactivated one stays their
    owner until someone assigns another.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


# The parts a billing address must have where one is required (a checkout, a card payment).
REQUIRED_ADDRESS = ("line1", "city", "postal_code", "country")


class Company(Timestamped, Address, Owned):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("com"))
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "companies"
        indexes = [models.Index(Lower("name"), name="company_name_ci"), models.Index(fields=["domain"])]

    def __str__(self) -> str:
        return self.name


class Contact(Timestamped, Address, Owned):
    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("con"))
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    # Unsubscribed from email to lists (``list_email``): set by the contact through an email's
    # unsubscribe link, or by the team; transactional emails (receipts, invoices...) still go.
    email_opt_out = models.BooleanField(default=False, db_default=False)  # rows written by raw SQL too

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="contact_email_unique_ci")]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="contact_name_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class DealStage(models.TextChoices):
    APPOINTMENT_SCHEDULED = "appointment_scheduled", _("Appointment scheduled")
    QUALIFIED_TO_BUY = "qualified_to_buy", _("Qualified to buy")
    PRESENTATION_SCHEDULED = "presentation_scheduled", _("Presentation scheduled")
    DECISION_MAKER_BOUGHT_IN = "decision_maker_bought_in", _("Decision maker bought-in")
    CONTRACT_SENT = "contract_sent", _("Contract sent")
    CLOSED_WON = "closed_won", _("Closed won")
    CLOSED_LOST = "closed_lost", _("Closed lost")


class Deal(Timestamped, Owned):
    """A sale in progress. With line items, ``amount`` is their net sum (one payment of each)."""

    id = models.CharField(primary_key=True, max_length=ids.ID_LENGTH, default=ids.factory("deal"))
    name = models.CharField(max_length=200)
    stage = models.CharField(
        max_length=40, choices=DealStage.choices, default=DealStage.APPOINTMENT_SCHEDULED
    )
    amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    close_date = models.DateField(null=True, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(Lower("name"), name="deal_name_ci")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_gte_0")]

    def __str__(self) -> str:
        return self.name


class DealLineItem(LineItemFields):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")

    class Meta(LineItemFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"
