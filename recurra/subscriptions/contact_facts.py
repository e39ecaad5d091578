"""What the contacts' subscriptions tell the email to a list (``notifications.bulk``, through its
port): each contact's soonest upcoming subscription and the language their emails are in.

A contact's soonest upcoming subscription is, of those not ended (scheduled, active, unpaid or
paused), the one with the earliest next payment date; then, among those without one, the earliest
end date; then the oldest. Their language is that subscription's invoice language (the language
of its receipts and invoices), else their newest subscription's; none when they have none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from recurra.notifications.bulk import ContactFacts
from recurra.subscriptions.models import Subscription, SubscriptionStatus

UPCOMING = frozenset(
    {
        SubscriptionStatus.SCHEDULED,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.PAUSED,
    }
)
_LAST = date.max
_Key = tuple[bool, date, bool, date, str]  # soonest first: by next payment date, end date, id


def contact_facts(contact_ids: Sequence[str]) -> dict[str, ContactFacts]:
    """``{contact_id: ContactFacts}`` of the contacts (of ``contact_ids``) with a subscription; one query."""
    rows = Subscription.objects.filter(contact_id__in=list(contact_ids)).values_list(
        "contact_id", "id", "status", "name", "next_payment_date", "end_date", "invoice_language"
    )
    soonest: dict[str, tuple[_Key, tuple[str, date | None, date | None, str]]] = {}
    newest: dict[str, tuple[str, str]] = {}
    for contact_id, pk, status, name, next_on, end_on, language in rows:
        if contact_id not in newest or pk > newest[contact_id][0]:
            newest[contact_id] = (pk, language)
        if status not in UPCOMING:
            continue
        key = (next_on is None, next_on or _LAST, end_on is None, end_on or _LAST, pk)
        if contact_id not in soonest or key < soonest[contact_id][0]:
            soonest[contact_id] = (key, (name, next_on, end_on, language))
    found = {}
    for contact_id, (_, language) in newest.items():
        if contact_id in soonest:
            name, next_on, end_on, own = soonest[contact_id][1]
            found[contact_id] = ContactFacts(own or language, name, next_on, end_on)
        else:
            found[contact_id] = ContactFacts(language)
    return found
