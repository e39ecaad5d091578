"""The admin daily digest: scheduled per account-local day, sent at local midnight to every super admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recurra.accounts.models import User
from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings
from recurra.billing.digest import digest_schedule
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.jobs import runner
from recurra.jobs.models import Job
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment

pytestmark = pytest.mark.django_db
# 2027-01-15 in Oslo (UTC+1) runs from 2027-01-14 23:00 to 2027-01-15 23:00 UTC.
DAY_START = datetime(2027, 1, 14, 23, 0, tzinfo=UTC)
DAY_END = datetime(2027, 1, 15, 23, 0, tzinfo=UTC)
NOON = datetime(2027, 1, 15, 11, 0, tzinfo=UTC)


@pytest.fixture
def digest_on(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.RECURRA_BASE_URL = "https://billing.example.com"
    account = account_settings()
    account.timezone = "Europe/Oslo"
    account.business_name = "Fjord Software AS"
    account.default_language = "nb"
    account.admin_notifications_digest = True
    account.save()
    User.objects.create(username="eva", email="eva@fjord.example", role=Role.SUPER_ADMIN)
    User.objects.create(username="ole", email="ole@fjord.example", role=Role.SUPER_ADMIN)
    User.objects.create(username="gone", email="gone@fjord.example", role=Role.SUPER_ADMIN, is_active=False)
    User.objects.create(username="vic", email="vic@fjord.example", role=Role.VIEWER)


def pay(status: str, amount: int, at: datetime, currency: str = "NOK", **extra: Any) -> Payment:
    contact = Contact.objects.create(email=f"buyer{Contact.objects.count()}@example.com", first_name="Kari")
    invoice = Invoice.objects.create(
        contact=contact, currency=currency, subtotal=amount, total=amount, amount_due=amount,
        collection_method="charge_automatically", payment_terms="due_on_receipt",
        issued_on=date(2027, 1, 1), due_on=date(2027, 1, 1),
    )  # fmt: skip
    return Payment.objects.create(
        invoice=invoice, contact=contact, amount=amount, currency=currency, method_type="card",
        status=status, gateway="sandbox", idempotency_key=f"k{Payment.objects.count()}", created_at=at,
        **extra,
    )  # fmt: skip


def test_schedule_makes_one_job_per_local_day_due_at_local_midnight(digest_on):
    digest_schedule(at=NOON)
    with CaptureQueriesContext(connection) as ctx:
        digest_schedule(at=NOON + timedelta(hours=11, minutes=59))  # 22:59 UTC: still the 15th in Oslo
    assert len(ctx.captured_queries) == 2  # settings, the job's key: cheap enough for every loop
    job = Job.objects.get()
    assert (job.kind, job.dedupe_key, job.payload, job.run_at) == (
        "admin_digest",
        "admin_digest:2027-01-15",
        {"day": "2027-01-15"},
        DAY_END,
    )
    digest_schedule(at=DAY_END)  # midnight in Oslo: the 16th
    assert list(Job.objects.order_by("run_at").values_list("dedupe_key", flat=True)) == [
        "admin_digest:2027-01-15",
        "admin_digest:2027-01-16",
    ]


def test_no_digest_job_unless_digest_mode_is_on(digest_on):
    account = account_settings()
    account.admin_notifications_digest = False
    account.save()
    digest_schedule(at=NOON)
    account.admin_notifications_digest, account.admin_notifications_enabled = True, False
    account.save()
    digest_schedule(at=NOON)
    assert not Job.objects.exists()


def test_the_digest_summarises_the_local_day_for_each_super_admin(digest_on):
    pay("succeeded", 10000, DAY_START)  # 00:00 in Oslo: counts
    pay("refunded", 2500, NOON)  # collected, refunded since: counts as succeeded
    pay("succeeded", 1999, NOON, currency="USD")
    pay("succeeded", 7000, NOON - timedelta(days=4), settled_at=NOON)  # ACH, settled today
    pay("failed", 4900, DAY_END - timedelta(minutes=1), failure_message="Card declined.")
    pay("failed", 100, DAY_START - timedelta(seconds=1))  # the 14th in Oslo
    pay("succeeded", 100, DAY_END)  # the 16th in Oslo
    pay("processing", 100, NOON)
    digest_schedule(at=NOON)

    assert runner.run_due(at=DAY_END - timedelta(seconds=1)) == 0
    assert runner.run_due(at=DAY_END) == 3  # the job, then its two emails

    emails = list(EmailMessage.objects.order_by("to"))
    assert [(e.to, e.kind, e.language, e.status, e.dedupe_key) for e in emails] == [
        ("eva@fjord.example", "admin_digest", "nb", "sent", "admin_digest:2027-01-15:eva@fjord.example"),
        ("ole@fjord.example", "admin_digest", "nb", "sent", "admin_digest:2027-01-15:ole@fjord.example"),
    ]
    assert emails[0].data == {
        "business_name": "Fjord Software AS",
        "app_url": "https://billing.example.com",
        "day": "2027-01-15",
        "succeeded": {
            "count": 4,
            "totals": [{"currency": "NOK", "amount": 19500}, {"currency": "USD", "amount": 1999}],
        },
        "failed": {
            "count": 1,
            "totals": [{"currency": "NOK", "amount": 4900}],
            "items": [
                {
                    "contact_name": "Kari",
                    "subscription_name": "",
                    "amount": 4900,
                    "currency": "NOK",
                    "failure_message": "Card declined.",
                }
            ],
        },
    }
    assert [m.subject for m in mail.outbox] == ["Betalingsoversikt for 15. jan. 2027"] * 2
    assert "4 betalinger gikk gjennom\n" in mail.outbox[0].body
    assert Job.objects.get().status == "done"


def test_a_day_without_payments_sends_nothing(digest_on):
    pay("failed", 100, DAY_START - timedelta(seconds=1))
    digest_schedule(at=NOON)
    assert runner.run_due(at=DAY_END) == 1
    assert Job.objects.get().status == "done"
    assert not EmailMessage.objects.exists()


def test_a_day_decided_under_the_digest_is_reported_even_if_the_digest_was_turned_off(digest_on):
    pay("succeeded", 100, NOON)  # no per-payment notice went out for it
    digest_schedule(at=NOON)
    account = account_settings()
    account.admin_notifications_digest = False
    account.save()
    runner.run_due(at=DAY_END)
    assert set(EmailMessage.objects.values_list("kind", flat=True)) == {"admin_digest"}


def test_no_digest_once_merchant_notices_are_off(digest_on):
    pay("succeeded", 100, NOON)
    digest_schedule(at=NOON)
    account = account_settings()
    account.admin_notifications_enabled = False
    account.save()
    assert runner.run_due(at=DAY_END) == 1  # the job ran, and sent nothing
    assert not EmailMessage.objects.exists()


def test_a_rerun_digest_job_queues_no_second_email(digest_on):
    from recurra.billing.digest import digest_send

    pay("succeeded", 100, NOON)
    digest_send({"day": "2027-01-15"}, at=DAY_END)
    digest_send({"day": "2027-01-15"}, at=DAY_END)  # at-least-once: a crashed job runs again
    assert EmailMessage.objects.count() == 2
