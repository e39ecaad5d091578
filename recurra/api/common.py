"""Small helpers every router uses: lookups that 404, a 204, and list query parameters."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from pydantic import BaseModel, ConfigDict, Field

from recurra.api.fields import TEXT
from recurra.core.errors import NotFound, ValidationFailed
from recurra.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, paginate

M = TypeVar("M", bound=Model)
Cursor = Annotated[str, Field(max_length=500, description="next_cursor of the previous page"), TEXT]


def no_content() -> HttpResponse:
    """A 204: no body, so no Content-Type either."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def get_or_404(model: type[M], pk: str) -> M:
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"no {model._meta.verbose_name} {pk}")
    return obj


def referenced(model: type[Model], pk: str | None, field: str) -> Any:
    """The row a body field names (None for None); a 422 on that field when there is none."""
    if pk is None:
        return None
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise ValidationFailed.field(field, f"no {model._meta.verbose_name} {pk}")
    return row


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: Cursor | None = None

    def page(self, qs: QuerySet[M]) -> Page[M]:
        return paginate(qs, limit=self.limit, cursor=self.cursor)


class ListQuery(PageQuery):
    q: Annotated[str, Field(max_length=200, description="words to search for"), TEXT] | None = None
