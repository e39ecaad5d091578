"""The environment → settings rules: modes, secrets, data dir, email URL, hosts."""

import stat
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from recurra import config


def test_mode_defaults_to_sandbox_and_refuses_unknown(monkeypatch):
    monkeypatch.delenv("RECURRA_MODE", raising=False)
    assert config.mode() == "sandbox"
    monkeypatch.setenv("RECURRA_MODE", "LIVE")
    assert config.mode() == "live"
    monkeypatch.setenv("RECURRA_MODE", "prod")
    with pytest.raises(ImproperlyConfigured):
        config.mode()


@pytest.mark.parametrize(
    "secret", [None, "", "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789", "short"]
)
def test_live_mode_refuses_default_or_weak_secret(monkeypatch, tmp_path, secret):
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        config.secret_key("live", tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_live_mode_takes_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    assert config.secret_key("live", tmp_path) == "x" * 50


def test_sandbox_generates_one_private_secret_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key("sandbox", tmp_path)
    assert len(first) >= 50
    assert config.secret_key("sandbox", tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_data_dir_from_env_or_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("RECURRA_DATA_DIR", str(tmp_path / "d"))
    assert config.data_dir() == (tmp_path / "d").resolve()
    assert (tmp_path / "d").is_dir()
    monkeypatch.delenv("RECURRA_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert config.data_dir() == (tmp_path / "xdg" / "recurra").resolve()


def test_a_new_data_dir_is_private_and_an_existing_one_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.setenv("RECURRA_DATA_DIR", str(tmp_path / "new" / "data"))
    created = config.data_dir()
    assert stat.S_IMODE(created.stat().st_mode) == 0o700
    (tmp_path / "shared").mkdir(mode=0o755)
    (tmp_path / "shared").chmod(0o755)
    monkeypatch.setenv("RECURRA_DATA_DIR", str(tmp_path / "shared"))
    assert stat.S_IMODE(config.data_dir().stat().st_mode) == 0o755  # its owner's choice


def test_private_file_is_created_0600_and_an_existing_one_kept(tmp_path):
    path = config.private_file(tmp_path / "recurra.sqlite3")
    assert (stat.S_IMODE(path.stat().st_mode), path.read_bytes()) == (0o600, b"")
    path.write_bytes(b"SQLite format 3\x00")
    assert config.private_file(path).read_bytes() == b"SQLite format 3\x00"


def test_login_throttle_defaults_and_environment(monkeypatch):
    monkeypatch.delenv("RECURRA_LOGIN_FAILURE_LIMIT", raising=False)
    monkeypatch.delenv("RECURRA_LOGIN_COOLOFF_MINUTES", raising=False)
    assert config.login_throttle() == (5, timedelta(minutes=15))
    monkeypatch.setenv("RECURRA_LOGIN_FAILURE_LIMIT", "10")
    monkeypatch.setenv("RECURRA_LOGIN_COOLOFF_MINUTES", " 60 ")
    assert config.login_throttle() == (10, timedelta(hours=1))
    for bad in ("0", "-3", "five", "2.5"):
        monkeypatch.setenv("RECURRA_LOGIN_FAILURE_LIMIT", bad)
        with pytest.raises(ImproperlyConfigured, match="RECURRA_LOGIN_FAILURE_LIMIT must be a whole number"):
            config.login_throttle()


def test_email_url_mapping():
    assert config.email_settings("") == {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    smtp = config.email_settings("smtp://user%40x:p%3Ass@mail.example:2525?tls=1")
    assert smtp["EMAIL_HOST"] == "mail.example"
    assert smtp["EMAIL_PORT"] == 2525
    assert smtp["EMAIL_HOST_USER"] == "user@x"
    assert smtp["EMAIL_HOST_PASSWORD"] == "p:ss"
    assert smtp["EMAIL_USE_TLS"] is True
    assert smtp["EMAIL_USE_SSL"] is False
    smtps = config.email_settings("smtps://mail.example")
    assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"], smtps["EMAIL_USE_TLS"]) == (465, True, False)
    with pytest.raises(ImproperlyConfigured):
        config.email_settings("http://mail.example")


def test_allowed_hosts_include_base_url_host(monkeypatch):
    monkeypatch.delenv("RECURRA_ALLOWED_HOSTS", raising=False)
    assert "billing.example.com" in config.allowed_hosts("https://billing.example.com")
    assert "127.0.0.1" in config.allowed_hosts(config.DEFAULT_BASE_URL)
    monkeypatch.setenv("RECURRA_ALLOWED_HOSTS", "a.example, b.example")
    assert config.allowed_hosts("https://x.example") == ["a.example", "b.example"]
