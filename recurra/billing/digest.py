"""The admin daily digest: one summary email per super admin instead of a notice per payment.

When ``admin_notifications_digest`` is on, :func:`digest_schedule` (called
when payments are decided) makes sure an ``admin_digest`` job exists for that
day in the account's time zone, due at the next local midnight; days without
payments have no job (and the test clock need not stop at their midnight). Its handler
summarises the payments whose outcome fell in that local day: succeeded (also
those refunded since: the money was collected) and failed. A payment's outcome
time is ``settled_at`` when set (a bank debit settles days later), else its
``created_at``. No payments, no email.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from recurra.accounts.models import AccountSettings
from recurra.accounts.selectors import account_settings, admin_recipients
from recurra.jobs.models import Job
from recurra.jobs.queue import job_enqueue
from recurra.jobs.runner import job_handler
from recurra.notifications.models import EmailKind
from recurra.notifications.services import EmailDraft, emails_queue
from recurra.payments.models import Payment, PaymentStatus

JOB_KIND = "admin_digest"
FAILED_MAX = 50  # failed payments listed by name
SUCCEEDED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``zone`` (where midnight is skipped by DST, the first hour after)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _digest_on(account: AccountSettings) -> bool:
    return account.admin_notifications_enabled and account.admin_notifications_digest


def digest_schedule(*, at: datetime) -> None:
    """Ensure the job of the account-local day of ``at`` exists (idempotent: two reads when it does)."""
    account = account_settings()
    if not _digest_on(account):
        return
    zone = ZoneInfo(account.timezone)
    today = at.astimezone(zone).date()
    key = f"{JOB_KIND}:{today.isoformat()}"
    if Job.objects.filter(dedupe_key=key).exists():
        return
    run_at = local_midnight(today + timedelta(days=1), zone)
    with transaction.atomic():
        job_enqueue(kind=JOB_KIND, payload={"day": today.isoformat()}, run_at=run_at, dedupe_key=key)


@job_handler(JOB_KIND)
def digest_send(payload: dict[str, Any], *, at: datetime) -> None:
    """Queue the digest of ``payload["day"]`` to every super admin.

    Sent even if the digest was turned off since the job was scheduled: that
    day's payments were decided without a notice each, and must not go
    unreported. Only turning merchant notices off altogether stops it.
    """
    account = account_settings()
    if not account.admin_notifications_enabled:
        return
    day = date.fromisoformat(payload["day"])
    zone = ZoneInfo(account.timezone)
    summary = digest_data(start=local_midnight(day, zone), end=local_midnight(day + timedelta(days=1), zone))
    if not summary["succeeded"]["count"] and not summary["failed"]["count"]:
        return
    data = {
        **summary,
        "day": day.isoformat(),
        "business_name": account.business_name,
        "app_url": settings.RECURRA_BASE_URL,
    }
    drafts = [
        EmailDraft(
            kind=EmailKind.ADMIN_DIGEST,
            to=email,
            language=account.default_language,
            data=data,
            dedupe_key=f"{JOB_KIND}:{day.isoformat()}:{email.lower()}",
        )
        for email in admin_recipients()
    ]
    with transaction.atomic():
        emails_queue(drafts, at=at)


def digest_data(*, start: datetime, end: datetime) -> dict[str, Any]:
    """Counts and per-currency totals of payments decided in [start, end); the first failures listed."""
    decided = Payment.objects.annotate(decided_at=Coalesce("settled_at", "created_at")).filter(
        decided_at__gte=start, decided_at__lt=end
    )
    succeeded = decided.filter(status__in=SUCCEEDED)
    failed = decided.filter(status=PaymentStatus.FAILED)
    items = [
        {
            "contact_name": p.contact.full_name or p.contact.email,
            "subscription_name": p.subscription.name if p.subscription else "",
            "amount": p.amount,
            "currency": p.currency,
            "failure_message": p.failure_message,
        }
        for p in failed.select_related("contact", "subscription").order_by("decided_at", "id")[:FAILED_MAX]
    ]
    return {
        "succeeded": _totals(succeeded),
        "failed": {**_totals(failed), "items": items},
    }


def _totals(payments: Any) -> dict[str, Any]:
    by_currency = payments.order_by().values("currency").annotate(n=Count("id"), amount=Sum("amount"))
    rows = list(by_currency.order_by("currency"))
    return {
        "count": sum(row["n"] for row in rows),
        "totals": [{"currency": row["currency"], "amount": row["amount"]} for row in rows],
    }
