"""Issue 7 check: each aggregate equals a plain SQL recomputation over the raw released lists (generated data);
reversals land in the release month; the backfill rebuilds the same figures and is idempotent; a foreign
currency is converted at the customs monthly rate; a fact without a rate waits in the queue."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kuajing import events
from kuajing.exports.models import ExportInventory, ExportInventoryItem
from kuajing.imports.models import Inventory, InventoryItem
from kuajing.stats import service
from kuajing.stats.models import (
    AggCountry,
    AggCountryZone,
    AggEnterprise,
    AggProduct,
    AggProductZone,
    StatsFact,
)
from tests.stats.helpers import at, export_list, import_list

TZ = ZoneInfo("Asia/Shanghai")
HS = ["6110200000", "6110110000", "0402210000", "3304990000", "8471300000", "2106909090"]
COUNTRIES = ["304", "344", "601", "502", "116"]


def generate(db, zone, seed: int = 7, n: int = 80):
    """``n`` released lists over 14 months, both directions, all four modes, four enterprises, CNY only;
    then a few cancellations and returns."""
    rng = random.Random(seed)
    ents = list(zone.values())
    made = []
    for _ in range(n):
        ent = rng.choice(ents)
        when = at(2025, 9, 1) + timedelta(days=rng.randrange(0, 420), hours=rng.randrange(0, 24))
        if rng.random() < 0.55:
            mode = rng.choice(["1210", "9610"])
            if rng.random() < 0.5:  # single line with a taxable price (CIF) different from the goods price
                price = D(rng.randrange(1000, 500000)) / 100
                inv = import_list(db, ent=ent, mode=mode, released_at=when, taxable_price=price + D("12.34"),
                                  items=[(rng.choice(HS), rng.choice(COUNTRIES), price)])
            else:
                inv = import_list(db, ent=ent, mode=mode, released_at=when, items=[
                    (rng.choice(HS), rng.choice(COUNTRIES), D(rng.randrange(100, 90000)) / 100)
                    for _ in range(rng.randrange(1, 4))])
            made.append(("import", inv))
        else:
            mode = rng.choice(["9610", "9710", "9810"])
            inv = export_list(db, ent=ent, mode=mode, released_at=when, items=[
                (rng.choice(HS), rng.choice(COUNTRIES), D(rng.randrange(100, 900000)) / 100, "142")
                for _ in range(rng.randrange(1, 4))])
            made.append(("export", inv))
    db.flush()
    for direction, inv in rng.sample(made, 8):  # cancellations / returns after release
        if direction == "export":
            inv.status = "cancelled"
            events.publish(session=db, name="export.inventory.cancelled", inventory=inv, was_released=True)
        elif rng.random() < 0.5:
            inv.status = "cancelled"
            events.publish(session=db, name="import.inventory.cancelled", inventory=inv, was_released=True)
        else:
            inv.status = "returned"
            events.publish(session=db, name="import.inventory.returned", inventory=inv)
    db.commit()
    return made


def month_of(ts) -> str:
    return ts.astimezone(TZ).strftime("%Y-%m")


def recompute(db) -> dict:
    """Plain SQL over the raw lists (value = taxable price for single-line imports that have one, else the lines'
    goods price; CNY only in this data set) → sums by (month, direction, mode, district) and by country / heading."""
    from kuajing.enterprises.models import Enterprise

    ent = {code: (d or "") for code, d in db.execute(select(Enterprise.customs_code, Enterprise.district))}
    base: dict = defaultdict(lambda: [D(0), 0])
    country: dict = defaultdict(lambda: D(0))
    product: dict = defaultdict(lambda: D(0))
    rows = db.execute(select(Inventory.id, Inventory.released_at, Inventory.trade_mode, Inventory.ebc_code,
                             InventoryItem.gnum, InventoryItem.country, func.substr(InventoryItem.gcode, 1, 4),
                             InventoryItem.total_price, Inventory.taxable_price)
                      .join(InventoryItem, InventoryItem.inventory_id == Inventory.id)
                      .where(Inventory.released_at.is_not(None), Inventory.status.not_in(["cancelled", "returned"])))
    exp = db.execute(select(ExportInventory.id, ExportInventory.released_at, ExportInventory.trade_mode,
                            ExportInventory.ebc_code, ExportInventoryItem.gnum, ExportInventoryItem.country,
                            func.substr(ExportInventoryItem.gcode, 1, 4), ExportInventoryItem.total_price,
                            ExportInventoryItem.total_price)
                     .join(ExportInventoryItem, ExportInventoryItem.inventory_id == ExportInventory.id)
                     .where(ExportInventory.released_at.is_not(None), ExportInventory.status != "cancelled"))
    for direction, result in (("import", rows), ("export", exp)):
        for _id, released, mode, ebc, gnum, ctry, head, goods, taxable in result:
            value = goods if direction == "export" or taxable is None else taxable  # single-line lists
            m, d = month_of(released), ent.get(ebc, "")
            base[(m, direction, mode, d)][0] += D(value)
            base[(m, direction, mode, d)][1] += 1 if gnum == 1 else 0
            country[(m, direction, ctry)] += D(value)
            product[(m, direction, head)] += D(value)
    return {"base": {k: tuple(v) for k, v in base.items()}, "country": dict(country), "product": dict(product)}


def aggregates(db) -> dict:
    base: dict = defaultdict(lambda: [D(0), 0])
    for mo, direction, mode, district, value, parcels in db.execute(
            select(AggEnterprise.month, AggEnterprise.direction, AggEnterprise.mode, AggEnterprise.district,
                   AggEnterprise.value_cny, AggEnterprise.parcels)):
        base[(mo.strftime("%Y-%m"), direction, mode, district)][0] += D(value)
        base[(mo.strftime("%Y-%m"), direction, mode, district)][1] += parcels
    country: dict = defaultdict(lambda: D(0))
    for mo, direction, c, value in db.execute(select(AggCountry.month, AggCountry.direction, AggCountry.country,
                                                     AggCountry.value_cny)):
        country[(mo.strftime("%Y-%m"), direction, c)] += D(value)
    product: dict = defaultdict(lambda: D(0))
    for mo, direction, h, value in db.execute(select(AggProduct.month, AggProduct.direction, AggProduct.hs_heading,
                                                     AggProduct.value_cny)):
        product[(mo.strftime("%Y-%m"), direction, h)] += D(value)
    strip = lambda d: {k: v for k, v in d.items() if v not in (D(0), (D(0), 0))}  # noqa: E731 — reversed to zero
    return {"base": strip({k: tuple(v) for k, v in base.items()}), "country": strip(dict(country)),
            "product": strip(dict(product))}


def test_incremental_aggregates_equal_a_plain_recomputation(db, zone, session_factory):
    generate(db, zone)
    assert db.scalar(select(func.count()).select_from(StatsFact)) > 80  # the subscribers appended facts
    assert service.fold_all(session_factory=session_factory, limit=37) > 0  # several batches
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(StatsFact)) == 0
    expected = recompute(db)
    assert aggregates(db) == {k: {kk: vv for kk, vv in v.items() if vv not in (D(0), (D(0), 0))}
                              for k, v in expected.items()}
    # the zone-wide rollups (no district) equal the district tables summed over districts
    for full, zone_, dim in ((AggCountry, AggCountryZone, "country"), (AggProduct, AggProductZone, "hs_heading")):
        def sums(model, dim=dim):
            q = select(model.month, model.direction, model.mode, getattr(model, dim), func.sum(model.value_cny),
                       func.sum(model.parcels), func.sum(model.lines)).group_by(
                model.month, model.direction, model.mode, getattr(model, dim))
            return {tuple(r[:4]): (D(r[4]), r[5], r[6]) for r in db.execute(q).all()}
        assert sums(full) == sums(zone_) and sums(full)


def test_backfill_rebuilds_the_same_figures_and_is_idempotent(db, zone, session_factory):
    generate(db, zone, seed=11, n=50)
    service.fold_all(session_factory=session_factory)
    db.expire_all()
    incremental = aggregates(db)
    for _ in range(2):
        counts = service.rebuild(session=db)
        db.commit()
        assert aggregates(db) == incremental
    assert counts["import"] + counts["export"] == 50 - 8


def test_a_reversal_lands_in_the_release_month(db, zone, session_factory):
    a = zone["A"]
    inv = export_list(db, ent=a, released_at=at(2026, 3, 31, 20), items=[("6110200000", "304", D("100.00"), "142")])
    inv2 = export_list(db, ent=a, released_at=at(2026, 3, 10), items=[("6110200000", "304", D("50.00"), "142")])
    db.commit()
    service.fold_all(session_factory=session_factory)
    # 2026-03-31 20:00 UTC is 2026-04-01 04:00 in Asia/Shanghai: an April release
    f = service.Filters(end=date(2026, 4, 1), months=2)
    trend = {t["month"]: t for t in service.trend(session=db, filters=f)}
    assert trend["2026-04"]["export_cny"] == D("100.00") and trend["2026-03"]["export_cny"] == D("50.00")
    inv.status = "cancelled"  # cancelled in May: the April figure goes back to zero
    events.publish(session=db, name="export.inventory.cancelled", inventory=inv, was_released=True)
    db.commit()
    service.fold_all(session_factory=session_factory)
    db.expire_all()
    trend = {t["month"]: t for t in service.trend(session=db, filters=f)}
    assert trend["2026-04"]["export_cny"] == D("0.00") and trend["2026-04"]["export_parcels"] == 0
    assert trend["2026-03"]["export_parcels"] == 1 and inv2.id


def test_foreign_currency_is_converted_at_the_customs_monthly_rate(db, zone, session_factory):
    # USD (502) in October 2026: 7.0200 CNY (the maintained table, kuajing/data seed) → 123.45 × 7.02 = 866.619 → 866.62
    export_list(db, ent=zone["C"], mode="9710", released_at=at(2026, 10, 8),
                items=[("8471300000", "502", D("123.45"), "502")])
    db.commit()
    service.fold_all(session_factory=session_factory)
    row = db.execute(select(AggCountry.country, AggCountry.value_cny, AggCountry.district)).one()
    assert row == ("502", D("866.62"), "150204")


def test_a_fact_without_its_rate_waits_in_the_queue(db, zone, session_factory):
    # Hong Kong dollars (110) have no rate in the table for 2030: the release still commits, the fact waits
    export_list(db, ent=zone["A"], released_at=at(2030, 1, 5), items=[("6110200000", "344", D("10.00"), "110")])
    db.commit()
    assert service.fold_all(session_factory=session_factory) == 0
    assert service.pending(session=db) == {"facts": 1, "waiting_for_rate": 1}


def test_enterprise_dimensions_come_from_the_registry(db, zone, session_factory):
    import_list(db, ent=zone["U"], released_at=at(2026, 6, 1), items=[("0402210000", "601", D("88.00"))])
    import_list(db, ent=zone["B"], mode="1210", released_at=at(2026, 6, 2), items=[("0402210000", "601", D("12.00"))])
    db.commit()
    service.fold_all(session_factory=session_factory)
    rows = set(db.execute(select(AggEnterprise.district, AggEnterprise.park, AggEnterprise.enterprise_id,
                                 AggEnterprise.value_cny)).all())
    assert rows == {("", "", zone["U"].id, D("88.00")), ("150207", "jiuyuan-digital", zone["B"].id, D("12.00"))}
