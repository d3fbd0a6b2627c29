"""Export messages through the ONE intake pipeline (kuajing.imports accept): verdicts, codes, idempotency, match."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kuajing.ceb import build, parse
from kuajing.exports.models import ExportInventory, ExportOrder
from kuajing.imports.models import OutboxMessage, Receipt
from kuajing.imports.service import accept
from tests.exports import shipments as s
from tests.imports.returns_flow import principal

XML = {"Content-Type": "application/xml"}
JSON = {"Accept": "application/json", "Content-Type": "application/xml"}


def send(db, party, msg, when: datetime):
    """One message through accept as ``party`` at ``when``."""
    return accept(session=db, message=msg, principal=principal(party), received_at=when,
                  raw=build(msg, validate=False))


def _list(db, ezone, n=1) -> ExportInventory:
    return db.scalars(select(ExportInventory).where(ExportInventory.business_key
                                                    == f"{ezone.platform.code}:EXO{n}")).one()


def test_post_ceb_takes_an_export_order_and_answers_ceb304(client, ezone, db):
    r = client.post("/ceb", content=s.xml(s.order(ezone.parties)), headers={**ezone.platform.headers, **XML})
    assert r.status_code == 200
    answer = parse(r.content)
    assert answer.message_type == "CEB304"
    assert answer.records[0].return_status == "2" and answer.records[0].order_no == "EXO1"
    order = db.scalars(select(ExportOrder)).one()
    assert (order.order_type, order.status, order.goods_value) == ("E", "accepted", 200)
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.message_type == "CEB303")).one()


def test_same_bytes_again_replay_the_answer_and_store_nothing(client, ezone, db):
    body = s.xml(s.order(ezone.parties))
    first = client.post("/ceb", content=body, headers={**ezone.platform.headers, **XML})
    again = client.post("/ceb", content=body, headers={**ezone.platform.headers, **XML})
    assert first.content == again.content
    assert len(db.scalars(select(ExportOrder)).all()) == 1
    assert len(db.scalars(select(Receipt)).all()) == 1


def test_a_different_order_under_the_same_number_gets_the_official_duplicate_code(client, ezone):
    client.post("/ceb", content=s.xml(s.order(ezone.parties)), headers={**ezone.platform.headers, **XML})
    r = client.post("/ceb", content=s.xml(s.order(ezone.parties, price="90")),
                    headers={**ezone.platform.headers, **JSON})
    assert r.json()["records"][0]["code"] == "-301010"  # 已存在相同编号的订单 (catalogue, CEB303 = order family)


def test_an_identical_resend_gets_the_original_receipt(client, ezone):
    first = client.post("/ceb", content=s.xml(s.order(ezone.parties)), headers={**ezone.platform.headers, **JSON})
    again = client.post("/ceb", content=s.xml(s.order(ezone.parties)), headers={**ezone.platform.headers, **JSON})
    assert again.json()["records"][0]["replayed"] is True
    assert again.json()["records"][0]["cursor"] == first.json()["records"][0]["cursor"]


def test_change_of_an_unknown_waybill_gets_minus_504014(client, ezone):
    r = client.post("/ceb", content=s.xml(s.waybill(ezone.parties, app_type="2")),
                    headers={**ezone.logistics.headers, **JSON})
    assert r.json()["records"][0]["code"] == "-504014"


def test_another_enterprise_may_not_send_for_the_platform(client, ezone):
    r = client.post("/ceb", content=s.xml(s.order(ezone.parties)), headers={**ezone.outsider.headers, **JSON})
    assert r.json()["records"][0]["code"] == "-4001"


def test_a_list_is_declared_once_order_and_waybill_match_from_2024_12_15(db, ezone):
    when = datetime(2024, 12, 15, 2, 0, tzinfo=UTC)  # 2024-12-15 10:00 Shanghai
    p = ezone.parties
    send(db, ezone.agent, s.inventory(p), when)
    assert _list(db, ezone).status == "awaiting_documents"
    send(db, ezone.platform, s.order(p), when)
    assert _list(db, ezone).status == "awaiting_documents"
    send(db, ezone.logistics, s.waybill(p), when)
    inv = _list(db, ezone)
    assert inv.status == "declared" and inv.documents == ["order", "waybill"]
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.message_type == "CEB603")).one()


def test_a_list_declared_on_2024_12_14_waits_for_the_receipt_of_payment(db, ezone):
    when = datetime(2024, 12, 14, 15, 0, tzinfo=UTC)  # 2024-12-14 23:00 Shanghai
    p = ezone.parties
    for party, msg in ((ezone.agent, s.inventory(p)), (ezone.platform, s.order(p)),
                       (ezone.logistics, s.waybill(p))):
        send(db, party, msg, when)
    inv = _list(db, ezone)
    assert inv.status == "awaiting_documents" and inv.documents == ["order", "receipt", "waybill"]
    send(db, ezone.platform, s.receipt(p), when)
    assert _list(db, ezone).status == "declared"


def test_the_document_rule_turns_at_midnight_shanghai_not_utc(db, ezone):
    """R3.1 on the Asia/Shanghai date: 2024-12-14 16:00 UTC is already 2024-12-15 00:00 in Shanghai (two
    documents), one minute earlier is still 2024-12-14 (three)."""
    p = ezone.parties
    for n, when, documents in ((1, datetime(2024, 12, 14, 16, 0, tzinfo=UTC), ["order", "waybill"]),
                               (2, datetime(2024, 12, 14, 15, 59, tzinfo=UTC), ["order", "receipt", "waybill"])):
        for party, msg in ((ezone.agent, s.inventory(p, n)), (ezone.platform, s.order(p, n)),
                           (ezone.logistics, s.waybill(p, n))):
            send(db, party, msg, when)
        inv = _list(db, ezone, n)
        assert inv.documents == documents, when
        assert inv.status == ("declared" if n == 1 else "awaiting_documents"), when


def test_a_mismatching_list_is_held_with_minus_4105(db, ezone):
    when = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    p = ezone.parties
    send(db, ezone.platform, s.order(p, qty="3"), when)
    send(db, ezone.logistics, s.waybill(p), when)
    send(db, ezone.agent, s.inventory(p), when)
    inv = _list(db, ezone)
    assert inv.status == "mismatch"
    assert {m["field"] for m in inv.mismatches} == {"InventoryList[1]/qty", "InventoryList[1]/totalPrice"}
    codes = [r.return_status for r in db.scalars(select(Receipt).where(Receipt.declaration_type == "CEB603"))]
    assert codes == ["2", "-4105"]


def test_a_9710_list_of_5000_00_cny_is_accepted_and_5000_01_refused(db, ezone):
    when = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    p = ezone.parties
    ok = send(db, ezone.agent, s.inventory(p, 1, trade_mode="9710", price="2500.00"), when)
    over = send(db, ezone.agent, s.inventory(p, 2, trade_mode="9710", price="2500.005"), when)
    assert ok.records[0].code == "2"
    assert over.records[0].code == "-4106"  # ours: must go by customs declaration (R4.5)


def test_a_9810_list_with_a_licence_is_refused(db, ezone):
    when = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    result = send(db, ezone.agent, s.inventory(ezone.parties, trade_mode="9810", price="1", license_no="LIC1"), when)
    assert result.records[0].code == "-4106"
