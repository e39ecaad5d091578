"""Every API error as ``application/problem+json``; never a 500 for bad input."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import BaseModel, Field

from recurra.core.clock import ClockError
from recurra.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    RecurraError,
    Unauthenticated,
    ValidationFailed,
    problem,
)
from recurra.core.money import CurrencyError, CurrencyMismatch

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)

# (slug, title) of each status: the domain errors' own, so a 422 from pydantic
# and one from a service have the same ``type``.
_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("request-too-large", "Request too large"),
    500: ("server-error", "Internal server error"),
    **{
        e.status: (e.slug, e.title)
        for e in (Unauthenticated, Forbidden, NotFound, Conflict, ValidationFailed)
    },
}


class FieldErrorOut(BaseModel):
    field: str = Field(description="the input field, e.g. `line_items[0].currency`")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457), served as application/problem+json."""

    type: str = Field(description="a URN naming the kind of problem, e.g. urn:recurra:problem:not-found")
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="one entry per invalid field (always present on 422)"
    )


def respond(body: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(body, status=body["status"], content_type=PROBLEM_JSON)
    if body["status"] == 401:
        response["WWW-Authenticate"] = 'Bearer realm="recurra"'
    return response


def http_problem(status: int, detail: str, errors: list[FieldError] | None = None) -> HttpResponse:
    slug, title = _KINDS.get(status, ("error", "Error"))
    return respond(problem(status, slug, title, detail, errors))


_WRAPPERS = ("payload", "filters", "params")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's location, minus ninja's wrappers: ('body', 'payload', 'line_items', 0, 'currency')
    becomes ``line_items[0].currency``; the body as a whole is ``body``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
        if parts and parts[0] in _WRAPPERS:
            parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union", "constrained-")):
            name += ("." if name else "") + str(part)
    return name or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "is not a known field"
    if error.get("type") == "missing":
        return "is required"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def too_large() -> HttpResponse:
    return http_problem(413, "the request body is larger than this server accepts")


def server_error() -> HttpResponse:
    """An unexpected error under /api/ (the project's handler500 asks): a 500 problem, never HTML."""
    return http_problem(500, "the server could not answer this request; the error has been logged")


def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that names no operation."""
    return http_problem(404, f"no API operation at {request.path}")


unknown_path.csrf_exempt = True  # type: ignore[attr-defined]


def method_not_allowed_as_problem(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a path's view so a method it lacks is a 405 problem (with ``Allow``), not plain text."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = http_problem(405, f"{request.method} is not allowed here; use {allowed}")
            response["Allow"] = allowed
        return response

    return wrapper


def install(api: NinjaAPI) -> None:
    @api.exception_handler(RecurraError)
    def recurra_error(request: HttpRequest, exc: RecurraError) -> HttpResponse:
        return respond(exc.problem())

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [FieldError(_field_name(e.get("loc", ())), _message(e)) for e in exc.errors]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return http_problem(422, detail, errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return http_problem(401, "send a valid API key as 'Authorization: Bearer <key>'")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            return http_problem(
                400, "the request body is not valid JSON", [FieldError("body", "malformed JSON")]
            )
        return http_problem(exc.status_code, detail)

    @api.exception_handler(RequestDataTooBig)
    def request_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return too_large()

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return http_problem(404, str(exc) or "no such resource")

    @api.exception_handler(ClockError)
    def clock_error(request: HttpRequest, exc: ClockError) -> HttpResponse:
        return http_problem(422, str(exc), [FieldError("to", str(exc))])

    @api.exception_handler(CurrencyError)
    def currency_error(request: HttpRequest, exc: CurrencyError) -> HttpResponse:
        return http_problem(422, str(exc), [FieldError("currency", str(exc))])

    @api.exception_handler(CurrencyMismatch)
    def currency_mismatch(request: HttpRequest, exc: CurrencyMismatch) -> HttpResponse:
        return http_problem(422, str(exc), [FieldError("currency", str(exc))])
