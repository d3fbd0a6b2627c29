"""The demo's import parcels go through the real intake, matching, tax, quota and sandbox customs."""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal

from rich.console import Console
from sqlalchemy import select
from stdnum.cn import ric

from kuajing.demo import load_demo
from kuajing.demo_parcels import buyer_id, plan_parcels
from kuajing.imports.models import Inventory


def test_demo_buyers_have_valid_fictitious_ids():
    import random

    rng = random.Random(1)
    for _ in range(200):
        number = buyer_id(rng)
        assert ric.is_valid(number) and number.startswith("150203")


def test_the_plan_crosses_the_annual_limit_once_for_the_big_spender():
    import random
    from datetime import UTC, datetime

    parcels = plan_parcels(random.Random(3), 120, datetime.now(UTC))
    by_buyer = Counter(p["buyer_id"] for p in parcels)
    spender, n = by_buyer.most_common(1)[0]
    assert n == 7
    totals = sorted(p["goods"] + p["freight"] for p in parcels if p["buyer_id"] == spender)
    assert sum(totals[:5]) <= Decimal("26000") < sum(totals[:6])  # policy-rules §1.3: 26,000 a calendar year


def test_demo_parcels_settle_in_the_states_a_clerk_expects(settings, session_factory, db, tmp_path):
    s = settings.model_copy(update={"var_dir": tmp_path})
    load_demo(settings=s, session_factory=session_factory, console=Console(file=io.StringIO()), seed=5, parcels=40)
    counts = Counter(db.scalars(select(Inventory.status)).all())
    # n % 25 → payer differs from buyer (mismatch); n % 16 → the big spender: 2 of 40 are his, both within the limit
    assert counts["mismatch"] == 1
    assert counts["released"] == 39
    assert sum(counts.values()) == 40
    # each released parcel's e-tax bill drew on the demo agent's guarantee (opened with 20,000.00)
    from kuajing.tax import service as tax
    from kuajing.tax.models import TaxBill

    bills = db.scalars(select(TaxBill)).all()
    assert len(bills) == 39 and all(b.covered for b in bills)
    released = db.scalars(select(Inventory).where(Inventory.status == "released")).all()
    assert sorted(b.amount for b in bills) == sorted(i.tax_total for i in released)
    view = tax.guarantee(session=db, agent_enterprise_id=bills[0].agent_enterprise_id)
    assert view.balance == Decimal("20000.00") - sum(b.amount for b in bills)


def test_demo_imports_come_from_where_such_goods_come_from(settings, session_factory, db, tmp_path):
    # QA: every demo import line kept the sample message's origin 142 (China), so the dashboard's top countries of
    # imports read 中国 100 %
    from kuajing.imports.models import InventoryItem

    s = settings.model_copy(update={"var_dir": tmp_path})
    load_demo(settings=s, session_factory=session_factory, console=Console(file=io.StringIO()), seed=5, parcels=40)
    origins = Counter(db.scalars(select(InventoryItem.country)).all())
    assert "142" not in origins and len(origins) >= 4, origins
