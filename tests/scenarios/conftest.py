"""A small DSL for scenario tests: a business, its buyers, and the test clock moving through months.

``scenario`` (a :class:`Scenario`) sets things up through the real services,
moves time with ``clock_advance`` (or ``POST /api/v1/clock/advance``), and
after every step re-runs the whole worker pass at the same instant and
requires that it changes nothing (:meth:`Scenario.assert_rerun_is_noop`).
:meth:`Scenario.check_invariants` checks what must hold over a whole run:
gapless invoice numbers, and every invoice's totals equal to the sum of its lines.

Days are account-local: ``scenario.advance(date(2027, 2, 28))`` moves the clock
to midnight of that day in the account's zone, which runs that day's billing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db.models import F

from recurra.accounts.roles import Role
from recurra.accounts.selectors import account_settings, account_zone
from recurra.accounts.services import account_settings_update, user_create
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.core.redaction import MARK
from recurra.crm.models import Contact
from recurra.crm.services import contact_create
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.jobs.models import Job
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment, PaymentMethod
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from recurra.worker.testclock import AdvanceReport, clock_advance
from tests.conftest import ApiClient

SYSTEM = Actor.system()
# Every table a worker pass may write to; a re-run at the same instant must add no row to any.
COUNTED: tuple[type[Any], ...] = (Invoice, InvoiceLine, Payment, EmailMessage, Event, Job)


def item(
    *,
    name: str = "Pro plan",
    amount: int = 1000,
    currency: str = "USD",
    frequency: str = "monthly",
    tax: str = "0",
    quantity: int = 1,
    payments: int | None = None,
) -> LineItemInput:
    """A custom line item, starting at purchase; ``payments`` makes it a fixed term."""
    return LineItemInput(
        name=name,
        unit_amount=amount,
        currency=currency,
        quantity=quantity,
        tax_rate_percent=Decimal(tax),
        billing_frequency=frequency,
        billing_terms="fixed" if payments else "auto_renew",
        number_of_payments=payments,
    )


def months(first: date, count: int) -> list[date]:
    """``count`` monthly billing dates from the anchor ``first`` (month ends clamp, never drift)."""
    return [first + relativedelta(months=n) for n in range(count)]


class Scenario:
    # -- setting up -------------------------------------------------------------------------

    def settings(self, **changes: Any) -> None:
        account_settings_update(actor=SYSTEM, at=clock.now(), **changes)

    def user(self, email: str, username: str | None = None, role: str = Role.SUPER_ADMIN) -> None:
        """A user (a super admin unless ``role`` says otherwise); super admins get merchant notices."""
        user_create(
            username=username or email.split("@")[0],
            email=email,
            password="correct horse battery staple 9",
            role=role,
            actor=SYSTEM,
        )

    def contact(self, email: str, first_name: str = "Ada", last_name: str = "Buyer") -> Contact:
        return contact_create(actor=SYSTEM, email=email, first_name=first_name, last_name=last_name)

    def method(self, contact: Contact, token: str) -> PaymentMethod:
        return payment_method_add(contact=contact, token=token, actor=SYSTEM, at=clock.now())

    def subscribe(
        self,
        contact: Contact,
        *items: LineItemInput,
        token: str | None = "tok_visa",
        collection: str = "charge_automatically",
        payment_terms: str | None = None,
        name: str | None = None,
    ) -> Subscription:
        """A subscription made now through ``subscription_create``; charged to a new ``token`` method."""
        method = self.method(contact, token) if token and collection == "charge_automatically" else None
        return subscription_create(
            contact=contact,
            name=name,
            line_items=list(items) or [item()],
            collection_method=collection,
            payment_method=method,
            payment_terms=payment_terms,
            actor=SYSTEM,
            at=clock.now(),
        )

    # -- moving time ------------------------------------------------------------------------

    def instant(self, when: date | datetime) -> datetime:
        """A date means its midnight in the account's zone."""
        if isinstance(when, datetime):
            return when
        return datetime.combine(when, time(0), tzinfo=account_zone()).astimezone(UTC)

    def advance(self, when: date | datetime) -> AdvanceReport:
        report = clock_advance(to=self.instant(when))
        self.assert_rerun_is_noop()
        return report

    def advance_api(self, api: ApiClient, when: date | datetime) -> dict[str, Any]:
        to = self.instant(when).isoformat().replace("+00:00", "Z")
        response = api.post("/clock/advance", {"to": to})
        assert response.status_code == 200, response.content
        self.assert_rerun_is_noop()
        return dict(response.json())

    def counts(self) -> dict[str, int]:
        return {model.__name__: model._default_manager.count() for model in COUNTED}

    def assert_rerun_is_noop(self) -> None:
        """Run every kind of due work again at the clock's now: no new row anywhere, nothing changed."""
        before = self.counts()
        subs_before = list(Subscription.objects.order_by("pk").values())
        report = run_due_work(at=clock.now())
        assert self.counts() == before, f"re-run at {clock.now()} wrote rows"
        assert list(Subscription.objects.order_by("pk").values()) == subs_before
        assert report.idle, report

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def fresh(sub: Subscription) -> Subscription:
        return Subscription.objects.get(pk=sub.pk)

    @staticmethod
    def invoices(sub: Subscription) -> list[Invoice]:
        # a purchase's invoice (no period of its own) first, on SQLite and PostgreSQL alike
        return list(
            Invoice.objects.filter(subscription=sub).order_by(F("period_start").asc(nulls_first=True), "pk")
        )

    @staticmethod
    def payments(sub: Subscription) -> list[Payment]:
        return list(Payment.objects.filter(subscription=sub).order_by("created_at", "pk"))

    @staticmethod
    def emails(
        *, kind: str | None = None, to: str | None = None, sub: Subscription | None = None
    ) -> list[EmailMessage]:
        qs = EmailMessage.objects.order_by("created_at", "pk")
        if kind is not None:
            qs = qs.filter(kind=kind)
        if to is not None:
            qs = qs.filter(to=to)
        if sub is not None:
            qs = qs.filter(subscription_id=sub.pk)
        return list(qs)

    @staticmethod
    def delivered_link(email: EmailMessage, key: str) -> str:
        """The buyer link ``email.data[key]`` as it went out (mail.outbox, Django's test backend):
        what Recurra keeps of a sent email has the token redacted."""
        kept = str(email.data[key])
        assert MARK in kept, kept
        prefix = kept.split(MARK, 1)[0]
        sent = [m.body for m in mail.outbox if email.to in m.to and prefix in m.body]
        assert sent, f"no message to {email.to} carried {prefix}"
        found = re.search(re.escape(prefix) + r"[^/\s]+/", sent[-1])
        assert found, sent[-1]
        return found[0]

    @staticmethod
    def kinds(sub: Subscription) -> list[tuple[str, str, date]]:
        """``(kind, to, local day queued)`` of every email about ``sub``, in order."""
        zone = account_zone()
        return [
            (e.kind, e.to, e.created_at.astimezone(zone).date())
            for e in EmailMessage.objects.filter(subscription_id=sub.pk).order_by("created_at", "pk")
        ]

    # -- invariants over the whole run -----------------------------------------------------------

    @staticmethod
    def check_invariants() -> None:
        prefix = account_settings().invoice_number_prefix
        numbers = sorted(
            int(n.removeprefix(prefix)) for n in Invoice.objects.values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1)), f"invoice numbers with gaps: {numbers}"
        for invoice in Invoice.objects.prefetch_related("lines"):
            lines = list(invoice.lines.all())
            assert lines, invoice
            assert invoice.total == sum(line.amount_total for line in lines), invoice
            assert invoice.subtotal == sum(line.amount_subtotal for line in lines), invoice
            assert invoice.tax == sum(line.amount_tax for line in lines), invoice
            assert invoice.discount == sum(line.amount_discount for line in lines), invoice
            assert invoice.amount_due == invoice.total - invoice.amount_paid, invoice


def freeze_at(
    year: int, month: int, day: int, hour: int = 9, minute: int = 30, zone: str = "UTC"
) -> datetime:
    """Freeze the test clock at a wall-clock time in ``zone``; returns the instant (UTC)."""
    at = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    clock.freeze(at)
    return at


@pytest.fixture
def scenario(transactional_db: None) -> Scenario:
    return Scenario()
