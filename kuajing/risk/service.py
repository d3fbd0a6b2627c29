"""Risk prevention services (风险防控): facts from declaration lists, the rules engine, alerts and their
workflow, the blacklist, credit grades and the summary read by the dashboard and the bulletin.

Services take keyword arguments and never commit. The rules themselves are pure (:mod:`kuajing.risk.calc`);
this module gathers their inputs, applies the thresholds in force (``kuajing.rules``) and stores verdicts.
Buyer ID numbers appear only as keyed hashes and masked strings (``1502**********1234``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuajing.audit.service import deferred as audit_deferred
from kuajing.audit.service import record as audit
from kuajing.db.base import utcnow
from kuajing.db.types import blind_index, mask
from kuajing.enterprises.models import Enterprise
from kuajing.errors import AppError
from kuajing.risk import calc, errors
from kuajing.risk.choices import TRANSITIONS, AlertOutcome, AlertStatus, RuleCode, SubjectKind
from kuajing.risk.models import (
    Alert,
    AlertStep,
    BlacklistEntry,
    CreditGradeRecord,
    ParcelFact,
    PriceSample,
    RiskQueueItem,
)
from kuajing.rules.service import rule

log = logging.getLogger("kuajing.risk")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SYSTEM_ACTOR = "system:risk"
ALERT_STREAM = "risk:alerts"
BLACKLIST_STREAM = "risk:blacklist"
CREDIT_STREAM = "risk:credit"


def local_date(at: datetime) -> date:
    """The Asia/Shanghai business date of an instant."""
    return at.astimezone(SHANGHAI).date()


def day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day`` as a UTC instant."""
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


# --- thresholds in force ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The rules' thresholds on a date (``risk.*`` in rules.json)."""

    quota_ratio: Decimal
    identity_window_days: int
    identity_max_distinct: int
    split_window_hours: int
    split_min_parcels: int
    undervalue_ratio: Decimal
    undervalue_lookback_days: int
    undervalue_min_samples: int


def thresholds(on: date) -> Thresholds:
    """Every risk threshold in force on ``on``."""
    return Thresholds(**{name: rule(f"risk.{name}", on).value for name in Thresholds.__dataclass_fields__})


# --- the queue (written by subscribers) and the facts ----------------------------------------------


def _insert(session: Session):
    """The dialect's INSERT (for ON CONFLICT)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def enqueue(*, session: Session, direction: str, inventory_id: int, event: str) -> None:
    """Append a list to the risk queue in one statement: a repeat of the same event is ignored (one queue row
    per list and event, the unique key of ``risk_queue``)."""
    enqueue_many(session=session, direction=direction, inventory_ids=[inventory_id], event=event)


def enqueue_many(*, session: Session, direction: str, inventory_ids: list[int], event: str) -> None:
    """:func:`enqueue` for many lists in one executemany statement (the same statement whatever their number):
    a list already queued for the event is skipped."""
    if not inventory_ids:
        return
    at = utcnow()
    session.execute(_insert(session)(RiskQueueItem).on_conflict_do_nothing(
        index_elements=["direction", "inventory_id", "event"]),
        [{"direction": direction, "inventory_id": i, "event": event, "enqueued_at": at, "processed_at": None}
         for i in inventory_ids])


def _hash(value: str | None) -> str | None:
    return blind_index(value) if value and value.strip() else None


def goods_key(lines: list[tuple[str, str]]) -> str:
    """SHA-256 of the sorted (HS code, item no or name) pairs: two parcels with the same goods share it."""
    canonical = "\n".join(sorted(f"{code.strip()}|{name.strip().upper()}" for code, name in lines))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class _Line:
    """One line's declared unit price (申报单价样本) under its HS heading (品目)."""

    gnum: int
    heading: str
    currency: str
    unit_price: Decimal


#: the columns of ``risk_parcel_facts`` a fact carries in memory
_FACT_COLUMNS = ("direction", "inventory_id", "reference", "enterprise_id", "district", "buyer_index", "buyer_masked",
                 "consignee_index", "phone_index", "goods_key", "declared_at")


@dataclass(eq=False)
class _Fact:
    """A list's risk facts (清单风险要素) in memory: a stored row (``id`` set), or one built in this batch and
    written only once its rules ran (a list skipped for want of thresholds leaves no fact, as before)."""

    direction: str
    inventory_id: int
    reference: str
    goods_key: str
    declared_at: datetime
    enterprise_id: int | None = None
    district: str | None = None
    buyer_index: str | None = None
    buyer_masked: str | None = None
    consignee_index: str | None = None
    phone_index: str | None = None
    id: int | None = None
    lines: list[_Line] = field(default_factory=list)

    @property
    def on(self) -> date:
        return local_date(self.declared_at)


def _enterprise_finder(session: Session, wanted: list[tuple[str | None, int | None]]):
    """(id, district) of each list's e-commerce enterprise (电商企业) by its customs code, else by the sending
    enterprise's id — all looked up in one query."""
    codes = sorted({code for code, _ in wanted if code})
    ids = sorted({ent_id for _, ent_id in wanted if ent_id})
    by_code: dict[str, tuple[int, str | None]] = {}
    by_id: dict[int, tuple[int, str | None]] = {}
    conditions = ([Enterprise.customs_code.in_(codes)] if codes else []) + ([Enterprise.id.in_(ids)] if ids else [])
    if conditions:
        for ent_id, code, district in session.execute(
                select(Enterprise.id, Enterprise.customs_code, Enterprise.district).where(or_(*conditions))):
            by_id[ent_id] = (ent_id, district)
            if code:
                by_code[code] = (ent_id, district)

    def find(code: str | None, fallback_id: int | None) -> tuple[int | None, str | None]:
        found = by_code.get(code) if code else None
        if found is None and fallback_id:
            found = by_id.get(fallback_id)
        return found or (None, None)

    return find


