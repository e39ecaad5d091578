"""The subscription page's Pause and Resume actions: editors only, POST with CSRF, flash messages.

The clock is frozen at 2027-01-15 09:30 UTC; the subscription is monthly from 15 Jan 2027 with
its first period billed (next payment 15 Feb).
"""

from __future__ import annotations

from datetime import date
from html import unescape
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.roles import Role
from recurra.core.models import Event
from recurra.subscriptions.models import Subscription
from tests.web.conftest import make_user
from tests.web.html import messages as shown_messages
from tests.web.html import text, value_of
from tests.web.test_subscription_pages import make_subscription


@pytest.fixture
def sub(records: Any) -> Subscription:
    return make_subscription(records.contact)


def messages(response: Any) -> list[str]:
    return [unescape(m) for m in shown_messages(response)]


def url(sub: Subscription, action: str = "") -> str:
    return f"/subscriptions/{sub.pk}/{action + '/' if action else ''}"


def test_an_editor_pauses_with_a_reason_and_a_resume_day(editor: Client, sub: Subscription) -> None:
    page = editor.get(url(sub))
    assert f'href="/subscriptions/{sub.pk}/pause/?next=' in page.content.decode()
    assert f'href="/subscriptions/{sub.pk}/resume/' not in page.content.decode()
    assert f'action="/subscriptions/{sub.pk}/pause/"' in editor.get(url(sub, "pause")).content.decode()

    done = editor.post(url(sub, "pause"), {"reason": "Travelling", "resume_on": "2027-03-01"}, follow=True)
    assert done.redirect_chain == [(url(sub), 302)]
    assert messages(done) == [
        "Subscription “Pro monthly” for Fjordline paused: "
        "nothing is invoiced, charged or reminded until it resumes."
    ]
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.status, row.pause_reason, row.resume_on) == ("paused", "Travelling", date(2027, 3, 1))
    shown = text(done.content)
    assert "Pause reason Travelling" in shown
    assert "Resumes on 1 Mar 2027" in shown
    assert f'href="/subscriptions/{sub.pk}/pause/' not in done.content.decode()
    resume = editor.get(url(sub, "resume"))
    assert value_of(resume, "next_payment_date") == "2027-02-15"  # the default: next anchor date from today
    assert Event.objects.filter(object_id=sub.pk, type="subscription.paused", actor_type="user").count() == 1


def test_an_editor_resumes_on_the_date_given(editor: Client, sub: Subscription) -> None:
    editor.post(url(sub, "pause"), {"reason": "", "resume_on": ""}, follow=True)  # its message shown
    done = editor.post(url(sub, "resume"), {"next_payment_date": "2027-01-20"}, follow=True)
    assert messages(done) == ["Subscription “Pro monthly” for Fjordline resumed."]
    row = Subscription.objects.get(pk=sub.pk)
    assert (row.status, row.next_payment_date, row.anchor_date, row.anchor_period) == (
        "active",
        date(2027, 1, 20),
        date(2027, 1, 20),
        1,
    )


def test_errors_are_shown_and_nothing_changes(editor: Client, sub: Subscription) -> None:
    done = editor.post(url(sub, "pause"), {"resume_on": "2027-01-15"}, follow=True)
    assert messages(done) == ["Resume on: Must be after today (2027-01-15) in the account's time zone."]
    done = editor.post(url(sub, "pause"), {"resume_on": "someday"}, follow=True)
    assert messages(done) == ["Resume on: Enter a valid date."]
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    done = editor.post(url(sub, "resume"), {"next_payment_date": ""}, follow=True)
    assert messages(done) == [f"Subscription {sub.pk} is not paused (it is active)."]
    editor.post(url(sub, "pause"), {}, follow=True)
    done = editor.post(url(sub, "resume"), {"next_payment_date": "2027-01-14"}, follow=True)
    assert messages(done) == [
        "Next payment date: Must be today (2027-01-15) or later in the account's time zone."
    ]
    assert Subscription.objects.get(pk=sub.pk).status == "paused"


def test_a_viewer_sees_no_actions_and_a_forged_post_is_refused(viewer: Client, sub: Subscription) -> None:
    page = viewer.get(url(sub)).content.decode()
    assert "/pause/" not in page and "/resume/" not in page
    assert 'id="actions"' not in page
    assert viewer.post(url(sub, "pause"), {"reason": "forged"}).status_code == 403
    Subscription.objects.filter(pk=sub.pk).update(status="paused")
    assert viewer.post(url(sub, "resume"), {}).status_code == 403
    assert Subscription.objects.get(pk=sub.pk).status == "paused"
    assert not Event.objects.filter(object_id=sub.pk).exists()


def test_actions_need_post_and_a_csrf_token(frozen_clock: Any, sub: Subscription) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.EDITOR))
    assert client.get(url(sub, "pause")).status_code == 200  # the dialog only
    assert client.post(url(sub, "pause"), {}).status_code == 403  # no token
    assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_a_canceled_subscription_offers_only_its_deletion(editor: Client, sub: Subscription) -> None:
    Subscription.objects.filter(pk=sub.pk).update(status="canceled")
    page = editor.get(url(sub)).content.decode()
    assert "/pause/" not in page and "/resume/" not in page and "/cancel/" not in page
    assert f'href="/subscriptions/{sub.pk}/delete/?next=' in page
