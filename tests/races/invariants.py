"""What must hold after any number of workers, crashes and restarts billed the seeded renewals.

Every check states an exact count; each returns nothing and fails with the
offending rows. The seed is ``bench.seed``: subscription ``i`` belongs to
contact ``<tag><i>@bench.example``, its kind and total follow from ``i``.
Charges are compared with the processor's own records (``tests.books``): the
sandbox's rows, or localstripe's PaymentIntents.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from dateutil.relativedelta import relativedelta

from bench.seed import SEND_INVOICE, VISA, Seeded, kind_of, total_of
from recurra.core.models import Event
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceSequence
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from tests.books import Books, SandboxBooks


def index_of(email: str) -> int:
    """The seed index of a seeded contact's email."""
    return int(email.split("@")[0].lstrip("abcdefghijklmnopqrstuvwxyz"))


def kinds() -> dict[str, tuple[int, str]]:
    """Subscription id -> (seed index, kind)."""
    rows = Subscription.objects.values_list("pk", "contact__email")
    return {pk: (index_of(email), kind_of(index_of(email))) for pk, email in rows}


def assert_billed_exactly_once(seeded: Seeded) -> None:
    """Each subscription: one invoice, for period 1, with the right total; the schedule moved on once."""
    today = date.fromisoformat(seeded.due_on)
    subs = kinds()
    assert len(subs) == seeded.n
    invoices = list(
        Invoice.objects.values_list("pk", "subscription_id", "period_index", "period_start", "total")
    )
    per_sub = Counter(sub for _, sub, _, _, _ in invoices)
    assert len(invoices) == seeded.n, f"{len(invoices)} invoices for {seeded.n} renewals"
    assert [s for s, c in per_sub.items() if c != 1] == []
    assert set(per_sub) == set(subs)
    assert {(index, start) for _, _, index, start, _ in invoices} == {(1, today)}
    wrong = [(sub, total) for _, sub, _, _, total in invoices if total != total_of(subs[sub][0])]
    assert wrong == []
    assert sum(total for *_, total in invoices) == seeded.expected_total
    line_sums = Counter[str]()
    for invoice_id, amount in InvoiceLine.objects.values_list("invoice_id", "amount_total"):
        line_sums[invoice_id] += amount
    assert [pk for pk, *_, total in invoices if line_sums[pk] != total] == []
    schedule = Counter(Subscription.objects.values_list("periods_billed", "next_payment_date"))
    assert schedule == {(2, today + relativedelta(months=1)): seeded.n}


def assert_charged_exactly_once(seeded: Seeded, books: Books) -> None:
    """One payment per automatic invoice, none pending; the processor's charges and payments match one
    to one (none made twice for a key, each method charged once), so each paid invoice was paid once."""
    subs = kinds()
    automatic = {sub for sub, (_, kind) in subs.items() if kind != SEND_INVOICE}
    payments = list(
        Payment.objects.values_list(
            "idempotency_key", "subscription_id", "status", "gateway_charge_id", "amount", "invoice__total"
        )
    )
    assert Counter(p[1] for p in payments) == Counter(automatic), "one payment per automatic renewal"
    assert [p for p in payments if p[4] != p[5]] == [], "a payment's amount is its invoice's total"
    made = books.charges()
    charges = {c.key: c for c in made}
    assert len(charges) == len(made), f"a key charged twice: {sorted(c.key for c in made)}"
    keys = [p[0] for p in payments]
    assert len(set(keys)) == len(keys)
    assert set(charges) == set(keys), "every gateway charge has exactly one payment, and vice versa"
    mine = {key: (charge_id, status, amount) for key, _, status, charge_id, amount, _ in payments}
    mismatched = [key for key, c in charges.items() if (c.charge_id, c.status, c.amount) != mine[key]]
    assert mismatched == [], "each payment records its own charge's id, status and amount"
    expected = Counter(
        "succeeded" if kind == VISA else "failed" for sub, (_, kind) in subs.items() if sub in automatic
    )
    assert Counter(p[2] for p in payments) == expected, (
        "none left pending; visa succeeds, fail_renewals fails"
    )
    per_method = Counter(c.method for c in made)
    assert len(per_method) == len(automatic) and set(per_method.values()) == {1}, "each card charged once"
    paid = Counter(Payment.objects.filter(status="succeeded").values_list("invoice_id", flat=True))
    assert [invoice for invoice, count in paid.items() if count != 1] == []
    paid_invoices = set(Invoice.objects.filter(status="paid").values_list("pk", flat=True))
    assert set(paid) == paid_invoices, "each paid invoice has exactly one succeeded charge"


def assert_recorded_once() -> None:
    """Each payment's outcome recorded once: one event and one customer email per outcome, per invoice."""
    outcomes = Counter(
        Event.objects.filter(type__in=("payment.succeeded", "payment.failed")).values_list(
            "object_id", flat=True
        )
    )
    assert set(outcomes.values()) == {1}
    assert set(outcomes) == set(Payment.objects.values_list("pk", flat=True))
    created = Counter(Event.objects.filter(type="invoice.created").values_list("object_id", flat=True))
    assert set(created.values()) == {1} and len(created) == Invoice.objects.count()
    per_invoice = Counter(
        EmailMessage.objects.filter(kind__in=("receipt", "payment_failed", "invoice")).values_list(
            "kind", "invoice_id"
        )
    )
    assert [key for key, count in per_invoice.items() if count != 1] == []
    kinds_sent = Counter(kind for kind, _ in per_invoice)
    assert kinds_sent == {
        "receipt": Payment.objects.filter(status="succeeded").count(),
        "payment_failed": Payment.objects.filter(status="failed").count(),
        "invoice": Invoice.objects.filter(collection_method="send_invoice").count(),
    }


def assert_numbers_gapless(n: int, prefix: str = "INV-") -> None:
    """Invoice numbers are exactly 1..n: no gap, no duplicate, and the counter stands at n."""
    numbers = sorted(
        int(number.removeprefix(prefix)) for number in Invoice.objects.values_list("number", flat=True)
    )
    assert numbers == list(range(1, n + 1))
    assert InvoiceSequence.objects.get(prefix=prefix).last_number == n


def assert_all(seeded: Seeded, books: Books | None = None) -> None:
    """Every invariant; charges against ``books`` (the sandbox's by default)."""
    assert_billed_exactly_once(seeded)
    assert_charged_exactly_once(seeded, books or SandboxBooks())
    assert_recorded_once()
    assert_numbers_gapless(seeded.n)
