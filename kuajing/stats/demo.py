"""Demo statistics (演示数据): after the demo parcels went through the pipeline, rebuild the aggregates from the
released lists, and add a few survey estimates, local brands and overseas warehouses (one public) so the
dashboard, the targets and the bulletin show something. Called by ``kuajing demo`` (kuajing/demo.py)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.enterprises.models import Enterprise
from kuajing.stats import calc, registry, service

ACTOR = "system:demo"
BRANDS = [("鹿城绒品", ["304", "344"], "商标注册证 第 6610001 号（演示）"),
          ("草原优选", ["116", "133"], "跨境店铺 https://example.com/caoyuan（演示）"),
          ("稀土之光", ["502"], "商标注册证 第 6610002 号（演示）")]
WAREHOUSES = [("包头优品德国公共海外仓", "304", "Hamburg, Demo-Straße 1", "3200", True),
              ("包头优品俄罗斯海外仓", "344", "Moscow, demo street 5", "1500", False)]


def load(*, session: Session, today: date, seed: int = 2023) -> dict:
    """Backfill the statistics and add the demo survey figures, brands and warehouses (idempotent enough for a
    fresh demo database: it is only run by ``kuajing demo`` on an empty database)."""
    from kuajing.exports.service import warehouses

    rng = random.Random(seed)
    counts = service.rebuild(session=session)
    ents = list(session.scalars(select(Enterprise).where(Enterprise.status == "approved",
                                                         Enterprise.district.is_not(None)).order_by(Enterprise.id)
                                .limit(6)))
    if not ents:
        return counts
    month = calc.month_start(today)
    for i, ent in enumerate(ents[:3]):
        for back in range(3):
            registry.report_survey(session=session, enterprise_id=ent.id, month=calc.add_months(month, -back),
                                   direction="export", channel=["general_trade_0110", "express", "postal"][i],
                                   value_cny=Decimal(rng.randrange(50_000, 400_000)), actor=ACTOR,
                                   note="企业季度调查（演示）")
    for (name, markets, evidence), ent in zip(BRANDS, ents, strict=False):
        registry.register_brand(session=session, name=name, owner_enterprise_id=ent.id, markets=markets,
                                evidence=evidence, registered_on=date(today.year - 1, 6, 1), actor=ACTOR)
    for name, country, address, area, public in WAREHOUSES:
        warehouses.create(session=session, enterprise_id=ents[0].id, actor=ACTOR, values={
            "name": name, "country": country, "address": address, "area_m2": area, "operator_name": ents[0].name_zh,
            "ownership_share": "100", "public_certified": public})
    session.flush()
    return counts
