"""The demo loader: a believable Baotou zone, valid fictitious codes, generated secrets, idempotent."""

from __future__ import annotations

import io
import json
import stat
from collections import Counter

import pytest
from rich.console import Console
from sqlalchemy import func, select

from kuajing.audit.models import AuditEvent
from kuajing.demo import load_demo, plan
from kuajing.enterprises import service
from kuajing.enterprises.models import Enterprise


def test_plan_is_valid_and_deterministic():
    zone = service.zone_config()
    rows = plan(2023, zone)
    assert plan(2023, zone) == rows
    assert 190 <= len(rows) <= 210
    datas = [r["data"] for r in rows]
    assert all(service.is_valid_uscc(d["uscc"]) and d["uscc"][2:6] == "1502" for d in datas)
    assert all(service.is_valid_customs_code(d["customs_code"]) and d["customs_code"].startswith("1502") for d in datas)
    assert all(d["customs_office"] in ("0703", "0706", "0709") for d in datas)
    assert len({d["uscc"] for d in datas}) == len({d["customs_code"] for d in datas}) == len(datas)
    assert set(Counter(d["district"] for d in datas)) == set(zone.districts)
    assert {"cashmere", "grains", "honey", "daily-chemicals", "rare-earth", "steel"} <= {d["industry"] for d in datas}
    for d in datas:  # each park lies in its district
        park = zone.parks.get(d["park"]) if d["park"] else None
        assert park is None or park.district in (None, d["district"])


def test_load_demo(settings, session_factory, tmp_path):
    console = Console(record=True, width=160)
    s = settings.model_copy(update={"var_dir": tmp_path})
    result = load_demo(settings=s, session_factory=session_factory, console=console, seed=7, parcels=0)
    with session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Enterprise)) == result["enterprises"]
        statuses = dict(db.execute(select(Enterprise.status, func.count()).group_by(Enterprise.status)).all())
        assert set(statuses) == {"draft", "submitted", "returned", "approved", "suspended", "revoked"}
        assert db.scalar(select(func.count()).select_from(AuditEvent)) > 3 * result["enterprises"]
        first = db.scalar(select(func.min(AuditEvent.at)))
        assert first.year == 2023
    saved = tmp_path / "demo-credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    data = json.loads(saved.read_text())
    assert {row["role"] for row in data["logins"]} == {"zone_operator", "commerce_supervisor", "customs_officer",
                                                        "auditor", "enterprise_admin", "enterprise_user",
                                                        "bank_insurer"}
    with session_factory() as db:  # the FX demo: the §6 netting receipt (88,000 → 100,000 restored), shown to the bank
        from kuajing.fx.models import FxConsent, FxProceeds

        netted = db.scalars(select(FxProceeds).where(FxProceeds.bank_reference == "BOC-DEMO-2025-0001")).one()
        assert (netted.actual_amount, netted.export_amount) == (88000, 100000)
        assert db.scalar(select(func.count()).select_from(FxConsent)) == 1
    assert len(data["api_keys"]) == 4 and all(k["key"].startswith("kj_test_") for k in data["api_keys"])
    text = console.export_text()
    assert data["logins"][0]["password"] in text and data["api_keys"][0]["key"] in text
    # --if-empty leaves a loaded zone alone; without it the loader refuses
    assert load_demo(settings=s, session_factory=session_factory, console=console, if_empty=True) is None
    with pytest.raises(SystemExit):
        load_demo(settings=s, session_factory=session_factory, console=console)


def test_demo_logins_work(settings, session_factory, tmp_path, client):
    s = settings.model_copy(update={"var_dir": tmp_path})
    result = load_demo(settings=s, session_factory=session_factory, console=Console(file=io.StringIO()), seed=11, parcels=0)
    platform_key = result["api_keys"][0]["key"]
    r = client.get("/api/v1/enterprises", headers={"X-API-Key": platform_key})
    assert r.status_code == 200 and r.json()["total"] == 1
    assert r.json()["items"][0]["name_zh"] == "包头优品跨境电子商务有限公司"
