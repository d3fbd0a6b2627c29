"""Statistics service (统计监测): facts from released lists, the fold job, the backfill and the dashboard queries.

Flow: the event subscribers (``subscribers.py``) call :func:`record_release` / :func:`record_reversal` inside the
pipeline's transaction — they only INSERT fact rows (no shared row is updated, so releases never queue behind
each other). :func:`fold` (pipeline tick, ``kuajing stats refresh``) claims a batch of facts, adds it into the
three aggregate tables with additive upserts and deletes it, in one transaction; on PostgreSQL the claim is
``FOR UPDATE SKIP LOCKED`` so several folders run side by side. :func:`rebuild` (``kuajing stats backfill``)
recomputes everything from the released lists (idempotent).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from kuajing.enterprises.models import Enterprise
from kuajing.errors import AppError
from kuajing.stats import calc, errors
from kuajing.stats.choices import DIRECTIONS, MODES
from kuajing.stats.models import (
    UNKNOWN,
    AggCountry,
    AggCountryZone,
    AggEnterprise,
    AggProduct,
    AggProductZone,
    StatsFact,
    StatsListPlace,
)

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
CNY = "142"
#: the years a month filter may name, as every year parameter of the platform (a 36-month window ending in
#: 0001-01, or the month after 9999-12, is no date)
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: list states whose release was undone (reversed in the statistics)
IMPORT_REVERSED = ("cancelled", "returned")
EXPORT_REVERSED = ("cancelled",)


# --- facts (subscribers) ----------------------------------------------------------------------------------


def release_month(released_at: datetime | None) -> date:
    """The Asia/Shanghai month (first day) of a release timestamp."""
    when = released_at or datetime.now(TZ)
    return calc.month_start(when.astimezone(TZ).date())


@dataclass
class _Rates:
    """Customs monthly rates looked up once per (currency, month) within one call."""

    session: Session
    cache: dict[tuple[str, date], Decimal | None] = field(default_factory=dict)

    def cny(self, amount: Decimal, currency: str, month: date) -> Decimal | None:
        code = currency or CNY
        if code == CNY:
            return Decimal(amount)
        key = (code, month)
        if key not in self.cache:
            from kuajing.data import service as data

            try:
                self.cache[key] = data.exchange_rate(session=self.session, currency=code, on=month).rate
            except AppError:
                self.cache[key] = None  # no rate yet: the fact waits in the queue (see fold)
        rate = self.cache[key]
        return None if rate is None else (Decimal(amount) * rate).quantize(calc.FEN, rounding="ROUND_HALF_UP")


def _import_lines(inv, month: date, rates: _Rates) -> list[calc.Line]:
    """Import value = the list's taxable price (完税价格: goods + freight + insurance, CIF; R10.5) in CNY, split
    over the lines by their goods price; without a taxable price, the goods price (CNY, CEB621 currency 142)."""
    items = sorted(inv.items, key=lambda i: i.gnum)
    if not items:
        return []
    prices = [Decimal(i.total_price) for i in items]
    values = calc.split_value(Decimal(inv.taxable_price), prices) if inv.taxable_price is not None else prices
    return [calc.Line(gnum=i.gnum, hs_code=i.gcode, country=i.country or UNKNOWN, currency=CNY, amount=v, value_cny=v)
            for i, v in zip(items, values, strict=True)]


def _export_lines(inv, month: date, rates: _Rates) -> list[calc.Line]:
    """Export value = the lines' goods price (FOB, R10.5) converted at the customs monthly rate of the
    release month (海关月度汇率, kuajing.data)."""
    out = []
    for i in sorted(inv.items, key=lambda i: i.gnum):
        cur = i.currency or CNY
        out.append(calc.Line(gnum=i.gnum, hs_code=i.gcode, country=i.country or inv.country or UNKNOWN, currency=cur,
                             amount=Decimal(i.total_price), value_cny=rates.cny(Decimal(i.total_price), cur, month)))
    return out


def _enterprise(session: Session, code: str | None, cache: dict | None = None) -> tuple[int, str, str]:
    """(id, district, park) of the e-commerce enterprise (电商企业) by its customs code or USCC; (0, '', '')."""
    if cache is not None and code in cache:
        return cache[code]
    row = None
    if code:
        row = session.execute(select(Enterprise.id, Enterprise.district, Enterprise.park).where(
            or_(Enterprise.customs_code == code, Enterprise.uscc == code)).limit(1)).first()
    found = (row[0], row[1] or UNKNOWN, row[2] or UNKNOWN) if row else (0, UNKNOWN, UNKNOWN)
    if cache is not None:
        cache[code] = found
    return found


def facts_for(session: Session, *, direction: str, inv, sign: int, event: str, rates: _Rates | None = None,
              enterprises: dict | None = None, place: tuple[int, str, str] | None = None) -> list[dict]:
    """The fact rows (as dicts) of one list: its release (``sign`` 1) or the reversal of it (−1). ``place`` is
    where the list was counted at its release (enterprise id, district, park: ``stats_list_places``); without
    it, the enterprise's current place (a new release), or for a reversal the place its facts show."""
    rates = rates or _Rates(session)
    month = release_month(inv.released_at)
    lines = (_import_lines if direction == "import" else _export_lines)(inv, month, rates)
    if place is not None:
        ent_id, district, park = place
    else:
        ent_id, district, park = _enterprise(session, inv.ebc_code, enterprises)
        if sign < 0:
            district, park = _released_in(session, direction=direction, inv=inv, month=month, enterprise_id=ent_id,
                                          current=(district, park))
    return [{"direction": direction, "inventory_id": inv.id, "event": event, "month": month, "mode": inv.trade_mode,
             "country": r.country, "hs_heading": r.hs_heading, "enterprise_id": ent_id, "district": district,
             "park": park, "currency": r.currency, "amount": r.amount, "value_cny": r.value_cny,
             "parcels": r.parcels, "lines": r.lines} for r in calc.fact_rows(lines, sign=sign)]


