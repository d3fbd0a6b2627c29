"""``kuajing risk scan|grade|data-export`` against the test database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from kuajing.cli import app as cli
from kuajing.risk.models import Alert, CreditGradeRecord
from tests.accounts.fixtures import make_enterprise
from tests.risk.helpers import fact


def _run(settings, *args):
    env = {"KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "COLUMNS": "200"}
    return CliRunner().invoke(cli, ["risk", *args], env=env)


def test_scan_grade_and_data_export_commands(settings, db):
    from kuajing.db.base import utcnow

    now = utcnow()
    for k in range(3):
        fact(db, at=now.replace(microsecond=0) - timedelta(hours=k))
    make_enterprise(db, status="approved")
    db.commit()
    result = _run(settings, "scan", "--days", "2")
    assert result.exit_code == 0, result.output
    assert "1 new alerts" in result.output
    again = _run(settings, "scan", "--days", "2")
    assert "0 new alerts" in again.output
    db.expire_all()
    assert [a.rule for a in db.scalars(select(Alert))] == ["split_orders"]
    graded = _run(settings, "grade")
    assert graded.exit_code == 0 and "credit grades recorded: 1" in graded.output
    assert len(db.scalars(select(CreditGradeRecord)).all()) == 1
    counters = _run(settings, "data-export", "2026")
    assert counters.exit_code == 0, counters.output
    assert "assessment_sensitive: 0 / 10000 (warning from 8000) ok" in counters.output
