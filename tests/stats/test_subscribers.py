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
