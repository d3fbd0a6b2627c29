"""Intake's Core batch write (records.DocType.core_insert): the same rows, receipts, audit events and outbox
as the ORM path, for messages mixing new records, an identical resend, a key repeated inside the message
and a key already taken; and the fallback record by record when a concurrent writer took a key."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.ceb import parse
from kuajing.imports.models import (
    ImportOrder,
    ImportOrderItem,
    ImportPayment,
    Inventory,
    InventoryItem,
    OutboxMessage,
    Receipt,
    ReceivedMessage,
)
from kuajing.imports.service import accept, intake
from kuajing.imports.service.records import DOC_TYPES, DocType, code_of
from tests.imports import parcels

WHEN = datetime(2026, 3, 2, 1, 30, 15, 250000, tzinfo=UTC)
_VOLATILE = {"id", "created_at", "updated_at", "order_id", "inventory_id", "received_message_id", "pre_no",
             "cop_no", "receipt_ids"}


def _record(rec) -> dict:
    """A CEB record as plain data, the list's preNo (made from its id, which differs between the runs) left out."""
    data = rec.to_dict()
    for part in (data, data.get("InventoryHead") or {}):
        part.pop("preNo", None)
    return data


def _rows(db, model) -> list[dict]:
    """Every row of ``model`` in id order, ids and timestamps left out, receipts as their parsed record."""
    table = model.__table__
    out = []
    for row in db.execute(select(table).order_by(table.c.id)).mappings():
        values = {k: v for k, v in row.items() if k not in _VOLATILE}
        for name in ("receipt_xml", "payload"):  # the message's own guid is new each time; its record is not
            if name in values:
                values[name] = _record(parse(values[name], validate=False).records[0])
        out.append(values)
    return out


def _snapshot(db) -> dict:
    db.flush()
    tables = (ImportOrder, ImportOrderItem, ImportPayment, Inventory, InventoryItem, Receipt, ReceivedMessage,
              OutboxMessage)
    snap = {m.__tablename__: _rows(db, m) for m in tables}
    snap["audit"] = [(e.stream, e.seq, e.action, e.actor, e.subject_id, e.before_json, e.after_json)
                     for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    return snap


def _orders_message(zone):
    """ORD1 (3 lines), ORD2, ORD3 (sent before: an identical resend), ORD4 twice with different content."""
    msg = parcels.order(zone.parties, 1, lines=3)  # 3 lines of 93.33
    for n in (2, 3, 4):
        msg.records.append(parcels.order(zone.parties, n).records[0])
    msg.records.append(parcels.order(zone.parties, 4, goods="281").records[0])
    return msg


def _run(db, zone, principal, messages, *, core: bool, monkeypatch) -> tuple[list, dict]:
    """Send the messages inside a savepoint, take what was written, roll it back."""
    if not core:
        monkeypatch.setattr(DocType, "core_insert", property(lambda self: False))
    savepoint = db.begin_nested()
    verdicts = []
    first, *rest = messages
    accept(session=db, message=first, principal=principal, received_at=WHEN)
    for msg in rest:
        sender = {"CEB311": zone.platform, "CEB411": zone.pay, "CEB511": zone.logistics,
                  "CEB621": zone.agent}[msg.message_type]
        result = accept(session=db, message=msg, principal=SimpleNamespace(enterprise_id=sender.id),
                        received_at=WHEN)
        verdicts.append([(v.business_key, v.code, v.replayed, _record(v.receipt)) for v in result.records])
    snap = _snapshot(db)
    savepoint.rollback()
    return verdicts, snap


def test_core_batch_writes_what_the_orm_path_writes(db, zone, monkeypatch):
    principal = SimpleNamespace(enterprise_id=zone.platform.id)
    payments, waybills = parcels.payment(zone.parties, 1, amount="299.99"), parcels.waybill(zone.parties, 1)
    payments.records.append(parcels.payment(zone.parties, 2).records[0])
    waybills.records.append(parcels.waybill(zone.parties, 2).records[0])
    # ORD1 (3 lines of 93.33) matches and is declared; ORD2's list has 3 lines for 1 ordered: a mismatch
    messages = [parcels.order(zone.parties, 3), _orders_message(zone), payments, waybills,
                parcels.inventory(zone.parties, 1, lines=3), parcels.inventory(zone.parties, 2, lines=3)]
    core_verdicts, core = _run(db, zone, principal, messages, core=True, monkeypatch=monkeypatch)
    orm_verdicts, orm = _run(db, zone, principal, messages, core=False, monkeypatch=monkeypatch)
    codes = [code for key, code, replayed, _ in core_verdicts[0]]
    assert codes == ["2", "2", "2", "2", code_of(DOC_TYPES["CEB311"], "duplicate")]  # the repeated key
    assert [v[2] for v in core_verdicts[0]] == [False, False, True, False, False]  # ORD3: original receipt
    assert core_verdicts == orm_verdicts
    assert core == orm
    assert len(core["import_order_items"]) == 3 + 1 + 1 + 1 and len(core["import_inventory_items"]) == 3 + 3
    assert [r["status"] for r in core["import_inventories"]] == ["declared", "mismatch"]
    assert "93.33" in core["import_inventories"][1]["last_info"]  # the amounts as received, as before
    assert "93.33000" not in core["import_inventories"][1]["last_info"]


def test_list_numbers_are_made_from_the_new_ids(db, zone):
    result = accept(session=db, message=parcels.inventory(zone.parties, 7, lines=2),
                    principal=SimpleNamespace(enterprise_id=zone.agent.id), received_at=WHEN)
    inv = db.scalars(select(Inventory)).one()
    assert inv.pre_no == intake._pre_no(WHEN, inv.id) and inv.cop_no == "COP7"
    assert [i.gnum for i in inv.items] == [1, 2]
    assert result.records[0].receipt.pre_no == inv.pre_no and result.records[0].receipt_id is not None
    rm = db.scalars(select(ReceivedMessage)).one()
    assert rm.receipt_ids == [result.records[0].receipt_id] and rm.accepted_count == 1


def test_a_key_taken_meanwhile_falls_back_to_record_by_record(db, zone, monkeypatch):
    """A concurrent writer took ORD2 between the lookup and the batch INSERT: the batch leaves nothing
    behind, the records go one by one, ORD2 gets the duplicate code and the others are accepted."""
    principal = SimpleNamespace(enterprise_id=zone.platform.id)
    real = intake._existing_docs

    raced = []

    def racing(session, dt, keys):
        found = real(session, dt, keys)
        if raced:
            return found
        raced.append(True)
        accept(session=session, message=parcels.order(zone.parties, 2, goods="999"), principal=principal,
               received_at=WHEN)  # the "other writer", in the same transaction for the test
        return found

    monkeypatch.setattr(intake, "_existing_docs", racing)
    msg = parcels.order(zone.parties, 1)
    for n in (2, 3):
        msg.records.append(parcels.order(zone.parties, n).records[0])
    result = accept(session=db, message=msg, principal=principal, received_at=WHEN)
    assert [(v.business_key.split(":")[1], v.code) for v in result.records] == [
        ("ORD1", "2"), ("ORD2", result.records[1].code), ("ORD3", "2")]
    assert result.records[1].code != "2"
    orders = {o.order_no: o for o in db.scalars(select(ImportOrder))}
    assert sorted(orders) == ["ORD1", "ORD2", "ORD3"] and orders["ORD2"].goods_value == 999
    accepted_receipts = db.scalars(select(Receipt).where(Receipt.return_status == "2")).all()
    assert sorted(r.business_key.split(":")[1] for r in accepted_receipts) == ["ORD1", "ORD2", "ORD3"]
