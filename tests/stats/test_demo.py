"""``kuajing demo`` leaves the dashboard non-empty: the demo parcels (sent through the real pipeline and the
sandbox customs) are in the statistics, with survey figures, brands and warehouses beside them."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from sqlalchemy import select

from kuajing.db.base import utcnow
from kuajing.demo import load_demo
from kuajing.imports.models import Inventory
from kuajing.stats import registry, service, targets


def test_demo_fills_the_dashboard(settings, session_factory, db, tmp_path):
    s = settings.model_copy(update={"var_dir": tmp_path})
    load_demo(settings=s, session_factory=session_factory, console=Console(file=io.StringIO()), seed=5, parcels=12)
    released = Counter(db.scalars(select(Inventory.status)).all())["released"]
    assert released >= 10
    today = utcnow().astimezone(s.tz).date()
    f = service.make_filters(end=None, today=today)
    totals = service.totals(session=db, filters=f)
    assert totals["import_parcels"] == released and totals["import_cny"] > 0 and totals["enterprises"] >= 1
    assert service.pending(session=db) == {"facts": 0, "waiting_for_rate": 0}
    assert len(registry.brands(session=db)) == 3
    assert len(registry.surveys(session=db, start=f.start, end=f.last)) == 9
    progress = {t["id"]: t for t in targets.progress(session=db, today=today)["targets"]}
    assert progress["2025-brands"]["actual"] == 3 and progress["2025-brands"]["status"] == "met"
    # warehouses registered now count from this year on (a past year's figure is its state at the year's end)
    assert targets.records(session=db, indicator="public_overseas_warehouses", year=today.year, today=today)["total"] == 1
    assert targets.records(session=db, indicator="overseas_warehouses", year=today.year, today=today)["total"] == 2
    before = service.totals(session=db, filters=f)
    service.rebuild(session=db)  # the backfill gives the same figures as the pipeline's facts
    db.commit()
    assert service.totals(session=db, filters=f) == before
