"""``config.gateway_settings``: every rule that stops start-up on a wrong processor set, as a table.

Each row is (RECURRA_MODE, the environment, the error's words or None when the
set is accepted). A row changes only what its rule is about, on top of a set
that is valid for its mode.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from recurra import config

TEST_KEYS = {
    "RECURRA_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_51abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc123",
}
LIVE_KEYS = TEST_KEYS | {"STRIPE_SECRET_KEY": "sk_live_51abc", "STRIPE_PUBLISHABLE_KEY": "pk_live_51abc"}


def _without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in names}


UNKNOWN = "RECURRA_GATEWAY must be one of sandbox, stripe, not 'paypal'"
RULES = [
    # the gateway's name
    ("sandbox", {}, None),
    ("sandbox", {"RECURRA_GATEWAY": ""}, None),
    ("sandbox", {"RECURRA_GATEWAY": " Sandbox "}, None),
    ("sandbox", {"RECURRA_GATEWAY": "paypal"}, UNKNOWN),
    ("live", {"RECURRA_GATEWAY": "paypal"}, UNKNOWN),
    # live mode moves real money: never the sandbox gateway
    ("live", {}, "RECURRA_MODE=live charges real money: set RECURRA_GATEWAY=stripe"),
    ("live", {"RECURRA_GATEWAY": "sandbox"}, "RECURRA_MODE=live charges real money"),
    ("sandbox", TEST_KEYS, None),
    ("sandbox", TEST_KEYS | {"RECURRA_GATEWAY": "STRIPE"}, None),
    ("live", LIVE_KEYS, None),
    # all three keys are required, and all missing ones are named at once
    (
        "sandbox",
        {"RECURRA_GATEWAY": "stripe"},
        "RECURRA_GATEWAY=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET "
        "(see docs/payments.md)",
    ),
    ("sandbox", _without(TEST_KEYS, "STRIPE_SECRET_KEY"), "needs STRIPE_SECRET_KEY (see"),
    ("sandbox", TEST_KEYS | {"STRIPE_PUBLISHABLE_KEY": "  "}, "needs STRIPE_PUBLISHABLE_KEY (see"),
    ("live", _without(LIVE_KEYS, "STRIPE_WEBHOOK_SECRET"), "needs STRIPE_WEBHOOK_SECRET (see"),
    # the secret key's Stripe mode follows RECURRA_MODE; restricted keys count
    ("sandbox", TEST_KEYS | {"STRIPE_SECRET_KEY": "rk_test_51abc"}, None),
    ("live", LIVE_KEYS | {"STRIPE_SECRET_KEY": "rk_live_51abc"}, None),
    (
        "sandbox",
        TEST_KEYS | {"STRIPE_SECRET_KEY": "sk_live_51abc"},
        "RECURRA_MODE=sandbox needs a Stripe test secret key (sk_test_… or rk_test_…)",
    ),
    (
        "live",
        LIVE_KEYS | {"STRIPE_SECRET_KEY": "sk_test_51abc"},
        "RECURRA_MODE=live needs a Stripe live secret key (sk_live_… or rk_live_…)",
    ),
    ("sandbox", TEST_KEYS | {"STRIPE_SECRET_KEY": "pk_test_51abc"}, "needs a Stripe test secret key"),
    # the publishable key's too, so both keys are of one mode
    (
        "sandbox",
        TEST_KEYS | {"STRIPE_PUBLISHABLE_KEY": "pk_live_51abc"},
        "RECURRA_MODE=sandbox needs a Stripe test publishable key (pk_test_…)",
    ),
    (
        "live",
        LIVE_KEYS | {"STRIPE_PUBLISHABLE_KEY": "pk_test_51abc"},
        "RECURRA_MODE=live needs a Stripe live publishable key (pk_live_…)",
    ),
    ("sandbox", TEST_KEYS | {"STRIPE_PUBLISHABLE_KEY": "sk_test_51abc"}, "test publishable key"),
    # the webhook secret is an endpoint's signing secret
    (
        "sandbox",
        TEST_KEYS | {"STRIPE_WEBHOOK_SECRET": "sk_test_51abc"},
        "STRIPE_WEBHOOK_SECRET is the endpoint's signing secret (whsec_…)",
    ),
    ("sandbox", TEST_KEYS | {"STRIPE_WEBHOOK_SECRET": "whsec_"}, "STRIPE_WEBHOOK_SECRET is the endpoint's"),
    # the API and Stripe.js addresses, when set, are http(s) URLs
    ("sandbox", TEST_KEYS | {"STRIPE_API_BASE": "http://127.0.0.1:8420/"}, None),
    ("sandbox", TEST_KEYS | {"STRIPE_API_BASE": "api.stripe.com"}, "STRIPE_API_BASE must be an http(s) URL"),
    ("sandbox", TEST_KEYS | {"STRIPE_JS_URL": "ftp://js.example/v3/"}, "STRIPE_JS_URL must be an http(s)"),
]


@pytest.mark.parametrize(("run_mode", "env", "error"), RULES)
def test_gateway_settings_rules(run_mode, env, error):
    if error is None:
        assert config.gateway_settings(run_mode, env)["RECURRA_GATEWAY"] in ("sandbox", "stripe")
    else:
        with pytest.raises(ImproperlyConfigured) as raised:
            config.gateway_settings(run_mode, env)
        assert error in str(raised.value)


def test_defaults_and_clean_values():
    assert config.gateway_settings("sandbox", {}) == {
        "RECURRA_GATEWAY": "sandbox",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        "STRIPE_API_BASE": "https://api.stripe.com",
        "STRIPE_JS_URL": "https://js.stripe.com/v3/",
    }
    padded = {k: f" {v} " for k, v in TEST_KEYS.items()} | {"STRIPE_API_BASE": "http://127.0.0.1:8420/ "}
    found = config.gateway_settings("sandbox", padded)
    assert found == TEST_KEYS | {
        "STRIPE_API_BASE": "http://127.0.0.1:8420",
        "STRIPE_JS_URL": "https://js.stripe.com/v3/",
    }


def test_reads_the_process_environment_when_given_none(monkeypatch):
    for name, value in TEST_KEYS.items():
        monkeypatch.setenv(name, value)
    assert config.gateway_settings("sandbox")["STRIPE_SECRET_KEY"] == "sk_test_51abc"
    monkeypatch.setenv("RECURRA_GATEWAY", "paypal")
    with pytest.raises(ImproperlyConfigured, match="not 'paypal'"):
        config.gateway_settings("sandbox")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://js.stripe.com/v3/", "https://js.stripe.com"),
        ("http://127.0.0.1:8420/js.stripe.com/v3/", "http://127.0.0.1:8420"),
        ("https://api.stripe.com", "https://api.stripe.com"),
        ("https://js.example.com:8443/v3/?x=1#y", "https://js.example.com:8443"),
    ],
)
def test_origin_is_scheme_host_and_port(url, expected):
    assert config.origin(url) == expected
