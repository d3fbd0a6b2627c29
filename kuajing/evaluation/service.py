"""District and park evaluation services (综合考评): catalogue, weights, entries, computed values, scores,
ranking and publication. Services take keyword arguments and never commit; every change is audited."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.audit.service import canonical_json, to_plain
from kuajing.audit.service import record as audit
from kuajing.enterprises.models import Enterprise
from kuajing.enterprises.service import zone_config
from kuajing.evaluation import calc, errors
from kuajing.evaluation.choices import Category, Source, UnitKind
from kuajing.evaluation.models import Entry, IndicatorWeight, Snapshot

CATALOGUE_FILE = Path(__file__).parent / "indicators.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
STREAM = "evaluation"
PERIOD_RE = re.compile(r"^(?P<y>\d{4})(?:-(?:(?P<h>H[12])|(?P<q>Q[1-4])|(?P<m>0[1-9]|1[0-2])))?$")
#: the years a period (考评期) may name, as every year parameter of the platform (0000 or 9999-12 has no
#: first or last day a date can hold)
FIRST_YEAR, LAST_YEAR = 2000, 2100
CENT = Decimal("0.01")
#: computed indicators that are rates of change: missing (not 0) where there is no base period to compare with
RATES = frozenset({"export_growth"})


# --- catalogue and periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorDef:
    """An indicator of the catalogue (指标)."""

    code: str
    category: Category
    source: Source
    unit: str
    default_weight: Decimal
    names: dict[str, str]

    def name(self, locale: str) -> str:
        """The name in ``locale`` (else English — Chinese for the locales that read it —, else Chinese)."""
        from kuajing.i18n import reads_chinese

        return self.names.get(locale) or (None if reads_chinese(locale) else self.names.get("en")) \
            or self.names["zh_Hans"]

    def unit_label(self, locale: str) -> str:
        """The unit of measure in ``locale`` (家, 万元, m² …; ``%`` as it is)."""
        from kuajing.i18n import pgettext

        return pgettext("unit of measure", self.unit, locale)


@cache
def catalogue() -> tuple[IndicatorDef, ...]:
    """The indicator catalogue from indicators.json, in display order."""
    raw = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return tuple(IndicatorDef(i["code"], Category(i["category"]), Source(i["source"]), i["unit"],
                              Decimal(i["weight"]), i["name"]) for i in raw["indicators"])


def indicator(code: str) -> IndicatorDef:
    """One indicator (422 ``evaluation_unknown_indicator``)."""
    for item in catalogue():
        if item.code == code:
            return item
    raise errors.unknown_indicator(code)


def parse_period(value: str) -> tuple[date, date]:
    """``2026`` / ``2026-H1`` / ``2026-Q2`` / ``2026-03`` → first and last day (inclusive)."""
    found = PERIOD_RE.match(value or "")
    if not found:
        raise errors.bad_period(value)
    year = int(found["y"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise errors.period_out_of_range(value, FIRST_YEAR, LAST_YEAR)
    if found["h"]:
        first_month, months = (1 if found["h"] == "H1" else 7), 6
    elif found["q"]:
        first_month, months = 3 * (int(found["q"][1]) - 1) + 1, 3
    elif found["m"]:
        first_month, months = int(found["m"]), 1
    else:
        first_month, months = 1, 12
    start = date(year, first_month, 1)
    end_month = first_month + months
    end = (date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)) - timedelta(days=1)
    return start, end


def units(kind: str) -> dict[str, dict[str, str]]:
    """The zone's districts or parks: code → names."""
    zone = zone_config()
    if kind == UnitKind.district:
        return {c: i.names for c, i in zone.districts.items()}
    if kind == UnitKind.park:
        return {c: i.names for c, i in zone.parks.items()}
    raise errors.bad_unit_kind(kind)


# --- weights --------------------------------------------------------------------------------------------


