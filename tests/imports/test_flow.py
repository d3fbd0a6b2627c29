"""After intake: mismatch receipts, declaration through the outbox pump, customs receipts to release (quota consumed)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from kuajing.ceb import Message, build, classes, parse
from kuajing.imports.models import Inventory, OutboxMessage
from kuajing.imports.service import pump
from kuajing.quota import service as quota
from tests.imports import parcels
from tests.imports.parcels import BUYER_ID, BUYER_NAME, xml
from tests.imports.test_intake import post, send_parcel


class FakeCustoms:
    """A CustomsTransport double: records what was sent; hands out the receipts queued by the test."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.queue: list[bytes] = []

    def send(self, *, message: bytes, message_type: str) -> str:
        self.sent.append((message_type, message))
        return str(len(self.sent))

    def poll(self, *, limit: int = 500) -> list[bytes]:
        out, self.queue = self.queue[:limit], self.queue[limit:]
        return out

    def ack(self, *, message_id: str) -> None:
        pass

    def reject(self, *, message_id: str, reason: str) -> None:
        raise AssertionError(reason)


def list_receipt(inv: Inventory, status: str) -> bytes:
    rec = classes("CEB622").record(guid="A" * 36, customs_code="0100", ebp_code=inv.ebp_code, ebc_code=inv.ebc_code,
                                   agent_code=inv.agent_code, cop_no=inv.cop_no, pre_no=inv.pre_no,
                                   invt_no="01002024I000000001", return_status=status,
                                   return_time="20240601120000000", return_info=f"status {status}")
    return build(Message(message_type="CEB622", records=[rec]))


def test_a_mismatching_set_gets_a_receipt_naming_both_sides(client, db, zone):
    post(client, zone.platform, xml(parcels.order(zone.parties)))
    post(client, zone.pay, xml(parcels.payment(zone.parties, payer="王五")))
    post(client, zone.logistics, xml(parcels.waybill(zone.parties)))
    post(client, zone.agent, xml(parcels.inventory(zone.parties)))
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "mismatch"
    assert {"field": "payer_name", "doc_a": "CEB311", "field_a": "buyerName", "value_a": "张*", "doc_b": "CEB411",
            "field_b": "payerName", "value_b": "王*", "code": "-4002"} in inv.mismatches  # masked
    pulled = client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]
    assert [i["return_status"] for i in pulled] == ["2", "-4002"]


def test_documents_in_any_order_then_declared_and_released(client, db, session_factory, zone):
    # the list first, then the waybill, payment and order
    post(client, zone.agent, xml(parcels.inventory(zone.parties)))
    assert db.scalars(select(Inventory)).one().status == "awaiting_documents"
    post(client, zone.logistics, xml(parcels.waybill(zone.parties)))
    post(client, zone.pay, xml(parcels.payment(zone.parties)))
    post(client, zone.platform, xml(parcels.order(zone.parties)))
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "declared"
    assert inv.tax_total == Decimal("27.30")  # policy-rules E1: 300 × 13% × 0.7
    assert quota.reservation(session=db, reference=inv.quota_reference).status == "reserved"

    customs = FakeCustoms()
    result = pump(session_factory=session_factory, transport=customs)
    assert result.sent == 4 and sorted(t for t, _ in customs.sent) == ["CEB311", "CEB411", "CEB511", "CEB621"]
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.status == "pending")) is None
    sent_list = parse(dict(customs.sent)["CEB621"], validate=False).records[0].head
    assert sent_list.pre_no == inv.pre_no

    customs.queue = [list_receipt(inv, s) for s in ("120", "399", "800")]
    assert pump(session_factory=session_factory, transport=customs).applied == 3
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert (inv.status, inv.invt_no, inv.customs_status) == ("released", "01002024I000000001", "800")
    assert quota.reservation(session=db, reference=inv.quota_reference).status == "consumed"
    view = quota.lookup(session=db, buyer_id_number=BUYER_ID, buyer_name=BUYER_NAME, year=2024)
    assert view.used == Decimal("300.00")
    statuses = [i["return_status"] for i in client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]]
    assert statuses == ["2", "120", "399", "800"]


def test_customs_rejection_frees_the_quota(client, db, session_factory, zone):
    send_parcel(client, zone)
    inv = db.scalars(select(Inventory)).one()
    customs = FakeCustoms()
    customs.queue = [list_receipt(inv, "100")]
    pump(session_factory=session_factory, transport=customs)
    db.expire_all()
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "customs_rejected"
    assert quota.reservation(session=db, reference=inv.quota_reference).status == "released"


def test_over_the_single_limit_is_rejected_with_the_official_code(client, db, zone):
    p = zone.parties
    post(client, zone.platform, xml(parcels.order(p, goods="5200", lines=2)))
    post(client, zone.pay, xml(parcels.payment(p, amount="5220")))
    post(client, zone.logistics, xml(parcels.waybill(p)))
    post(client, zone.agent, xml(parcels.inventory(p, goods="5200", lines=2)))
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "limit_rejected"  # policy-rules E8: two items over 5,000
    pulled = client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]
    assert pulled[-1]["return_status"] == "-621005"


def test_the_pump_sends_one_message_per_type_and_applies_customs_answers_in_one_batch(client, db, session_factory,
                                                                                    zone):
    for n in (1, 2, 3):  # three parcels: twelve outbox rows, three of each type from one sender
        send_parcel(client, zone, n)
    db.expire_all()
    lists = db.scalars(select(Inventory).order_by(Inventory.id)).all()
    assert [inv.status for inv in lists] == ["declared"] * 3

    customs = FakeCustoms()
    result = pump(session_factory=session_factory, transport=customs)
    assert result.sent == 12  # outbox rows, sent as one message per type (3 records each)
    assert sorted(t for t, _ in customs.sent) == ["CEB311", "CEB411", "CEB511", "CEB621"]
    for message_type, data in customs.sent:
        assert len(parse(data, validate=False).records) == 3, message_type
    sent = parse(dict(customs.sent)["CEB621"], validate=False)
    assert [r.head.pre_no for r in sent.records] == [inv.pre_no for inv in lists]

    # the answers of all three lists, 120 → 399 → 800, applied in one exchange batch
    numbers = {inv.id: f"01002024I00000000{n}" for n, inv in enumerate(lists, start=1)}
    customs.queue = [build(Message(message_type="CEB622", records=[classes("CEB622").record(
        guid="A" * 36, customs_code="0100", ebp_code=inv.ebp_code, ebc_code=inv.ebc_code, agent_code=inv.agent_code,
        cop_no=inv.cop_no, pre_no=inv.pre_no, invt_no=numbers[inv.id], return_status=s,
        return_time="20240601120000000", return_info=f"status {s}")])) for s in ("120", "399", "800") for inv in lists]
    assert pump(session_factory=session_factory, transport=customs).applied == 9
    db.expire_all()
    done = db.scalars(select(Inventory).order_by(Inventory.id)).all()
    assert [(inv.status, inv.invt_no) for inv in done] == [
        ("released", f"01002024I00000000{n}") for n in (1, 2, 3)]
    for inv in done:
        assert quota.reservation(session=db, reference=inv.quota_reference).status == "consumed"
    statuses = [i["return_status"] for i in client.get("/ceb/receipts", headers=zone.agent.headers).json()["items"]]
    assert statuses == ["2"] * 3 + ["120"] * 3 + ["399"] * 3 + ["800"] * 3
