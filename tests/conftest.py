"""Suite-wide fixtures and rules.

- ``postgres`` tests need PostgreSQL: on SQLite they are deselected when a
  PostgreSQL pass runs too (scripts/test), otherwise skipped with the reason.
- ``browser`` tests need /usr/bin/chromium; outside CI they skip without it.
- In CI (CI=true) a skipped test fails the run: nothing may be skipped there.
- Static files keep their plain names (``pytest_configure``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from recurra.accounts.roles import Role
from recurra.accounts.services import api_key_create
from recurra.core import clock, ids
from recurra.core.actors import Actor

pytest_plugins = ["tests.localstripe", "tests.books"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_configure(config: pytest.Config) -> None:
    """Plain static file names in the test process, whatever its data directory holds: the live
    server's static handler finds files by those names, not by the hashed ones of a manifest an
    earlier ``recurra serve`` may have collected there. tests/services/test_server.py serves the
    collected files in a server process of its own."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _on_postgres():
        return
    pg_items = [i for i in items if i.get_closest_marker("postgres")]
    if os.environ.get("RECURRA_TEST_PG_PASS_FOLLOWS"):
        config.hook.pytest_deselected(items=pg_items)
        items[:] = [i for i in items if not i.get_closest_marker("postgres")]
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (no PostgreSQL configured for this run)"
    )
    for item in pg_items:
        item.add_marker(skip)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (CI installs it: apt-get install chromium)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped:
        if reporter:
            reporter.write_line(f"CI mode: {skipped} test(s) skipped; nothing may skip in CI", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


SYSTEM = Actor.system()
T0 = datetime(2027, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ids_from_real_time() -> Iterator[None]:
    """After a test that faked ``clock.epoch_ms`` (ordered ids), the id generator starts from real
    time again: it counts up from the last id it made, and the workflows' cursor reads only ids
    made before now (``automation.workflows.enrolling``)."""
    yield
    ids._forget_last()


@pytest.fixture
def frozen_clock(db: None) -> datetime:
    """The sandbox clock frozen at T0 (2027-01-15 09:30 UTC)."""
    clock.freeze(T0)
    return T0


@pytest.fixture
def api_key(db: None) -> Callable[[str], str]:
    """Make an API key with a role; returns its secret."""

    def make(role: str = Role.SUPER_ADMIN) -> str:
        return api_key_create(name=f"test {role}", role=role, actor=SYSTEM).secret

    return make


class ApiClient:
    """A Django test client speaking JSON to /api/v1 with a bearer key."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **params: Any
    ) -> Any:
        import json

        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs: dict[str, Any] = {"headers": {**self.headers, **(headers or {})}}
        if method == "get":
            return self.client.get(url, params, **kwargs)
        data = body if isinstance(body, str | bytes) else json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(url, data=data, content_type="application/json", **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self._call("post", path, body, headers)

    def patch(self, path: str, body: Any = None) -> Any:
        return self._call("patch", path, body)

    def delete(self, path: str, body: Any = None) -> Any:
        return self._call("delete", path, body)


@pytest.fixture
def api(api_key: Callable[[str], str]) -> ApiClient:
    """An API client with a super_admin key."""
    return ApiClient(api_key(Role.SUPER_ADMIN))


@pytest.fixture
def api_as(api_key: Callable[[str], str]) -> Callable[[str | None], ApiClient]:
    """``api_as("viewer")``: an API client with a key of that role (None: no key)."""
    return lambda role: ApiClient(api_key(role) if role else None)
