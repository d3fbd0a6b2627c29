"""The risk queue processed set-based: a batch processed at once stores the same facts and price samples and
raises exactly the alerts (same rules, subjects, windows, figures, references, order, audit events) as the
same queue processed one list at a time — including two lists of one subject inside the same batch."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from kuajing.audit.models import AuditEvent
from kuajing.db.types import blind_index
from kuajing.quota import service as quota
from kuajing.risk import service
from kuajing.risk.models import Alert, AlertStep, ParcelFact, PriceSample, RiskQueueItem
from tests.accounts.fixtures import make_enterprise
from tests.idnumbers import resident_id
from tests.risk import helpers
from tests.risk.helpers import T0, fact

_n = itertools.count(1)
NEAR_LIMIT = "150203198001041111"  # 订购人 whose annual quota is at 90 %
SPLITTER = "150203198202092222"  # same goods in several parcels within 24 h (拆单)
REUSED = "150203198303083333"  # one ID, many consignees (身份复用)
LISTED = "150203198404074444"  # blacklisted ID (黑名单证件)
PLAIN = "150203198505065555"


def _import_list(db, *, ent, buyer: str, at: datetime, lines=(("1901101000", "SKU1", "100.00"),),
                 consignee: str = "李四", phone: str = "13900005678", with_order: bool = True, currency: str = "142"):
    """An import list (申报清单) declared at ``at`` (``lines``: HS code, item no, unit price), with its order."""
    from kuajing.imports.models import ImportOrder, Inventory, InventoryItem

    n = next(_n)
    doc = {"business_key": f"EBP:BATCH{n}", "sender_enterprise_id": ent.id, "status": "declared", "app_type": "1",
           "app_status": "2", "message_guid": f"00000000-0000-0000-0000-{n:012d}", "content_hash": "0" * 64}
    inv = Inventory(**doc, record=json.dumps({"currency": currency}), order_no=f"BATCH{n}", ebp_code="EBP",
                    ebc_code=ent.customs_code, logistics_code="LOG", logistics_no=f"W{n}", agent_code="AGT",
                    assure_code="AGT", cop_no=f"C{n}", trade_mode="9610", customs_code="0412", decl_time="20260310",
                    buyer_id_number=buyer, buyer_index=blind_index(buyer), buyer_name="张三", buyer_telephone=phone,
                    consignee_address=f"包头{consignee}", freight=Decimal(0), insured_fee=Decimal(0), declared_at=at)
    for g, (hs, item_no, price) in enumerate(lines, start=1):
        inv.items.append(InventoryItem(gnum=g, gcode=hs, item_no=item_no, gname="商品", gmodel="型号", country="502",
                                       qty=Decimal(1), unit="011", qty1=Decimal(1), unit1="011", price=Decimal(price),
                                       total_price=Decimal(price)))
    db.add(inv)
    if with_order:
        db.add(ImportOrder(**{**doc, "business_key": f"EBP:ORDER{n}"}, record="{}", order_no=f"BATCH{n}",
                           ebp_code="EBP", ebp_name="平台", ebc_code=ent.customs_code or "", ebc_name="电商",
                           goods_value=Decimal(100), freight=Decimal(0), discount=Decimal(0), tax_total=Decimal(0),
                           actural_paid=Decimal(100), buyer_id_type="1", buyer_id_number=buyer,
                           buyer_index=blind_index(buyer), buyer_name="张三", buyer_telephone=phone,
                           consignee=consignee, consignee_telephone=phone, consignee_address="包头"))
    db.flush()
    return inv


def _export_list(db, *, ent, at: datetime):
    from kuajing.exports.models import ExportInventory, ExportInventoryItem

    n = next(_n)
    inv = ExportInventory(business_key=f"EBP:BATCHX{n}", sender_enterprise_id=ent.id, status="released", app_type="1",
                          app_status="2", message_guid=f"00000000-0000-0000-0001-{n:012d}", content_hash="0" * 64,
                          record="{}", customs_code="0412", ebp_code="EBP", ebp_name="平台", order_no=f"BATCHX{n}",
                          logistics_code="LOG", logistics_no=f"E{n}", cop_no=f"C{n}", port_code="0412",
                          ie_date="20260310", statistics_flag="A", agent_code="AGT", agent_name="报关",
                          ebc_code=ent.customs_code, ebc_name=ent.name_zh, owner_code="OWN", owner_name="生产",
                          trade_mode="9610", traf_mode="4", country="344", freight=Decimal(0), f_currency="142",
                          insured_fee=Decimal(0), gross_weight=Decimal(1), net_weight=Decimal(1), pack_no=1,
                          released_at=at)
    inv.items.append(ExportInventoryItem(gnum=1, item_no="SKU1", gcode="6109100000", gname="T恤", gmodel="型号",
                                         country="142", currency="142", qty=Decimal(1), qty1=Decimal(1), unit="011",
                                         unit1="011", price=Decimal(10), total_price=Decimal(10)))
    db.add(inv)
    db.flush()
    return inv


def _scenario(db) -> None:
    """Mixed lists queued in one go; stored history (facts, samples, an alert) before them."""
    global _n
    _n = itertools.count(1)  # the same business keys in every run
    helpers._seq = iter(range(1, 10**6))
    normal = make_enterprise(db, customs_code="1502900001", district="150207", name_zh="正常电商")
    listed = make_enterprise(db, customs_code="1502900002", district="150204", name_zh="黑名单电商")
    service.blacklist_add(session=db, actor="user:sup", reason="虚假贸易", enterprise_id=listed.id)
    service.blacklist_add(session=db, actor="user:sup", reason="冒用身份", buyer_id_number=LISTED)
    # 23,400.00 of 26,000.00 reserved: 90 % (额度接近上限)
    for k, amount in enumerate(("4680.00",) * 5):
        quota.reserve(session=db, buyer_id_number=NEAR_LIMIT, buyer_name="张三", declared_on=date(2026, 3, 1),
                      amount=Decimal(amount), reference=f"QB{k}", actor="test")
    # twenty stored samples of heading 1901 at 100.00 (the median), and one of the splitter's parcels
    for k in range(20):
        stored = fact(db, buyer=None, at=T0 - timedelta(days=k + 1), prices=(("1901101000", "100.00"),))
        stored.inventory_id += 10**8  # clear of the real lists' ids
    db.flush()
    queue = []

    def add(inv, direction="import", event="import.inventory.declared"):
        queue.append((direction, inv.id if hasattr(inv, "id") else inv, event))

    at = T0 + timedelta(hours=1)
    add(_import_list(db, ent=normal, buyer=NEAR_LIMIT, at=at))
    add(_import_list(db, ent=normal, buyer=NEAR_LIMIT, at=at + timedelta(minutes=5), lines=(("3304990000", "LIP", "80"),)))
    # split orders: three parcels of the same goods within 24 h, then a fourth (same window: silent)
    for h in (2, 3, 20, 21):
        add(_import_list(db, ent=normal, buyer=SPLITTER, at=T0 + timedelta(hours=h),
                         lines=(("2106909090", "VIT", "50.00"),)))
    # identity reuse: three consignees of one ID within 30 days, a fourth the next day (same rolling window)
    for d, name in enumerate(("王一", "王二", "王三", "王四")):
        add(_import_list(db, ent=normal, buyer=REUSED, at=T0 + timedelta(days=d, hours=5), consignee=name,
                         lines=((f"61091000{d:02d}", f"T{d}", "60.00"),), with_order=d != 1))
    # undervalued goods (低报价格): 10.00 against a median of 100.00; a second line at the median
    low = _import_list(db, ent=normal, buyer=PLAIN, at=T0 + timedelta(hours=6),
                       lines=(("1901109000", "MILK-B", "10.00"), ("1901101000", "MILK", "100.00")))
    add(low)
    add(low, event="scan")  # the same list queued twice: evaluated twice, alerted once
    add(_import_list(db, ent=normal, buyer=PLAIN, at=T0 + timedelta(hours=7), currency="502",
                     lines=(("1901109000", "MILK-C", "5.00"),)))  # another currency: no samples yet
    # blacklisted enterprise twice in the month, blacklisted ID
    add(_import_list(db, ent=listed, buyer=PLAIN, at=T0 + timedelta(hours=8), lines=(("9503000000", "TOY", "30"),)))
    add(_import_list(db, ent=listed, buyer=LISTED, at=T0 + timedelta(hours=9), lines=(("9503000000", "TOY2", "30"),)))
    add(_export_list(db, ent=listed, at=T0 + timedelta(hours=10)), direction="export",
        event="export.inventory.released")
    # a list declared before any risk threshold was in force (skipped), and one that no longer exists
    add(_import_list(db, ent=normal, buyer=PLAIN, at=datetime(2015, 6, 1, tzinfo=UTC)))
    add(10**9)
    for direction, inventory_id, event in queue:
        service.enqueue(session=db, direction=direction, inventory_id=inventory_id, event=event)


def _outcome(db) -> dict:
    """What the risk job left behind, database ids replaced by business keys (a rollback does not reset
    PostgreSQL's sequences)."""
    from kuajing.enterprises.models import Enterprise
    from kuajing.risk.models import BlacklistEntry

    refs = dict(db.execute(select(ParcelFact.id, ParcelFact.reference)).all())
    codes = dict(db.execute(select(Enterprise.id, Enterprise.customs_code)).all())
    reasons = dict(db.execute(select(BlacklistEntry.id, BlacklistEntry.reason)).all())

    def plain(details: dict) -> dict:
        return {**details, "blacklist_entry": reasons[details["blacklist_entry"]]} if "blacklist_entry" in details \
            else details

    facts = [(f.direction, f.reference, codes.get(f.enterprise_id), f.district, f.buyer_index, f.buyer_masked, f.consignee_index,
              f.phone_index, f.goods_key, f.declared_at) for f in db.scalars(select(ParcelFact).order_by(ParcelFact.id))]
    samples = [(refs[s.fact_id], s.gnum, s.heading, s.currency, s.unit_price, s.declared_on)
               for s in db.scalars(select(PriceSample).order_by(PriceSample.id))]
    alerts = [(a.rule, a.subject_kind, codes[int(a.subject_key)] if a.subject_kind == "enterprise" else a.subject_key,
               a.subject_display, a.window_key, a.window_start, a.window_end, codes.get(a.enterprise_id), a.district,
               a.status, plain(a.details), a.references, a.opened_at)
              for a in db.scalars(select(Alert).order_by(Alert.id))]
    steps = db.execute(select(AlertStep.action, AlertStep.from_status, AlertStep.to_status, AlertStep.actor)
                       .order_by(AlertStep.id)).all()
    events = [(e.action, e.seq, {**{k: v for k, v in e.after.items() if k != "id"}, "details": plain(e.after["details"])})
              for e in db.scalars(select(AuditEvent).where(AuditEvent.stream == "risk:alerts").order_by(AuditEvent.seq))]
    pending = db.scalar(select(func.count()).select_from(RiskQueueItem).where(RiskQueueItem.processed_at.is_(None)))
    return {"facts": facts, "samples": samples, "alerts": alerts, "steps": steps, "events": events, "pending": pending}


NOW = T0 + timedelta(days=5)


def test_a_batch_raises_exactly_the_alerts_of_one_at_a_time(db):
    _scenario(db)
    processed = 0
    while done := service.process_queue(session=db, now=NOW, limit=1):
        processed += done
    one_by_one = _outcome(db)
    db.rollback()

    _scenario(db)
    assert service.process_queue(session=db, now=NOW, limit=500) == processed == 18
    assert service.process_queue(session=db, now=NOW) == 0
    at_once = _outcome(db)

    assert at_once == one_by_one
    rules = [a[0] for a in at_once["alerts"]]
    assert sorted(rules) == sorted(["quota_near_limit", "split_orders", "identity_reuse", "undervaluation",
                                    "blacklisted_enterprise", "blacklisted_id"])
    assert len(at_once["facts"]) == 20 + 15  # the stored history + every list but the old one and the missing one
    assert at_once["pending"] == 0 and len(at_once["events"]) == len(rules) == len(at_once["steps"])


def test_a_batch_respects_alerts_already_open(db):
    """An alert stored before the batch (same rule, subject and window, or an overlapping rolling window)
    keeps the batch silent for that subject."""
    _scenario(db)
    service.process_queue(session=db, now=NOW)
    first = _outcome(db)["alerts"]
    # the same lists queued again by a scan: nothing new
    for direction, inventory_id in db.execute(select(ParcelFact.direction, ParcelFact.inventory_id)).all():
        service.enqueue(session=db, direction=direction, inventory_id=inventory_id, event="scan")
    service.process_queue(session=db, now=NOW + timedelta(hours=1))
    assert _outcome(db)["alerts"] == first


def test_two_workers_never_take_the_same_queue_rows(db, session_factory):
    """Worker one holds its claimed batch uncommitted; worker two takes only the rest (FOR UPDATE SKIP LOCKED on
    PostgreSQL; SQLite has one writer at a time, so there worker two runs after worker one's commit)."""
    ent = make_enterprise(db, customs_code="1502900003", district="150207", name_zh="并发电商")
    for k in range(4):
        inv = _import_list(db, ent=ent, buyer=resident_id(k), at=T0 + timedelta(hours=k))
        service.enqueue(session=db, direction="import", inventory_id=inv.id, event="import.inventory.declared")
    db.commit()
    one, two = session_factory(), session_factory()
    try:
        assert service.process_queue(session=one, now=NOW, limit=2) == 2
        if one.get_bind().dialect.name != "postgresql":
            one.commit()
        assert service.process_queue(session=two, now=NOW, limit=10) == 2
        one.commit()
        two.commit()
    finally:
        one.close()
        two.close()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(RiskQueueItem).where(RiskQueueItem.processed_at.is_(None))) == 0
    assert db.scalar(select(func.count()).select_from(ParcelFact)) == 4


def test_an_alert_opened_meanwhile_by_another_worker_is_skipped(db):
    """The race the dedup query cannot see: the same (rule, subject, window) committed by another worker between
    the lookup and the insert. ON CONFLICT DO NOTHING skips it: no second alert, no step, no audit event."""
    from kuajing.risk.choices import RuleCode, SubjectKind

    def candidate(window: str):
        return service._Candidate(RuleCode.blacklisted_id, SubjectKind.buyer, "k" * 64, "1502**********1234", window,
                                  {"blacklist_entry": 1, "reason": "r"}, ["EBP:1"], None, None)

    [first] = service._write_alerts(db, [candidate("2026-03")], NOW)
    ids = service._write_alerts(db, [candidate("2026-03"), candidate("2026-04")], NOW)
    assert len(ids) == 1 and ids[0] != first
    assert [a.window_key for a in db.scalars(select(Alert).order_by(Alert.id))] == ["2026-03", "2026-04"]
    assert db.scalar(select(func.count()).select_from(AlertStep)) == 2
    assert db.scalars(select(AuditEvent.subject_id).where(AuditEvent.stream == "risk:alerts")
                      .order_by(AuditEvent.seq)).all() == [str(first), str(ids[0])]
