"""A wrong setting stops ``recurra serve`` / ``worker`` (any command) at once: one line, status 2.

Each case runs the command an operator runs, ``python -m recurra.cli``, as its
own process with a clean environment of its own. It must fail while loading
the settings, before serving or working: no traceback, nothing on stdout, one
line on stderr that names the setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET = "s" * 50
STRIPE_TEST = {
    "RECURRA_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_51abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc123",
}


def _run(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECURRA_", "STRIPE_")) and k not in ("DATABASE_URL", "SECRET_KEY")
    }
    clean |= {
        "PYTHONPATH": str(ROOT),
        "RECURRA_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'recurra.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "recurra.cli", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )


CASES = [
    ({"RECURRA_GATEWAY": "paypal"}, "recurra: RECURRA_GATEWAY must be one of sandbox, stripe, not 'paypal'"),
    (
        {"RECURRA_GATEWAY": "stripe"},
        "recurra: RECURRA_GATEWAY=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, "
        "STRIPE_WEBHOOK_SECRET (see docs/payments.md)",
    ),
    (
        STRIPE_TEST | {"STRIPE_SECRET_KEY": "sk_live_51abc"},
        "recurra: RECURRA_MODE=sandbox needs a Stripe test secret key (sk_test_… or rk_test_…)",
    ),
    (
        STRIPE_TEST | {"STRIPE_WEBHOOK_SECRET": "not-a-secret"},
        "recurra: STRIPE_WEBHOOK_SECRET is the endpoint's signing secret (whsec_…)",
    ),
    (
        {"RECURRA_MODE": "live", "SECRET_KEY": STRONG_SECRET},
        "recurra: RECURRA_MODE=live charges real money: set RECURRA_GATEWAY=stripe with live keys "
        "(the sandbox gateway moves play money)",
    ),
    (
        STRIPE_TEST | {"RECURRA_MODE": "live", "SECRET_KEY": STRONG_SECRET},
        "recurra: RECURRA_MODE=live needs a Stripe live secret key (sk_live_… or rk_live_…)",
    ),
    ({"RECURRA_MODE": "prod"}, "recurra: RECURRA_MODE must be one of sandbox, live, not 'prod'"),
    (
        {"RECURRA_MODE": "live", "SECRET_KEY": "short"},
        "recurra: RECURRA_MODE=live needs SECRET_KEY set to a private value of at least 32 characters; "
        "refusing to start with a default or weak key.",
    ),
]


@pytest.mark.parametrize(("env", "line"), CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_serve_refuses_a_wrong_setting_with_one_line(tmp_path, env, line):
    done = _run(tmp_path, ["serve", "--port", "1"], env)
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")


@pytest.mark.parametrize("args", [["worker"], ["doctor"], ["migrate"]])
def test_every_command_refuses_it_alike(tmp_path, args):
    env, line = CASES[1]
    done = _run(tmp_path, args, env)
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")


def test_worker_refuses_live_mode_on_the_sandbox_gateway(tmp_path):
    env, line = CASES[4]
    done = _run(tmp_path, ["worker"], env)
    assert (done.returncode, done.stderr.splitlines(), done.stdout) == (2, [line], "")


def test_the_sandbox_with_no_keys_passes_the_checks(tmp_path):
    done = _run(tmp_path, ["doctor"], {})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[:3] for line in lines[:-1]] == [
        ["ok", "gateway", "sandbox:"],
        ["ok", "base", "URL"],
    ]
    assert lines[-1] == "All 2 checks passed."
