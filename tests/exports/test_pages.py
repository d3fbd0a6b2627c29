"""Export pages: declaration lists with status tabs, a consignment's timeline, overseas warehouses (Chinese)."""

from __future__ import annotations

import pytest

from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.imports.service import pump
from tests.accounts.fixtures import csrf_token, login, make_enterprise_user
from tests.exports import shipments as s
from tests.exports.test_release import _send


@pytest.fixture
def agent_user(client, db, ezone):
    user, password = make_enterprise_user(db, enterprise_id=ezone.agent.id, roles=("enterprise_admin",))
    username = user.username
    db.commit()
    db.close()  # no open read transaction while the pipeline writes (SQLite)
    return username, password


def test_lists_timeline_and_register_in_chinese(client, db, ezone, session_factory, agent_user):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1]))
    _send(client, ezone.platform, s.order(p, 1))
    _send(client, ezone.logistics, s.waybill(p, 1))
    _send(client, ezone.agent, s.inventory(p, 1))
    _send(client, ezone.agent, s.inventory(p, 2))  # waits for its order and waybill
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    _send(client, ezone.logistics, s.departure(p, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    login(client, *agent_user)
    page = client.get("/exports/inventories")
    assert page.status_code == 200
    assert "出口申报清单" in page.text and "结关" in page.text and "待对碰" not in page.text[:0]
    assert 'data-status="closed"' in page.text and 'data-status="awaiting_documents"' in page.text
    only = client.get("/exports/inventories?status=closed")
    assert "EXO1" in only.text and "EXO2" not in only.text
    t = client.get(f"/exports/parcels/EXO1?ebp={p.ebp}")
    assert t.status_code == 200
    for text in ("CEB303", "CEB505", "CEB603", "运抵监管场所", "离境", "899", "无票免税"):
        assert text in t.text, text
    assert client.get("/exports/parcels/NOPE").status_code == 404
    nav = client.get("/exports/warehouses")
    assert 'href="/exports/inventories"' in nav.text and 'href="/export-summary"' in nav.text


def test_an_outsider_cannot_open_the_timeline(client, db, ezone):
    _send(client, ezone.platform, s.order(ezone.parties, 1))
    user, password = make_enterprise_user(db, enterprise_id=ezone.outsider.id)
    db.commit()
    login(client, user.username, password)
    assert client.get("/exports/parcels/EXO1").status_code == 404
    assert "EXO1" not in client.get("/exports/inventories").text


def test_admin_registers_a_warehouse_through_the_form(client, db, ezone):
    user, password = make_enterprise_user(db, enterprise_id=ezone.platform.id, roles=("enterprise_admin",))
    db.commit()
    login(client, user.username, password)
    token = csrf_token(client, "/exports/warehouses")
    form = {"name": "乌兰巴托仓", "country": "124", "address": "Ulaanbaatar", "area_m2": "800", "operator_name": "包头运营",
            "ownership_share": "51", "services": ["storage", "returns"], "public_certified": "on", "csrf_token": token}
    r = client.post("/exports/warehouses", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/exports/warehouses")
    assert "乌兰巴托仓" in page.text and "蒙古" in page.text and "退货处理" in page.text
    english = client.get("/exports/warehouses?lang=en").text  # the country in the page's language, as the service
    assert "Mongolia" in english and "蒙古" not in english
    again = client.post("/exports/warehouses", data=form, follow_redirects=False)
    assert again.status_code == 422 and "role=\"alert\"" in again.text


def test_only_the_zone_operator_certifies_a_public_warehouse_through_the_forms(client, db, ezone):
    """policy-rules §8 (公共海外仓认定: provinces and cities certify): the enterprise's form has no certification box
    and a ticked one is ignored; the zone operator's edit form sets it, and the warehouse is then public."""
    from sqlalchemy import select

    from kuajing.exports.models import OverseasWarehouse
    from tests.accounts.fixtures import make_zone_user

    user, password = make_enterprise_user(db, enterprise_id=ezone.platform.id, roles=("enterprise_admin",))
    operator, operator_pw = make_zone_user(db, role="zone_operator")
    db.commit()
    login(client, user.username, password)
    page = client.get("/exports/warehouses").text
    assert 'name="public_certified"' not in page and 'data-certification' in page
    token = csrf_token(client, "/exports/warehouses")
    form = {"name": "莫斯科仓", "country": "344", "address": "Moscow", "area_m2": "2000", "operator_name": "包头运营",
            "ownership_share": "51", "public_certified": "on", "csrf_token": token}
    assert client.post("/exports/warehouses", data=form, follow_redirects=False).status_code == 303
    w = db.scalars(select(OverseasWarehouse).where(OverseasWarehouse.name == "莫斯科仓")).one()
    assert w.public_certified is False
    edit = {k: v for k, v in form.items() if k != "csrf_token"}
    token = csrf_token(client, f"/exports/warehouses/{w.id}/edit")
    assert client.post(f"/exports/warehouses/{w.id}", data={**edit, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    db.expire_all()
    assert db.get(OverseasWarehouse, w.id).public_certified is False
    client.cookies.clear()
    login(client, operator.username, operator_pw)
    assert 'name="public_certified"' in client.get(f"/exports/warehouses/{w.id}/edit").text
    token = csrf_token(client, f"/exports/warehouses/{w.id}/edit")
    assert client.post(f"/exports/warehouses/{w.id}", data={**edit, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    db.expire_all()
    assert db.get(OverseasWarehouse, w.id).public_certified is True
    assert [x["name"] for x in client.get("/api/v1/exports/public-warehouses").json()["items"]] == ["莫斯科仓"]
