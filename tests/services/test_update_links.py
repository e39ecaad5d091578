"""Payment-method update links: made, found by token, revoked, expired; using one saves a method and pays.

A card subscription of 40.00 USD a month on ``tok_insufficient_funds`` is billed by the real
billing run at T0 (2027-01-15 09:30 UTC, frozen) and declined: Unpaid, one overdue invoice, a
payment_failed email whose update_url is a fresh link. With ``periods=2`` the next month's
renewal is declined too (two past-due invoices).

    T0 declined ── link (T0 + 7 days) ── buyer saves tok_visa ── every past-due invoice paid
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from recurra.billing.retries import charge_invoices
from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.jobs.models import Job
from recurra.notifications.models import EmailMessage
from recurra.notifications.render import render
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment, PaymentMethod
from recurra.payments.services import payment_method_add
from recurra.subscriptions.models import PaymentMethodUpdateLink, Subscription
from recurra.subscriptions.services import subscription_create
from recurra.subscriptions.update_links import (
    LINK_DAYS,
    past_due_invoices,
    token_hash,
    update_link_create,
    update_link_for_token,
    update_link_revoke,
    update_link_use,
)
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
USER = Actor("user", "7", "Eddie Editor")
AMOUNT = 4000


def past_due_subscription(
    email: str = "ada@example.com", *, periods: int = 1, allowed: tuple[str, ...] = ("card", "ach")
) -> Subscription:
    """A subscription whose ``periods`` first renewals were declined (committed as the run commits)."""
    contact = Contact.objects.create(email=email, first_name="Ada")
    method = payment_method_add(contact=contact, token="tok_insufficient_funds", actor=SYSTEM, at=T0)
    item = LineItemInput(name="Pro plan", unit_amount=AMOUNT, currency="USD", billing_frequency="monthly")
    sub = subscription_create(
        contact=contact,
        line_items=[item],
        collection_method="charge_automatically",
        payment_method=method,
        payment_terms=None,
        allowed_payment_methods=list(allowed),
        actor=SYSTEM,
        at=T0,
    )
    for n in range(periods):
        at = T0 + relativedelta(months=n)
        clock.freeze(at)
        billing_run(at=at)
    clock.freeze(T0)
    return Subscription.objects.get(pk=sub.pk)


def emailed_token(sub: Subscription, kind: str = "payment_failed") -> str:
    """The token in the newest ``kind`` email's update_url."""
    email = EmailMessage.objects.filter(subscription_id=sub.pk, kind=kind).order_by("-id").first()
    assert email is not None
    return str(email.data["update_url"]).rstrip("/").rsplit("/", 1)[1]


def new_token(sub: Subscription, *, at=T0) -> str:
    _, url = update_link_create(subscription=sub, actor=USER, at=at, email=False)
    return url.rstrip("/").rsplit("/", 1)[1]


def test_the_failure_email_carries_a_working_link() -> None:
    sub = past_due_subscription()
    assert sub.status == "past_due"
    email = EmailMessage.objects.get(subscription_id=sub.pk, kind="payment_failed")
    url = email.data["update_url"]
    assert url.startswith("http") and "/update-payment-method/" in url
    token = emailed_token(sub)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    link = update_link_for_token(token, at=T0)
    assert link is not None and link.subscription_id == sub.pk
    assert (link.created_at, link.expires_at, link.revoked_at) == (T0, T0 + timedelta(days=LINK_DAYS), None)
    assert PaymentMethodUpdateLink.objects.get().token_hash == token_hash(token)
    assert Event.objects.filter(type="paymentmethodupdatelink.created", object_id=link.pk).count() == 1
    assert render("payment_failed", "en", email.data).text.count(url) == 1


def test_the_token_is_never_stored_or_in_the_audit_trail() -> None:
    sub = past_due_subscription()
    token = emailed_token(sub)
    assert not PaymentMethodUpdateLink.objects.filter(token_hash=token).exists()
    assert all(token not in str(e.data) for e in Event.objects.all())


