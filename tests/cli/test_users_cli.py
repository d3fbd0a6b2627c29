"""`kuajing users create`: the first zone operator of an installation without demo data."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from kuajing.accounts.models import User
from kuajing.accounts.service import authenticate


def _run(settings, *args, password):
    env = {**os.environ, "KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "KUAJING_ENV": "test", "KUAJING_NEW_USER_PASSWORD": password,
           **{f"KUAJING_{k.upper()}": settings.secret(k).decode()
              for k in ("secret_key", "encryption_key", "lookup_key", "audit_signing_key")}}
    return subprocess.run([sys.executable, "-m", "kuajing.cli", "users", "create", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_create_first_operator_then_log_in(settings, session_factory):
    result = _run(settings, "first-operator", "--role", "zone_operator", password="Zone-operator-2026!")
    assert result.returncode == 0, result.stdout + result.stderr
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == "first-operator"))
        assert user is not None and "zone_operator" in user.roles
        assert authenticate(session=session, username="first-operator", password="Zone-operator-2026!") is not None


def test_weak_password_is_refused_with_its_code(settings, session_factory):
    result = _run(settings, "weak-operator", password="short")
    assert result.returncode == 1
    assert "password" in result.stdout
    with session_factory() as session:
        assert session.scalar(select(User).where(User.username == "weak-operator")) is None