def _released_in(session: Session, *, direction: str, inv, month: date, enterprise_id: int,
                 current: tuple[str, str]) -> tuple[str, str]:
    """The district and park (旗县区, 园区) a list's release was counted in, for its reversal: the enterprise
    may have moved since (a filing change), and the reversal must take the list out where it was put in, or the
    old district keeps it and the new one goes negative. The list's own release facts when still queued; else
    the enterprise's current place if the aggregates hold released parcels of it there for that month and mode;
    else the place where they hold the most value of it for that month and mode."""
    queued = session.execute(select(StatsFact.district, StatsFact.park).where(
        StatsFact.direction == direction, StatsFact.inventory_id == inv.id, StatsFact.parcels > 0).limit(1)).first()
    if queued is not None:
        return queued[0], queued[1]
    if not enterprise_id:
        return current
    m = AggEnterprise
    places = [(d, p) for d, p in session.execute(
        select(m.district, m.park).where(m.month == month, m.direction == direction, m.mode == inv.trade_mode,
                                         m.enterprise_id == enterprise_id, m.parcels > 0)
        .order_by(m.value_cny.desc(), m.district, m.park)).all()]
    if not places or current in places:
        return current
    return places[0]


_KNOWN_ENTERPRISES = "kuajing.stats.enterprises"


def _known_enterprises(session: Session) -> dict:
    """The enterprises already looked up in this transaction (a batch of released lists names a few, over and
    over): customs code → (id, district, park). Only found ones are kept; a new transaction starts afresh."""
    root = session.get_transaction()
    if root is None:
        return _FoundOnly()
    held = session.info.get(_KNOWN_ENTERPRISES)
    if held is None or held[0] is not root:
        held = (root, _FoundOnly())
        session.info[_KNOWN_ENTERPRISES] = held
    return held[1]


class _FoundOnly(dict):
    """A lookup cache that forgets misses (an enterprise registered later in the transaction is then found)."""

    def __setitem__(self, key, value) -> None:
        if value[0]:
            super().__setitem__(key, value)


def record_release(*, session: Session, direction: str, inventory) -> int:
    """Append the facts of a released list (called by the subscribers, inside the pipeline's transaction)."""
    return record_releases(session=session, direction=direction, inventories=[inventory])


def _places(session: Session, direction: str, ids: list[int]) -> dict[int, tuple[int, str, str]]:
    """Where each of the lists ``ids`` was counted at its release (those that have a place)."""
    out: dict[int, tuple[int, str, str]] = {}
    for start in range(0, len(ids), 500):
        for row in session.execute(select(StatsListPlace.inventory_id, StatsListPlace.enterprise_id,
                                          StatsListPlace.district, StatsListPlace.park)
                                   .where(StatsListPlace.direction == direction,
                                          StatsListPlace.inventory_id.in_(ids[start:start + 500]))):
            out[row[0]] = (row[1], row[2], row[3])
    return out


