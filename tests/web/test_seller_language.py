"""The language of a seller's pages (``web.languages.seller_language``) and Settings → Profile, where each
user chooses it.

The rule: a signed-in user's own language, else the account's default language; before sign-in, the
browser's ``Accept-Language`` (Norwegian without a standard, or Nynorsk, reads bokmål), else English.
The API under /api/ stays English whoever calls it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from recurra.accounts.models import AccountSettings, User
from recurra.accounts.services import user_set_language
from recurra.core.models import Event
from recurra.web.languages import seller_language
from tests.conftest import SYSTEM, ApiClient
from tests.web.conftest import make_user
from tests.web.html import field_errors, messages, text, value_of

pytestmark = pytest.mark.usefixtures("frozen_clock")


def set_account_language(code: str) -> None:
    AccountSettings.objects.update_or_create(
        pk=AccountSettings.SINGLETON, defaults={"default_language": code}
    )


def language_of(user: User | None, accept: str | None = None) -> str:
    headers = {"Accept-Language": accept} if accept is not None else {}
    request = RequestFactory().get("/contacts/", headers=headers)
    request.user = user or AnonymousUser()
    return seller_language(request)


def html_lang(response: Any) -> str:
    found = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert found is not None
    return found[1]


# The rule ----------------------------------------------------------------------------------------


def test_a_user_who_chose_bokmal_gets_bokmal_whatever_the_account_and_browser_say() -> None:
    user = make_user("viewer")
    user.language = "nb"
    assert language_of(user, accept="en-US,en;q=0.9") == "nb"


def test_a_user_who_chose_english_gets_english_on_a_norwegian_account() -> None:
    set_account_language("nb")
    user = make_user("viewer")
    user.language = "en"
    assert language_of(user, accept="nb-NO") == "en"


def test_a_user_who_chose_none_gets_the_accounts_default_language() -> None:
    user = make_user("viewer")
    assert user.language == ""
    assert language_of(user, accept="nb-NO") == "en"  # the browser counts only before sign-in
    set_account_language("nb")
    assert language_of(user, accept="en-US") == "nb"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("nb-NO,nb;q=0.9,en;q=0.8", "nb"),
        ("nb", "nb"),
        ("nn-NO,nn;q=0.9", "nb"),  # Nynorsk: bokmål is the closest Recurra speaks
        ("no", "nb"),
        ("sv-SE,sv;q=0.9", "en"),  # a language Recurra does not speak
        ("sv-SE,nb;q=0.5", "nb"),  # the first one it speaks
        ("*", "en"),
        ("", "en"),
        (None, "en"),  # no header at all
    ],
)
def test_before_sign_in_the_browser_chooses(accept: str | None, expected: str) -> None:
    set_account_language("nb")  # the account's language is not the visitor's
    assert language_of(None, accept=accept) == expected


def test_the_login_page_answers_in_the_browsers_language() -> None:
    page = Client().get("/login/", headers={"Accept-Language": "nb-NO,nb;q=0.9"})
    assert page.status_code == 200
    assert page["Content-Language"] == "nb"
    assert html_lang(page) == "nb"
    assert "Logg inn" in text(page.content)
    assert "Sign in" not in text(page.content)
    english = Client().get("/login/")
    assert english["Content-Language"] == "en"
    assert "Sign in" in text(english.content)
    assert "Accept-Language" in page["Vary"]


def test_pages_say_their_language_in_the_content_language_header(client_as: Callable[[str], Client]) -> None:
    client = client_as("viewer")
    assert client.get("/contacts/")["Content-Language"] == "en"
    User.objects.filter(username="viewer").update(language="nb")
    page = client.get("/settings/profile/")
    assert page["Content-Language"] == "nb"
    assert html_lang(page) == "nb"


def test_the_api_stays_english_for_a_norwegian_user(api: ApiClient) -> None:
    set_account_language("nb")
    norwegian = make_user("super_admin", "kari")
    user_set_language(user=norwegian, language="nb", actor=SYSTEM)
    api.client.force_login(norwegian)  # a session too: the API still answers in English
    response = api._call("patch", "/settings", {"timezone": "Mars/Olympus_Mons"}, {"Accept-Language": "nb"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "timezone", "message": "is not an IANA time zone name such as Europe/Oslo"}
    ]
    assert response.get("Content-Language") != "nb"
    unauthenticated = Client().get("/api/v1/settings", headers={"Accept-Language": "nb"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["title"] == "Authentication required"


# Settings → Profile ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor", "super_admin"])
def test_every_role_opens_its_profile(client_as: Callable[[str], Client], role: str) -> None:
    page = client_as(role).get("/settings/profile/")
    assert page.status_code == 200
    assert value_of(page, "language") == ""
    html = page.content.decode()
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)
    assert options == [("", "Account default (English)"), ("en", "English"), ("nb", "Norsk bokmål")]
    tabs = re.search(r'<nav class="tabs" aria-label="Settings">(.*?)</nav>', html, re.S)
    assert tabs is not None
    shown = re.findall(r"<a [^>]*>([^<]*)</a>", tabs[1])
    assert shown[-1] == "Profile"
    # The other tabs are super admins' pages: the others see only their profile.
    assert len(shown) == (8 if role == "super_admin" else 1)


def test_the_name_in_the_top_bar_leads_to_the_profile(viewer: Client) -> None:
    html = viewer.get("/contacts/").content.decode()
    assert '<a class="who" href="/settings/profile/"' in html


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/settings/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/settings/profile/")
    assert Client().post("/settings/profile/", {"language": "nb"}).status_code == 302


def test_choosing_bokmal_answers_in_bokmal_and_records_one_event(viewer: Client) -> None:
    done = viewer.post("/settings/profile/", {"language": "nb"}, follow=True)
    assert done.redirect_chain == [("/settings/profile/", 302)]
    assert done["Content-Language"] == "nb"
    assert messages(done) == ["Profilen din er lagret."]
    main = re.search(r"<main\b.*?</main>", done.content.decode(), re.S)  # the frame is base.html's
    assert main is not None
    page = text(main[0])
    assert "Innstillinger" in page and "Språk" in page and "Lagre" in page
    assert "Settings" not in page and "Save" not in page and "Language" not in page
    assert value_of(done, "language") == "nb"
    assert '<option value="">Kontoens standard (English)</option>' in done.content.decode()
    assert User.objects.get(username="viewer").language == "nb"
    [event] = Event.objects.filter(type="user.language_changed")
    assert (event.actor_type, event.actor_name) == ("user", "Viewer")
    assert event.data == {"before": {"language": ""}, "after": {"language": "nb"}}

    again = viewer.post("/settings/profile/", {"language": "nb"}, follow=True)
    assert messages(again) == ["Profilen din er lagret."]  # the same again: nothing to record
    assert Event.objects.filter(type="user.language_changed").count() == 1

    back = viewer.post("/settings/profile/", {"language": ""}, follow=True)  # the account's default
    assert messages(back) == ["Your profile is saved."]
    assert User.objects.get(username="viewer").language == ""


@pytest.mark.parametrize("bad", ["xx", "de", "nb-NO", "<script>"])
def test_a_language_recurra_does_not_speak_is_a_form_error(viewer: Client, bad: str) -> None:
    response = viewer.post("/settings/profile/", {"language": bad})
    assert response.status_code == 422
    [error] = field_errors(response, "id_language")
    assert error.startswith("Select a valid choice.")
    assert User.objects.get(username="viewer").language == ""
    assert not Event.objects.filter(type="user.language_changed").exists()


def test_the_service_refuses_a_language_recurra_does_not_speak() -> None:
    from recurra.core.errors import ValidationFailed

    user = make_user("viewer")
    with pytest.raises(ValidationFailed) as refused:
        user_set_language(user=user, language="de", actor=SYSTEM)
    assert [(e.field, e.message) for e in refused.value.errors] == [("language", "must be one of en, nb")]


def test_a_profile_post_without_the_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("editor"))
    assert client.post("/settings/profile/", {"language": "nb"}).status_code == 403
    assert User.objects.get(username="editor").language == ""
    page = client.get("/settings/profile/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    done = client.post("/settings/profile/", {"language": "nb", "csrfmiddlewaretoken": token[1]})
    assert done.status_code == 302
    assert User.objects.get(username="editor").language == "nb"


def test_a_profile_changes_only_the_users_own_language(client_as: Callable[[str], Client]) -> None:
    other = make_user("viewer", "other")
    editor = client_as("editor")
    editor.post("/settings/profile/", {"language": "nb", "role": "super_admin", "username": "x"})
    mine = User.objects.get(username="editor")
    assert (mine.language, mine.role, mine.username) == ("nb", "editor", "editor")
    assert User.objects.get(pk=other.pk).language == ""


def test_the_account_page_offers_every_language_and_says_what_the_default_does(admin: Client) -> None:
    page = admin.get("/settings/account/")
    select = re.search(r'<select name="default_language"[^>]*>(.*?)</select>', page.content.decode(), re.S)
    assert select is not None
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1]) == [
        ("en", "English"),
        ("nb", "Norsk bokmål"),
    ]
    assert "pages of every user who has not chosen a language of their own" in text(page.content)
