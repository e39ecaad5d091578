"""The enabled workflows, each with its current version's parsed definition (parsed once per version)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from recurra.automation.models import Workflow, WorkflowVersion
from recurra.automation.workflows.spec import Definition, parse_definition


@dataclass(frozen=True)
class Live:
    """A workflow as the engine uses it."""

    id: str
    name: str
    version_id: str
    definition: Definition
    enabled_from: str


@functools.lru_cache(maxsize=512)
def _parsed(version_id: str, text: str) -> Definition:
    return parse_definition(json.loads(text))


def definition_of(version: WorkflowVersion) -> Definition:
    """A version's definition (versions never change: parsed once per process)."""
    return _parsed(version.pk, _key(version.definition))


def _key(definition: Any) -> str:
    return json.dumps(definition, sort_keys=True)


def live_workflows() -> list[Live]:
    """The enabled, not deleted workflows, oldest first."""
    rows = (
        Workflow.objects.filter(enabled=True, deleted_at__isnull=True)
        .order_by("id")
        .values_list("pk", "name", "version", "enabled_from")
    )
    found = list(rows)
    if not found:
        return []
    current = Q()
    for pk, _, number, _ in found:
        current |= Q(workflow_id=pk, number=number)
    versions = {(v.workflow_id, v.number): v for v in WorkflowVersion.objects.filter(current)}
    return [
        Live(pk, name, versions[(pk, number)].pk, definition_of(versions[(pk, number)]), enabled_from)
        for pk, name, number, enabled_from in found
        if (pk, number) in versions
    ]