def test_no_link_when_failure_emails_are_off() -> None:
    from recurra.accounts.services import account_settings_update

    account_settings_update(actor=SYSTEM, at=T0, failed_payment_emails_enabled=False)
    past_due_subscription()
    assert PaymentMethodUpdateLink.objects.count() == 0


def test_on_demand_link_is_emailed_with_its_last_day() -> None:
    sub = past_due_subscription()
    link, url = update_link_create(subscription=sub, actor=USER, at=T0, email=True)
    email = EmailMessage.objects.get(subscription_id=sub.pk, kind="payment_method_update")
    assert email.to == "ada@example.com"
    assert email.data["update_url"] == url
    assert email.data["expires_on"] == "2027-01-21"  # expires 22 Jan 09:30: 21 Jan is the last whole day
    assert link.expires_at == T0 + timedelta(days=7)
    assert "The link works until" in render("payment_method_update", "en", email.data).text
    # Earlier links keep working: a buyer may use either email.
    assert update_link_for_token(emailed_token(sub), at=T0) is not None


def test_expiry() -> None:
    sub = past_due_subscription()
    token = new_token(sub)
    assert update_link_for_token(token, at=T0 + timedelta(days=7) - timedelta(seconds=1)) is not None
    assert update_link_for_token(token, at=T0 + timedelta(days=7)) is None


def test_revoke_kills_every_live_link_and_records_it() -> None:
    sub = past_due_subscription()
    tokens = [emailed_token(sub), new_token(sub)]
    assert update_link_revoke(subscription=sub, actor=USER, at=T0) == 2
    assert [update_link_for_token(t, at=T0) for t in tokens] == [None, None]
    assert Event.objects.filter(type="paymentmethodupdatelink.revoked").count() == 2
    assert update_link_revoke(subscription=sub, actor=USER, at=T0) == 0
    assert new_token(sub) and update_link_for_token(new_token(sub), at=T0) is not None  # new ones work


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1],
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + "x",
        lambda t: "",
        lambda t: "x" * 500,
    ],
    ids=["cut", "changed", "longer", "empty", "huge"],
)
def test_a_tampered_token_finds_nothing(tamper) -> None:
    sub = past_due_subscription()
    assert update_link_for_token(tamper(new_token(sub)), at=T0) is None


def test_a_foreign_token_opens_only_its_own_subscription() -> None:
    mine = past_due_subscription("ada@example.com")
    theirs = past_due_subscription("bob@example.com")
    link = update_link_for_token(new_token(theirs), at=T0)
    assert link is not None and link.subscription_id == theirs.pk != mine.pk
    update_link_use(link=link, token="tok_visa", at=T0)
    assert Invoice.objects.get(subscription=mine).status == "open"
    assert Subscription.objects.get(pk=mine.pk).status == "past_due"


def test_use_saves_the_method_replaces_the_subscriptions_and_pays() -> None:
    sub = past_due_subscription()
    old_method = sub.payment_method_id
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    outcome = update_link_use(link=link, token="tok_visa", at=T0)
    assert (outcome.succeeded, outcome.failed) == (1, 0)
    sub.refresh_from_db()
    method = PaymentMethod.objects.get(pk=sub.payment_method_id)
    assert method.pk != old_method and (method.brand, method.last4, method.contact_id) == (
        "visa",
        "4242",
        sub.contact_id,
    )
    assert sub.status == "active"
    invoice = Invoice.objects.get(subscription=sub)
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", AMOUNT, 0)
    paid = Payment.objects.get(status="succeeded")
    assert (paid.origin, paid.payment_method_id, paid.amount) == ("update_link", method.pk, AMOUNT)
    changed = Event.objects.get(type="subscription.updated", object_id=sub.pk, actor_id=link.pk)
    assert changed.data == {
        "before": {"payment_method_id": old_method},
        "after": {"payment_method_id": method.pk},
    }
    assert past_due_invoices(sub).count() == 0


