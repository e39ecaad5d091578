"""The outcome of a checkout's first payment, for the subscriptions it paid for.

A checkout (``commerce.checkout``) charges once for everything due at
purchase: one-time items and the first period of each subscription that
starts then. Its invoice and payment belong to no single subscription
(``origin = checkout``); each of those subscriptions was created with its
first period billed (``periods_billed = 1``) and its lines on that invoice
(``line_item_id``). When the payment succeeds (at once for a card, days later
for a bank debit) each counts its first payment, of its own lines' total;
when it fails (a bank debit bounced), each becomes Unpaid and its buyer gets
the failed-payment email with an update link, like a renewal's failure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from recurra.accounts.models import AccountSettings
from recurra.billing import status
from recurra.billing.periods import paid_for_period
from recurra.billing.writes import Batch
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment
from recurra.subscriptions import notices
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from recurra.subscriptions.update_links import update_link_new


def shares(subs: Iterable[Subscription], lines: Iterable[InvoiceLine]) -> dict[str, int]:
    """Each subscription's part of the invoice: the total of its lines on it (absent: none there)."""
    owner = dict(
        SubscriptionLineItem.objects.filter(subscription__in=[s.pk for s in subs]).values_list(
            "pk", "subscription_id"
        )
    )
    parts: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.line_item_id in owner:
            parts[owner[line.line_item_id]] += line.amount_total
    return parts


def first_payment_succeeded(batch: Batch, subs: list[Subscription], lines: list[InvoiceLine]) -> None:
    """Count the first payment of every subscription with lines on the invoice."""
    parts = shares(subs, lines)
    for sub in subs:
        if sub.pk in parts:
            paid_for_period(batch, sub, parts[sub.pk], 0)


def first_payment_failed(
    batch: Batch,
    subs: list[Subscription],
    invoice: Invoice,
    payment: Payment,
    account: AccountSettings,
    recipients: list[str],
) -> None:
    for sub in subs:
        batch.change(sub, status=status.after_failure(sub.status))
        if account.failed_payment_emails_enabled:
            link, update_url = update_link_new(sub, at=batch.at)
            batch.add(link)
            batch.email(notices.payment_failed(sub, invoice, payment, account, update_url))
    batch.email(*notices.admin_notices("admin_payment_failed", None, invoice, payment, account, recipients))
