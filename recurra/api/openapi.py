"""The OpenAPI document tells the whole truth, from one place.

django-ninja documents what each operation returns on success. Here every
operation also gets the errors it can answer, as ``application/problem+json``
with the :class:`Problem` schema, picked by a table of rules on the
operation's shape (secured, has path ids, has a body, is a POST...), and
every POST gets the ``Idempotency-Key`` header (and, on its answers, the
``Idempotent-Replayed`` one). An operation with an error of its own declares
it in its response map: ``{200: ClockOut, **problem_responses(404)}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema

from recurra.api.idempotency import HEADER, KEY_PATTERN, RETENTION
from recurra.api.problems import PROBLEM_JSON, Problem

PROBLEM_REF = REF_TEMPLATE.format(model=Problem.__name__)

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: the body is not valid JSON",
    401: "Missing, malformed, unknown or revoked API key",
    403: "The API key's role may not do this",
    404: "No such resource",
    409: "Conflicts with the current state (or a request with this Idempotency-Key is still running)",
    413: "The request body is too large",
    422: "Invalid input: `errors` names each invalid field",
}

Operation = dict[str, Any]
Rule = Callable[[str, Operation], bool]


def _has_path_ids(method: str, op: Operation) -> bool:
    return any(p.get("in") == "path" for p in op.get("parameters", []))


#: (when, the error statuses an operation can then answer)
RULES: tuple[tuple[Rule, tuple[int, ...]], ...] = (
    (lambda method, op: bool(op.get("security")), (401, 403)),
    (_has_path_ids, (404,)),
    (lambda method, op: bool(op.get("parameters")), (422,)),
    (lambda method, op: "requestBody" in op, (400, 413, 422)),
    (lambda method, op: method == "post", (409, 422)),  # Idempotency-Key still running / reused
    (lambda method, op: method == "delete", (409,)),  # still in use
)

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Makes a POST safe to retry: the same key with the same body replays the first response "
        "(with `Idempotent-Replayed: true`); with another body or path it is a 422. Keys are kept "
        f"{int(RETENTION.total_seconds() // 3600)} hours, per API key."
    ),
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}
REPLAYED_HEADER = {
    "description": f"`true` when this is the stored answer to an earlier request with the same {HEADER}",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}


def problem_responses(*statuses: int) -> dict[int, type[Problem]]:
    """Errors of one operation beyond the shared rules, for its ``response=`` map."""
    return dict.fromkeys(statuses, Problem)


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "the scheme to use: Bearer",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    return response


def _is_problem(response: dict[str, Any]) -> bool:
    schemas = [media.get("schema", {}) for media in response.get("content", {}).values()]
    return any(s.get("$ref") == PROBLEM_REF for s in schemas)


def document_operation(method: str, op: Operation) -> None:
    """Add the operation's error responses and, on a POST, the Idempotency-Key header."""
    responses = op.get("responses", {})
    declared = {int(code) for code, response in responses.items() if _is_problem(response)}
    statuses = {s for rule, codes in RULES if rule(method, op) for s in codes}
    for status in statuses | declared:
        responses[status] = _problem_response(status)
    op["responses"] = {code: responses[code] for code in sorted(responses, key=int)}
    if method == "post":
        op.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_PARAMETER))
        for response in op["responses"].values():
            response.setdefault("headers", {})["Idempotent-Replayed"] = copy.deepcopy(REPLAYED_HEADER)


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Complete ``schema`` (a whole OpenAPI document) in place; returns it."""
    problem = Problem.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="serialization"
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(problem.pop("$defs", {}))
    components[Problem.__name__] = problem
    for operations in schema.get("paths", {}).values():
        for method, op in operations.items():
            document_operation(method, op)
    return schema
