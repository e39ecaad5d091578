"""An unexpected error: a styled 500 page in the app, a 500 problem+json in the API, never Django's bare
HTML. The fault is injected (a selector that raises), since a real one is a bug this suite would fix."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory

from recurra.core import logs
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


@pytest.mark.usefixtures("broken")
def test_the_500_page_shows_the_request_id_its_log_line_carries(viewer: Client) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logging.getLogger().addHandler(handler)
    viewer.raise_request_exception = False
    try:
        response = viewer.get("/contacts/", HTTP_X_REQUEST_ID="req-500")
    finally:
        logging.getLogger().removeHandler(handler)
    assert (response.status_code, response["X-Request-ID"]) == (500, "req-500")
    assert "Request id: req-500" in text(response.content.decode())
    (line,) = [json.loads(line) for line in stream.getvalue().splitlines() if '"ERROR"' in line]
    assert (line["message"], line["request_id"], line["status_code"]) == (
        "Internal Server Error: /contacts/",
        "req-500",
        500,
    )
    assert "RuntimeError: injected fault" in line["exc_info"]
