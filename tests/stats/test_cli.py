"""`kuajing stats backfill | refresh` and `kuajing bulletin` as an operator runs them (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal as D

from kuajing.stats import service
from tests.stats.helpers import at, export_list


def _run(settings, *args):
    env = {**os.environ, "KUAJING_DATABASE_URL": settings.effective_database_url, "KUAJING_VAR_DIR": str(settings.var_dir),
           "KUAJING_ENV": "test",
           **{f"KUAJING_{k.upper()}": settings.secret(k).decode()
              for k in ("secret_key", "encryption_key", "lookup_key", "audit_signing_key")}}
    return subprocess.run([sys.executable, "-m", "kuajing.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def test_backfill_refresh_and_bulletin(settings, db, zone, tmp_path):
    export_list(db, ent=zone["C"], mode="9810", released_at=at(2026, 10, 9),
                items=[("6110200000", "304", D("7654.32"), "142")], publish=False)  # no event: only the backfill sees it
    db.commit()
    result = _run(settings, "stats", "backfill")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 import and 1 export lists" in result.stdout
    f = service.Filters(end=date(2026, 10, 1), months=1)
    assert service.totals(session=db, filters=f)["export_cny"] == D("7654.32")
    result = _run(settings, "stats", "refresh")
    assert result.returncode == 0 and "folded 0 facts; waiting: 0" in result.stdout, result.stdout + result.stderr
    db.rollback()  # VACUUM FULL waits for every open transaction that read the aggregates
    result = _run(settings, "stats", "compact")
    assert result.returncode == 0 and "compacted" in result.stdout, result.stdout + result.stderr
    assert service.totals(session=db, filters=f)["export_cny"] == D("7654.32")
    result = _run(settings, "bulletin", "--month", "2026-10", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    pdf = tmp_path / "bulletin-2026-10.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and (tmp_path / "bulletin-2026-10.xlsx").is_file()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "0.77" in text and "9810" in text  # 7,654.32 CNY = 0.77 万元
    assert _run(settings, "bulletin", "--month", "2026/10").returncode == 2