def weights(*, session: Session, on: date) -> dict[str, tuple[Decimal, str]]:
    """The weight of each indicator in force on ``on`` and where it comes from (``set <date>`` / ``default``)."""
    result = {i.code: (i.default_weight, "default") for i in catalogue()}
    rows = session.scalars(select(IndicatorWeight).where(IndicatorWeight.valid_from <= on)
                           .order_by(IndicatorWeight.valid_from))
    for row in rows:
        if (row.valid_to is None or row.valid_to >= on) and row.indicator_code in result:
            result[row.indicator_code] = (row.weight, f"set {row.valid_from.isoformat()}")
    return result


def _decimal(value: Any, err) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise err(value) from None
    if not number.is_finite() or number < 0 or number != number.quantize(CENT) or number.adjusted() >= 15:
        raise err(value)
    return number.quantize(CENT)


def set_weight(*, session: Session, indicator_code: str, weight: Any, valid_from: date, actor: str) -> IndicatorWeight:
    """Set an indicator's weight from ``valid_from`` on (the open earlier weight ends the day before)."""
    indicator(indicator_code)
    value = _decimal(weight, errors.bad_weight)
    if value > 100:
        raise errors.bad_weight(weight)
    before = {"weights": {k: v for k, (v, _) in weights(session=session, on=valid_from).items()
                          if k == indicator_code}}
    for row in session.scalars(select(IndicatorWeight).where(IndicatorWeight.indicator_code == indicator_code,
                                                             IndicatorWeight.valid_to.is_(None),
                                                             IndicatorWeight.valid_from < valid_from)):
        row.valid_to = valid_from - timedelta(days=1)
    row = session.scalar(select(IndicatorWeight).where(IndicatorWeight.indicator_code == indicator_code,
                                                       IndicatorWeight.valid_from == valid_from))
    if row is None:
        later = session.scalar(select(func.min(IndicatorWeight.valid_from)).where(
            IndicatorWeight.indicator_code == indicator_code, IndicatorWeight.valid_from > valid_from))
        row = IndicatorWeight(indicator_code=indicator_code, valid_from=valid_from, weight=value, set_by=actor,
                              valid_to=later - timedelta(days=1) if later else None)
        session.add(row)
    else:
        row.weight, row.set_by = value, actor
    session.flush()
    audit(session=session, action="evaluation:weight:set", stream=STREAM, actor=actor, subject_id=indicator_code,
          before=before, after={"weight": value, "valid_from": valid_from, "valid_to": row.valid_to})
    return row


# --- entries ---------------------------------------------------------------------------------------------


def _entry_snapshot(e: Entry) -> dict[str, Any]:
    return {"period": e.period, "unit_kind": e.unit_kind, "unit_code": e.unit_code, "indicator": e.indicator_code,
            "value": e.value, "evidence": e.evidence}


def enter(*, session: Session, period: str, unit_kind: str, unit_code: str, indicator_code: str, value: Any,
          evidence: str, actor: str) -> Entry:
    """Enter (or correct) the value of an entered indicator, with its evidence; audited before/after."""
    parse_period(period)
    if unit_code not in units(unit_kind):
        raise errors.unknown_unit(unit_code)
    spec = indicator(indicator_code)
    if spec.source != Source.entered:
        raise errors.indicator_computed(indicator_code)
    number = _decimal(value, errors.bad_value)
    evidence = (evidence or "").strip()
    if not evidence:
        raise errors.evidence_required()
    row = session.scalar(select(Entry).where(Entry.period == period, Entry.unit_kind == unit_kind,
                                             Entry.unit_code == unit_code, Entry.indicator_code == indicator_code))
    before = _entry_snapshot(row) if row is not None else None
    if row is None:
        row = Entry(period=period, unit_kind=unit_kind, unit_code=unit_code, indicator_code=indicator_code,
                    value=number, evidence=evidence, entered_by=actor)
        session.add(row)
    else:
        row.value, row.evidence, row.entered_by = number, evidence, actor
    session.flush()
    audit(session=session, action="evaluation:entry:" + ("create" if before is None else "update"), stream=STREAM,
          actor=actor, subject_id=f"{period}:{unit_kind}:{unit_code}:{indicator_code}", before=before,
          after=_entry_snapshot(row))
    return row


def entries(*, session: Session, period: str, unit_kind: str) -> list[Entry]:
    """The entered values of a period and unit kind."""
    return list(session.scalars(select(Entry).where(Entry.period == period, Entry.unit_kind == unit_kind)
                                .order_by(Entry.unit_code, Entry.indicator_code)))


