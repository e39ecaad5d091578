"""``recurra doctor``: the processor's checks against localstripe, a dead API address, and the sandbox.

The Stripe check is a real call (GET /v1/balance through the recording proxy
to localstripe). localstripe answers any ``sk_…`` key, refuses others with a
401, and always says ``livemode: false``: so a live-mode set-up fails its key
checks here whatever the keys' prefixes say, as it would at Stripe with test keys.
"""

from __future__ import annotations

import pytest

from recurra.cli import main
from recurra.payments.doctor import Check, processor_checks, webhook_url
from tests.localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.smtp import free_port


def _results(checks: list[Check]) -> dict[str, bool]:
    return {check.name: check.ok for check in checks}


def _doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main(["doctor"])
    out = capsys.readouterr().out
    for secret in (SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET):
        assert secret not in out  # only prefixes are shown
    return status, out.splitlines()


def _line(lines: list[str], name: str) -> str:
    return next(line for line in lines if line[6:].startswith(name + " "))


def test_the_sandbox_has_nothing_to_ask_and_passes(settings, capsys):
    settings.RECURRA_GATEWAY = "sandbox"
    status, lines = _doctor(capsys)
    assert status == 0
    assert [line.split()[:2] for line in lines[:-1]] == [["ok", "gateway"], ["ok", "base"]]
    assert "sandbox: test tokens and play money" in lines[0]
    assert lines[-1] == "All 2 checks passed."


def test_stripe_in_test_mode_passes_every_check_with_one_real_call(stripe_gateway, settings, capsys):
    settings.RECURRA_MODE = "sandbox"
    status, lines = _doctor(capsys)
    assert status == 0, lines
    assert [line[:4].strip() for line in lines[:-1]] == ["ok"] * 7
    assert [line[6:].split("  ")[0] for line in lines[:-1]] == [
        "gateway",
        "Stripe API",
        "secret key mode",
        "publishable key",
        "webhook secret",
        "base URL",
        "webhook URL",
    ]
    assert _line(lines, "secret key mode").endswith(
        "Stripe says sk_test_… is a test key, as RECURRA_MODE=sandbox needs"
    )
    assert f"{settings.RECURRA_BASE_URL}/webhooks/stripe" in _line(lines, "webhook URL")
    assert lines[-1] == "All 7 checks passed."
    (call,) = stripe_gateway.proxy.calls("GET", r"^/v1/balance$")
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"


def test_no_answer_from_the_api_is_one_clear_fail(stripe_gateway, settings, capsys):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.STRIPE_API_BASE = dead
    status, lines = _doctor(capsys)
    assert status == 1
    assert _line(lines, "Stripe API") == f"FAIL  Stripe API       no answer from {dead} (Connection refused)"
    # without Stripe's word, the key's prefix tells its mode
    assert _line(lines, "secret key mode").startswith("ok    secret key mode  its prefix says sk_test_…")
    assert lines[-1] == "1 of 7 checks failed."


def test_a_refused_key_is_a_401_fail(stripe_gateway, settings, capsys):
    settings.STRIPE_SECRET_KEY = "rk_test_unknown"  # localstripe knows only sk_ keys
    status, lines = _doctor(capsys)
    assert status == 1
    assert _line(lines, "Stripe API").startswith(f"FAIL  Stripe API       {stripe_gateway.proxy.url} refused")
    assert "(401)" in _line(lines, "Stripe API")
    assert "rk_test_unknown" not in "\n".join(lines)


def test_live_mode_with_test_keys_and_an_http_address_fails_each_rule(stripe_gateway, settings, capsys):
    settings.RECURRA_MODE = "live"
    settings.RECURRA_BASE_URL = "http://127.0.0.1:8000"
    settings.STRIPE_SECRET_KEY = "sk_live_recurra"  # its prefix says live; Stripe (localstripe) says test
    status, lines = _doctor(capsys)
    assert status == 1
    assert _line(lines, "gateway").startswith("ok    gateway          stripe, in Stripe's live mode")
    assert _line(lines, "Stripe API").startswith("ok")
    assert _line(lines, "secret key mode") == (
        "FAIL  secret key mode  Stripe says sk_live_… is a test key; RECURRA_MODE=live needs a live key"
    )
    assert _line(lines, "publishable key") == (
        "FAIL  publishable key  pk_test_…: RECURRA_MODE=live needs a live key (pk_live_…)"
    )
    assert _line(lines, "base URL").startswith(
        "FAIL  base URL         RECURRA_BASE_URL is http://127.0.0.1:8000;"
    )
    assert _line(lines, "webhook URL").startswith(
        "FAIL  webhook URL      http://127.0.0.1:8000/webhooks/stripe:"
    )
    assert lines[-1] == "4 of 7 checks failed."


def test_a_public_https_address_is_the_webhook_url_to_register(stripe_gateway, settings):
    settings.RECURRA_MODE = "live"
    settings.RECURRA_BASE_URL = "https://billing.example.com"
    found = {check.name: check for check in processor_checks()}
    assert found["base URL"] == Check("base URL", True, "https://billing.example.com")
    assert webhook_url() == "https://billing.example.com/webhooks/stripe"
    assert found["webhook URL"] == Check(
        "webhook URL",
        True,
        "https://billing.example.com/webhooks/stripe: "
        "register it at Stripe with the events in docs/payments.md",
    )


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({}, set()),
        ({"STRIPE_WEBHOOK_SECRET": ""}, {"webhook secret"}),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_"}, {"webhook secret"}),
        ({"STRIPE_WEBHOOK_SECRET": "sk_test_recurra"}, {"webhook secret"}),
        ({"STRIPE_PUBLISHABLE_KEY": ""}, {"publishable key"}),
        ({"STRIPE_PUBLISHABLE_KEY": "pk_live_recurra"}, {"publishable key"}),
        ({"RECURRA_BASE_URL": "https://billing.example.com"}, set()),
    ],
)
def test_stripe_rules_one_at_a_time(stripe_gateway, settings, changes, failing):
    settings.RECURRA_MODE = "sandbox"
    for name, value in changes.items():
        setattr(settings, name, value)
    results = _results(processor_checks())
    assert {name for name, ok in results.items() if not ok} == failing


@pytest.mark.parametrize(
    ("run_mode", "gateway", "message"),
    [
        ("live", "sandbox", "RECURRA_MODE=live charges real money: set RECURRA_GATEWAY=stripe with live"),
        ("sandbox", "paypal", "RECURRA_GATEWAY must be one of sandbox, stripe, not 'paypal'"),
    ],
)
def test_a_gateway_start_up_would_refuse_fails_here_too(settings, run_mode, gateway, message):
    settings.RECURRA_MODE = run_mode
    settings.RECURRA_GATEWAY = gateway
    first = processor_checks()[0]
    assert (first.name, first.ok) == ("gateway", False)
    assert first.message.startswith(message)
