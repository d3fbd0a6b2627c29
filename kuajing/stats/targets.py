"""The plan's targets with lineage (目标与数据溯源): configured targets, actuals, a year-end projection, and the
records behind every number (enterprises, lists, warehouses, brands).

Counting rules (docs/stats.md):

* ``enterprises_cumulative`` — enterprises of the registry with at least one released list (net of
  cancellations and returns) from the first data up to the end of the target year (or today).
* ``trade_value_cny`` — the customs-code scope (import + export, CNY) released in the target year. Survey
  estimates are shown beside it, never added in.
* ``overseas_warehouses`` / ``public_overseas_warehouses`` — active overseas-warehouse records (exports) created
  by the end of the year; the second only those flagged public / certified (公共海外仓).
* ``local_brands`` — brands of the registry recognised (registered_on) by the end of the year.

Projection (预测): additive figures — year to date plus the mean of the last 3 complete months for every month
left (run rate); the enterprise count — new entrants this year at the year's monthly mean for the months left;
registries (warehouses, brands) are not projected: the projection is the current count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.stats import calc, errors
from kuajing.stats.choices import Indicator
from kuajing.stats.models import AggEnterprise, Brand, SurveyEstimate

DEFAULT_FILE = Path(__file__).with_name("targets.json")


@dataclass(frozen=True)
class Target:
    """One configured target (目标)."""

    id: str
    year: int
    indicator: str
    minimum: Decimal
    maximum: Decimal | None
    wording: str


@cache
def _load(path: str) -> tuple[str, tuple[Target, ...]]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    targets = tuple(Target(id=t["id"], year=int(t["year"]), indicator=Indicator(t["indicator"]).value,
                           minimum=Decimal(t["min"]), maximum=Decimal(t["max"]) if t.get("max") else None,
                           wording=t["wording"]) for t in raw["targets"])
    return raw.get("plan", ""), targets


def configured(*, var_dir: Path | None = None) -> tuple[str, tuple[Target, ...]]:
    """(plan citation, targets): ``<var_dir>/stats-targets.json`` when present, else the packaged file."""
    if var_dir is not None and (var_dir / "stats-targets.json").is_file():
        return _load(str((var_dir / "stats-targets.json").resolve()))
    return _load(str(DEFAULT_FILE))


def _year_end(year: int, today: date) -> date:
    return min(date(year, 12, 31), today)


def _end_ts(day: date) -> datetime:
    return datetime.combine(day, time.max).replace(tzinfo=UTC)


def monthly_values(session: Session, year: int) -> dict[date, Decimal]:
    """Customs-code-scope value per month of ``year`` and of the three months before it (for the run rate)."""
    m = AggEnterprise
    rows = session.execute(select(m.month, func.sum(m.value_cny)).where(
        m.month >= calc.add_months(date(year, 1, 1), -3), m.month <= date(year, 12, 1)).group_by(m.month)).all()
    return {mo: Decimal(v or 0) for mo, v in rows}


def enterprise_first_months(session: Session, until: date) -> dict[int, date]:
    """Each registry enterprise's first month with net released parcels, up to ``until``'s month."""
    m = AggEnterprise
    net = (select(m.enterprise_id, m.month).where(m.enterprise_id != 0, m.month <= calc.month_start(until))
           .group_by(m.enterprise_id, m.month).having(func.sum(m.parcels) > 0).subquery())
    return dict(session.execute(select(net.c.enterprise_id, func.min(net.c.month)).group_by(net.c.enterprise_id)).all())


def _warehouses(session: Session, year: int, today: date, public: bool):
    from kuajing.exports.models import OverseasWarehouse as W

    q = select(W).where(W.status == "active", W.created_at <= _end_ts(_year_end(year, today)))
    if public:
        q = q.where(W.public_certified.is_(True))
    return q.order_by(W.id)


def _brands(year: int, today: date):
    return select(Brand).where(Brand.registered_on <= _year_end(year, today)).order_by(Brand.id)


def actual(session: Session, target: Target, *, today: date) -> tuple[Decimal, Decimal]:
    """(actual, projected) of ``target`` as of ``today``."""
    year = target.year
    if target.indicator == Indicator.trade_value_cny:
        monthly = monthly_values(session, year)
        value = sum((v for mo, v in monthly.items() if mo.year == year), Decimal(0))
        return value, calc.project_value(monthly, year=year, as_of=today) if today.year == year else value
    if target.indicator == Indicator.enterprises_cumulative:
        firsts = enterprise_first_months(session, _year_end(year, today))
        count = Decimal(len(firsts))
        return count, Decimal(calc.project_count(firsts.values(), year=year, as_of=today))
    if target.indicator in (Indicator.overseas_warehouses, Indicator.public_overseas_warehouses):
        q = _warehouses(session, year, today, target.indicator == Indicator.public_overseas_warehouses)
        n = Decimal(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
        return n, n
    if target.indicator == Indicator.local_brands:
        n = Decimal(session.scalar(select(func.count()).select_from(_brands(year, today).subquery())) or 0)
        return n, n
    raise errors.bad_filter(target.indicator, "indicator")


def survey_total(session: Session, year: int) -> Decimal:
    """Survey-estimated sales of ``year`` (调查口径, shown beside the customs scope, never added to it)."""
    return Decimal(session.scalar(select(func.sum(SurveyEstimate.value_cny)).where(
        SurveyEstimate.month >= date(year, 1, 1), SurveyEstimate.month <= date(year, 12, 1))) or 0)


def progress(*, session: Session, today: date, var_dir: Path | None = None, year: int | None = None) -> dict:
    """Every configured target (or those of ``year``) with actual, projection, share and status."""
    plan, targets = configured(var_dir=var_dir)
    out = []
    for t in targets:
        if year is not None and t.year != year:
            continue
        value, projected = actual(session, t, today=today)
        status = calc.target_status(actual=value, projected=projected, minimum=t.minimum, maximum=t.maximum)
        share = (value * 100 / t.minimum).quantize(Decimal("0.1")) if t.minimum else None
        row = {"id": t.id, "year": t.year, "indicator": t.indicator, "min": t.minimum, "max": t.maximum,
               "wording": t.wording, "actual": value, "projected": projected, "share_pct": share, "status": status,
               "records": f"/stats/records?indicator={t.indicator}&year={t.year}",
               "records_api": f"/api/v1/stats/records?indicator={t.indicator}&year={t.year}"}
        if t.indicator == Indicator.trade_value_cny:
            row["survey_estimates_cny"] = survey_total(session, t.year)
        out.append(row)
    return {"plan": plan, "as_of": today.isoformat(), "targets": out}


def records(*, session: Session, indicator: str, year: int, today: date, limit: int = 200, offset: int = 0) -> dict:
    """The records behind a target's number (数据溯源): enterprises, lists, warehouses or brands."""
    from kuajing.enterprises.models import Enterprise

    try:
        ind = Indicator(indicator)
    except ValueError:
        raise errors.bad_filter(indicator, "indicator") from None
    if not 2000 <= year <= 2100:
        raise errors.bad_filter(year, "year")
    items: list[dict] = []
    total = 0
    if ind == Indicator.enterprises_cumulative:
        firsts = enterprise_first_months(session, _year_end(year, today))
        total = len(firsts)
        ids = sorted(firsts, key=lambda i: (firsts[i], i))[offset:offset + limit]
        ents = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
        items = [{"enterprise_id": i, "name": ents[i].name_zh if i in ents else "", "uscc": ents[i].uscc if i in ents
                  else "", "district": ents[i].district if i in ents else None, "first_month": firsts[i].strftime("%Y-%m"),
                  "href": f"/enterprises/{i}"} for i in ids]
    elif ind == Indicator.trade_value_cny:
        items, total = _lists(session, year, limit, offset)
    elif ind in (Indicator.overseas_warehouses, Indicator.public_overseas_warehouses):
        q = _warehouses(session, year, today, ind == Indicator.public_overseas_warehouses)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        items = [{"warehouse_id": w.id, "name": w.name, "country": w.country, "area_m2": w.area_m2,
                  "enterprise_id": w.enterprise_id, "public_certified": w.public_certified,
                  "created_at": w.created_at.isoformat()} for w in session.scalars(q.limit(limit).offset(offset))]
    else:
        q = _brands(year, today)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        items = [{"brand_id": b.id, "name": b.name, "owner_enterprise_id": b.owner_enterprise_id,
                  "markets": b.markets, "evidence": b.evidence, "registered_on": b.registered_on.isoformat()}
                 for b in session.scalars(q.limit(limit).offset(offset))]
    return {"indicator": ind.value, "year": year, "total": total, "items": items}