# --- computed values ----------------------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time(0), SHANGHAI).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)
    return lo, hi


def computed_values(*, session: Session, unit_kind: str, start: date, end: date) -> dict[tuple[str, str], Decimal]:
    """Each computed indicator per unit from the registry (district/park of each enterprise), the released
    import and export lists and the overseas warehouses, over ``start``–``end`` (Asia/Shanghai)."""
    from kuajing.exports.models import OverseasWarehouse
    from kuajing.imports.models import Inventory, InventoryItem

    column = Enterprise.district if unit_kind == UnitKind.district else Enterprise.park
    lo, hi = _bounds(start, end)
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unit_of: dict[int, str] = {}
    by_code: dict[str, int] = {}
    for ent_id, unit, code, uscc, status, approved_at in session.execute(
            select(Enterprise.id, column, Enterprise.customs_code, Enterprise.uscc, Enterprise.status,
                   Enterprise.approved_at)):
        if not unit:
            continue
        unit_of[ent_id] = unit
        # a list's ebcCode is the e-commerce enterprise's customs code or its USCC, matched as the statistics do
        for key in (uscc, code):
            if key:
                by_code[key] = ent_id
        if approved_at is not None and approved_at < hi and status in ("approved", "suspended"):
            out[(unit, "registered_enterprises")] += 1
        if approved_at is not None and lo <= approved_at < hi:
            out[(unit, "new_enterprises")] += 1

    prior_lo, prior_hi = _bounds(_year_earlier(start), _year_earlier(end))  # for the export growth
    placed = _placed_units(session, unit_kind, min(lo, prior_lo), hi)

    def owner(code: str | None, sender: int, place: tuple[str, int] | None = None) -> str | None:
        """The unit a list counts in: where the statistics counted it at release (its place), else the
        unit its enterprise is in now (a list released before places were kept, or outside the registry)."""
        if place is not None and place in placed:
            return placed[place]
        ent = by_code.get(code or "", sender)
        return unit_of.get(ent)

    active: set[tuple[str, int]] = set()
    # without a taxable price a list counts its goods price (CEB621 amounts are CNY), as the statistics do
    goods = (select(func.sum(InventoryItem.total_price)).where(InventoryItem.inventory_id == Inventory.id)
             .correlate(Inventory).scalar_subquery())
    for inv_id, code, sender, value, goods_price in session.execute(
            select(Inventory.id, Inventory.ebc_code, Inventory.sender_enterprise_id, Inventory.taxable_price, goods)
            .where(Inventory.released_at >= lo, Inventory.released_at < hi,
                   Inventory.status.not_in(("cancelled", "returned")))):
        unit = owner(code, sender, ("import", inv_id))
        if unit is None:
            continue
        out[(unit, "released_lists")] += 1
        out[(unit, "trade_value")] += value if value is not None else Decimal(goods_price or 0)
        active.add((unit, by_code.get(code or "", sender)))
    exports, export_lists = _export_values(session, owner, lo, hi)
    for (unit, (code, sender)), n in export_lists.items():
        out[(unit, "released_lists")] += n
        active.add((unit, by_code.get(code or "", sender)))
    for unit, value in exports.items():
        out[(unit, "trade_value")] += value
    # 出口增速 (policy-rules §9.2): this period's exports against the same period a year earlier, in %; a unit that
    # exported nothing then has no growth to show (missing, not 0)
    before, _lists = _export_values(session, owner, prior_lo, prior_hi)
    growth: dict[tuple[str, str], Decimal | None] = {}
    for unit in set(unit_of.values()):
        prior, now_value = before.get(unit, Decimal(0)), exports.get(unit, Decimal(0))
        growth[(unit, "export_growth")] = (((now_value - prior) * 100 / prior).quantize(CENT, ROUND_HALF_UP)
                                           if prior > 0 else None)
    for unit, _ent in active:
        out[(unit, "active_enterprises")] += 1
    for ent_id, area in session.execute(select(OverseasWarehouse.enterprise_id, OverseasWarehouse.area_m2)
                                        .where(OverseasWarehouse.status == "active",
                                               OverseasWarehouse.created_at < hi)):
        unit = unit_of.get(ent_id)
        if unit is not None:
            out[(unit, "overseas_warehouses")] += 1
            out[(unit, "overseas_warehouse_area")] += area
    return {**{k: Decimal(v).quantize(CENT) for k, v in out.items()}, **growth}


