"""Issue 5 check: the 6-month window of export returns (policy-rules R2.5) at its edges, through the intake.

Both lists are exported on 2026-03-05 (ieDate); 6 calendar months end on 2026-09-05 (checks.relief_window).
The day that counts is the Asia/Shanghai date the goods are tallied back (CEB215): at 23:59 on 2026-09-05
Shanghai (15:59 UTC) the goods qualify, one minute later (2026-09-06 00:00 Shanghai, still 09-05 in UTC) they
do not. Until the tally arrives, the filing day stands in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kuajing.ceb import example_message
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.exports.models import ExportInventory, ExportRefund
from kuajing.imports.service import pump
from tests.exports import shipments as s
from tests.exports.test_intake import send
from tests.exports.test_release import _send


def _return(p, invt_no: str, n: int):
    msg = example_message("CEB213", items=1)
    h, item = msg.records[0].head, msg.records[0].items[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.ebc_code, h.ebp_code = "1", "2", invt_no, p.agent, p.ebp, p.ebp
    h.logistics_code, h.logistics_no, h.co_el_no, h.pre_no = p.logistics, f"EXW{n}", f"RET{n}", None
    item.gnum, item.gcode, item.qty = 1, "6110120000", 1
    return msg


def _tally(p, invt_no: str, n: int):
    msg = example_message("CEB215")
    h = msg.records[0]
    h.app_type, h.app_status, h.operator_code, h.logistics_code, h.logistics_no = "1", "2", p.operator, p.logistics, \
        f"EXW{n}"
    h.invt_no, h.co_el_no, h.pre_no = invt_no, f"RET{n}", None
    return msg


def test_goods_back_on_the_last_shanghai_day_qualify_one_minute_later_not(client, db, ezone, session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1, 2]))
    for n in (1, 2):
        _send(client, ezone.platform, s.order(p, n))
        _send(client, ezone.logistics, s.waybill(p, n))
        assert _send(client, ezone.agent, s.inventory(p, n, ie_date="20260305"))["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    lists = {i.order_no: i.invt_no for i in db.scalars(select(ExportInventory))}
    db.close()
    filed = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)
    for n in (1, 2):
        assert send(db, ezone.agent, _return(p, lists[f"EXO{n}"], n), filed).records[0].code == "2"
    db.commit()
    refunds = {r.co_el_no: r for r in db.scalars(select(ExportRefund))}
    assert {(str(r.exported_on), str(r.relief_until), r.relief_eligible) for r in refunds.values()} == \
        {("2026-03-05", "2026-09-05", True)}  # provisional: filed on 2026-08-20, inside the window

    last_minute = datetime(2026, 9, 5, 15, 59, tzinfo=UTC)  # 2026-09-05 23:59 Asia/Shanghai
    next_minute = datetime(2026, 9, 5, 16, 0, tzinfo=UTC)  # 2026-09-06 00:00 Asia/Shanghai
    assert send(db, ezone.operator, _tally(p, lists["EXO1"], 1), last_minute).records[0].code == "2"
    assert send(db, ezone.operator, _tally(p, lists["EXO2"], 2), next_minute).records[0].code == "2"
    db.commit()
    db.expire_all()
    refunds = {r.co_el_no: r for r in db.scalars(select(ExportRefund))}
    assert refunds["RET1"].relief_eligible is True
    assert refunds["RET2"].relief_eligible is False
    assert "2026年第16号" in (refunds["RET1"].relief_citation or "")
