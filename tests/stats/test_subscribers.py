"""The release subscribers look each enterprise up once per transaction (a batch of releases names the same few
enterprises over and over), find an enterprise registered after a miss, and read afresh in a new transaction."""

from __future__ import annotations

from sqlalchemy import event, select

from kuajing.enterprises.models import Enterprise
from kuajing.stats.models import UNKNOWN, StatsFact
from tests.accounts.fixtures import make_enterprise
from tests.stats.helpers import at, import_list


def _enterprise_lookups(db):
    seen = []

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM enterprises" in statement:
            seen.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", count)
    return seen, lambda: event.remove(db.get_bind(), "before_cursor_execute", count)


def test_one_lookup_per_enterprise_and_transaction(db, zone):
    seen, stop = _enterprise_lookups(db)
    try:
        for _ in range(3):
            import_list(db, ent=zone["A"], released_at=at(2026, 3, 2), items=[("6110200000", "304", "100.00")])
        import_list(db, ent=zone["C"], released_at=at(2026, 3, 2), items=[("6110200000", "304", "50.00")])
        assert len(seen) == 2  # A once, C once
        facts = db.execute(select(StatsFact.enterprise_id, StatsFact.district).order_by(StatsFact.id)).all()
        assert facts == [(zone["A"].id, "150207")] * 3 + [(zone["C"].id, "150204")]
        db.commit()
        # a new transaction reads afresh: a district changed in between is seen
        db.execute(Enterprise.__table__.update().where(Enterprise.id == zone["A"].id).values(district="150205"))
        db.commit()
        import_list(db, ent=zone["A"], released_at=at(2026, 3, 3), items=[("6110200000", "304", "100.00")])
        assert len(seen) == 3
        assert db.execute(select(StatsFact.district).order_by(StatsFact.id.desc()).limit(1)).scalar() == "150205"
    finally:
        stop()


def test_an_enterprise_registered_after_a_miss_is_found(db, zone):
    class Stranger:  # an enterprise the zone does not know yet (its customs code)
        id = zone["A"].id
        customs_code = "15029600Z9"
        name_zh = "未登记企业"

    import_list(db, ent=Stranger, released_at=at(2026, 3, 2), items=[("6110200000", "304", "100.00")])
    late = make_enterprise(db, customs_code="15029600Z9", district="150206")
    import_list(db, ent=Stranger, released_at=at(2026, 3, 2), items=[("6110200000", "304", "100.00")])
    facts = db.execute(select(StatsFact.enterprise_id, StatsFact.district).order_by(StatsFact.id)).all()
    assert facts == [(0, UNKNOWN), (late.id, "150206")]


def test_a_reversal_takes_the_list_out_of_the_district_it_was_counted_in(db, zone):
    # docs/stats.md "Reversals": a cancelled or returned list is taken out in the month of its release, so every
    # month equals its currently released lists. Enterprise A (150207, jiuyuan-digital) releases two lists in
    # October 2026 (100.00 and 30.00), then moves to 150204 (ec-demo-qingshan) by a filing change; the first list
    # is cancelled after the fold, the second before it. October: 150207 — 0.00, 0 parcels, no active enterprise;
    # 150204 — nothing (not −130.00 and −2 parcels); zone totals 0 with 0 active enterprises (not 1).
    from datetime import date

    from kuajing import events
    from kuajing.stats import service

    a = zone["A"]
    folded = import_list(db, ent=a, released_at=at(2026, 10, 5), items=[("3304990099", "116", "90")],
                         taxable_price="100.00")
    db.flush()
    service.fold(session=db)
    queued = import_list(db, ent=a, released_at=at(2026, 10, 6), items=[("3304990099", "116", "30")],
                         taxable_price="30.00")
    db.commit()
    a.district, a.park = "150204", "ec-demo-qingshan"
    db.flush()
    for inv in (folded, queued):
        inv.status = "cancelled"
        events.publish(session=db, name="import.inventory.cancelled", inventory=inv, was_released=True)
    db.flush()
    service.fold(session=db)
    db.commit()
    october = service.Filters(end=date(2026, 10, 1), months=1)
    ranking = {d["district"]: (d["value_cny"], d["parcels"], d["enterprises"])
               for d in service.district_ranking(session=db, filters=october)}
    assert ranking == {"150207": (0, 0, 0)}
    totals = service.totals(session=db, filters=october)
    assert (totals["total_cny"], totals["import_parcels"], totals["enterprises"]) == (0, 0, 0)
    assert [p for p in service.by_park(session=db, filters=october) if p["value_cny"] or p["parcels"]] == []


def test_a_list_stays_where_it_was_counted_when_its_enterprise_moves(db, zone):
    """Enterprise A (150207) releases 100.00 and 40.00 in October 2026, then moves to 150204; a third list
    (25.00) is released after the move. The dashboard, a backfill (rebuild) and the evaluation all keep the first
    two in 150207 and the third in 150204: a filing change does not move past trade (docs/stats.md "Places").
    Then the 40.00 list is cancelled: it comes out of 150207, leaving 100.00 there."""
    from datetime import date

    from kuajing import events
    from kuajing.evaluation.choices import UnitKind
    from kuajing.evaluation.service import computed_values
    from kuajing.stats import service

    a = zone["A"]
    import_list(db, ent=a, released_at=at(2026, 10, 5), items=[("3304990099", "116", "90")], taxable_price="100.00")
    second = import_list(db, ent=a, released_at=at(2026, 10, 6), items=[("3304990099", "116", "40")],
                         taxable_price="40.00")
    db.commit()
    a.district, a.park = "150204", "ec-demo-qingshan"
    db.commit()
    import_list(db, ent=a, released_at=at(2026, 10, 7), items=[("3304990099", "116", "25")], taxable_price="25.00")
    db.commit()
    october = service.Filters(end=date(2026, 10, 1), months=1)

    def districts() -> dict[str, tuple]:
        return {d["district"]: (d["value_cny"], d["parcels"])
                for d in service.district_ranking(session=db, filters=october) if d["parcels"]}

    def evaluated() -> dict[str, object]:
        values = computed_values(session=db, unit_kind=UnitKind.district, start=date(2026, 10, 1),
                                 end=date(2026, 10, 31))
        return {unit: v for (unit, key), v in values.items() if key == "trade_value" and v}

    while service.fold(session=db):
        pass
    db.commit()
    assert districts() == {"150207": (140, 2), "150204": (25, 1)}
    service.rebuild(session=db)
    db.commit()
    assert districts() == {"150207": (140, 2), "150204": (25, 1)}  # not 165 and 3 in 150204
    assert evaluated() == {"150207": 140, "150204": 25}
    second.status = "cancelled"
    events.publish(session=db, name="import.inventory.cancelled", inventory=second, was_released=True)
    while service.fold(session=db):
        pass
    db.commit()
    assert districts() == {"150207": (100, 1), "150204": (25, 1)}
