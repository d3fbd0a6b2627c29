"""`kuajing data import` end to end, in a separate process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from kuajing.data import service
from kuajing.data.models import DatasetVersion


def _run(settings, tmp_path, *args):
    env = {**os.environ, "KUAJING_DATABASE_URL": settings.effective_database_url,
           "KUAJING_VAR_DIR": str(tmp_path / "var"), "KUAJING_LOCALE": "en", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "kuajing.cli", "data", "import", *map(str, args)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_import_twice_then_bad_file(settings, db, tmp_path):
    good = tmp_path / "rates-2025-10.csv"
    good.write_text("currency,month,rate\nUSD,2025-10,7.1000\nEUR,2025-10,8.2500\n", encoding="utf-8")
    first = _run(settings, tmp_path, good)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "new version" in first.stdout
    assert service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 1)).rate == Decimal("7.1")

    again = _run(settings, tmp_path, good, "--kind", "exchange_rate")
    assert again.returncode == 0 and "nothing new" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("currency,month,rate\nUSD,2025-11,7.0\nUSD,2025-12,seven\n", encoding="utf-8")
    failed = _run(settings, tmp_path, bad)
    assert failed.returncode == 1
    assert "rows[3]/rate" in failed.stdout and "bad_decimal" in failed.stdout
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DatasetVersion)) == 1
