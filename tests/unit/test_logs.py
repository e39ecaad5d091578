"""Log lines: request ids (kept when safe, else new), the JSON format, and the LOGGING settings."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from recurra import config
from recurra.core import logs
from recurra.core.redaction import MARK, redacting

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "incoming",
    [
        "abc-123",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "Root=1-67891233-abcdef012345678912345678",
        "b64+/token==",
        "x" * 128,
    ],
)
def test_a_safe_incoming_id_is_kept(incoming: str) -> None:
    assert logs.request_id_from(incoming) == incoming


@pytest.mark.parametrize(
    "incoming",
    [None, "", "x" * 129, "two words", "line\nbreak", 'quote"d', "<script>", "naïve", "semi;colon"],
)
def test_a_missing_or_unsafe_id_is_replaced_by_a_new_one(incoming: str | None) -> None:
    made = logs.request_id_from(incoming)
    assert NEW_ID.fullmatch(made)
    assert made != logs.request_id_from(incoming)  # new each time


def _json_lines(*records: logging.LogRecord) -> list[dict[str, object]]:
    formatter = logs.JsonFormatter()
    return [json.loads(formatter.format(record)) for record in records]


def _record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    """A record as logging makes it (redacted at its making) and a handler with the filter sees it."""
    factory = redacting(logging.getLogRecordFactory())
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    record = factory("recurra.test", logging.WARNING, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    logs.RequestIdFilter().filter(record)
    return record


def test_a_json_line_has_the_fields_and_the_request_id_only_in_a_request() -> None:
    token = logs.request_id_set("req-1")
    try:
        inside = _record("paid %s", "inv_1")
    finally:
        logs.request_id_reset(token)
    outside = _record("idle")
    first, second = _json_lines(inside, outside)
    assert list(first) == ["timestamp", "level", "logger", "message", "request_id"]
    assert (first["level"], first["logger"], first["message"], first["request_id"]) == (
        "WARNING",
        "recurra.test",
        "paid inv_1",
        "req-1",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(first["timestamp"]))
    assert "request_id" not in second


def test_extras_are_left_out_but_the_status_code_and_a_redacted_traceback() -> None:
    try:
        raise RuntimeError("failed at /q/quote-secret-token/")
    except RuntimeError as error:
        record = _record(
            "Internal Server Error: /q/quote-secret-token/",
            exc=error,
            status_code=500,
            request="<WSGIRequest: GET '/q/quote-secret-token/'>",
            card="4242424242424242",
        )
    (line,) = _json_lines(record)
    assert set(line) == {"timestamp", "level", "logger", "message", "status_code", "exc_info"}
    assert line["status_code"] == 500
    assert line["message"] == f"Internal Server Error: /q/{MARK}/"
    assert f"RuntimeError: failed at /q/{MARK}/" in str(line["exc_info"])
    assert "quote-secret-token" not in json.dumps(line)


def test_the_filter_puts_the_id_on_records_of_any_logger_through_the_handler() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("recurra.test.handler")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        token = logs.request_id_set("req-2")
        logger.warning("one")
        logs.request_id_reset(token)
        logger.warning("two")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    one, two = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (one["message"], one["request_id"]) == ("one", "req-2")
    assert (two["message"], "request_id" in two) == ("two", False)


def test_log_format_is_plain_unless_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECURRA_LOG_FORMAT", raising=False)
    assert config.log_format() == "plain"
    monkeypatch.setenv("RECURRA_LOG_FORMAT", "JSON")
    assert config.log_format() == "json"
    monkeypatch.setenv("RECURRA_LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="RECURRA_LOG_FORMAT"):
        config.log_format()


def test_the_logging_settings_wire_the_format_and_the_request_id_filter() -> None:
    settings = config.logging_settings("json", "DEBUG")
    handler = settings["handlers"]["console"]
    assert handler["formatter"] == "json"
    assert handler["filters"] == ["request_id"]
    assert settings["formatters"]["json"] == {"()": "recurra.core.logs.JsonFormatter"}
    assert settings["filters"]["request_id"] == {"()": "recurra.core.logs.RequestIdFilter"}
    assert settings["root"]["level"] == "DEBUG"
    assert config.logging_settings("plain", "INFO")["handlers"]["console"]["formatter"] == "plain"


def test_the_metrics_token_is_off_when_unset_and_refused_when_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECURRA_METRICS_TOKEN", raising=False)
    assert config.metrics_token() == ""
    monkeypatch.setenv("RECURRA_METRICS_TOKEN", "  " + "t" * 16 + " ")
    assert config.metrics_token() == "t" * 16
    monkeypatch.setenv("RECURRA_METRICS_TOKEN", "short")
    with pytest.raises(ImproperlyConfigured, match="at least 16"):
        config.metrics_token()