def _placed_units(session: Session, unit_kind: str, lo: datetime, hi: datetime) -> dict[tuple[str, int], str]:
    """(direction, list id) → the district or park the statistics counted the list in at its release
    (``stats_list_places``), for the lists released in [lo, hi) whose enterprise was in the registry."""
    from kuajing.exports.models import ExportInventory
    from kuajing.imports.models import Inventory
    from kuajing.stats.models import StatsListPlace as P

    column = P.district if unit_kind == UnitKind.district else P.park
    out: dict[tuple[str, int], str] = {}
    for direction, model in (("import", Inventory), ("export", ExportInventory)):
        for inv_id, unit in session.execute(
                select(P.inventory_id, column).join(model, model.id == P.inventory_id)
                .where(P.direction == direction, P.enterprise_id != 0, column != "",
                       model.released_at >= lo, model.released_at < hi)):
            out[(direction, inv_id)] = unit
    return out


def _year_earlier(day: date) -> date:
    """The same day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _export_values(session: Session, owner, lo: datetime, hi: datetime
                   ) -> tuple[dict[str, Decimal], dict[tuple[str, object], int]]:
    """Per unit, the CNY value of the export lists released in [lo, hi) (each line total converted at the customs
    monthly rate of the release month and rounded half-up to the fen, line by line exactly as the statistics
    do, so a district's figure here equals the dashboard's; a month without a rate is left out, as the
    statistics report it), and the lists per (unit, enterprise)."""
    from kuajing.exports.models import ExportInventory, ExportInventoryItem
    from kuajing.stats.service import _Rates, release_month

    values: dict[str, Decimal] = defaultdict(Decimal)
    rates = _Rates(session)  # the statistics' own conversion: same rate, same rounding
    lists: dict[tuple[str, object], int] = defaultdict(int)
    seen: set[int] = set()
    for inv_id, code, sender, released_at, currency, total in session.execute(
            select(ExportInventory.id, ExportInventory.ebc_code, ExportInventory.sender_enterprise_id,
                   ExportInventory.released_at, ExportInventoryItem.currency, ExportInventoryItem.total_price)
            .join(ExportInventoryItem, ExportInventoryItem.inventory_id == ExportInventory.id)
            .where(ExportInventory.released_at >= lo, ExportInventory.released_at < hi,
                   ExportInventory.status != "cancelled")):
        unit = owner(code, sender, ("export", inv_id))
        if unit is None:
            continue
        if inv_id not in seen:
            seen.add(inv_id)
            lists[(unit, (code, sender))] += 1
        value = rates.cny(Decimal(total), currency, release_month(released_at))
        if value is not None:
            values[unit] += value
    return {unit: value.quantize(CENT) for unit, value in values.items()}, dict(lists)


# --- scores, ranking, publication -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """A period's evaluation as computed now (or as published)."""

    period: str
    unit_kind: str
    start: date
    end: date
    payload: dict[str, Any]


