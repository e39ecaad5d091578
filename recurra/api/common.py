"""Small helpers every router uses: lookups that 404, and list query parameters."""

from __future__ import annotations

from typing import Annotated, TypeVar

from django.db.models import Model, QuerySet
from pydantic import BaseModel, ConfigDict, Field

from recurra.core.errors import NotFound
from recurra.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, paginate

M = TypeVar("M", bound=Model)


def get_or_404(model: type[M], pk: str) -> M:
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"no {model._meta.verbose_name} {pk}")
    return obj


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: Annotated[str, Field(max_length=500)] | None = None

    def page(self, qs: QuerySet[M]) -> Page[M]:
        return paginate(qs, limit=self.limit, cursor=self.cursor)


class ListQuery(PageQuery):
    q: Annotated[str, Field(max_length=200, description="words to search for")] | None = None
