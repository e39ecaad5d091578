"""An unexpected error: a styled 500 page in the app, a 500 problem+json in the API, never Django's bare
HTML. The fault is injected (a selector that raises), since a real one is a bug this suite would fix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from recurra.web.views import errors
from tests.api.support import assert_problem
from tests.conftest import ApiClient
from tests.web.html import text


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(**_: Any) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr("recurra.crm.selectors.contact_list", boom)


@pytest.mark.usefixtures("broken")
def test_a_page_answers_the_styled_500_and_logs_it(viewer: Client, caplog: pytest.LogCaptureFixture) -> None:
    viewer.raise_request_exception = False
    response = viewer.get("/contacts/")
    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/web/app.css">' in html
    assert "<title>Something went wrong · Recurra</title>" in html
    assert "Recurra could not finish this request." in text(html)
    assert '<a class="btn btn-block" href="/">Back to Recurra</a>' in html
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Internal Server Error: /contacts/"
    ]


@pytest.mark.usefixtures("broken")
def test_the_api_answers_a_500_problem_never_html(api: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    api.client.raise_request_exception = False
    body = assert_problem(api.get("/contacts"), 500)
    assert body == {
        "type": "urn:recurra:problem:server-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "the server could not answer this request; the error has been logged",
    }
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Internal Server Error: /api/v1/contacts"
    ]


def test_the_500_page_reads_nothing_from_the_database(django_assert_num_queries: Any, db: None) -> None:
    with django_assert_num_queries(0):
        response = errors.server_error(RequestFactory().get("/contacts/"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