def test_use_charges_every_past_due_invoice_at_once() -> None:
    sub = past_due_subscription(periods=2)
    assert past_due_invoices(sub).count() == 2
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    outcome = update_link_use(link=link, token="tok_visa", at=T0)
    assert outcome.succeeded == 2
    assert sorted(Invoice.objects.filter(subscription=sub).values_list("status", "amount_paid")) == [
        ("paid", AMOUNT),
        ("paid", AMOUNT),
    ]
    assert SandboxCharge.objects.filter(status="succeeded").count() == 2


def test_an_invoice_with_an_attempt_on_its_way_is_left_to_the_worker_and_not_in_the_answer() -> None:
    sub = past_due_subscription()
    invoice = Invoice.objects.get(subscription=sub)
    bank = payment_method_add(contact=sub.contact, token="tok_ach", actor=SYSTEM, at=T0)
    charge_invoices([invoice.pk], origin="manual", actor=SYSTEM, at=T0, method=bank)  # days to settle
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    charged = update_link_use(link=link, token="tok_visa", at=T0)
    assert (charged.payments, charged.succeeded, charged.failed, charged.processing) == ([], 0, 0, 0)
    job = Job.objects.get(kind="invoice_charge", payload__invoice_id=invoice.pk)
    assert (job.status, job.attempts, job.run_at) == ("queued", 1, T0 + timedelta(minutes=1))
    assert sorted(Payment.objects.filter(invoice=invoice).values_list("origin", "status")) == [
        ("manual", "processing"),
        ("renewal", "failed"),
    ]


def test_a_declined_new_method_is_kept_and_the_link_still_works() -> None:
    sub = past_due_subscription()
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    outcome = update_link_use(link=link, token="tok_decline", at=T0)
    assert (outcome.succeeded, outcome.failed) == (0, 1)
    assert Payment.objects.filter(origin="update_link").get().failure_code == "card_declined"
    assert Invoice.objects.get(subscription=sub).status == "open"
    assert update_link_use(link=link, token="tok_visa", at=T0).succeeded == 1


def test_a_type_the_subscription_does_not_allow_is_422_and_saves_nothing() -> None:
    sub = past_due_subscription(allowed=("card",))
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    methods = PaymentMethod.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        update_link_use(link=link, token="tok_ach", at=T0)
    assert [e.field for e in caught.value.errors] == ["token"]
    assert PaymentMethod.objects.count() == methods
    assert Subscription.objects.get(pk=sub.pk).payment_method_id == sub.payment_method_id
    assert not Payment.objects.filter(origin="update_link").exists()


def test_an_unknown_gateway_token_is_422() -> None:
    sub = past_due_subscription()
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    with pytest.raises(ValidationFailed):
        update_link_use(link=link, token="tok_nonsense", at=T0)
    assert not Payment.objects.filter(origin="update_link").exists()


def test_a_revoked_or_expired_link_cannot_be_used() -> None:
    sub = past_due_subscription()
    link = update_link_for_token(emailed_token(sub), at=T0)
    assert link is not None
    with pytest.raises(Conflict):
        update_link_use(link=link, token="tok_visa", at=T0 + timedelta(days=8))
    update_link_revoke(subscription=sub, actor=USER, at=T0)
    with pytest.raises(Conflict):
        update_link_use(link=link, token="tok_visa", at=T0)
    assert Subscription.objects.get(pk=sub.pk).payment_method_id == sub.payment_method_id
    assert Invoice.objects.get(subscription=sub).status == "open"


def test_no_link_for_an_ended_subscription_and_its_links_die() -> None:
    sub = past_due_subscription()
    token = emailed_token(sub)
    Subscription.objects.filter(pk=sub.pk).update(status="canceled")
    sub.refresh_from_db()
    with pytest.raises(Conflict):
        update_link_create(subscription=sub, actor=USER, at=T0, email=True)
    assert update_link_for_token(token, at=T0) is None
