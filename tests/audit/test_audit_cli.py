"""``kuajing audit checkpoint`` and ``kuajing audit verify`` end to end against the test database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from kuajing.cli import app as cli


@pytest.fixture
def run(settings):
    runner = CliRunner()
    env = {"KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "KUAJING_AUDIT_SIGNING_KEY": settings.secret("audit_signing_key").decode(), "COLUMNS": "200"}

    def _run(*args: str):
        return runner.invoke(cli, ["audit", *args], env=env)

    return _run


def test_cli_checkpoint_then_verify_clean_and_tampered(run, write, engine):
    write("enterprise:91150200MA0N123456", 5)
    write("system", 2, action="rules:parameter:publish")

    result = run("checkpoint")
    assert result.exit_code == 0, result.output
    assert "sealed 2 streams" in result.output

    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output
    assert "7 events in 2 streams" in result.output

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE stream = 'enterprise:91150200MA0N123456' AND seq = 3"))
    result = run("verify")
    assert result.exit_code == 1, result.output
    assert "audit trail broken" in result.output
    assert "stream enterprise:91150200MA0N123456, seq 3: missing event (gap" in " ".join(result.output.split())


def test_cli_verify_with_the_wrong_key_fails(run, write, checkpoint, settings):
    write("system", 1, action="rules:parameter:publish")
    checkpoint()
    runner = CliRunner()
    env = {"KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "KUAJING_AUDIT_SIGNING_KEY": "not-the-key", "COLUMNS": "200"}
    result = runner.invoke(cli, ["audit", "verify"], env=env)
    assert result.exit_code == 1
    assert "signed with another key" in " ".join(result.output.split())
