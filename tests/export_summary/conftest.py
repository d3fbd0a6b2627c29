"""Fixtures of the summary and register tests: the seeded holiday calendar and two Baotou exporters."""

from __future__ import annotations

import pytest

from kuajing.data import service as data
from kuajing.export_summary import service
from kuajing.export_summary.calc import ExcludedGoods
from tests.accounts.fixtures import make_enterprise


@pytest.fixture
def calendar(db):
    """The shipped State Council holiday calendars 2016–2026 (kuajing/data/seed)."""
    data.load_seed(session=db)
    db.commit()


@pytest.fixture
def zone():
    """Baotou: its customs offices from the code table; steel (7208) excluded from 2021-05-01."""
    from datetime import date

    return service.ZoneConfig(customs=service.zone_customs("包头"), excluded=(ExcludedGoods(
        hs_prefix="7208", valid_from=date(2021, 5, 1), valid_to=None, name="热轧钢材", reason="rebate_cancelled",
        source="财政部 税务总局公告2021年第16号"),))


@pytest.fixture
def exporter(db):
    """An approved (zone-filed) exporter with a customs code."""
    ent = make_enterprise(db, customs_code="1502960ABC", name_zh="包头羊绒制品有限公司", dxp_id="DXPENT0000009001")
    db.commit()
    return ent


@pytest.fixture
def outsider(db):
    """An enterprise whose filing is not approved (not a zone enterprise)."""
    ent = make_enterprise(db, customs_code="1502960OUT", name_zh="外地贸易有限公司", status="submitted")
    db.commit()
    return ent
