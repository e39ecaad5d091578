"""The sign-in form is throttled (django-axes): after N wrong passwords in a row for one username from
one address, that pair gets the "Sign-in paused" page (429) until the cool-off has passed, and gets
exactly the same answers whether the username exists or not. API keys are not counted or locked.

Defaults: N = 5, 15 minutes (RECURRA_LOGIN_FAILURE_LIMIT, RECURRA_LOGIN_COOLOFF_MINUTES).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from recurra.accounts.roles import Role
from tests.conftest import ApiClient
from tests.web.conftest import PASSWORD, make_user
from tests.web.html import text

pytestmark = pytest.mark.usefixtures("frozen_clock")

WRONG = "Please enter a correct username and password. Note that both fields may be case-sensitive."
PAUSED = (
    "Sign-in paused Too many wrong passwords in a row. For safety, signing in with this username from "
    "here is paused for 15 minutes. Try again after that."
)


def sign_in(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post("/login/", {"username": username, "password": password})
    body = text(response.content) if response.status_code != 302 else response["Location"]
    return response.status_code, body


def answers(username: str, tries: int) -> list[tuple[int, str]]:
    client = Client()
    return [sign_in(client, username, f"wrong {i}") for i in range(tries)]


def is_signed_in(client: Client) -> bool:
    return client.get("/contacts/").status_code == 200


def test_the_fifth_wrong_password_pauses_sign_in_the_same_whether_the_user_exists_or_not() -> None:
    make_user(Role.VIEWER, "vera")
    known, unknown = answers("vera", 7), answers("nobody", 7)
    assert [status for status, _ in known] == [200, 200, 200, 200, 429, 429, 429]
    assert WRONG in known[0][1]
    assert PAUSED in known[4][1]
    assert "Back to sign in" in known[4][1]
    assert known == unknown  # word for word: nothing tells whether "vera" exists
    client = Client()
    assert sign_in(client, "vera", PASSWORD)[0] == 429  # the right password too, while paused
    assert not is_signed_in(client)


def test_the_pause_is_for_that_username_from_that_address_and_ends_after_the_cool_off() -> None:
    make_user(Role.VIEWER, "vera")
    make_user(Role.VIEWER, "olga")
    answers("vera", 5)
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_in(elsewhere, "vera", PASSWORD) == (302, "/")  # another address is not paused
    here = Client()
    assert sign_in(here, "olga", PASSWORD) == (302, "/")  # nor another username from here
    paused = Client()
    assert sign_in(paused, "vera", PASSWORD)[0] == 429
    # The cool-off passes (django-axes keeps the real time of each failure; move them back):
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert sign_in(paused, "vera", PASSWORD) == (302, "/")
    assert is_signed_in(paused)


def test_a_successful_sign_in_forgets_earlier_typos() -> None:
    make_user(Role.VIEWER, "vera")
    client = Client()
    answers("vera", 4)
    assert sign_in(client, "vera", PASSWORD) == (302, "/")
    assert [status for status, _ in answers("vera", 4)] == [200, 200, 200, 200]


def test_the_limit_and_cool_off_come_from_the_settings(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    tried = answers("nobody", 3)
    assert [status for status, _ in tried] == [200, 429, 429]
    assert "is paused for 1 minute. Try again after that." in tried[1][1]


def test_api_keys_are_not_throttled(api: ApiClient) -> None:
    answers("admin", 5)  # this address is paused for "admin" on the sign-in form
    assert api.get("/contacts").status_code == 200