def _facts_placed(session: Session, *, direction: str, inventories: list, event: str, rates: _Rates,
                  enterprises: dict) -> list[dict]:
    """The release facts of ``inventories``, each where it was counted at release (its place), or where its
    enterprise is now for a list without a place yet, whose place is then written (one executemany)."""
    known = _places(session, direction, [inv.id for inv in inventories])
    rows: list[dict] = []
    new: list[dict] = []
    for inv in inventories:
        facts = facts_for(session, direction=direction, inv=inv, sign=1, event=event, rates=rates,
                          enterprises=enterprises, place=known.get(inv.id))
        if facts and inv.id not in known:
            first = facts[0]
            new.append({"direction": direction, "inventory_id": inv.id, "enterprise_id": first["enterprise_id"],
                        "district": first["district"], "park": first["park"]})
            known[inv.id] = (first["enterprise_id"], first["district"], first["park"])
        rows.extend(facts)
    if new:
        dialect = session.get_bind().dialect.name
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(StatsListPlace.__table__)
        session.execute(statement.on_conflict_do_nothing(index_elements=["direction", "inventory_id"]), new)
    return rows


def record_releases(*, session: Session, direction: str, inventories: list) -> int:
    """Append the facts of released lists in one executemany INSERT (a batch of releases), and where each was
    counted (``stats_list_places``)."""
    rows = _facts_placed(session, direction=direction, inventories=inventories, event="release",
                         rates=_Rates(session), enterprises=_known_enterprises(session))
    if rows:
        session.execute(StatsFact.__table__.insert(), rows)
    return len(rows)


def record_reversal(*, session: Session, direction: str, inventory, event: str) -> int:
    """Append the negated facts of a released list that was cancelled or returned (same month as its release),
    in the place it was counted at release."""
    place = _places(session, direction, [inventory.id]).get(inventory.id)
    rows = facts_for(session, direction=direction, inv=inventory, sign=-1, event=event,
                     enterprises=_known_enterprises(session), place=place)
    if rows:
        session.execute(StatsFact.__table__.insert(), rows)
    return len(rows)


# --- fold (job) -------------------------------------------------------------------------------------------

_DIMS = {
    AggEnterprise: ("month", "direction", "mode", "district", "park", "enterprise_id"),
    AggCountry: ("month", "direction", "mode", "district", "country"),
    AggProduct: ("month", "direction", "mode", "district", "hs_heading"),
    AggCountryZone: ("month", "direction", "mode", "country"),
    AggProductZone: ("month", "direction", "mode", "hs_heading"),
}
_MEASURES = ("value_cny", "parcels", "lines")


def _fold_sql_postgresql(limit: int) -> str:
    parts = []
    for i, (model, dims) in enumerate(_DIMS.items()):
        cols = ", ".join(dims)
        sets = ", ".join(f"{m} = t.{m} + excluded.{m}" for m in _MEASURES)
        parts.append(
            f"a{i} AS (INSERT INTO {model.__tablename__} AS t ({cols}, value_cny, parcels, lines) "
            f"SELECT {cols}, sum(value_cny), sum(parcels), sum(lines) FROM claimed GROUP BY {cols} ORDER BY {cols} "
            f"ON CONFLICT ({cols}) DO UPDATE SET {sets} RETURNING 1)")
    return (
        "WITH claimed AS (DELETE FROM stats_facts WHERE id IN (SELECT id FROM stats_facts "
        f"WHERE value_cny IS NOT NULL ORDER BY id LIMIT {int(limit)} FOR UPDATE SKIP LOCKED) "
        "RETURNING month, direction, mode, district, park, enterprise_id, country, hs_heading, value_cny, parcels, "
        f"lines), {', '.join(parts)} "
        "SELECT (SELECT count(*) FROM claimed), "
        + " + ".join(f"(SELECT count(*) FROM a{i})" for i in range(len(_DIMS))))


def _convert_waiting(session: Session, limit: int) -> None:
    """Give a CNY value to facts that waited for their month's exchange rate, where the rate now exists."""
    waiting = session.scalars(select(StatsFact).where(StatsFact.value_cny.is_(None)).order_by(StatsFact.id)
                              .limit(limit).with_for_update(skip_locked=True)).all()
    rates = _Rates(session)
    for fact in waiting:
        fact.value_cny = rates.cny(Decimal(fact.amount), fact.currency, fact.month)
    session.flush()


