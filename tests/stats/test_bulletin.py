"""Issue 7 check: the bulletin PDF's text (pdftotext) holds the Chinese headings and the month's figures, its
fonts are embedded (pdffonts), its charts are present (pdfimages); the Excel workbook holds the same tables;
without the risk module the bulletin says so."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from kuajing.stats import bulletin, registry, service
from tests.stats.helpers import at, export_list, import_list


@pytest.fixture
def october(db, zone, session_factory):
    """October 2026: A imports 12,345.67 (9610, Australia); C exports 30,000.00 (9710, Germany); September and
    October 2025 for the growth rates; one survey figure."""
    import_list(db, ent=zone["A"], released_at=at(2026, 10, 3), items=[("0402210000", "601", D("12345.67"))])
    export_list(db, ent=zone["C"], mode="9710", released_at=at(2026, 10, 9),
                items=[("6110200000", "304", D("30000.00"), "142")])
    export_list(db, ent=zone["C"], mode="9710", released_at=at(2026, 9, 9),
                items=[("6110200000", "304", D("20000.00"), "142")])
    export_list(db, ent=zone["C"], mode="9710", released_at=at(2025, 10, 9),
                items=[("6110200000", "304", D("21172.84"), "142")])
    registry.report_survey(session=db, enterprise_id=zone["C"].id, month=date(2026, 10, 1), direction="export",
                           channel="general_trade_0110", value_cny="50000.00", actor="test")
    db.commit()
    service.fold_all(session_factory=session_factory)
    return zone


def _run(*args: str, data: bytes | None = None) -> str:
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def no_risk_module(monkeypatch):
    """The bulletin as it reads before the risk module is installed (``import kuajing.risk.service`` fails)."""
    import sys

    monkeypatch.setitem(sys.modules, "kuajing.risk.service", None)
    monkeypatch.setitem(sys.modules, "kuajing.risk", None)


def test_bulletin_pdf_text_fonts_and_charts(db, october, tmp_path, no_risk_module):
    data = bulletin.collect(session=db, month=date(2026, 10, 1), today=date(2026, 11, 27))
    # 12,345.67 + 30,000.00 = 42,345.67 CNY = 4.23 万元; October 2025: 21,172.84 → growth 100.0%;
    # September 2026: 20,000.00 → month on month +111.7% (42,345.67 / 20,000 − 1 = 1.11728 → 111.7);
    # Jan–Oct 2026: 62,345.67 against 21,172.84 → 62,345.67 / 21,172.84 − 1 = 1.94460 → 194.5
    assert data["current"]["total_cny"] == D("42345.67")
    assert data["growth"] == {"yoy": D("100.0"), "mom": D("111.7"), "ytd": D("194.5")}
    path = tmp_path / "b.pdf"
    path.write_bytes(bulletin.pdf(data))
    text = _run("pdftotext", "-layout", str(path), "-")
    for heading in ("跨境电商信息通报", "2026年10月", "一、本月要点", "二、主要指标", "四、国别（地区）前十",
                    "五、商品（HS品目）前十", "六、旗县区排名", "七、目标进度", "八、调查口径", "九、风险提示"):
        assert heading in text, heading
    assert "4.23" in text and "1.23" in text and "3.00" in text  # 万元: total, import, export
    assert "同比增长100.0%" in text and "环比增长111.7%" in text
    assert "德国" in text and "澳大利亚" in text and "青山区" in text and "九原区" in text
    assert "风险模块未安装" in text
    assert "5.00" in text  # the survey figure, 50,000.00 CNY = 5.00 万元, listed apart
    fonts = _run("pdffonts", str(path)).splitlines()[2:]
    cjk = [f for f in fonts if "CJK" in f]
    assert cjk and all(" yes " in f.split("CJK", 1)[1] for f in cjk), fonts  # embedded (emb = yes)
    images = _run("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) >= 2  # the trend and mode-mix charts


def test_bulletin_workbook(db, october, no_risk_module):
    data = bulletin.collect(session=db, month=date(2026, 10, 1), today=date(2026, 11, 27))
    wb = load_workbook(io.BytesIO(bulletin.workbook(data)))
    assert wb.sheetnames == ["概览", "月度趋势", "监管方式", "国别前十", "商品前十", "旗县区排名", "目标进度", "调查口径",
                             "风险提示"]
    overview = {row[0]: row[1:] for row in wb["概览"].iter_rows(values_only=True) if row and row[0]}
    assert D(str(overview["进出口额（元）"][0])) == D("42345.67")
    countries = list(wb["国别前十"].iter_rows(values_only=True))
    assert countries[1][:3] == (1, "304", "德国")
    assert wb["风险提示"]["A1"].value == "风险模块未安装"


def test_bulletin_downloads_and_cli(db, client, october, tmp_path, settings):
    from tests.accounts.fixtures import login, make_user

    user, password = make_user(db, roles=("commerce_supervisor",))
    db.commit()
    login(client, user.username, password)
    r = client.get("/api/v1/stats/bulletin.pdf", params={"month": "2026-10"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
    assert "4.23" in _run("pdftotext", "-", "-", data=r.content)
    r = client.get("/api/v1/stats/bulletin.xlsx", params={"month": "2026-10"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert client.get("/api/v1/stats/bulletin.pdf", params={"month": "2026-1"}).status_code == 422
    page = client.get("/stats/bulletin", params={"month": "2026-10"})
    assert 'href="/api/v1/stats/bulletin.pdf?month=2026-10"' in page.text
