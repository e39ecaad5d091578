"""The patterns every area repeats, written once: list pages, form pages, confirmed actions.

Rules:
- Lists are keyset-paginated (``?cursor=``) and searchable (``?q=``); a cursor
  this list did not give out starts again from the first page.
- A form page validates, calls one service, then redirects (POST/redirect/GET);
  on error it re-renders with the user's input and the errors beside fields
  (status 422), or with the conflict message (409).
- Anything that changes data is a POST; a GET to a delete or revoke URL only
  shows the confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.pagination import paginate
from recurra.web.forms.base import sentence

PAGE_SIZE = 25
PREVIEW_SIZE = 10
MAX_QUERY = 200
M = TypeVar("M", bound=Model)
R = TypeVar("R")  # what a form's service returns


class FormLike(Protocol):
    def is_valid(self) -> bool: ...
    def service_values(self) -> dict[str, Any]: ...
    def add_service_errors(self, exc: ValidationFailed) -> None: ...


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST, None otherwise (an unbound form)."""
    return request.POST if request.method == "POST" else None


def statement(detail: str) -> str:
    """A service's error detail as a sentence: "product x is archived" → "Product x is archived."."""
    text = sentence(detail)
    return text if text.endswith(".") else f"{text}."


def prefill(request: HttpRequest, *names: str) -> dict[str, str]:
    """Initial values from the query string (``?company_id=...`` on "New contact" from a company)."""
    return {name: request.GET[name] for name in names if request.GET.get(name)}


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go after an action: the request's ``next`` (a path on this site only), else ``default``."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False)
    return url if safe and url.startswith("/") and not url.startswith("//") else default


def choice(request: HttpRequest, name: str, allowed: list[str]) -> str | None:
    """A query parameter's value when it is one of ``allowed``, else None (ignored)."""
    value = request.GET.get(name)
    return value if value in allowed else None


def reposted(data: QueryDict, *leave_out: str) -> list[tuple[str, str]]:
    """The posted values a confirmation form posts again, as hidden copies (without the CSRF token,
    which the form has its own of, and ``leave_out``): what was previewed is what is saved."""
    skip = {"csrfmiddlewaretoken", *leave_out}
    return [(name, value) for name, values in data.lists() if name not in skip for value in values]


def search_text(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY]


def list_page(
    request: HttpRequest, template: str, qs: QuerySet[M], context: dict[str, Any] | None = None
) -> HttpResponse:
    """One page of ``qs`` (newest first) rendered into ``template`` with the search text."""
    cursor = request.GET.get("cursor") or None
    try:
        page = paginate(qs, limit=PAGE_SIZE, cursor=cursor)
    except ValidationFailed:
        cursor = None
        page = paginate(qs, limit=PAGE_SIZE)
    return render(
        request, template, {"page": page, "q": search_text(request), "cursor": cursor, **(context or {})}
    )


def preview(qs: QuerySet[M], *, size: int = PREVIEW_SIZE) -> dict[str, Any]:
    """The first ``size`` associated records and whether there are more (for detail pages)."""
    rows = list(qs[: size + 1])
    return {"rows": rows[:size], "more": len(rows) > size}


def form_page(
    request: HttpRequest,
    form: FormLike,
    *,
    template: str,
    save: Callable[[dict[str, Any]], R],
    success: Callable[[R], str],
    message: str | Callable[[R], str],
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``save`` (one service) and redirect to ``success(obj)``,
    flashing ``message`` (or ``message(obj)``). Refusals show on the form: 422, or 409 on a conflict."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                obj = save(form.service_values())
            except ValidationFailed as exc:
                form.add_service_errors(exc)
            except Conflict as exc:
                form.add_service_errors(ValidationFailed(exc.detail))
                status = 409
            else:
                messages.success(request, message if isinstance(message, str) else message(obj))
                return redirect(success(obj))
    return render(request, template, {"form": form, **(context or {})}, status=status)


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    button: str,
    perform: Callable[[], object],
    done_url: str,
    cancel_url: str,
    message: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET: ask. POST: ``perform`` (one service) and go to ``done_url``; a Conflict is shown (409)."""
    error = None
    if request.method == "POST":
        try:
            perform()
        except Conflict as exc:
            error = statement(exc.detail)
        else:
            messages.success(request, message)
            return redirect(done_url)
    values = {
        "title": title,
        "question": question,
        "button": button,
        "cancel_url": cancel_url,
        "error": error,
    }
    return render(request, "web/confirm.html", {**values, **(context or {})}, status=409 if error else 200)


def post_action(
    request: HttpRequest, *, perform: Callable[[], object], message: str, next_url: str
) -> HttpResponse:
    """A one-click POST (archive, restore): ``perform`` then back to ``next_url`` with the outcome."""
    try:
        perform()
    except Conflict as exc:
        messages.error(request, statement(exc.detail))
    else:
        messages.success(request, message)
    return redirect(next_url)