def fold(*, session: Session, limit: int = 20000) -> int:
    """Fold up to ``limit`` facts into the aggregates and delete them; returns how many facts were folded.
    Safe beside concurrent writers (they only insert) and other folders (claimed rows are skipped)."""
    if session.scalar(select(StatsFact.id).limit(1)) is None:
        return 0  # idle: no write, no lock (the tick calls this every round)
    _convert_waiting(session, limit)
    if session.get_bind().dialect.name == "postgresql":
        claimed, _upserts = session.execute(text(_fold_sql_postgresql(limit))).one()
        return int(claimed)
    # SQLite: claim by DELETE … RETURNING — the write lock comes first, so two folders never read the same rows
    claim = (select(StatsFact.id).where(StatsFact.value_cny.is_not(None)).order_by(StatsFact.id).limit(limit)
             .scalar_subquery())
    cols = [getattr(StatsFact, c) for c in ("month", "direction", "mode", "district", "park", "enterprise_id",
                                            "country", "hs_heading", "value_cny", "parcels", "lines")]
    facts = session.execute(delete(StatsFact).where(StatsFact.id.in_(claim)).returning(*cols)).all()
    if not facts:
        return 0
    for model, dims in _DIMS.items():
        sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0])
        for f in facts:
            acc = sums[tuple(getattr(f, d) for d in dims)]
            acc[0] += Decimal(f.value_cny)
            acc[1] += f.parcels
            acc[2] += f.lines
        _upsert(session, model, dims, sums)
    session.flush()
    return len(facts)


def _upsert(session: Session, model, dims: tuple[str, ...], sums: dict[tuple, list]) -> None:
    from sqlalchemy.dialects.sqlite import insert

    table = model.__table__
    for key in sorted(sums):
        value, parcels, lines = sums[key]
        stmt = insert(table).values(**dict(zip(dims, key, strict=True)), value_cny=value, parcels=parcels, lines=lines)
        stmt = stmt.on_conflict_do_update(index_elements=list(dims), set_={
            "value_cny": table.c.value_cny + stmt.excluded.value_cny, "parcels": table.c.parcels + stmt.excluded.parcels,
            "lines": table.c.lines + stmt.excluded.lines})
        session.execute(stmt)


def fold_all(*, session_factory, limit: int = 20000, progress=None) -> int:
    """Fold every waiting fact, one transaction per batch; returns the number folded."""
    from kuajing.db.session import transaction

    total = 0
    while True:
        with transaction(session_factory) as session:
            n = fold(session=session, limit=limit)
        total += n
        if progress is not None:
            progress(n)
        if n < limit:
            return total


def pending(*, session: Session) -> dict[str, int]:
    """Facts waiting to be folded, and those waiting for an exchange rate."""
    total = session.scalar(select(func.count()).select_from(StatsFact)) or 0
    no_rate = session.scalar(select(func.count()).select_from(StatsFact).where(StatsFact.value_cny.is_(None))) or 0
    return {"facts": total, "waiting_for_rate": no_rate}


# --- backfill ---------------------------------------------------------------------------------------------


def released_lists(session: Session, direction: str):
    """The query of the lists that count (released, not cancelled or returned), with their lines."""
    if direction == "import":
        from kuajing.imports.models import Inventory as Model

        reversed_ = IMPORT_REVERSED
    else:
        from kuajing.exports.models import ExportInventory as Model

        reversed_ = EXPORT_REVERSED
    return (select(Model).where(Model.released_at.is_not(None), Model.status.not_in(reversed_))
            .options(selectinload(Model.items)).order_by(Model.id))


