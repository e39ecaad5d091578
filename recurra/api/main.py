"""The v1 API: every operation authenticated by an API key and role-checked."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from recurra.api import problems
from recurra.api.auth import ApiKeyAuth
from recurra.api.openapi import document_errors
from recurra.api.rendering import JSONRenderer
from recurra.api.routers import (
    bulk_emails,
    companies,
    contacts,
    deals,
    emails,
    exports,
    invoices,
    lists,
    payment_links,
    payment_methods,
    payments,
    products,
    quotes,
    subscription_changes,
    subscriptions,
    system,
    update_links,
    users,
    views,
    webhooks,
    workflows,
)
from recurra.api.routers import settings as settings_router


class RecurraAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document lists every error, and whose every answer is JSON.

    Unknown paths and methods are problem+json 404/405, not Django's HTML.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = []
        for url in super()._get_urls():
            if isinstance(url, URLPattern) and url.name == "api-root":
                url = path("", problems.unknown_path, name="api-root")
            elif isinstance(url, URLPattern):
                url.callback = problems.method_not_allowed_as_problem(url.callback)
            urls.append(url)
        urls.append(re_path(r"^.+$", problems.unknown_path))
        return urls


api = RecurraAPI(
    title="Recurra API",
    version="1",
    description=(
        "Subscriptions and recurring billing. Authenticate with `Authorization: Bearer <api key>`. "
        "Money is integer minor units with an ISO 4217 currency. Errors are application/problem+json. "
        "Send `Idempotency-Key` on POSTs to make retries safe."
    ),
    auth=ApiKeyAuth(),
    renderer=JSONRenderer(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/contacts", contacts.router)
api.add_router("/companies", companies.router)
api.add_router("/deals", deals.router)
api.add_router("/products", products.router)
api.add_router("/contacts", payment_methods.router)
api.add_router("/subscriptions", subscriptions.router)
api.add_router("/subscriptions", subscription_changes.router)
api.add_router("/subscriptions", update_links.router)
api.add_router("/invoices", invoices.router)
api.add_router("/payment-links", payment_links.router)
api.add_router("/quotes", quotes.router)
api.add_router("/payments", payments.router)
api.add_router("/emails", emails.router)
api.add_router("/bulk-emails", bulk_emails.router)
api.add_router("/settings", settings_router.router)
api.add_router("/users", users.router)
api.add_router("/views", views.router)
api.add_router("/exports", exports.router)
api.add_router("/", system.router)
api.add_router("/", webhooks.router)
api.add_router("/workflows", workflows.router)
api.add_router("/lists", lists.router)
