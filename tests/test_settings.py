"""Settings: defaults, generated development secrets, refusal in production."""

from __future__ import annotations

import json
import stat

import pytest

from kuajing.settings import MissingSecretError, Settings


def test_defaults(tmp_path, monkeypatch):
    for var in ("KUAJING_DATABASE_URL", "KUAJING_LOCALE", "KUAJING_TIMEZONE", "KUAJING_BROKER_URL", "KUAJING_ENV",
                "KUAJING_PIPELINE_MODE"):
        monkeypatch.delenv(var, raising=False)
    s = Settings.load(var_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{(tmp_path / 'kuajing.db').resolve()}"
    assert s.locale == "zh_Hans"
    assert s.timezone == "Asia/Shanghai"
    assert s.pipeline_mode == "inprocess"  # embedded: no broker needed
    assert s.broker_url == "amqp://guest:guest@127.0.0.1:5672//"  # used only in celery mode
    assert s.port == 8000


def test_development_secrets_are_generated_once_and_kept(tmp_path):
    first = Settings.load(var_dir=tmp_path, env="development")
    second = Settings.load(var_dir=tmp_path, env="development")
    assert first.secret("secret_key") == second.secret("secret_key")
    assert len(first.secret("encryption_key")) == 32  # 16-byte SM4 key in hex
    store = tmp_path / "secrets.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert set(json.loads(store.read_text())) >= {"secret_key", "encryption_key", "lookup_key", "audit_signing_key"}


def test_production_refuses_missing_secrets(tmp_path):
    with pytest.raises(MissingSecretError, match="KUAJING_SECRET_KEY"):
        Settings.load(var_dir=tmp_path, env="production")


def test_environment_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAJING_PORT", "9123")
    monkeypatch.setenv("KUAJING_LOCALE", "en")
    s = Settings.load(var_dir=tmp_path)
    assert s.port == 9123 and s.locale == "en"


def test_unknown_locale_rejected(tmp_path):
    with pytest.raises(ValueError):
        Settings.load(var_dir=tmp_path, locale="xx")
