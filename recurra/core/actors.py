"""Who did something: a user, an API key, or the system itself (the worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["user", "api_key", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    name: str

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "", "Recurra")

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls("user", str(user.pk), user.get_full_name() or user.get_username())

    @classmethod
    def for_api_key(cls, key: Any) -> Actor:
        return cls("api_key", key.pk, key.name)

    def as_dict(self) -> dict[str, str]:
        return {"type": self.kind, "id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        """The actor :meth:`as_dict` wrote (a queued job's payload keeps who caused it)."""
        return cls(data["type"], data["id"], data["name"])