def rebuild(*, session: Session, progress=None, batch: int = 2000) -> dict[str, int]:
    """Backfill (重建): empty the facts and aggregates and recompute them from the released lists. Idempotent.
    On PostgreSQL the fact queue is locked first, so releases committing meanwhile are counted exactly once."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE stats_facts IN SHARE ROW EXCLUSIVE MODE"))
    for model in (StatsFact, *_DIMS):
        session.execute(delete(model))
    counts = {"import": 0, "export": 0, "facts": 0}
    rates, enterprises = _Rates(session), {}
    for direction in DIRECTIONS:
        # each list where it was counted at release (its place); a list released before places were kept is
        # placed now, with its enterprise's current district and park
        chunk: list = []

        def flush(chunk: list, direction: str = direction) -> None:
            rows = _facts_placed(session, direction=direction, inventories=chunk, event="backfill", rates=rates,
                                 enterprises=enterprises)
            if rows:
                session.execute(StatsFact.__table__.insert(), rows)
            counts["facts"] += len(rows)
            counts[direction] += len(chunk)
            if progress:
                progress(direction, counts[direction])

        for inv in session.scalars(released_lists(session, direction).execution_options(yield_per=batch)):
            chunk.append(inv)
            if len(chunk) >= batch:
                flush(chunk)
                chunk = []
        if chunk:
            flush(chunk)
        if progress:
            progress(direction, counts[direction])
    while fold(session=session, limit=50000):
        pass
    return counts


# --- queries (dashboard) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Dashboard filters (筛选): a window of months ending with ``end`` and at most one value per dimension."""

    end: date
    months: int = 12
    direction: str | None = None
    mode: str | None = None
    district: str | None = None

    @property
    def start(self) -> date:
        return calc.window(self.end, self.months)[0]

    @property
    def last(self) -> date:
        return calc.month_start(self.end)


def parse_month(value: str | None, *, path: str = "month", default: date | None = None) -> date:
    """A YYYY-MM string as the month's first day (422 stats_bad_month otherwise)."""
    if not value:
        if default is None:
            raise errors.bad_month(value, path)
        return calc.month_start(default)
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        first = date(int(year), int(month), 1)
    except ValueError:
        raise errors.bad_month(value, path) from None
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        raise errors.month_out_of_range(value, path, FIRST_YEAR, LAST_YEAR)
    return first


def make_filters(*, end: str | None, months: int = 12, direction: str | None = None, mode: str | None = None,
                 district: str | None = None, today: date) -> Filters:
    """Validated filters (422 with the field path on a bad value)."""
    if not 1 <= months <= 36:
        raise errors.bad_window(months)
    if direction and direction not in DIRECTIONS:
        raise errors.bad_filter(direction, "direction")
    if mode and mode not in MODES:
        raise errors.bad_filter(mode, "mode")
    if district is not None and len(district) > 12:
        raise errors.bad_filter(district, "district")
    return Filters(end=parse_month(end, path="end", default=today), months=months, direction=direction or None,
                   mode=mode or None, district=district or None)


def _where(model, f: Filters, *, window: bool = True):
    cond = []
    if window:
        cond += [model.month >= f.start, model.month <= f.last]
    if f.direction:
        cond.append(model.direction == f.direction)
    if f.mode:
        cond.append(model.mode == f.mode)
    if f.district:  # the zone-wide rollups have no district: callers pick the full table then
        cond.append(model.district == f.district)
    return and_(*cond)


def _d(value) -> Decimal:
    return Decimal(value or 0)


def trend(*, session: Session, filters: Filters) -> list[dict]:
    """Monthly trend (月度趋势): value, parcels and active enterprises per month and direction."""
    m = AggEnterprise
    rows = session.execute(select(m.month, m.direction, func.sum(m.value_cny), func.sum(m.parcels))
                           .where(_where(m, filters)).group_by(m.month, m.direction)).all()
    active = session.execute(
        select(m.month, func.count(func.distinct(m.enterprise_id))).where(_where(m, filters), m.enterprise_id != 0,
                                                                          m.parcels > 0).group_by(m.month)).all()
    by_month = {mo: {"month": mo.strftime("%Y-%m"), "import_cny": Decimal(0), "export_cny": Decimal(0),
                     "import_parcels": 0, "export_parcels": 0, "enterprises": 0}
                for mo in calc.months_between(filters.start, filters.last)}
    for mo, direction, value, parcels in rows:
        by_month[mo][f"{direction}_cny"] = _d(value)
        by_month[mo][f"{direction}_parcels"] = int(parcels or 0)
    for mo, n in active:
        by_month[mo]["enterprises"] = int(n)
    return list(by_month.values())


def mode_mix(*, session: Session, filters: Filters) -> list[dict]:
    """Mode mix (监管方式结构): value and parcels per customs mode over the window."""
    m = AggEnterprise
    rows = dict((mode, (v, p)) for mode, v, p in session.execute(
        select(m.mode, func.sum(m.value_cny), func.sum(m.parcels)).where(_where(m, filters)).group_by(m.mode)).all())
    return [{"mode": mode, "value_cny": _d(rows.get(mode, (0, 0))[0]), "parcels": int(rows.get(mode, (0, 0))[1] or 0)}
            for mode in MODES]


