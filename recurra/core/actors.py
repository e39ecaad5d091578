"""Who did something: a user, an API key, the system itself (the worker), or a workflow.

A workflow's actions act as ``Actor.for_workflow``: kind ``workflow``, and the ``depth`` of the
chain of workflows that led to them (1 for a workflow enrolled by a person's change). Events they
write carry it (``data["depth"]``), so that no workflow enrolls beyond depth 3 (``automation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ActorKind = Literal["user", "api_key", "system", "workflow"]


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str
    name: str
    depth: int = 0  # workflows only: how many workflows led to this action

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "", "Recurra")

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls("user", str(user.pk), user.get_full_name() or user.get_username())

    @classmethod
    def for_api_key(cls, key: Any) -> Actor:
        return cls("api_key", key.pk, key.name)

    @classmethod
    def for_workflow(cls, workflow_id: str, name: str, *, depth: int) -> Actor:
        """A workflow's actions, ``depth`` workflows down from the change that began the chain."""
        return cls("workflow", workflow_id, name, depth)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"type": self.kind, "id": self.id, "name": self.name}
        if self.depth:
            found["depth"] = self.depth
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        """The actor :meth:`as_dict` wrote (a queued job's payload keeps who caused it)."""
        return cls(data["type"], data["id"], data["name"], int(data.get("depth") or 0))