def _new_import_facts(session: Session, ids: list[int]) -> dict[int, _Fact]:
    """The facts of import lists (申报清单) without one yet: lists, lines, orders and enterprises in one query each."""
    from kuajing.imports.models import ImportOrder, Inventory, InventoryItem

    heads = session.execute(select(
        Inventory.id, Inventory.business_key, Inventory.order_no, Inventory.ebp_code, Inventory.ebc_code,
        Inventory.sender_enterprise_id, Inventory.buyer_index, Inventory.buyer_id_number, Inventory.consignee_address,
        Inventory.buyer_telephone, Inventory.record, Inventory.declared_at, Inventory.created_at,
    ).where(Inventory.id.in_(ids))).all()
    if not heads:
        return {}
    items: dict[int, list] = defaultdict(list)
    for row in session.execute(select(InventoryItem.inventory_id, InventoryItem.gnum, InventoryItem.gcode,
                                      InventoryItem.item_no, InventoryItem.gname, InventoryItem.price)
                               .where(InventoryItem.inventory_id.in_([h.id for h in heads]))
                               .order_by(InventoryItem.inventory_id, InventoryItem.gnum)):
        items[row.inventory_id].append(row)
    orders: dict[tuple[str, str], Any] = {}
    for row in session.execute(select(ImportOrder.order_no, ImportOrder.ebp_code, ImportOrder.consignee,
                                      ImportOrder.consignee_address, ImportOrder.consignee_telephone)
                               .where(tuple_(ImportOrder.order_no, ImportOrder.ebp_code)
                                      .in_(sorted({(h.order_no, h.ebp_code) for h in heads})))
                               .order_by(ImportOrder.id)):
        orders.setdefault((row.order_no, row.ebp_code), row)  # 电子订单: the first one, as before
    enterprise = _enterprise_finder(session, [(h.ebc_code, h.sender_enterprise_id) for h in heads])
    out = {}
    for h in heads:
        order = orders.get((h.order_no, h.ebp_code))
        if order is not None:
            consignee, phone = f"{order.consignee}|{order.consignee_address}", order.consignee_telephone
        else:
            consignee, phone = h.consignee_address, h.buyer_telephone
        try:
            currency = str(json.loads(h.record).get("currency") or "142")
        except (ValueError, AttributeError):
            currency = "142"
        ent_id, district = enterprise(h.ebc_code, h.sender_enterprise_id)
        lines = items[h.id]
        out[h.id] = _Fact(direction="import", inventory_id=h.id, reference=h.business_key, enterprise_id=ent_id,
                          district=district, buyer_index=h.buyer_index, buyer_masked=mask(h.buyer_id_number),
                          consignee_index=_hash(consignee), phone_index=_hash(phone),
                          goods_key=goods_key([(i.gcode, i.item_no or i.gname) for i in lines]),
                          declared_at=h.declared_at or h.created_at,
                          lines=[_Line(i.gnum, i.gcode[:4], currency, i.price) for i in lines])
    return out


def _new_export_facts(session: Session, ids: list[int]) -> dict[int, _Fact]:
    """The facts of export lists (出口清单) without one yet (enterprise and goods only)."""
    from kuajing.exports.models import ExportInventory, ExportInventoryItem

    heads = session.execute(select(ExportInventory.id, ExportInventory.business_key, ExportInventory.ebc_code,
                                   ExportInventory.sender_enterprise_id, ExportInventory.released_at,
                                   ExportInventory.created_at).where(ExportInventory.id.in_(ids))).all()
    if not heads:
        return {}
    goods: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for inv_id, gcode, gname in session.execute(
            select(ExportInventoryItem.inventory_id, ExportInventoryItem.gcode, ExportInventoryItem.gname)
            .where(ExportInventoryItem.inventory_id.in_([h.id for h in heads]))
            .order_by(ExportInventoryItem.inventory_id, ExportInventoryItem.gnum)):
        goods[inv_id].append((gcode, gname))
    enterprise = _enterprise_finder(session, [(h.ebc_code, h.sender_enterprise_id) for h in heads])
    out = {}
    for h in heads:
        ent_id, district = enterprise(h.ebc_code, h.sender_enterprise_id)
        out[h.id] = _Fact(direction="export", inventory_id=h.id, reference=h.business_key, enterprise_id=ent_id,
                          district=district, goods_key=goods_key(goods[h.id]), declared_at=h.released_at or h.created_at)
    return out


def _stored_facts(session: Session, where) -> list[_Fact]:
    """Stored facts matching ``where``, with their price lines (one query each), in id order."""
    table = ParcelFact.__table__
    facts = [_Fact(id=row.id, **{c: getattr(row, c) for c in _FACT_COLUMNS})
             for row in session.execute(select(table.c.id, *(table.c[c] for c in _FACT_COLUMNS)).where(where)
                                        .order_by(table.c.id))]
    by_id = {f.id: f for f in facts if f.direction == "import"}
    if by_id:
        for fact_id, gnum, heading, currency, price in session.execute(
                select(PriceSample.fact_id, PriceSample.gnum, PriceSample.heading, PriceSample.currency,
                       PriceSample.unit_price).where(PriceSample.fact_id.in_(sorted(by_id)))
                .order_by(PriceSample.fact_id, PriceSample.id)):
            by_id[fact_id].lines.append(_Line(gnum, heading, currency, price))
    return facts


def _facts_for(session: Session, keys: list[tuple[str, int]]) -> dict[tuple[str, int], _Fact]:
    """Each list's fact: the stored one, or one built from the list (absent when the list no longer exists)."""
    wanted = {d: sorted({i for dd, i in keys if dd == d}) for d in ("import", "export")}
    conditions = [and_(ParcelFact.direction == d, ParcelFact.inventory_id.in_(ids)) for d, ids in wanted.items() if ids]
    if not conditions:
        return {}
    found = {(f.direction, f.inventory_id): f for f in _stored_facts(session, or_(*conditions))}
    for direction, build in (("import", _new_import_facts), ("export", _new_export_facts)):
        missing = [i for i in wanted[direction] if (direction, i) not in found]
        if missing:
            found.update({(direction, i): f for i, f in build(session, missing).items()})
    return found


