"""Property-based tests of every operation in /api/v1/openapi.json (schemathesis).

Each operation gets generated requests, valid and invalid, sent to the
in-process WSGI app with a super_admin key. Every answer must be a non-5xx
whose status, content type and body are the ones the document declares.

So that more than "404" is reached, a generated id (in the path or a body)
whose length is not a multiple of three is swapped for the id of a seeded row
of its kind: found and not-found paths both run, and a product id is the
product on a deal line item (delete: 409) or an unused one (delete: 204).
A well-formed generated Idempotency-Key is made specific to its request, so
it replays identical requests instead of turning every later POST into "key
already used" (422).

Bounded for speed: MAX_EXAMPLES generated cases per operation on top of
schemathesis' deterministic coverage cases, derandomized, no deadline.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from recurra.accounts.roles import Role
from recurra.api.idempotency import HEADER, KEY_PATTERN
from recurra.catalog.line_items import LineItemInput
from recurra.catalog.services import product_create
from recurra.core.actors import Actor
from recurra.crm.services import company_create, contact_create, deal_create
from recurra.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
MAX_EXAMPLES = 100
SYSTEM = Actor.system()


# Loaded from the served document, through the same WSGI app the requests go to.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def seeded(db: None) -> dict[str, tuple[str, str]]:
    """One row of each kind (two products, one on a deal line item): the ids swapped into requests."""
    company = company_create(actor=SYSTEM, name="Acme", domain="acme.test")
    contact = contact_create(actor=SYSTEM, email="ada@acme.test", first_name="Ada", company_id=company.pk)
    product = product_create(
        actor=SYSTEM,
        name="Pro plan",
        sku="PRO",
        unit_amount=1999,
        currency="USD",
        billing_frequency="monthly",
    )
    spare = product_create(actor=SYSTEM, name="Setup", unit_amount=5000, currency="USD")
    deal = deal_create(
        actor=SYSTEM,
        name="Acme deal",
        contact_id=contact.pk,
        company_id=company.pk,
        line_items=[LineItemInput(product_id=product.pk, quantity=2)],
    )
    return {
        "contact_id": (contact.pk, contact.pk),
        "company_id": (company.pk, company.pk),
        "deal_id": (deal.pk, deal.pk),
        "product_id": (product.pk, spare.pk),
        "object_id": (contact.pk, deal.pk),
    }


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does.

    The real WSGI handler closes connections when a request ends; inside the
    test's transaction that would close (and lose) the test database's.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth(api_key: Callable[[str], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key(Role.SUPER_ADMIN)}"}


def _swap_ids(value: Any, ids: dict[str, tuple[str, str]]) -> Any:
    """``value`` with each string under a known ``*_id`` key of length 3n+1 or 3n+2 replaced by
    the first or second seeded id of that kind."""
    if isinstance(value, list):
        return [_swap_ids(v, ids) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        k: ids[k][len(v) % 3 - 1] if k in ids and isinstance(v, str) and len(v) % 3 else _swap_ids(v, ids)
        for k, v in value.items()
    }


def _request_specific_key(case: Any) -> None:
    key = (case.headers or {}).get(HEADER)
    if key is not None and re.fullmatch(KEY_PATTERN, key):
        request = json.dumps([case.path_parameters, case.body], sort_keys=True, default=str)
        case.headers[HEADER] = f"{hashlib.sha256(request.encode()).hexdigest()[:16]}-{key}"[:255]


@pytest.mark.usefixtures("keep_connection")
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(
    case: Any, auth: dict[str, str], seeded: dict[str, tuple[str, str]]
) -> None:
    if case.path_parameters:
        case.path_parameters = _swap_ids(case.path_parameters, seeded)
    if isinstance(case.body, dict | list):
        case.body = _swap_ids(case.body, seeded)
    _request_specific_key(case)
    case.call_and_validate(headers=auth, checks=CHECKS)
