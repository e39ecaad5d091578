"""/users: the team's users, so that integrations can name and choose owners (any role may read)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, Field

from recurra.accounts.models import User
from recurra.accounts.selectors import user_list, user_name
from recurra.api.common import PageQuery
from recurra.api.pagination import list_schema

router = Router(tags=["users"])


class UserOut(BaseModel):
    id: int
    name: str = Field(description="their full name, else their username")
    email: str = Field(description="may be blank")
    role: str = Field(description="super_admin, editor or viewer")

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(id=u.pk, name=user_name(u), email=u.email, role=u.role)


class UserQuery(PageQuery):
    include_deactivated: bool = Field(
        False, description="also the deactivated users (who may still own records, but can be assigned none)"
    )


@router.get("", response=list_schema(UserOut), summary="List the users (who may own records)")
def list_users(request: HttpRequest, filters: Query[UserQuery]) -> dict[str, object]:
    qs = user_list(include_deactivated=filters.include_deactivated)
    return filters.page(qs).render(UserOut.of)
