"""Payment reads: a contact's saved payment methods."""

from __future__ import annotations

from django.db.models import QuerySet

from recurra.crm.models import Contact
from recurra.payments.models import PaymentMethod


def payment_method_list(*, contact: Contact, include_detached: bool = False) -> QuerySet[PaymentMethod]:
    """The contact's methods, newest first; detached ones only when asked for."""
    qs = PaymentMethod.objects.filter(contact=contact)
    if not include_detached:
        qs = qs.filter(detached_at__isnull=True)
    return qs
