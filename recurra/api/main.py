"""The v1 API: every operation authenticated by an API key and role-checked."""

from __future__ import annotations

from ninja import NinjaAPI

from recurra.api import problems
from recurra.api.auth import ApiKeyAuth
from recurra.api.routers import companies, contacts, deals, products, system

api = NinjaAPI(
    title="Recurra API",
    version="1",
    description=(
        "Subscriptions and recurring billing. Authenticate with `Authorization: Bearer <api key>`. "
        "Money is integer minor units with an ISO 4217 currency. Errors are application/problem+json. "
        "Send `Idempotency-Key` on POSTs to make retries safe."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/contacts", contacts.router)
api.add_router("/companies", companies.router)
api.add_router("/deals", deals.router)
api.add_router("/products", products.router)
api.add_router("/", system.router)
