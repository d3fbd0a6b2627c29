"""The fold job beside concurrent writers and another folder: every fact is folded exactly once (claimed rows
are skipped by the other folder — FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from kuajing.db.session import transaction
from kuajing.stats import service
from kuajing.stats.models import AggCountry, AggEnterprise, AggProduct, StatsFact


def _fact(i: int) -> dict:
    return {"direction": "import" if i % 3 else "export", "inventory_id": i, "event": "release",
            "month": date(2026, 1 + i % 12, 1), "mode": ("1210", "9610", "9710", "9810")[i % 4],
            "country": ("304", "344", "601")[i % 3], "hs_heading": ("6110", "0402")[i % 2], "enterprise_id": 1 + i % 5,
            "district": ("150207", "150204")[i % 2], "park": "", "currency": "142", "amount": D(i % 97) + D("0.01"),
            "value_cny": D(i % 97) + D("0.01"), "parcels": 1, "lines": 1 + i % 2}


def test_two_folders_beside_two_writers_fold_every_fact_once(db, session_factory):
    writers_done = threading.Event()
    errors: list[BaseException] = []
    folded = [0, 0]

    def write(offset: int):
        try:
            for batch in range(15):
                with transaction(session_factory) as s:  # one release = one transaction, like the pipeline
                    s.execute(StatsFact.__table__.insert(), [_fact(offset + batch * 20 + k) for k in range(20)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def fold(slot: int):
        try:
            while True:
                n = service.fold_all(session_factory=session_factory, limit=25)
                folded[slot] += n
                if writers_done.is_set() and n == 0:
                    with session_factory() as s:
                        if not s.scalar(select(func.count()).select_from(StatsFact)):
                            return
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(o,)) for o in (0, 10_000)]
    folders = [threading.Thread(target=fold, args=(i,)) for i in (0, 1)]
    for t in writers + folders:
        t.start()
    for t in writers:
        t.join(120)
    writers_done.set()
    for t in folders:
        t.join(120)
    assert not errors, errors
    facts = [_fact(o + i) for o in (0, 10_000) for i in range(300)]
    assert sum(folded) == len(facts) == 600
    expected_value = sum((f["value_cny"] for f in facts), D(0))
    for model in (AggEnterprise, AggCountry, AggProduct):
        value, parcels, lines = db.execute(select(func.sum(model.value_cny), func.sum(model.parcels),
                                                  func.sum(model.lines))).one()
        assert (D(value), parcels, lines) == (expected_value, 600, sum(f["lines"] for f in facts)), model
    by_country = dict(db.execute(select(AggCountry.country, func.sum(AggCountry.parcels))
                                 .group_by(AggCountry.country)).all())
    assert by_country == {"304": 200, "344": 200, "601": 200}