def _write_facts(session: Session, facts: list[_Fact]) -> None:
    """Write the batch's new facts and their price samples, multi-row (ids back by RETURNING)."""
    if not facts:
        return
    table = ParcelFact.__table__
    created = utcnow()
    by_key = {(f.direction, f.inventory_id): f for f in facts}
    # executemany: SQLAlchemy sends the rows as multi-row INSERTs ("insertmanyvalues"), compiled once
    for fact_id, direction, inventory_id in session.execute(
            insert(table).returning(table.c.id, table.c.direction, table.c.inventory_id),
            [{**{c: getattr(f, c) for c in _FACT_COLUMNS}, "created_at": created} for f in facts]):
        by_key[(direction, inventory_id)].id = fact_id
    samples = [{"fact_id": f.id, "gnum": line.gnum, "heading": line.heading, "currency": line.currency,
                "unit_price": line.unit_price, "declared_on": f.on} for f in facts for line in f.lines]
    if samples:
        session.execute(insert(PriceSample.__table__), samples)


# --- alerts ------------------------------------------------------------------------------------------


def alert_snapshot(alert: Alert) -> dict[str, Any]:
    """What the audit trail keeps of an alert (masked subject only)."""
    return {"id": alert.id, "rule": alert.rule, "subject": alert.subject_display, "window": alert.window_key,
            "status": alert.status, "outcome": alert.outcome, "details": alert.details, "note": alert.note}


def raise_alert(*, session: Session, rule_code: RuleCode, subject_kind: SubjectKind, subject_key: str,
                subject_display: str, window_key: str, details: dict[str, Any], references: list[str],
                enterprise_id: int | None = None, district: str | None = None, window_start: datetime | None = None,
                window_end: datetime | None = None, now: datetime | None = None) -> Alert | None:
    """Open an alert once per (rule, subject, window); a rolling window also stays silent while an earlier
    alert of the same rule and subject covers part of it. Returns the new alert, or None."""
    existing = session.scalar(select(Alert.id).where(Alert.rule == rule_code, Alert.subject_key == subject_key,
                                                     Alert.window_key == window_key))
    if existing is not None:
        return None
    if window_start is not None:
        overlapping = session.scalar(select(Alert.id).where(
            Alert.rule == rule_code, Alert.subject_key == subject_key, Alert.window_end.is_not(None),
            Alert.window_end >= window_start).limit(1))
        if overlapping is not None:
            return None
    now = now or utcnow()
    alert = Alert(rule=rule_code, subject_kind=subject_kind, subject_key=subject_key, subject_display=subject_display,
                  window_key=window_key, window_start=window_start, window_end=window_end,
                  enterprise_id=enterprise_id, district=district, status=AlertStatus.open, details=details,
                  references=references[:50], opened_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:  # raised concurrently by another worker for the same (rule, subject, window)
        return None
    session.add(AlertStep(alert_id=alert.id, action="open", from_status=None, to_status=AlertStatus.open,
                          actor=SYSTEM_ACTOR, at=now))
    audit(session=session, action="risk:alert:open", stream=ALERT_STREAM, actor=SYSTEM_ACTOR,
          subject_id=str(alert.id), after=alert_snapshot(alert), at=now)
    return alert


def get_alert(*, session: Session, alert_id: int) -> Alert:
    """The alert (404 ``risk_alert_not_found``)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise errors.alert_not_found(alert_id)
    return alert


def steps(*, session: Session, alert_id: int) -> list[AlertStep]:
    """The alert's workflow steps, oldest first."""
    return list(session.scalars(select(AlertStep).where(AlertStep.alert_id == alert_id).order_by(AlertStep.id)))


def transition(*, session: Session, alert_id: int, action: str, actor: str, note: str | None = None,
               outcome: str | None = None, now: datetime | None = None) -> Alert:
    """Move an alert: ``investigate`` (open → investigating) or ``close`` (→ closed, a note required;
    outcome confirmed (default) or dismissed). Each step is recorded and audited."""
    alert = get_alert(session=session, alert_id=alert_id)
    allowed = TRANSITIONS[AlertStatus(alert.status)]
    if action not in allowed:
        raise errors.transition_not_allowed(alert.id, alert.status, action)
    note = (note or "").strip() or None
    if action == "close":
        if note is None:
            raise errors.note_required()
        outcome = outcome or AlertOutcome.confirmed
        if outcome not in AlertOutcome.__members__:
            raise errors.bad_outcome(outcome)
    now = now or utcnow()
    before = alert_snapshot(alert)
    previous = alert.status
    alert.status = allowed[action]
    alert.updated_at = now
    if action == "close":
        alert.closed_at, alert.note, alert.outcome = now, note, outcome
    session.add(AlertStep(alert_id=alert.id, action=action, from_status=previous, to_status=alert.status, note=note,
                          actor=actor, at=now))
    session.flush()
    audit(session=session, action=f"risk:alert:{action}", stream=ALERT_STREAM, actor=actor, subject_id=str(alert.id),
          before=before, after=alert_snapshot(alert), at=now)
    return alert


@dataclass(frozen=True)
class AlertQuery:
    """Filters of the alert list."""

    status: str | None = None
    rule: str | None = None
    district: str | None = None
    start: date | None = None
    end: date | None = None
    limit: int = 50
    offset: int = 0


#: the dates a period filter can hold as instants: a filter reaching beyond them (0001-01-01, 9999-12-31) means
#: "from the beginning" / "to the end", not a 500
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(2999, 12, 30)


def _period(query, start: date | None, end: date | None):
    if start is not None:
        query = query.where(Alert.opened_at >= day_start(max(start, _FIRST_DAY)))
    if end is not None:
        query = query.where(Alert.opened_at < day_start(min(end, _LAST_DAY) + timedelta(days=1)))
    return query


def list_alerts(*, session: Session, params: AlertQuery) -> tuple[list[Alert], int]:
    """Alerts, newest first, and how many match."""
    query = select(Alert)
    if params.status:
        query = query.where(Alert.status == params.status)
    if params.rule:
        query = query.where(Alert.rule == params.rule)
    if params.district:
        query = query.where(Alert.district == params.district)
    query = _period(query, params.start, params.end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Alert.opened_at.desc(), Alert.id.desc())
                           .limit(params.limit).offset(params.offset))
    return list(rows), total


def alert_json(alert: Alert, locale: str = "en") -> dict[str, Any]:
    """An alert as JSON (subject masked)."""
    return {"id": alert.id, "rule": alert.rule, "rule_label": RuleCode(alert.rule).display(locale),
            "subject_kind": alert.subject_kind, "subject": alert.subject_display, "window": alert.window_key,
            "enterprise_id": alert.enterprise_id, "district": alert.district, "status": alert.status,
            "status_label": AlertStatus(alert.status).display(locale), "outcome": alert.outcome,
            "details": alert.details, "references": alert.references, "note": alert.note,
            "opened_at": alert.opened_at.isoformat(), "closed_at": alert.closed_at.isoformat() if alert.closed_at else None}


def summary(*, session: Session, start: date, end: date, district: str | None = None) -> dict[str, Any]:
    """The dashboard's and bulletin's view of the alerts opened from ``start`` to ``end`` (inclusive,
    Asia/Shanghai dates), optionally of one district: open count, count per rule, the ten most recent
    not yet closed (subject masked)."""
    if start > end:
        raise errors.bad_period(start, end)
    base = _period(select(Alert), start, end)
    if district:
        base = base.where(Alert.district == district)
    sub = base.subquery()
    open_count = session.scalar(select(func.count()).select_from(sub).where(sub.c.status != AlertStatus.closed)) or 0
    by_rule = {r: n for r, n in session.execute(select(sub.c.rule, func.count()).group_by(sub.c.rule))}
    top = session.scalars(base.where(Alert.status != AlertStatus.closed)
                          .order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(10))
    return {"alerts_open": int(open_count), "alerts_by_rule": {str(k): int(v) for k, v in sorted(by_rule.items())},
            "top": [{"rule": a.rule, "subject": a.subject_display, "opened_at": a.opened_at.isoformat(),
                     "status": a.status} for a in top]}


# --- the rules, set-based over a batch of facts ----------------------------------------------------------


@dataclass
class _Candidate:
    """An alert a rule wants to open (deduplicated against stored and earlier alerts before it is written)."""

    rule: RuleCode
    subject_kind: SubjectKind
    subject_key: str
    subject_display: str
    window_key: str
    details: dict[str, Any]
    references: list[str]
    enterprise_id: int | None
    district: str | None
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class _Peer:
    """What the identity and split rules read of one of a buyer's facts."""

    declared_at: datetime
    rank: int  # order among facts declared at the same instant: the row id; batch facts after every stored one
    consignee_index: str
    phone_index: str
    goods_key: str
    reference: str


_BATCH_RANK = 1 << 62


class _Rules:
    """The rules (风险规则) on the facts of one batch, in queue order, against data looked up once per batch
    (one query per kind: the buyers' other facts, quota accounts, price samples, blacklist entries). Each fact
    sees the stored facts and the facts built before it in the batch — exactly what processing the queue one
    list at a time saw."""

    def __init__(self, session: Session, work: list[tuple[_Fact, Thresholds]]):
        from kuajing.quota.models import QuotaAccount

        self.peers: dict[str, list[_Peer]] = defaultdict(list)
        self.accounts: dict[tuple[str, int], tuple[Decimal, Decimal]] = {}
        self.samples: dict[tuple[str, str], list[tuple[date, int, Decimal]]] = {}
        self.sample_days: dict[tuple[str, str], list[date]] = {}
        self.batch_samples: dict[tuple[str, str], list[tuple[date, _Fact, Decimal]]] = defaultdict(list)
        self.blacklisted: dict[tuple[str, str], tuple[int, str, str]] = {}
        self.visible: set[int] = set()  # id() of the batch's new facts already built
        imports = [(f, lim) for f, lim in work if f.direction == "import"]
        buyers = sorted({f.buyer_index for f, _ in imports if f.buyer_index})
        if buyers:
            spans = [(f.declared_at - max(timedelta(days=lim.identity_window_days),
                                          timedelta(hours=lim.split_window_hours)),
                      f.declared_at + timedelta(hours=lim.split_window_hours)) for f, lim in imports if f.buyer_index]
            for row in session.execute(select(
                    ParcelFact.id, ParcelFact.buyer_index, ParcelFact.declared_at, ParcelFact.consignee_index,
                    ParcelFact.phone_index, ParcelFact.goods_key, ParcelFact.reference)
                    .where(ParcelFact.buyer_index.in_(buyers), ParcelFact.declared_at >= min(lo for lo, _ in spans),
                           ParcelFact.declared_at <= max(hi for _, hi in spans))):
                self.peers[row.buyer_index].append(_Peer(row.declared_at, row.id, row.consignee_index or "",
                                                         row.phone_index or "", row.goods_key, row.reference))
            years = sorted({f.on.year for f, _ in imports if f.buyer_index})
            for buyer, year, used, reserved in session.execute(
                    select(QuotaAccount.buyer_index, QuotaAccount.year, QuotaAccount.used, QuotaAccount.reserved)
                    .where(QuotaAccount.buyer_index.in_(buyers), QuotaAccount.year.in_(years))):
                self.accounts[(buyer, year)] = (used, reserved)
        kinds = sorted({(line.heading, line.currency) for f, _ in imports for line in f.lines})
        if kinds:
            since = min(f.on - timedelta(days=lim.undervalue_lookback_days) for f, lim in imports if f.lines)
            until = max(f.on for f, _ in imports if f.lines)
            wanted = set(kinds)
            found: dict[tuple[str, str], list[tuple[date, int, Decimal]]] = defaultdict(list)
            for fact_id, heading, currency, on, price in session.execute(
                    select(PriceSample.fact_id, PriceSample.heading, PriceSample.currency, PriceSample.declared_on,
                           PriceSample.unit_price)
                    .where(PriceSample.heading.in_(sorted({h for h, _ in kinds})), PriceSample.declared_on > since,
                           PriceSample.declared_on <= until)):
                if (heading, currency) in wanted:
                    found[(heading, currency)].append((on, fact_id, price))
            for kind, rows in found.items():
                rows.sort(key=lambda r: r[0])
                self.samples[kind] = rows
                self.sample_days[kind] = [r[0] for r in rows]
        enterprises = sorted({str(f.enterprise_id) for f, _ in work if f.enterprise_id is not None})
        listed_buyers = sorted({f.buyer_index for f, _ in work if f.buyer_index})
        conditions = []
        if enterprises:
            conditions.append(and_(BlacklistEntry.subject_kind == SubjectKind.enterprise,
                                   BlacklistEntry.subject_key.in_(enterprises)))
        if listed_buyers:
            conditions.append(and_(BlacklistEntry.subject_kind == SubjectKind.buyer,
                                   BlacklistEntry.subject_key.in_(listed_buyers)))
        if conditions:
            for entry_id, kind, key, display, reason in session.execute(
                    select(BlacklistEntry.id, BlacklistEntry.subject_kind, BlacklistEntry.subject_key,
                           BlacklistEntry.subject_display, BlacklistEntry.reason)
                    .where(BlacklistEntry.removed_at.is_(None), or_(*conditions)).order_by(BlacklistEntry.id)):
                self.blacklisted.setdefault((kind, key), (entry_id, display, reason))

    def run(self, fact: _Fact, limits: Thresholds) -> list[_Candidate]:
        """Every rule on one fact (a batch fact becomes visible to itself and to the facts after it; if a rule
        raises, it is withdrawn again, as the savepoint of one-by-one processing did)."""
        peer = None
        if fact.id is None and id(fact) not in self.visible and fact.buyer_index:
            peer = _Peer(fact.declared_at, _BATCH_RANK + len(self.visible), fact.consignee_index or "",
                         fact.phone_index or "", fact.goods_key, fact.reference)
            self.peers[fact.buyer_index].append(peer)
        try:
            found: list[_Candidate | None] = []
            if fact.direction == "import" and fact.buyer_index:
                found += [self._quota(fact, limits), self._identity(fact, limits), self._split(fact, limits)]
            if fact.direction == "import":
                found += self._undervaluation(fact, limits)
            found += self._blacklist(fact)
        except AppError:
            if peer is not None:
                self.peers[fact.buyer_index].remove(peer)
            raise
        if fact.id is None and id(fact) not in self.visible:
            self.visible.add(id(fact))
            for line in fact.lines:
                self.batch_samples[(line.heading, line.currency)].append((fact.on, fact, line.unit_price))
        return [c for c in found if c is not None]

    def _quota(self, fact: _Fact, limits: Thresholds) -> _Candidate | None:
        from kuajing.quota.service import year_limit

        year = fact.on.year
        account = self.accounts.get((fact.buyer_index, year))
        if account is None:
            return None
        verdict = calc.quota_near_limit(used=account[0], reserved=account[1], limit=year_limit(year),
                                        ratio=limits.quota_ratio)
        if not verdict.fired:
            return None
        return _Candidate(RuleCode.quota_near_limit, SubjectKind.buyer, fact.buyer_index, fact.buyer_masked or "****",
                          str(year), verdict.details, [fact.reference], fact.enterprise_id, fact.district)

    def _identity(self, fact: _Fact, limits: Thresholds) -> _Candidate | None:
        start = fact.declared_at - timedelta(days=limits.identity_window_days)
        rows = sorted((p for p in self.peers[fact.buyer_index] if start < p.declared_at <= fact.declared_at),
                      key=lambda p: (p.declared_at, p.rank))
        verdict = calc.identity_reuse(parcels=[calc.ParcelContact(p.declared_at, p.consignee_index, p.phone_index)
                                               for p in rows],
                                      at=fact.declared_at, window_days=limits.identity_window_days,
                                      max_distinct=limits.identity_max_distinct)
        if not verdict.fired:
            return None
        return _Candidate(RuleCode.identity_reuse, SubjectKind.buyer, fact.buyer_index, fact.buyer_masked or "****",
                          fact.on.isoformat(), verdict.details, [p.reference for p in rows], fact.enterprise_id,
                          fact.district, window_start=start, window_end=fact.declared_at)

    def _split(self, fact: _Fact, limits: Thresholds) -> _Candidate | None:
        span = timedelta(hours=limits.split_window_hours)
        rows = [calc.ParcelGoods(p.declared_at, p.goods_key, p.reference) for p in self.peers[fact.buyer_index]
                if p.goods_key == fact.goods_key and fact.declared_at - span <= p.declared_at <= fact.declared_at + span]
        verdict = calc.split_orders(parcels=rows, window_hours=limits.split_window_hours,
                                    min_parcels=limits.split_min_parcels)
        if not verdict.fired:
            return None
        first = datetime.fromisoformat(verdict.details["first_at"])
        return _Candidate(RuleCode.split_orders, SubjectKind.buyer, fact.buyer_index, fact.buyer_masked or "****",
                          first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"), verdict.details,
                          verdict.details["references"], fact.enterprise_id, fact.district, window_start=first,
                          window_end=first + span)

    def _prices(self, kind: tuple[str, str], since: date, on: date, fact: _Fact) -> list[Decimal]:
        """The heading's unit prices declared in (since, on], the fact's own lines excluded."""
        stored = self.samples.get(kind, [])
        days = self.sample_days.get(kind, [])
        window = stored[bisect_right(days, since):bisect_right(days, on)]
        prices = [p for _, fact_id, p in window if fact_id != fact.id] if fact.id is not None else [
            p for _, _, p in window]
        prices += [p for day, owner, p in self.batch_samples.get(kind, ()) if owner is not fact and since < day <= on]
        return prices

    def _undervaluation(self, fact: _Fact, limits: Thresholds) -> list[_Candidate]:
        found = []
        on = fact.on
        since = on - timedelta(days=limits.undervalue_lookback_days)
        for line in fact.lines:
            verdict = calc.undervaluation(unit_price=line.unit_price,
                                          samples=self._prices((line.heading, line.currency), since, on, fact),
                                          ratio=limits.undervalue_ratio, min_samples=limits.undervalue_min_samples)
            if verdict.fired:
                details = {**verdict.details, "heading": line.heading, "currency": line.currency, "gnum": line.gnum}
                subject = f"{fact.reference}#{line.gnum}"
                found.append(_Candidate(RuleCode.undervaluation, SubjectKind.inventory, subject, subject, line.heading,
                                        details, [fact.reference], fact.enterprise_id, fact.district))
        return found

    def _blacklist(self, fact: _Fact) -> list[_Candidate]:
        month = fact.on.strftime("%Y-%m")
        checks = []
        if fact.enterprise_id is not None:
            checks.append((SubjectKind.enterprise, str(fact.enterprise_id), RuleCode.blacklisted_enterprise))
        if fact.buyer_index:
            checks.append((SubjectKind.buyer, fact.buyer_index, RuleCode.blacklisted_id))
        found = []
        for kind, key, code in checks:
            entry = self.blacklisted.get((kind, key))
            if entry is not None:
                entry_id, display, reason = entry
                found.append(_Candidate(code, kind, key, display, month, {"blacklist_entry": entry_id, "reason": reason},
                                        [fact.reference], fact.enterprise_id, fact.district))
        return found


def _open_alerts(session: Session, candidates: list[_Candidate], now: datetime) -> list[int]:
    """Open the candidates as :func:`raise_alert` would one after the other: once per (rule, subject, window),
    silent while an earlier alert of the same rule and subject covers part of a rolling window — against the
    stored alerts (one query) and the ones opened before it in the batch. Returns the ids of the new alerts,
    in the order they were raised."""
    if not candidates:
        return []
    windows: dict[tuple[str, str], set[str]] = defaultdict(set)
    ends: dict[tuple[str, str], datetime] = {}

    def remember(rule: str, key: str, window_key: str, window_end: datetime | None) -> None:
        windows[(rule, key)].add(window_key)
        if window_end is not None and ((rule, key) not in ends or window_end > ends[(rule, key)]):
            ends[(rule, key)] = window_end

    for row in session.execute(select(Alert.rule, Alert.subject_key, Alert.window_key, Alert.window_end)
                               .where(Alert.subject_key.in_(sorted({c.subject_key for c in candidates})),
                                      Alert.rule.in_(sorted({str(c.rule) for c in candidates})))):
        remember(row.rule, row.subject_key, row.window_key, row.window_end)
    chosen = []
    for c in candidates:
        key = (str(c.rule), c.subject_key)
        if c.window_key in windows[key]:
            continue
        if c.window_start is not None and key in ends and ends[key] >= c.window_start:
            continue
        remember(*key, c.window_key, c.window_end)
        chosen.append(c)
    return _write_alerts(session, chosen, now)


def _write_alerts(session: Session, chosen: list[_Candidate], now: datetime) -> list[int]:
    """Insert the alerts, their open steps and audit events multi-row; an alert another worker opened meanwhile
    (same rule, subject and window) is skipped by ON CONFLICT DO NOTHING, with no step or event."""
    table = Alert.__table__
    stmt = _insert(session)(table).on_conflict_do_nothing(index_elements=["rule", "subject_key", "window_key"])
    ids: dict[tuple[str, str, str], int] = {}
    if chosen:
        for row in session.execute(stmt.returning(table.c.id, table.c.rule, table.c.subject_key, table.c.window_key), [
                {"rule": c.rule, "subject_kind": c.subject_kind, "subject_key": c.subject_key,
                 "subject_display": c.subject_display, "window_key": c.window_key, "window_start": c.window_start,
                 "window_end": c.window_end, "enterprise_id": c.enterprise_id, "district": c.district,
                 "status": AlertStatus.open, "outcome": None, "details": c.details, "references": c.references[:50],
                 "opened_at": now, "updated_at": now, "closed_at": None, "note": None} for c in chosen]):
            ids[(row.rule, row.subject_key, row.window_key)] = row.id
    opened = [(ids[(str(c.rule), c.subject_key, c.window_key)], c) for c in chosen
              if (str(c.rule), c.subject_key, c.window_key) in ids]
    if not opened:
        return []
    session.execute(insert(AlertStep.__table__), [
        {"alert_id": alert_id, "action": "open", "from_status": None, "to_status": AlertStatus.open, "note": None,
         "actor": SYSTEM_ACTOR, "at": now} for alert_id, _ in opened])
    with audit_deferred(session):
        for alert_id, c in opened:
            audit(session=session, action="risk:alert:open", stream=ALERT_STREAM, actor=SYSTEM_ACTOR,
                  subject_id=str(alert_id), at=now,
                  after={"id": alert_id, "rule": c.rule, "subject": c.subject_display, "window": c.window_key,
                         "status": AlertStatus.open, "outcome": None, "details": c.details, "note": None})
    return [alert_id for alert_id, _ in opened]


def _run_rules(session: Session, work: list[tuple[_Fact, Thresholds]], now: datetime,
               skip_errors: bool) -> tuple[list[_Fact], list[int]]:
    """The rules on ``work`` in order; writes the new facts that were evaluated and the alerts opened.
    With ``skip_errors``, a fact whose rules raise an :class:`AppError` is skipped (logged) and leaves nothing."""
    rules = _Rules(session, work)
    candidates: list[_Candidate] = []
    written: list[_Fact] = []
    for fact, limits in work:
        new = fact.id is None and id(fact) not in rules.visible
        try:
            candidates += rules.run(fact, limits)
        except AppError as exc:
            if not skip_errors:
                raise
            log.warning("risk rules skipped for %s list %s: %s", fact.direction, fact.inventory_id, exc)
            continue
        if new:
            written.append(fact)
    _write_facts(session, written)
    return written, _open_alerts(session, candidates, now)


def evaluate(*, session: Session, fact: ParcelFact, now: datetime | None = None) -> list[Alert]:
    """Run every rule on one stored list's fact; returns the alerts newly opened."""
    now = now or utcnow()
    session.flush()
    [stored] = _stored_facts(session, ParcelFact.id == fact.id)
    _, ids = _run_rules(session, [(stored, thresholds(stored.on))], now, skip_errors=False)
    return list(session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id))) if ids else []


