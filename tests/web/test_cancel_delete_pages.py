"""The subscription page's Cancel, Undo cancellation and Delete actions: editors only, confirmed, CSRF.

The clock is frozen at 2027-01-15 09:30 UTC; the subscription is monthly from 15 Jan 2027 with
its first period billed (next payment 15 Feb).
"""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.subscriptions.models import Subscription
from tests.web.html import messages as shown_messages
from tests.web.test_subscription_pages import make_subscription


@pytest.fixture
def sub(records: Any) -> Subscription:
    return make_subscription(records.contact)


def url(sub: Subscription, action: str = "") -> str:
    return f"/subscriptions/{sub.pk}/{action + '/' if action else ''}"


def messages(response: Any) -> list[str]:
    return [unescape(m) for m in shown_messages(response)]


def test_cancel_needs_the_confirmation_box(editor: Client, sub: Subscription) -> None:
    assert f'href="/subscriptions/{sub.pk}/cancel/?next=' in editor.get(url(sub)).content.decode()
    dialog = editor.get(url(sub, "cancel")).content.decode()
    assert "I understand the customer will not be charged again" in dialog

    refused = editor.post(url(sub, "cancel"), {"when": "now", "refund": "none"}, follow=True)

    assert any(
        m.startswith("I understand the customer will not be charged again:") for m in messages(refused)
    )
    assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_cancel_at_period_end_then_undo(editor: Client, sub: Subscription) -> None:
    done = editor.post(
        url(sub, "cancel"), {"confirm": "on", "when": "period_end", "refund": "none"}, follow=True
    )
    assert messages(done) == [
        "Subscription “Pro monthly” for Fjordline will be canceled at the end of its period."
    ]
    assert Subscription.objects.get(pk=sub.pk).cancel_at_period_end
    assert f'action="/subscriptions/{sub.pk}/undo-cancel/"' in done.content.decode()

    undone = editor.post(url(sub, "undo-cancel"), follow=True)
    assert messages(undone) == [
        "Subscription “Pro monthly” for Fjordline will renew as before: the cancellation is undone."
    ]
    assert not Subscription.objects.get(pk=sub.pk).cancel_at_period_end


def test_cancel_now_then_delete_after_a_confirmation_page(editor: Client, sub: Subscription) -> None:
    editor.post(url(sub, "cancel"), {"confirm": "on", "when": "now", "refund": "none"})
    assert Subscription.objects.get(pk=sub.pk).status == "canceled"

    question = editor.get(url(sub, "delete"))
    assert "This cannot be undone" in question.content.decode()
    done = editor.post(url(sub, "delete"), follow=True)

    assert messages(done) == ["Subscription “Pro monthly” for Fjordline deleted."]
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert Event.objects.filter(object_id=sub.pk, type="subscription.deleted", actor_type="user").count() == 1


def test_deleting_an_active_subscription_is_refused(editor: Client, sub: Subscription) -> None:
    refused = editor.post(url(sub, "delete"))
    assert refused.status_code == 409
    assert Subscription.objects.filter(pk=sub.pk).exists()


def test_a_viewer_cannot_cancel_or_delete(viewer: Client, sub: Subscription) -> None:
    page = viewer.get(url(sub)).content.decode()
    assert "/cancel/" not in page and "/delete/" not in page
    assert (
        viewer.post(url(sub, "cancel"), {"confirm": "on", "when": "now", "refund": "none"}).status_code == 403
    )
    assert viewer.post(url(sub, "delete")).status_code == 403
    assert Subscription.objects.get(pk=sub.pk).status == "active"
