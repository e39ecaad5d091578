"""Status becomes Unpaid → email the owner: a real SMTP server receives the internal emails.

2027-01-01  subscribed (tok_fail_renewals: the first charge succeeds, then every one is declined);
            owned by Olivia; the workflow listens from now
Feb 1       renewal declined → Unpaid → one workflow_notification to Olivia (re-running: nothing)
Feb 10      the buyer pays (a new card) → Active
Mar 1       declined again → Unpaid: a second email only when the workflow re-enrolls
"""

from __future__ import annotations

from datetime import date

import pytest

from recurra.accounts.models import User
from recurra.automation.models import Enrollment, EnrollmentStep
from recurra.automation.workflows.services import workflow_create
from recurra.billing.retries import charge_invoices
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.owners import owner_assign
from recurra.subscriptions.models import Subscription
from tests import smtp
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
smtp_server = smtp.smtp_server
SYSTEM = Actor.system()
UNPAID = {"type": "property_change", "property": "status", "to": ["past_due"]}
NOTIFY = [
    {
        "type": "internal_email",
        "to": ["owner"],
        "subject": "{{ subscription.name }} is {{ subscription.status }}",
        "body": "Next payment {{ subscription.next_payment_date }}: {{ subscription.url }}",
    }
]


def _owned_subscription(scenario) -> Subscription:
    freeze_at(2027, 1, 1, 9, 30)
    scenario.user("olivia@example.com", "olivia", role="editor")
    olivia = User.objects.get(username="olivia")
    contact = scenario.contact("dora@example.com", "Dora", "Dunning")
    sub = scenario.subscribe(contact, item(name="Pro", amount=2000), token="tok_fail_renewals")
    owner_assign(obj=sub, owner_id=olivia.pk, actor=SYSTEM)
    return sub


def _workflow(*, reenroll: bool):
    return workflow_create(
        name="Notify the owner when a subscription becomes Unpaid",
        definition={"trigger": UNPAID, "reenroll": reenroll, "actions": NOTIFY},
        enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )


def _notices(smtp_server) -> list:
    return [m for m in smtp_server.messages if "is Unpaid" in str(m["subject"])]


def _recover(scenario, sub: Subscription) -> None:
    """Feb 10: the buyer pays the open invoice with a good card (Active again); their next card
    is one that declines, so that March's renewal fails again."""
    scenario.advance(date(2027, 2, 10))
    good = scenario.method(sub.contact, "tok_visa")
    invoice = scenario.invoices(sub)[-1]
    assert charge_invoices(
        [invoice.pk], origin="update_link", method=good, actor=SYSTEM, at=clock.now()
    ).succeeded
    assert scenario.fresh(sub).status == "active"
    declining = scenario.method(sub.contact, "tok_insufficient_funds")
    Subscription.objects.filter(pk=sub.pk).update(payment_method=declining)
    scenario.advance(date(2027, 2, 11))


def test_the_owner_is_emailed_once_when_the_subscription_becomes_unpaid(scenario, smtp_server):
    sub = _owned_subscription(scenario)
    _workflow(reenroll=False)

    scenario.advance(date(2027, 2, 1))
    scenario.advance(date(2027, 2, 2))  # the clock steps on: nothing more

    assert scenario.fresh(sub).status == "past_due"
    (notice,) = _notices(smtp_server)
    assert notice["to"] == "olivia@example.com"
    assert str(notice["subject"]) == "Pro is Unpaid"
    body = notice.get_body(("plain",)).get_content()
    assert "Next payment 1 Mar 2027" in body or "Next payment 1 Feb 2027" in body
    assert f"/subscriptions/{sub.pk}/" in body
    (enrollment,) = Enrollment.objects.all()
    assert (enrollment.status, enrollment.depth) == ("finished", 1)
    (step,) = EnrollmentStep.objects.all()
    assert (step.type, step.outcome, step.detail["emails"][0]["to"]) == (
        "internal_email",
        "done",
        "olivia@example.com",
    )

    _recover(scenario, sub)
    scenario.advance(date(2027, 3, 1))
    assert scenario.fresh(sub).status == "past_due"
    assert len(_notices(smtp_server)) == 1  # reenroll off: once per subscription


def test_with_reenroll_a_second_failure_after_recovery_sends_a_second(scenario, smtp_server):
    sub = _owned_subscription(scenario)
    _workflow(reenroll=True)
    scenario.advance(date(2027, 2, 1))
    assert len(_notices(smtp_server)) == 1

    _recover(scenario, sub)
    scenario.advance(date(2027, 3, 1))

    assert scenario.fresh(sub).status == "past_due"
    assert len(_notices(smtp_server)) == 2
    assert Enrollment.objects.filter(status="finished").count() == 2