def evaluate(*, session: Session, period: str, unit_kind: str) -> Evaluation:
    """Values (computed + entered), weights in force on the period's last day, scores and ranking."""
    start, end = parse_period(period)
    names = units(unit_kind)
    in_force = weights(session=session, on=end)
    values: dict[tuple[str, str], Decimal | None] = {}
    computed = computed_values(session=session, unit_kind=unit_kind, start=start, end=end)
    evidence: dict[tuple[str, str], str] = {}
    for spec in catalogue():
        if spec.source == Source.computed:
            for u in names:  # a rate of change has no value without a base (missing); a count or sum is 0
                values[(u, spec.code)] = computed.get((u, spec.code),
                                                      None if spec.code in RATES else Decimal("0.00"))
    for e in entries(session=session, period=period, unit_kind=unit_kind):
        if e.unit_code in names:
            values[(e.unit_code, e.indicator_code)] = e.value
            evidence[(e.unit_code, e.indicator_code)] = e.evidence
    specs = [calc.IndicatorSpec(i.code, i.category.value, in_force[i.code][0]) for i in catalogue()]
    scored = calc.score(units=list(names), indicators=specs, values=values)
    payload = {
        "period": period, "unit_kind": unit_kind, "start": start.isoformat(), "end": end.isoformat(),
        "method": calc.METHOD,
        "indicators": [{"code": i.code, "category": i.category.value, "source": i.source.value, "unit": i.unit,
                        "name_zh": i.names["zh_Hans"], "name_en": i.names.get("en", ""),
                        "weight": format(in_force[i.code][0], "f"), "weight_source": in_force[i.code][1]}
                       for i in catalogue()],
        "ranking": [{"rank": s.rank, "unit": s.unit, "name_zh": names[s.unit]["zh_Hans"],
                     "name_en": names[s.unit].get("en", ""), "total": format(s.total, "f"),
                     "categories": {c: format(v, "f") for c, v in s.categories.items()},
                     "values": {i.code: (None if values.get((s.unit, i.code)) is None
                                         else format(values[(s.unit, i.code)], "f")) for i in catalogue()},
                     "normalised": {c: format(v, "f") for c, v in s.normalised.items()},
                     "evidence": {c: evidence[(s.unit, c)] for c in (i.code for i in catalogue())
                                  if (s.unit, c) in evidence},
                     "missing": list(s.missing)} for s in scored],
    }
    return Evaluation(period, unit_kind, start, end, payload)


def publish(*, session: Session, period: str, unit_kind: str, actor: str, reason: str | None = None) -> Snapshot:
    """Freeze the period's evaluation as a snapshot (revision 1, or the next one with a reason)."""
    view = evaluate(session=session, period=period, unit_kind=unit_kind)
    last = session.scalar(select(func.max(Snapshot.revision)).where(Snapshot.period == period,
                                                                   Snapshot.unit_kind == unit_kind)) or 0
    reason = (reason or "").strip() or None
    if last and not reason:
        raise errors.reason_required()
    payload = to_plain(view.payload)
    digest = hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
    snap = Snapshot(period=period, unit_kind=unit_kind, revision=last + 1, period_start=view.start,
                    period_end=view.end, method=calc.METHOD, payload=payload, sha256=digest, reason=reason,
                    published_by=actor)
    session.add(snap)
    session.flush()
    audit(session=session, action="evaluation:snapshot:publish", stream=STREAM, actor=actor, subject_id=str(snap.id),
          after={"period": period, "unit_kind": unit_kind, "revision": snap.revision, "sha256": digest,
                 "reason": reason, "ranking": [(r["rank"], r["unit"], r["total"]) for r in payload["ranking"]]})
    return snap


def snapshots(*, session: Session, period: str | None = None) -> list[Snapshot]:
    """Published snapshots, newest first."""
    query = select(Snapshot).order_by(Snapshot.published_at.desc(), Snapshot.id.desc())
    if period:
        query = query.where(Snapshot.period == period)
    return list(session.scalars(query.limit(200)))


def get_snapshot(*, session: Session, snapshot_id: int) -> Snapshot:
    """One snapshot (404 ``evaluation_snapshot_not_found``)."""
    snap = session.get(Snapshot, snapshot_id)
    if snap is None:
        raise errors.snapshot_not_found(snapshot_id)
    return snap


def verify(snapshot: Snapshot) -> bool:
    """Whether the snapshot's payload still hashes to its recorded SHA-256."""
    return hashlib.sha256(canonical_json(snapshot.payload).encode("utf-8")).hexdigest() == snapshot.sha256


def snapshot_json(s: Snapshot, *, full: bool = True) -> dict[str, Any]:
    """A snapshot as JSON."""
    data = {"id": s.id, "period": s.period, "unit_kind": s.unit_kind, "revision": s.revision, "method": s.method,
            "sha256": s.sha256, "reason": s.reason, "published_by": s.published_by,
            "published_at": s.published_at.isoformat()}
    if full:
        data["payload"] = s.payload
    return data
