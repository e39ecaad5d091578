"""Every API error as ``application/problem+json``; never a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from recurra.core.clock import ClockError
from recurra.core.errors import FieldError, RecurraError, problem
from recurra.core.money import CurrencyError, CurrencyMismatch

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)

_HTTP_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Not allowed for this role",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
}


def respond(body: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(body, status=body["status"], content_type=PROBLEM_JSON)
    if body["status"] == 401:
        response["WWW-Authenticate"] = 'Bearer realm="recurra"'
    return response


def http_problem(status: int, detail: str, errors: list[FieldError] | None = None) -> HttpResponse:
    slug = _HTTP_TITLES.get(status, "error").lower().replace(" ", "-")
    return respond(problem(status, slug, _HTTP_TITLES.get(status, "Error"), detail, errors))


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's location, minus ninja's wrappers: ('body', 'payload', 'line_items', 0, 'currency')
    becomes ``line_items[0].currency``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in ("payload", "filters", "params"):
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
