"""Support of the returns / pages / drop-folder tests (returns helper): a parcel declared through the one
intake pipeline as each of its four senders, released by customs receipts, and the CEB623/625 requests
with their customs answers (CEB624/626)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kuajing.ceb import Message, build, classes, example_message, receipt_for
from kuajing.imports.models import Inventory
from kuajing.imports.service import accept, apply_customs_message
from tests.imports import parcels
from tests.imports.parcels import BUYER_ID, BUYER_NAME, BUYER_PHONE

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """An instant in Asia/Shanghai wall time 'YYYY-MM-DD HH:MM', as UTC."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).astimezone(UTC)


def principal(party):
    """The principal of a zone party's API key (what POST /ceb passes to accept)."""
    from kuajing.accounts.deps import Principal

    return Principal(kind="api_key", user_id=None, api_key_id=None, enterprise_id=party.id,
                     roles=frozenset({"enterprise_user"}), display_name="test", key_prefix="kj_test_x")


def send(db, party, msg: Message, when: datetime):
    """One message through the intake pipeline as ``party`` at ``when``."""
    return accept(session=db, message=msg, principal=principal(party), received_at=when, raw=build(msg, validate=False))


def declare(db, zone, n: int = 1, *, when: datetime, goods: str = "280", lines: int = 1) -> Inventory:
    """The four documents of ORD<n> (each by its sender): the list ends ``declared``."""
    p = zone.parties
    decl = when.astimezone(SHANGHAI).strftime("%Y%m%d")
    for party, msg in ((zone.platform, parcels.order(p, n, goods=goods, lines=lines)),
                       (zone.pay, parcels.payment(p, n, amount=str(Decimal(goods) + 20))),
                       (zone.logistics, parcels.waybill(p, n)),
                       (zone.agent, parcels.inventory(p, n, goods=goods, lines=lines, decl_time=decl))):
        verdict = send(db, party, msg, when).records[0]
        assert verdict.code == "2", verdict.info
    inv = db.scalars(select(Inventory).where(Inventory.order_no == f"ORD{n}")).one()
    assert inv.status == "declared", (inv.status, inv.last_info)
    return inv


def invt_no_of(n: int) -> str:
    """The customs list number the tests give ORD<n> (4 + 4 + I + 9 = 18 characters)."""
    return f"02012026I{n:09d}"


def list_receipt(inv: Inventory, status: str, when: datetime) -> bytes:
    """A CEB622 from customs on the list."""
    n = int(inv.order_no.removeprefix("ORD"))
    rec = classes("CEB622").record(guid="A" * 36, customs_code="0201", ebp_code=inv.ebp_code, ebc_code=inv.ebc_code,
                                   agent_code=inv.agent_code, cop_no=inv.cop_no, pre_no=inv.pre_no,
                                   invt_no=invt_no_of(n), return_status=status,
                                   return_time=when.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S000"),
                                   return_info=f"海关 {status}")
    return build(Message(message_type="CEB622", records=[rec]))


def customs(db, inv: Inventory, *statuses: str, when: datetime) -> Inventory:
    """Apply customs list receipts (e.g. "120", "800") at ``when``."""
    for status in statuses:
        apply_customs_message(session=db, data=list_receipt(inv, status, when), now=when)
    db.flush()
    db.refresh(inv)
    return inv


def _request_head(rec, zone, n: int):
    p = zone.parties
    rec.order_no, rec.ebp_code, rec.ebc_code, rec.agent_code = f"ORD{n}", p.ebp, p.ebp, p.agent
    rec.logistics_code, rec.logistics_no, rec.invt_no, rec.pre_no = p.logistics, f"WB{n}", invt_no_of(n), None
    rec.cop_no = f"R{n}"
    rec.buyer_id_number, rec.buyer_name, rec.buyer_telephone = BUYER_ID, BUYER_NAME, BUYER_PHONE
    rec.customs_code = "0201"


def cancel(zone, n: int = 1) -> Message:
    """A CEB623 cancelling ORD<n>'s list."""
    msg = example_message("CEB623")
    _request_head(msg.records[0], zone, n)
    return msg


def refund(zone, n: int = 1, lines: list[tuple[int, str, str]] | None = None) -> Message:
    """A CEB625 returning (gnum, gcode, qty) lines of ORD<n>'s list (default: its one line in full)."""
    msg = example_message("CEB625", items=1)
    rec = msg.records[0]
    _request_head(rec.head, zone, n)
    proto = rec.items[0]
    rec.items = [type(proto)(gnum=g, gcode=code, gname=f"婴儿奶粉{g}", qty=Decimal(q), unit=proto.unit)
                 for g, code, q in (lines or [(1, "1901101000", "1")])]
    return msg


def answer(db, request: Message, status: str, when: datetime) -> None:
    """Customs answers a CEB623/625 (CEB624/626) with ``status`` (120, 399, 100 …)."""
    rec = request.records[0]
    head = rec.head if hasattr(rec, "head") else rec
    receipt = receipt_for(request.message_type, rec, status, f"审核 {status}", when, invt_no=head.invt_no,
                          pre_no="B20260301000000001", cop_no=head.cop_no or "R")
    apply_customs_message(session=db, data=build(receipt, validate=False), now=when)
    db.flush()
