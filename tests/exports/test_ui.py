"""Export pages added for issue 5's end-to-end work (Chinese by default): the export order upload page, the
customs officer's desk for export lists, customs declarations (报关单) of 9710/9810 consignments with their
tracking form, and the overseas-warehouse edit form with per-field errors."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.exports.models import CustomsDeclaration, ExportInventory, OverseasWarehouse
from kuajing.exports.service import warehouses
from kuajing.imports.service import pump
from tests.accounts.fixtures import csrf_token, login, make_enterprise_user, make_zone_user
from tests.exports import shipments as s
from tests.exports.test_release import _send


def _user(db, enterprise_id, *roles):
    user, password = make_enterprise_user(db, enterprise_id=enterprise_id, roles=roles or ("enterprise_user",))
    db.commit()
    return user.username, password


def _officer(db):
    user, password = make_zone_user(db, role="customs_officer")
    db.commit()
    return user.username, password


# --- upload page ----------------------------------------------------------------------------------------


def test_upload_page_links_the_template_and_posts_to_the_export_intake(client, db, ezone):
    login(client, *_user(db, ezone.platform.id))
    page = client.get("/exports/orders/upload")
    assert page.status_code == 200
    assert "上传出口订单（Excel）" in page.text and "下载模板" in page.text and "<progress" in page.text
    assert 'href="/api/v1/exports/orders/template.xlsx"' in page.text
    assert 'action="/api/v1/exports/orders/excel?lang=zh_Hans"' in page.text
    assert 'id="upload-errors"' in page.text and 'id="upload-orders"' in page.text
    # the sub-nav of every export page leads there
    assert 'href="/exports/orders/upload"' in client.get("/exports/inventories").text
    # the template the link names is served
    assert client.get("/api/v1/exports/orders/template.xlsx").status_code == 200


# --- the customs officer's desk -------------------------------------------------------------------------


@pytest.fixture
def consignments(client, ezone, session_factory):
    """EXO1 released and departed (closed), EXO2 decided and waiting for its goods, EXO3 waiting for documents."""
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1]))
    for n in (1, 2):
        _send(client, ezone.platform, s.order(p, n))
        _send(client, ezone.logistics, s.waybill(p, n))
        _send(client, ezone.agent, s.inventory(p, n))
    _send(client, ezone.agent, s.inventory(p, 3))
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    _send(client, ezone.logistics, s.departure(p, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        rows = {i.order_no: (i.id, i.status) for i in session.scalars(select(ExportInventory))}
    assert {k: v[1] for k, v in rows.items()} == {"EXO1": "closed", "EXO2": "decided", "EXO3": "awaiting_documents"}
    return {k: v[0] for k, v in rows.items()}


def test_only_customs_officers_and_the_zone_operator_reach_the_desk(client, db, ezone, consignments):
    login(client, *_user(db, ezone.agent.id, "enterprise_admin"))
    assert client.get("/exports/desk").status_code == 403
    assert client.get(f"/exports/desk/lists/{consignments['EXO1']}").status_code == 403
    assert 'href="/exports/desk"' not in client.get("/exports/inventories").text
    user, password = make_zone_user(db, role="zone_operator")
    db.commit()
    login(client, user.username, password)
    assert client.get("/exports/desk").status_code == 200


def test_desk_counts_filters_and_site_state(client, db, ezone, consignments):
    login(client, *_officer(db))
    assert 'href="/exports/desk"' in client.get("/exports/inventories").text  # where the officer finds it
    page = client.get("/exports/desk")
    assert page.status_code == 200 and "出口清单关员工作台" in page.text
    assert "全部 (3)" in page.text
    for status in ("closed", "decided", "awaiting_documents"):
        assert f'data-status="{status}"' in page.text, status

    def orders(query: str) -> set[str]:
        body = client.get("/exports/desk?" + query).text
        table = body[body.index('id="desk-lists"'):]
        return set(re.findall(r"<td>(EXO\d)</td>", table))

    assert orders("") == {"EXO1", "EXO2", "EXO3"}
    assert orders("status=decided") == {"EXO2"}
    assert orders("site=departed") == {"EXO1"}
    assert orders("site=awaiting_arrival") == {"EXO2"}
    assert orders("site=arrived") == set()  # EXO1 arrived and left
    assert orders("trade_mode=9710") == set()
    assert orders("q=EXW2") == {"EXO2"}
    with db.begin():
        inv = db.get(ExportInventory, consignments["EXO1"])
        code, day = inv.customs_code, inv.declared_on
    db.close()
    assert orders(f"customs_code={code}") == {"EXO1", "EXO2", "EXO3"}
    assert orders("customs_code=9999") == set()
    assert orders(f"date_from={day.isoformat()}&date_to={day.isoformat()}") == {"EXO1", "EXO2", "EXO3"}  # received today
    assert orders("date_to=2000-01-01") == set()
    assert client.get("/exports/desk?date_from=garbage&site=nonsense&status=bogus").status_code == 200


def test_desk_list_shows_documents_site_state_lines_and_timeline(client, db, ezone, consignments):
    login(client, *_officer(db))
    page = client.get(f"/exports/desk/lists/{consignments['EXO1']}")
    assert page.status_code == 200
    text = page.text
    assert 'id="list-status">结关' in text
    arrival = text[text.index('id="site-arrival"'):text.index('id="site-release"')]
    departure = text[text.index('id="site-departure"'):text.index("</tr>", text.index('id="site-departure"'))]
    assert "CEB507" in arrival and f"{ezone.operator.code}:ARR1:1" in arrival and "未运抵" not in arrival
    assert "CEB509" in departure and f"{ezone.logistics.code}:DEP1:1" in departure
    assert "6110120000" in text  # the line's HS code
    timeline = text[text.index('id="timeline"'):]
    for code in ("CEB603", "800", "899", "运抵监管场所", "离境"):
        assert code in timeline, code
    waiting = client.get(f"/exports/desk/lists/{consignments['EXO2']}").text
    assert "未运抵" in waiting and "未离境" in waiting
    assert client.get("/exports/desk/lists/999999").status_code == 404


# --- customs declarations -------------------------------------------------------------------------------


def _b2b(client, ezone, n: int, price: str, order_type: str = "B"):
    assert _send(client, ezone.platform, s.order(ezone.parties, n, order_type=order_type, price=price,
                                                 qty="1"))["code"] == "2"


def test_prepare_track_and_download_a_customs_declaration(client, db, ezone):
    _b2b(client, ezone, 1, "5000.01")
    _b2b(client, ezone, 2, "5000.00", order_type="W")
    login(client, *_user(db, ezone.platform.id))
    token = csrf_token(client, "/exports/customs-declarations")
    page = client.get("/exports/customs-declarations").text
    assert "报关单（9710/9810）" in page and "EXO1" in page and "EXO2" in page  # both may be prepared

    # 5,000.00 with nothing else involved may go on a list: refused, nothing stored
    r = client.post("/exports/customs-declarations", data={"order_business_key": f"{ezone.platform.code}:EXO2",
                                                           "csrf_token": token})
    assert r.status_code == 409 and 'id="declaration-error"' in r.text
    assert db.scalars(select(CustomsDeclaration)).all() == []
    db.close()

    r = client.post("/exports/customs-declarations", data={"order_business_key": f"{ezone.platform.code}:EXO1",
                                                           "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    url = r.headers["location"].split("?")[0]
    detail = client.get(url).text
    attachments = detail[detail.index('id="attachments"'):]
    assert "10000004" in attachments and "跨境B2B出口单证" in attachments and "EXO1" in attachments
    assert 'id="declaration-status">报关单数据包已生成' in detail and "单票超过5000元" in detail
    decl_id = int(url.rsplit("/", 1)[1])
    assert client.get(f"/api/v1/exports/customs-declarations/{decl_id}").json()["attachment_no"] == "EXO1"
    assert client.get(f"/api/v1/exports/customs-declarations/{decl_id}/package.xlsx").status_code == 200
    assert f'href="/api/v1/exports/customs-declarations/{decl_id}/package.xlsx"' in detail

    # a licence makes the 5,000.00 booking note a customs declaration too
    r = client.post("/exports/customs-declarations", data={"order_business_key": f"{ezone.platform.code}:EXO2",
                                                           "licence": "on", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "涉证" in client.get(r.headers["location"]).text

    # tracking: too long an entry id is a field problem; released before filed is a state conflict
    bad = client.post(f"{url}/status", data={"status": "filed", "entry_id": "0" * 19, "csrf_token": token})
    assert bad.status_code == 422 and "最多" in bad.text
    early = client.post(f"{url}/status", data={"status": "released", "csrf_token": token})
    assert early.status_code == 409 and 'id="declaration-error"' in early.text
    ok = client.post(f"{url}/status", data={"status": "filed", "entry_id": "020120261000000001", "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303
    detail = client.get(url).text
    assert 'id="declaration-status">已向海关申报' in detail and "020120261000000001" in detail
    assert client.post(f"{url}/status", data={"status": "released", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert 'id="declaration-status">放行' in client.get(url).text
    assert 'id="track-declaration"' not in client.get(url).text  # nothing follows released
    offered = client.get("/exports/customs-declarations").text
    assert f'value="{ezone.platform.code}:EXO1"' not in offered  # done: not offered for another package
    assert f'value="{ezone.platform.code}:EXO2"' in offered  # only prepared: may be prepared again
    actions = set(db.scalars(select(AuditEvent.action).where(
        AuditEvent.stream == f"export:customs-declaration:{decl_id}")))
    assert actions == {"export:customs-declaration:prepare", "export:customs-declaration:filed",
                       "export:customs-declaration:released"}


def test_another_enterprise_cannot_see_or_move_a_declaration(client, db, ezone):
    _b2b(client, ezone, 1, "9000")
    login(client, *_user(db, ezone.platform.id))
    token = csrf_token(client, "/exports/customs-declarations")
    r = client.post("/exports/customs-declarations", data={"order_business_key": f"{ezone.platform.code}:EXO1",
                                                           "csrf_token": token}, follow_redirects=False)
    url = r.headers["location"].split("?")[0]
    login(client, *_user(db, ezone.outsider.id))
    token = csrf_token(client, "/exports/customs-declarations")
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/status", data={"status": "filed", "csrf_token": token}).status_code == 404
    assert "EXO1" not in client.get("/exports/customs-declarations").text
    r = client.post("/exports/customs-declarations", data={"order_business_key": f"{ezone.platform.code}:EXO1",
                                                           "csrf_token": token})
    assert r.status_code == 404
    assert db.scalars(select(CustomsDeclaration.status)).all() == ["prepared"]


# --- overseas warehouse edit form -----------------------------------------------------------------------


def _warehouse(db, enterprise_id, name="包头羊绒德国仓") -> int:
    w = warehouses.create(session=db, enterprise_id=enterprise_id, actor="test", values={
        "name": name, "country": "304", "address": "Hamburg", "area_m2": "2500", "operator_name": "包头运营",
        "ownership_share": "100", "services": ["storage"]})
    db.commit()
    return w.id


def test_admin_edits_a_warehouse_and_sees_each_field_problem(client, db, ezone):
    wid = _warehouse(db, ezone.platform.id)
    _warehouse(db, ezone.platform.id, name="乌兰巴托仓")
    login(client, *_user(db, ezone.platform.id, "enterprise_admin"))
    listing = client.get("/exports/warehouses").text
    assert f'href="/exports/warehouses/{wid}/edit"' in listing
    form = client.get(f"/exports/warehouses/{wid}/edit")
    assert form.status_code == 200 and 'value="包头羊绒德国仓"' in form.text and 'value="storage" checked' in form.text
    token = csrf_token(client, f"/exports/warehouses/{wid}/edit")
    good = {"name": "包头羊绒汉堡仓", "country": "304", "address": "Hamburg", "area_m2": "2600.5",
            "operator_name": "包头运营", "ownership_share": "60", "services": ["storage", "returns"],
            "status": "active", "csrf_token": token}

    bad = client.post(f"/exports/warehouses/{wid}", data={**good, "country": "XYZ", "area_m2": "-1",
                                                           "ownership_share": "101", "address": ""})
    assert bad.status_code == 422
    fields = set(re.findall(r'class="field-error" id="[\w-]+" data-field="(\w+)"', bad.text))
    assert fields == {"country", "area_m2", "ownership_share", "address"}
    assert 'value="-1"' in bad.text  # what was typed stays in the form
    db.expire_all()
    assert db.get(OverseasWarehouse, wid).name == "包头羊绒德国仓"  # nothing changed

    taken = client.post(f"/exports/warehouses/{wid}", data={**good, "name": "乌兰巴托仓"})
    assert taken.status_code == 422
    assert re.findall(r'data-field="(\w+)"', taken.text) == ["name"]

    ok = client.post(f"/exports/warehouses/{wid}", data=good, follow_redirects=False)
    assert ok.status_code == 303
    db.expire_all()
    w = db.get(OverseasWarehouse, wid)
    assert (w.name, str(w.area_m2), str(w.ownership_share), w.services) == \
        ("包头羊绒汉堡仓", "2600.50", "60.00", ["returns", "storage"])
    retire = client.post(f"/exports/warehouses/{wid}", data={**good, "status": "inactive"}, follow_redirects=False)
    assert retire.status_code == 303
    db.expire_all()
    assert db.get(OverseasWarehouse, wid).status == "inactive"
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.stream == f"export:warehouse:{wid}")).all() == \
        ["export:warehouse:create", "export:warehouse:update", "export:warehouse:update"]


def test_add_form_shows_every_field_problem_at_once(client, db, ezone):
    login(client, *_user(db, ezone.platform.id, "enterprise_admin"))
    token = csrf_token(client, "/exports/warehouses")
    r = client.post("/exports/warehouses", data={"name": "仓", "country": "XX", "address": "", "area_m2": "abc",
                                                  "operator_name": "运营", "ownership_share": "50", "csrf_token": token})
    assert r.status_code == 422
    assert set(re.findall(r'data-field="(\w+)"', r.text)) == {"country", "address", "area_m2"}
    assert db.scalars(select(OverseasWarehouse)).all() == []


def test_clerks_and_other_enterprises_cannot_edit(client, db, ezone):
    wid = _warehouse(db, ezone.platform.id)
    login(client, *_user(db, ezone.platform.id))  # a clerk of the owner
    token = csrf_token(client, "/exports/warehouses")
    assert client.get(f"/exports/warehouses/{wid}/edit").status_code == 403
    assert client.post(f"/exports/warehouses/{wid}", data={"name": "改名", "csrf_token": token}).status_code == 403
    assert f"/exports/warehouses/{wid}/edit" not in client.get("/exports/warehouses").text
    login(client, *_user(db, ezone.outsider.id, "enterprise_admin"))
    token = csrf_token(client, "/exports/warehouses")
    assert client.get(f"/exports/warehouses/{wid}/edit").status_code == 404
    assert client.post(f"/exports/warehouses/{wid}", data={"name": "改名", "csrf_token": token}).status_code == 404
    db.expire_all()
    assert db.get(OverseasWarehouse, wid).name == "包头羊绒德国仓"
