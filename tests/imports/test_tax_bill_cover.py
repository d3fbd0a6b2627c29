"""A released parcel whose e-tax bill the declaring agent's guarantee cannot cover (docs/tax.md "Tax guarantee"):
customs issued the bill, so the platform keeps it, the parcel's timeline says it waits for cover, and the
agent's next top-up draws it; the month's summary counts it all along."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import select

from kuajing.imports.service.readside import Viewer
from kuajing.imports.service.timeline import timeline
from kuajing.tax import service as tax
from kuajing.tax.models import TaxBill
from tests.accounts.fixtures import login, make_zone_user
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.test_issue_checks import (  # noqa: F401  (fixtures)
    WINE,
    Line,
    assert_released,
    inventory,
    run,
    sandbox,
    send_parcel,
)

ZONE_WIDE = Viewer(enterprise_id=None, codes=frozenset(), zone_wide=True)


def _tax_titles(db) -> list[str]:
    db.expire_all()
    found = timeline(session=db, viewer=ZONE_WIDE, order_no="ORD1")
    return [e.title for e in found.events if e.kind == "tax" and e.title.startswith("Tax bill")]


def test_an_uncovered_bill_waits_in_the_timeline_until_a_top_up_covers_it(client, db, session_factory, zone,  # noqa: F811
                                                                          sandbox):  # noqa: F811
    agent = zone.agent.id
    tax.open_guarantee(session=db, agent_enterprise_id=agent, actor="test")
    tax.top_up(session=db, agent_enterprise_id=agent, amount=D("50.00"), reference="TU-50", actor="test")
    db.commit()
    # E4 (policy-rules §1.5): wine, P = 300 → CT 23.33 + VAT 30.33 = 53.66 > the 50.00 the guarantee holds
    send_parcel(client, zone, 1, [Line(WINE, "葡萄酒750ml", 2, "140")], freight="20", tax_withheld="53.66")
    run(session_factory, sandbox)
    inv = assert_released(db, client, zone, 1, channel="cbec", taxable="300.00", duty="0.00", vat="30.33",
                          ct="23.33", total="53.66")
    bill = db.scalars(select(TaxBill).where(TaxBill.invt_no == inv.invt_no)).one()
    assert bill.covered is False
    assert _tax_titles(db) == ["Tax bill {tax_no} of {amount} issued, waiting for the guarantee to cover it"]
    view = tax.guarantee(session=db, agent_enterprise_id=agent)
    assert (view.balance, view.uncovered_count, view.uncovered_total) == (D("50.00"), 1, D("53.66"))
    assert "uncovered_bills" in [a.kind for a in view.alerts]
    officer, password = make_zone_user(db, "customs_officer", username="cover-officer")
    db.commit()
    login(client, officer.username, password)
    page = client.get("/imports/parcels/ORD1", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "担保余额不足，待扣减" in page.text

    tax.top_up(session=db, agent_enterprise_id=agent, amount=D("10.00"), reference="TU-10", actor="test")
    db.commit()
    # 50.00 + 10.00 = 60.00 covers 53.66 → 6.34 left
    view = tax.guarantee(session=db, agent_enterprise_id=agent)
    assert (view.balance, view.uncovered_count) == (D("6.34"), 0)
    assert _tax_titles(db) == ["Tax bill {tax_no} of {amount} drawn"]
    assert "担保余额不足，待扣减" not in client.get("/imports/parcels/ORD1").text
    assert inventory(db, 1).status == "released"
