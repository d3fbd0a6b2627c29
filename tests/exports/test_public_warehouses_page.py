"""The public directory of overseas warehouses (公共海外仓名录, policy-rules §8; PRODUCT "a public directory") as a
page anyone reads, without logging in: only active, certified warehouses, countries in the reader's language, a
country filter, nothing of the registering enterprise."""

from __future__ import annotations

from decimal import Decimal as D

from kuajing.exports.models import OverseasWarehouse
from tests.accounts.fixtures import make_enterprise


def _warehouse(db, ent, name, country, *, certified=True, status="active"):
    db.add(OverseasWarehouse(enterprise_id=ent.id, name=name, country=country, address=f"{name} road 1",
                             area_m2=D("2500.00"), operator_name=f"{name} operator", ownership_share=D("100.00"),
                             services=["storage"], public_certified=certified, status=status))


def test_anyone_reads_the_certified_active_warehouses_in_their_language(client, db):
    ent = make_enterprise(db)
    _warehouse(db, ent, "Hamburg Hub", "304")  # 德国 / Germany
    _warehouse(db, ent, "Ulaanbaatar Depot", "141")  # 蒙古 / Mongolia
    _warehouse(db, ent, "Own Shed", "304", certified=False)
    _warehouse(db, ent, "Closed Hall", "304", status="inactive")
    db.commit()
    page = client.get("/warehouses")
    assert page.status_code == 200
    text = page.text
    assert "公共海外仓" in text and "Hamburg Hub" in text and "Ulaanbaatar Depot" in text and "德国" in text
    assert "Own Shed" not in text and "Closed Hall" not in text and ent.name_zh not in text
    english = client.get("/warehouses?lang=en").text
    assert "Germany" in english and "德国" not in english.split("<main", 1)[-1]
    only = client.get("/warehouses?country=304").text
    assert "Hamburg Hub" in only and "Ulaanbaatar Depot" not in only
    assert client.get("/warehouses?country=%27%20OR%201=1").status_code == 422  # a country is three digits
    home = client.get("/").text  # reachable from the home page, with the buyer's other public tools
    assert 'href="/warehouses"' in home and 'href="/tax/calculator"' in home and 'href="/quota"' in home