def _lists(session: Session, year: int, limit: int, offset: int) -> tuple[list[dict], int]:
    """The released lists of ``year`` (import and export, newest first) behind the trade value."""
    from sqlalchemy import literal, union_all

    from kuajing.exports.models import ExportInventory as E
    from kuajing.imports.models import Inventory as I
    from kuajing.stats.service import EXPORT_REVERSED, IMPORT_REVERSED, TZ

    start = datetime(year, 1, 1, tzinfo=TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=TZ).astimezone(UTC)
    imp = select(literal("import").label("direction"), I.id, I.invt_no, I.pre_no, I.trade_mode, I.ebc_code,
                 I.order_no, I.ebp_code, I.released_at).where(I.released_at >= start, I.released_at < end, I.status.not_in(IMPORT_REVERSED))
    exp = select(literal("export").label("direction"), E.id, E.invt_no, E.pre_no, E.trade_mode, E.ebc_code,
                 E.order_no, E.ebp_code, E.released_at).where(E.released_at >= start, E.released_at < end, E.status.not_in(EXPORT_REVERSED))
    both = union_all(imp, exp).subquery()
    total = session.scalar(select(func.count()).select_from(both)) or 0
    rows = session.execute(select(both).order_by(both.c.released_at.desc(), both.c.id.desc())
                           .limit(limit).offset(offset)).all()
    values = _list_values(session, [(r.direction, r.id) for r in rows])
    items = [{"direction": r.direction, "inventory_id": r.id, "invt_no": r.invt_no, "pre_no": r.pre_no,
              "mode": r.trade_mode, "ebc_code": r.ebc_code, "released_at": r.released_at.isoformat() if r.released_at
              else None, "order_no": r.order_no, "value_cny": values.get((r.direction, r.id)),
              "href": f"/{'imports' if r.direction == 'import' else 'exports'}/parcels/{r.order_no}?ebp={r.ebp_code}"}
             for r in rows]
    return items, total


def _list_values(session: Session, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str | None]:
    """Each list's value in CNY as the statistics count it (kuajing.stats.service: the same lines, the same
    rates, the same rounding), so the records of a target add up to its number; ``None`` while a rate is missing."""
    from sqlalchemy.orm import selectinload

    from kuajing.exports.models import ExportInventory
    from kuajing.imports.models import Inventory
    from kuajing.stats.service import _export_lines, _import_lines, _Rates, release_month

    rates = _Rates(session)
    out: dict[tuple[str, int], str | None] = {}
    for direction, model, lines_of in (("import", Inventory, _import_lines), ("export", ExportInventory, _export_lines)):
        ids = [i for d, i in keys if d == direction]
        if not ids:
            continue
        for inv in session.scalars(select(model).where(model.id.in_(ids)).options(selectinload(model.items))):
            lines = lines_of(inv, release_month(inv.released_at), rates)
            value = None if any(line.value_cny is None for line in lines) else sum(
                (line.value_cny for line in lines), Decimal(0))
            out[(direction, inv.id)] = None if value is None else format(value.quantize(Decimal("0.01")), "f")
    return out
