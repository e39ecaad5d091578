"""CRM reads: lists with search, and a record with its associations."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from recurra.crm.models import Company, Contact, Deal


def contacts_with_email(email: str) -> QuerySet[Contact]:
    """The contact with ``email`` in any case (at most one: emails are unique whatever their case),
    read through the unique index on ``lower(email)``. ``email__iexact`` compares ``upper()``,
    which no index serves: a scan of every contact."""
    return Contact.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower())


def _terms(q: str | None) -> list[str]:
    return [t for t in (q or "").split() if t][:5]


def contact_list(
    *, q: str | None = None, company_id: str | None = None, owner_id: int | None = None
) -> QuerySet[Contact]:
    """Contacts whose name or email contains every word of ``q`` (any case); of ``company_id``
    and owned by ``owner_id`` when given."""
    qs = Contact.objects.select_related("company")
    for term in _terms(q):
        qs = qs.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    if company_id:
        qs = qs.filter(company_id=company_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


def company_list(*, q: str | None = None, owner_id: int | None = None) -> QuerySet[Company]:
    """Companies whose name or domain contains every word of ``q``; owned by ``owner_id`` when given."""
    qs = Company.objects.all()
    for term in _terms(q):
        qs = qs.filter(Q(name__icontains=term) | Q(domain__icontains=term))
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


def deal_list(
    *,
    q: str | None = None,
    contact_id: str | None = None,
    company_id: str | None = None,
    stage: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[Deal]:
    qs = Deal.objects.select_related("contact", "company")
    for term in _terms(q):
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(contact__email__icontains=term)
            | Q(contact__first_name__icontains=term)
            | Q(contact__last_name__icontains=term)
            | Q(company__name__icontains=term)
        )
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    if stage:
        qs = qs.filter(stage=stage)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs
