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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def enqueue(*, session: Session, direction: str, inventory_id: int, event: str) -> None:
    """Append a list to the risk queue (cheap: one row; a repeat of the same event is ignored)."""
    exists = session.scalar(select(RiskQueueItem.id).where(
        RiskQueueItem.direction == direction, RiskQueueItem.inventory_id == inventory_id,
        RiskQueueItem.event == event))
    if exists is None:
        session.add(RiskQueueItem(direction=direction, inventory_id=inventory_id, event=event))
        session.flush()


def _hash(value: str | None) -> str | None:
    return blind_index(value) if value and value.strip() else None


def goods_key(lines: list[tuple[str, str]]) -> str:
    """SHA-256 of the sorted (HS code, item no or name) pairs: two parcels with the same goods share it."""
    canonical = "\n".join(sorted(f"{code.strip()}|{name.strip().upper()}" for code, name in lines))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _enterprise(session: Session, code: str | None, fallback_id: int | None) -> Enterprise | None:
    if code:
        found = session.scalar(select(Enterprise).where(Enterprise.customs_code == code))
        if found is not None:
            return found
    return session.get(Enterprise, fallback_id) if fallback_id else None


def _import_fact(session: Session, inventory_id: int) -> ParcelFact | None:
    from kuajing.imports.models import ImportOrder, Inventory

    inv = session.get(Inventory, inventory_id)
    if inv is None:
        return None
    order = session.scalar(select(ImportOrder).where(ImportOrder.order_no == inv.order_no,
                                                     ImportOrder.ebp_code == inv.ebp_code))
    if order is not None:
        consignee = f"{order.consignee}|{order.consignee_address}"
        phone = order.consignee_telephone
    else:
        consignee, phone = inv.consignee_address, inv.buyer_telephone
    try:
        currency = str(json.loads(inv.record).get("currency") or "142")
    except (ValueError, AttributeError):
        currency = "142"
    ent = _enterprise(session, inv.ebc_code, inv.sender_enterprise_id)
    fact = ParcelFact(direction="import", inventory_id=inv.id, reference=inv.business_key,
                      enterprise_id=ent.id if ent else None, district=ent.district if ent else None,
                      buyer_index=inv.buyer_index, buyer_masked=mask(inv.buyer_id_number),
                      consignee_index=_hash(consignee), phone_index=_hash(phone),
                      goods_key=goods_key([(i.gcode, i.item_no or i.gname) for i in inv.items]),
                      declared_at=inv.declared_at or inv.created_at)
    session.add(fact)
    session.flush()
    on = local_date(fact.declared_at)
    for item in inv.items:
        session.add(PriceSample(fact_id=fact.id, gnum=item.gnum, heading=item.gcode[:4], currency=currency,
                                unit_price=item.price, declared_on=on))
    return fact


def _export_fact(session: Session, inventory_id: int) -> ParcelFact | None:
    from kuajing.exports.models import ExportInventory

    inv = session.get(ExportInventory, inventory_id)
    if inv is None:
        return None
    ent = _enterprise(session, inv.ebc_code, inv.sender_enterprise_id)
    fact = ParcelFact(direction="export", inventory_id=inv.id, reference=inv.business_key,
                      enterprise_id=ent.id if ent else None, district=ent.district if ent else None,
                      goods_key=goods_key([(i.gcode, i.gname) for i in inv.items]),
                      declared_at=inv.released_at or inv.created_at)
    session.add(fact)
    session.flush()
    return fact


def fact_for(*, session: Session, direction: str, inventory_id: int) -> ParcelFact | None:
    """The list's fact row, built on first use (None when the list no longer exists)."""
    found = session.scalar(select(ParcelFact).where(ParcelFact.direction == direction,
                                                    ParcelFact.inventory_id == inventory_id))
    if found is not None:
        return found
    return _import_fact(session, inventory_id) if direction == "import" else _export_fact(session, inventory_id)


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


def _period(query, start: date | None, end: date | None):
    if start is not None:
        query = query.where(Alert.opened_at >= day_start(start))
    if end is not None:
        query = query.where(Alert.opened_at < day_start(end + timedelta(days=1)))
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


# --- the rules on one fact -----------------------------------------------------------------------------


def _quota(session: Session, fact: ParcelFact, limits: Thresholds, now: datetime) -> Alert | None:
    from kuajing.quota.models import QuotaAccount
    from kuajing.quota.service import year_limit

    year = local_date(fact.declared_at).year
    account = session.scalar(select(QuotaAccount).where(QuotaAccount.buyer_index == fact.buyer_index,
                                                        QuotaAccount.year == year))
    if account is None:
        return None
    verdict = calc.quota_near_limit(used=account.used, reserved=account.reserved, limit=year_limit(year),
                                    ratio=limits.quota_ratio)
    if not verdict.fired:
        return None
    return raise_alert(session=session, rule_code=RuleCode.quota_near_limit, subject_kind=SubjectKind.buyer,
                       subject_key=fact.buyer_index, subject_display=fact.buyer_masked or "****",
                       window_key=str(year), details=verdict.details, references=[fact.reference],
                       enterprise_id=fact.enterprise_id, district=fact.district, now=now)


def _identity(session: Session, fact: ParcelFact, limits: Thresholds, now: datetime) -> Alert | None:
    start = fact.declared_at - timedelta(days=limits.identity_window_days)
    rows = session.execute(select(ParcelFact.declared_at, ParcelFact.consignee_index, ParcelFact.phone_index,
                                  ParcelFact.reference)
                           .where(ParcelFact.buyer_index == fact.buyer_index, ParcelFact.declared_at > start,
                                  ParcelFact.declared_at <= fact.declared_at)).all()
    parcels = [calc.ParcelContact(at, c or "", p or "") for at, c, p, _ in rows]
    verdict = calc.identity_reuse(parcels=parcels, at=fact.declared_at, window_days=limits.identity_window_days,
                                  max_distinct=limits.identity_max_distinct)
    if not verdict.fired:
        return None
    return raise_alert(session=session, rule_code=RuleCode.identity_reuse, subject_kind=SubjectKind.buyer,
                       subject_key=fact.buyer_index, subject_display=fact.buyer_masked or "****",
                       window_key=local_date(fact.declared_at).isoformat(), details=verdict.details,
                       references=[r for *_, r in rows], enterprise_id=fact.enterprise_id, district=fact.district,
                       window_start=start, window_end=fact.declared_at, now=now)


def _split(session: Session, fact: ParcelFact, limits: Thresholds, now: datetime) -> Alert | None:
    span = timedelta(hours=limits.split_window_hours)
    rows = session.execute(select(ParcelFact.declared_at, ParcelFact.goods_key, ParcelFact.reference)
                           .where(ParcelFact.buyer_index == fact.buyer_index, ParcelFact.goods_key == fact.goods_key,
                                  ParcelFact.declared_at >= fact.declared_at - span,
                                  ParcelFact.declared_at <= fact.declared_at + span)).all()
    verdict = calc.split_orders(parcels=[calc.ParcelGoods(*r) for r in rows], window_hours=limits.split_window_hours,
                                min_parcels=limits.split_min_parcels)
    if not verdict.fired:
        return None
    first = datetime.fromisoformat(verdict.details["first_at"])
    return raise_alert(session=session, rule_code=RuleCode.split_orders, subject_kind=SubjectKind.buyer,
                       subject_key=fact.buyer_index, subject_display=fact.buyer_masked or "****",
                       window_key=first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"), details=verdict.details,
                       references=verdict.details["references"], enterprise_id=fact.enterprise_id,
                       district=fact.district, window_start=first, window_end=first + span, now=now)


def _undervaluation(session: Session, fact: ParcelFact, limits: Thresholds, now: datetime) -> list[Alert]:
    raised = []
    on = local_date(fact.declared_at)
    since = on - timedelta(days=limits.undervalue_lookback_days)
    for line in session.scalars(select(PriceSample).where(PriceSample.fact_id == fact.id)):
        samples = list(session.scalars(select(PriceSample.unit_price).where(
            PriceSample.heading == line.heading, PriceSample.currency == line.currency,
            PriceSample.declared_on > since, PriceSample.declared_on <= on, PriceSample.fact_id != fact.id)))
        verdict = calc.undervaluation(unit_price=line.unit_price, samples=samples, ratio=limits.undervalue_ratio,
                                      min_samples=limits.undervalue_min_samples)
        if verdict.fired:
            details = {**verdict.details, "heading": line.heading, "currency": line.currency, "gnum": line.gnum}
            alert = raise_alert(session=session, rule_code=RuleCode.undervaluation, subject_kind=SubjectKind.inventory,
                                subject_key=f"{fact.reference}#{line.gnum}",
                                subject_display=f"{fact.reference}#{line.gnum}", window_key=line.heading,
                                details=details, references=[fact.reference], enterprise_id=fact.enterprise_id,
                                district=fact.district, now=now)
            if alert is not None:
                raised.append(alert)
    return raised


def _blacklist(session: Session, fact: ParcelFact, now: datetime) -> list[Alert]:
    raised = []
    month = local_date(fact.declared_at).strftime("%Y-%m")
    checks = []
    if fact.enterprise_id is not None:
        checks.append((SubjectKind.enterprise, str(fact.enterprise_id), RuleCode.blacklisted_enterprise))
    if fact.buyer_index:
        checks.append((SubjectKind.buyer, fact.buyer_index, RuleCode.blacklisted_id))
    for kind, key, code in checks:
        entry = active_entry(session=session, subject_kind=kind, subject_key=key)
        if entry is None:
            continue
        alert = raise_alert(session=session, rule_code=code, subject_kind=kind, subject_key=key,
                            subject_display=entry.subject_display, window_key=month,
                            details={"blacklist_entry": entry.id, "reason": entry.reason},
                            references=[fact.reference], enterprise_id=fact.enterprise_id, district=fact.district,
                            now=now)
        if alert is not None:
            raised.append(alert)
    return raised


def evaluate(*, session: Session, fact: ParcelFact, now: datetime | None = None) -> list[Alert]:
    """Run every rule on one list's fact; returns the alerts newly opened."""
    now = now or utcnow()
    limits = thresholds(local_date(fact.declared_at))
    raised: list[Alert] = []
    if fact.direction == "import" and fact.buyer_index:
        for check in (_quota, _identity, _split):
            alert = check(session, fact, limits, now)
            if alert is not None:
                raised.append(alert)
    if fact.direction == "import":
        raised += _undervaluation(session, fact, limits, now)
    raised += _blacklist(session, fact, now)
    return raised


def process_queue(*, session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Build facts for the queued lists and run the rules on them; returns how many items were processed."""
    now = now or utcnow()
    items = list(session.scalars(select(RiskQueueItem).where(RiskQueueItem.processed_at.is_(None))
                                 .order_by(RiskQueueItem.id).limit(limit)))
    for item in items:
        try:
            with session.begin_nested():
                fact = fact_for(session=session, direction=item.direction, inventory_id=item.inventory_id)
                if fact is not None:
                    evaluate(session=session, fact=fact, now=now)
        except AppError as exc:  # e.g. no threshold in force on a very old list: skip it, never block the queue
            log.warning("risk rules skipped for %s list %s: %s", item.direction, item.inventory_id, exc)
        item.processed_at = now
    session.flush()
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
    for fact in session.scalars(select(ParcelFact).where(ParcelFact.declared_at >= since)).all():
        evaluate(session=session, fact=fact, now=now)
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
        raise errors.blacklist_duplicate(found.id)
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
    declarations = rejections = 0
    for model in (Inventory, ExportInventory):
        mine = model.sender_enterprise_id == enterprise.id
        if enterprise.customs_code:
            mine = or_(mine, model.ebc_code == enterprise.customs_code)
        where = and_(mine, model.declared_at.is_not(None), model.declared_at >= lo, model.declared_at < hi)
        declarations += session.scalar(select(func.count()).select_from(model).where(where)) or 0
        rejections += session.scalar(select(func.count()).select_from(model).where(
            where, model.status == "customs_rejected")) or 0
    inspections = session.scalar(select(func.count(func.distinct(Receipt.business_key))).where(
        Receipt.enterprise_id == enterprise.id, Receipt.return_status == "500",
        Receipt.returned_at >= lo, Receipt.returned_at < hi)) or 0
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