def top_countries(*, session: Session, filters: Filters, n: int = 10) -> list[dict]:
    """Top-``n`` countries (国别) by value over the window."""
    m = AggCountry if filters.district else AggCountryZone
    total = func.sum(m.value_cny)
    rows = session.execute(select(m.country, total, func.sum(m.parcels)).where(_where(m, filters))
                           .group_by(m.country).order_by(total.desc(), m.country).limit(n)).all()
    return [{"country": c, "value_cny": _d(v), "parcels": int(p or 0)} for c, v, p in rows]


def top_products(*, session: Session, filters: Filters, n: int = 10) -> list[dict]:
    """Top-``n`` HS headings (商品品目) by value over the window, with their chapter (章)."""
    m = AggProduct if filters.district else AggProductZone
    total = func.sum(m.value_cny)
    rows = session.execute(select(m.hs_heading, total, func.sum(m.lines)).where(_where(m, filters))
                           .group_by(m.hs_heading).order_by(total.desc(), m.hs_heading).limit(n)).all()
    return [{"hs_heading": h, "hs_chapter": h[:2], "value_cny": _d(v), "lines": int(ln or 0)} for h, v, ln in rows]


def district_ranking(*, session: Session, filters: Filters) -> list[dict]:
    """District ranking (旗县区排名) by value over the window, with parcels and active enterprises."""
    m = AggEnterprise
    total = func.sum(m.value_cny)
    rows = session.execute(select(m.district, total, func.sum(m.parcels)).where(_where(m, filters))
                           .group_by(m.district).order_by(total.desc(), m.district)).all()
    active = dict(session.execute(select(m.district, func.count(func.distinct(m.enterprise_id)))
                                  .where(_where(m, filters), m.enterprise_id != 0, m.parcels > 0)
                                  .group_by(m.district)).all())
    return [{"rank": i + 1, "district": d, "value_cny": _d(v), "parcels": int(p or 0),
             "enterprises": int(active.get(d, 0))} for i, (d, v, p) in enumerate(rows)]


def totals(*, session: Session, filters: Filters) -> dict:
    """Totals of the window by direction (value, parcels) and active enterprises."""
    m = AggEnterprise
    out = {"import_cny": Decimal(0), "export_cny": Decimal(0), "import_parcels": 0, "export_parcels": 0}
    for direction, v, p in session.execute(select(m.direction, func.sum(m.value_cny), func.sum(m.parcels))
                                           .where(_where(m, filters)).group_by(m.direction)).all():
        out[f"{direction}_cny"], out[f"{direction}_parcels"] = _d(v), int(p or 0)
    out["total_cny"] = out["import_cny"] + out["export_cny"]
    out["enterprises"] = int(session.scalar(
        select(func.count(func.distinct(m.enterprise_id))).where(_where(m, filters), m.enterprise_id != 0,
                                                                 m.parcels > 0)) or 0)
    return out


def by_park(*, session: Session, filters: Filters) -> list[dict]:
    """Value, parcels and active enterprises per park (园区) over the window."""
    m = AggEnterprise
    total = func.sum(m.value_cny)
    rows = session.execute(select(m.park, total, func.sum(m.parcels), func.count(func.distinct(m.enterprise_id)))
                           .where(_where(m, filters)).group_by(m.park).order_by(total.desc())).all()
    return [{"park": k, "value_cny": _d(v), "parcels": int(p or 0), "enterprises": int(e)} for k, v, p, e in rows]


AGGREGATE_TABLES = tuple(model.__tablename__ for model in _DIMS)


def compact(*, engine) -> dict[str, int]:
    """Maintenance (``kuajing stats compact``): rewrite the aggregate tables without their dead row versions
    (PostgreSQL ``VACUUM (FULL, ANALYZE)``; a brief exclusive lock per table — run it at a quiet hour).
    Returns the pages of each table afterwards (PostgreSQL) or {} (SQLite: ``VACUUM`` of the file)."""
    pages: dict[str, int] = {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name != "postgresql":
            conn.execute(text("VACUUM"))
            return pages
        conn.execute(text("SET lock_timeout = '60s'"))  # behind a long reader: fail, do not queue everyone behind it
        for table in AGGREGATE_TABLES:
            conn.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
            pages[table] = conn.execute(text("SELECT relpages FROM pg_class WHERE relname = :t"), {"t": table}).scalar_one()
    return pages
