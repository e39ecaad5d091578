"""Domain errors that every entry point (API, web, CLI) turns into a clear answer.

The API renders them as ``application/problem+json`` (RFC 9457) with a
``type`` URN, ``title``, ``status``, ``detail`` and, for 422, field errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class RecurraError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def problem(self) -> dict[str, Any]:
        return problem(self.status, self.slug, self.title, self.detail, self.errors)


class Unauthenticated(RecurraError):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(RecurraError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(RecurraError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(RecurraError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class Gone(RecurraError):
    """It existed, and is no more (an expired export's file)."""

    status, slug, title = 410, "gone", "No longer available"


class Unavailable(RecurraError):
    """Someone Recurra depends on (the payment gateway) did not answer; try again later."""

    status, slug, title = 503, "unavailable", "Temporarily unavailable"


class ValidationFailed(RecurraError):
    status, slug, title = 422, "validation-error", "Invalid input"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[FieldError(field, message)])


def problem(
    status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:recurra:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None and (errors or status == 422):
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return body
