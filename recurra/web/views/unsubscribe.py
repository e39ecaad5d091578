"""The unsubscribe page of an email to a list: no sign-in, the contact's signed token in its path.

- ``GET`` shows whom it is about (the address the email went to) and a button;
  it changes nothing (mail scanners open links before people do).
- ``POST`` by the button (CSRF-checked, quietly, like every buyer page) sets
  the contact's ``email_opt_out`` and says so.
- ``POST`` with the body ``List-Unsubscribe=One-Click`` is RFC 8058's one-click
  unsubscribe, sent by a mailbox provider's own button from the message's
  ``List-Unsubscribe-Post`` header: it carries no CSRF token (none can exist),
  so it is exempt; the token in the path is its proof. It answers 200 with no page.

Either POST writes ``contact.updated`` (``email_opt_out`` false → true) as the
link's system actor (``notifications.unsubscribe``); a second one writes nothing.
A tampered or unknown token is a plain 404, for GET and POST alike: no address
is shown to a request without a valid signature. The page is in the contact's
language (their subscriptions' emails'), else the account's; ``?lang=`` wins.
A test message's sample link (``test``) shows the page and unsubscribes nobody.
Like every buyer page, its answers are never logged with the path, cached or
referred on (``public_pages``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from recurra.accounts.selectors import account_settings
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.notifications.bulk import contact_language
from recurra.notifications.unsubscribe import TEST_TOKEN, contact_for_token, unsubscribe
from recurra.web.views.public_pages import public_render, quiet_csrf, unlogged

PAGE = "web/public/unsubscribe.html"
ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click
SAMPLE_ADDRESS = "name@example.com"


def _one_click(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == ONE_CLICK


@csrf_exempt  # the one-click POST carries no CSRF token; the button's POST is checked below
@unlogged("web/public/update_error.html")
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if token == TEST_TOKEN:
        return _sample(request)
    contact = contact_for_token(token)
    if contact is None:
        return public_render(request, "web/public/not_found.html", {}, status=404)
    if _one_click(request):
        unsubscribe(contact=contact, one_click=True, at=clock.now())
        return HttpResponse(status=200)
    return _confirm(request, token, contact=contact)


@quiet_csrf
def _confirm(request: HttpRequest, token: str, *, contact: Contact) -> HttpResponse:
    done = contact.email_opt_out
    if request.method == "POST":
        unsubscribe(contact=contact, one_click=False, at=clock.now())
        done = True
    language = contact_language(contact.pk, default=account_settings().default_language)
    context = {"address": contact.email, "done": done, "just_now": request.method == "POST"}
    return public_render(request, PAGE, context, language=language)


def _sample(request: HttpRequest) -> HttpResponse:
    """A test message's link: the page as the contact would see it; nothing is changed."""
    if _one_click(request):
        return HttpResponse(status=200)
    posted = request.method == "POST"
    context = {"address": SAMPLE_ADDRESS, "done": posted, "just_now": posted, "sample": True}
    return public_render(request, PAGE, context, language=account_settings().default_language)