def _claim(session: Session, now: datetime, limit: int) -> list[tuple[int, str, int]]:
    """Take up to ``limit`` pending queue rows, oldest first, and mark them processed, in one statement; on
    PostgreSQL the rows are locked with SKIP LOCKED, so two workers never take the same row."""
    pending = select(RiskQueueItem.id).where(RiskQueueItem.processed_at.is_(None)).order_by(RiskQueueItem.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    rows = session.execute(update(RiskQueueItem).where(RiskQueueItem.id.in_(pending)).values(processed_at=now)
                           .returning(RiskQueueItem.id, RiskQueueItem.direction, RiskQueueItem.inventory_id),
                           execution_options={"synchronize_session": "fetch"}).all()
    return sorted((r.id, r.direction, r.inventory_id) for r in rows)


def process_queue(*, session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Build the facts of up to ``limit`` queued lists and run the rules on them, set-based (a few queries per
    batch, not per list), with exactly the outcome of processing them one at a time in queue order; a list
    without thresholds in force is skipped, never blocking the queue. Returns how many items were processed."""
    now = now or utcnow()
    items = _claim(session, now, limit)
    if not items:
        return 0
    facts = _facts_for(session, [(direction, inventory_id) for _, direction, inventory_id in items])
    work = []
    limits_on: dict[date, Thresholds | AppError] = {}
    for _, direction, inventory_id in items:
        fact = facts.get((direction, inventory_id))
        if fact is None:
            continue
        if fact.on not in limits_on:
            try:
                limits_on[fact.on] = thresholds(fact.on)
            except AppError as exc:  # e.g. no threshold in force on a very old list: skip it
                limits_on[fact.on] = exc
        limits = limits_on[fact.on]
        if isinstance(limits, AppError):
            log.warning("risk rules skipped for %s list %s: %s", direction, inventory_id, limits)
            continue
        work.append((fact, limits))
    _run_rules(session, work, now, skip_errors=True)
    return len(items)


@dataclass
class ScanResult:
    """What a scan did."""

    enqueued: int = 0
    processed: int = 0
    alerts: int = 0


def scan(*, session: Session, since: datetime, now: datetime | None = None) -> ScanResult:
    """Queue every list declared since ``since`` that has no fact yet, process the queue, then re-run the
    rules on every fact of the period (alerts stay idempotent)."""
    from kuajing.exports.models import ExportInventory
    from kuajing.imports.models import Inventory

    now = now or utcnow()
    result = ScanResult()
    before = session.scalar(select(func.count()).select_from(Alert)) or 0
    for direction, model, at in (("import", Inventory, Inventory.declared_at),
                                 ("export", ExportInventory, ExportInventory.released_at)):
        known = select(ParcelFact.inventory_id).where(ParcelFact.direction == direction)
        for inv_id in session.scalars(select(model.id).where(at.is_not(None), at >= since, model.id.not_in(known))):
            enqueue(session=session, direction=direction, inventory_id=inv_id, event="scan")
            result.enqueued += 1
    while True:
        done = process_queue(session=session, now=now)
        result.processed += done
        if done == 0:
            break
    ids = session.scalars(select(ParcelFact.id).where(ParcelFact.declared_at >= since).order_by(ParcelFact.id)).all()
    for start in range(0, len(ids), 500):  # the stored facts again, 500 at a time, set-based
        facts = _stored_facts(session, ParcelFact.id.in_(ids[start:start + 500]))
        _run_rules(session, [(f, thresholds(f.on)) for f in facts], now, skip_errors=False)
    result.alerts = (session.scalar(select(func.count()).select_from(Alert)) or 0) - before
    return result


# --- blacklist -----------------------------------------------------------------------------------------


def active_entry(*, session: Session, subject_kind: str, subject_key: str) -> BlacklistEntry | None:
    """The subject's active blacklist entry, if any."""
    return session.scalar(select(BlacklistEntry).where(
        BlacklistEntry.subject_kind == subject_kind, BlacklistEntry.subject_key == subject_key,
        BlacklistEntry.removed_at.is_(None)).limit(1))


def _entry_snapshot(entry: BlacklistEntry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.subject_kind, "subject": entry.subject_display, "reason": entry.reason,
            "removed_at": entry.removed_at, "removal_reason": entry.removal_reason}


def blacklist_add(*, session: Session, actor: str, reason: str, enterprise_id: int | None = None,
                  buyer_id_number: str | None = None) -> BlacklistEntry:
    """Blacklist an enterprise or a buyer ID number (stored as its keyed hash and masked form only)."""
    reason = (reason or "").strip()
    id_number = (buyer_id_number or "").strip()
    if (enterprise_id is None) == (not id_number):
        raise errors.blacklist_bad_subject()
    if not reason:
        raise errors.reason_required()
    if enterprise_id is not None:
        ent = session.get(Enterprise, enterprise_id)
        if ent is None:
            raise errors.enterprise_not_found(enterprise_id)
        kind, key, display = SubjectKind.enterprise, str(ent.id), ent.name_zh
    else:
        kind, key, display = SubjectKind.buyer, blind_index(id_number), mask(id_number.upper())
    found = active_entry(session=session, subject_kind=kind, subject_key=key)
    if found is not None:
        raise errors.blacklist_duplicate(found.id, path="enterprise_id" if enterprise_id is not None else "buyer_id_number",
                                         value=enterprise_id if enterprise_id is not None else id_number)
    entry = BlacklistEntry(subject_kind=kind, subject_key=key, subject_display=display, reason=reason,
                           enterprise_id=enterprise_id, added_by=actor)
    session.add(entry)
    session.flush()
    audit(session=session, action="risk:blacklist:add", stream=BLACKLIST_STREAM, actor=actor,
          subject_id=str(entry.id), after=_entry_snapshot(entry))
    return entry


def blacklist_remove(*, session: Session, entry_id: int, actor: str, reason: str) -> BlacklistEntry:
    """Take a subject off the blacklist (the entry stays, marked removed, with the reason)."""
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise errors.blacklist_entry_not_found(entry_id)
    if entry.removed_at is not None:
        raise errors.blacklist_already_removed(entry.id)
    reason = (reason or "").strip()
    if not reason:
        raise errors.reason_required()
    before = _entry_snapshot(entry)
    entry.removed_at, entry.removed_by, entry.removal_reason = utcnow(), actor, reason
    session.flush()
    audit(session=session, action="risk:blacklist:remove", stream=BLACKLIST_STREAM, actor=actor,
          subject_id=str(entry.id), before=before, after=_entry_snapshot(entry))
    return entry


def blacklist(*, session: Session, include_removed: bool = False) -> list[BlacklistEntry]:
    """The blacklist, newest first."""
    query = select(BlacklistEntry).order_by(BlacklistEntry.added_at.desc(), BlacklistEntry.id.desc())
    if not include_removed:
        query = query.where(BlacklistEntry.removed_at.is_(None))
    return list(session.scalars(query))


def blacklist_json(entry: BlacklistEntry) -> dict[str, Any]:
    """An entry as JSON (an ID number only masked)."""
    return {"id": entry.id, "subject_kind": entry.subject_kind, "subject": entry.subject_display,
            "enterprise_id": entry.enterprise_id, "reason": entry.reason, "added_by": entry.added_by,
            "added_at": entry.added_at.isoformat(), "removed_at": entry.removed_at.isoformat() if entry.removed_at else None,
            "removed_by": entry.removed_by, "removal_reason": entry.removal_reason}


# --- credit grades ---------------------------------------------------------------------------------------


def credit_inputs(*, session: Session, enterprise: Enterprise, start: date, end: date) -> calc.CreditInputs:
    """Gather an enterprise's record from ``start`` to ``end`` (inclusive) for the grading."""
    from kuajing.export_summary.models import SummaryApplication
    from kuajing.exports.models import ExportInventory
    from kuajing.imports.models import Inventory, Receipt

    lo, hi = day_start(start), day_start(end + timedelta(days=1))
    declarations = rejections = inspections = 0
    for model, list_type in ((Inventory, "CEB621"), (ExportInventory, "CEB603")):
        mine = model.sender_enterprise_id == enterprise.id
        if enterprise.customs_code:
            mine = or_(mine, model.ebc_code == enterprise.customs_code)
        where = and_(mine, model.declared_at.is_not(None), model.declared_at >= lo, model.declared_at < hi)
        declarations += session.scalar(select(func.count()).select_from(model).where(where)) or 0
        rejections += session.scalar(select(func.count()).select_from(model).where(
            where, model.status == "customs_rejected")) or 0
        # 查验: the enterprise's lists (the same ones as above, whoever sent them) with a 500 receipt in the
        # period, each once — not the receipts the enterprise happens to pull (a declaring agent pulls those)
        inspections += session.scalar(select(func.count(func.distinct(Receipt.business_key))).where(
            Receipt.declaration_type == list_type, Receipt.return_status == "500",
            Receipt.returned_at >= lo, Receipt.returned_at < hi,
            Receipt.business_key.in_(select(model.business_key).where(mine)))) or 0
    hits = session.scalar(select(func.count()).select_from(Alert).where(
        Alert.enterprise_id == enterprise.id, Alert.opened_at >= lo, Alert.opened_at < hi,
        or_(Alert.outcome.is_(None), Alert.outcome != AlertOutcome.dismissed))) or 0
    due = on_time = 0
    for deadline, submitted_at in session.execute(select(SummaryApplication.deadline, SummaryApplication.submitted_at)
                                                  .where(SummaryApplication.enterprise_id == enterprise.id,
                                                         SummaryApplication.deadline.is_not(None),
                                                         SummaryApplication.deadline >= start,
                                                         SummaryApplication.deadline <= end)):
        due += 1
        if submitted_at is not None and local_date(submitted_at) <= deadline:
            on_time += 1
    listed = active_entry(session=session, subject_kind=SubjectKind.enterprise, subject_key=str(enterprise.id))
    return calc.CreditInputs(declarations=declarations, rejections=rejections, inspections=inspections,
                             risk_hits=hits, due_filings=due, on_time_filings=on_time, blacklisted=listed is not None)


@dataclass(frozen=True)
class GradeView:
    """An enterprise's grade with the inputs and explanation."""

    enterprise: Enterprise
    start: date
    end: date
    inputs: calc.CreditInputs
    result: calc.CreditResult


def grade(*, session: Session, enterprise_id: int, on: date, days: int = 365) -> GradeView:
    """The enterprise's grade over the ``days`` days up to ``on`` (computed now, not stored)."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise errors.enterprise_not_found(enterprise_id)
    start = on - timedelta(days=days - 1)
    inputs = credit_inputs(session=session, enterprise=ent, start=start, end=on)
    return GradeView(ent, start, on, inputs, calc.credit_grade(inputs))


def grade_json(view: GradeView, locale: str = "en") -> dict[str, Any]:
    """A grade as JSON, with each factor's figures and points."""
    from kuajing.risk.choices import CreditGrade

    r = view.result
    return {"enterprise_id": view.enterprise.id, "enterprise": view.enterprise.name_zh, "uscc": view.enterprise.uscc,
            "start": view.start.isoformat(), "end": view.end.isoformat(), "grade": r.grade.value,
            "grade_label": CreditGrade(r.grade).display(locale), "score": format(r.score, "f"),
            "capped_by": r.capped_by,
            "factors": [{"factor": f.factor, "figures": f.figures, "points": format(f.points, "f")} for f in r.factors]}


def record_grades(*, session: Session, on: date, actor: str, enterprise_ids: list[int] | None = None) -> int:
    """Store today's grade of each approved enterprise (idempotent per day), audited; returns how many."""
    query = select(Enterprise.id).where(Enterprise.status == "approved")
    if enterprise_ids:
        query = query.where(Enterprise.id.in_(enterprise_ids))
    count = 0
    for ent_id in session.scalars(query).all():
        if session.scalar(select(CreditGradeRecord.id).where(CreditGradeRecord.enterprise_id == ent_id,
                                                             CreditGradeRecord.graded_on == on)):
            continue
        view = grade(session=session, enterprise_id=ent_id, on=on)
        data = grade_json(view)
        session.add(CreditGradeRecord(enterprise_id=ent_id, graded_on=on, period_start=view.start,
                                      grade=view.result.grade.value, score=view.result.score,
                                      factors=data["factors"], capped_by=view.result.capped_by, graded_by=actor))
        audit(session=session, action="risk:credit:grade", stream=CREDIT_STREAM, actor=actor, subject_id=str(ent_id),
              after={"grade": data["grade"], "score": data["score"], "on": on, "factors": data["factors"]})
        count += 1
    session.flush()
    return count


def grade_history(*, session: Session, enterprise_id: int) -> list[CreditGradeRecord]:
    """The stored grades of an enterprise, newest first."""
    return list(session.scalars(select(CreditGradeRecord).where(CreditGradeRecord.enterprise_id == enterprise_id)
                                .order_by(CreditGradeRecord.graded_on.desc()).limit(24)))
