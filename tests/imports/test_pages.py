"""Import pages: the declaration list with status filters and counts, parcel search and timeline, returns;
each enterprise sees only its own parcels (404 otherwise), zone-wide roles see all; Chinese by default."""

from __future__ import annotations

import re

import pytest

from tests.accounts.fixtures import csrf_token, login, make_enterprise_user, make_zone_user
from tests.imports.returns_flow import answer, at, customs, declare, refund, send


@pytest.fixture
def parcels(db, zone):
    """ORD1 released and returned (approved), ORD2 declared, ORD3 only an order (no list yet)."""
    from tests.imports import parcels as p

    inv1 = declare(db, zone, 1, when=at("2026-03-01 10:00"))
    customs(db, inv1, "120", "800", when=at("2026-03-01 11:00"))
    msg = refund(zone, 1)
    send(db, zone.agent, msg, at("2026-03-03 10:00"))
    answer(db, msg, "399", at("2026-03-03 11:00"))
    declare(db, zone, 2, when=at("2026-03-02 10:00"))
    send(db, zone.platform, p.order(zone.parties, 3), at("2026-03-02 12:00"))
    db.commit()
    return zone


def _user(db, enterprise_id):
    user, password = make_enterprise_user(db, enterprise_id)
    db.commit()
    return user.username, password


def test_declaration_list_with_counts_and_status_filter(client, db, parcels):
    login(client, *_user(db, parcels.agent.id))
    page = client.get("/imports/inventories")
    assert page.status_code == 200
    html = page.text
    assert "申报清单" in html and "ORD1" in html and "ORD2" in html
    assert "全部 (2)" in html  # two lists, each status counted
    assert re.search(r'data-status="returned".*?</span> 1</a>', html, re.S)
    assert re.search(r'data-status="declared".*?</span> 1</a>', html, re.S)
    only = client.get("/imports/inventories", params={"status": "declared"}).text
    assert "ORD2" in only and "ORD1</a>" not in only


def test_declaration_list_is_the_enterprises_own(client, db, parcels):
    login(client, *_user(db, parcels.outsider.id))
    html = client.get("/imports/inventories").text
    assert "ORD1" not in html and "全部 (0)" in html
    assert client.get("/imports/parcels/ORD1").status_code == 404
    assert client.get("/imports/parcels", params={"q": "WB1"}, follow_redirects=False).status_code == 200
    assert "ORD1" not in client.get("/imports/parcels", params={"q": "WB1"}).text


def test_zone_wide_roles_see_every_parcel(client, db, parcels):
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    assert "全部 (2)" in client.get("/imports/inventories").text
    assert client.get("/imports/parcels/ORD2").status_code == 200


def test_parcel_found_by_waybill_number_shows_its_timeline(client, db, parcels):
    login(client, *_user(db, parcels.logistics.id))  # the carrier is a party of the parcel
    found = client.get("/imports/parcels", params={"q": "WB1"}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"].startswith("/imports/parcels/ORD1")
    html = client.get(found.headers["location"]).text
    for text in ("CEB311", "CEB411", "CEB511", "CEB621", "CEB625", "CEB622", "CEB626", "已退货",
                 "申报时计算税款", "退货已申报", "150203199001051234"[:4]):
        assert text in html, text
    assert "150203199001051234" not in html and "张三" not in html  # personal data masked
    assert "张*" in html
    assert 'href="/quota"' in html and 'href="/tax/calculator"' in html


def test_parcel_by_order_number_without_a_list(client, db, parcels):
    login(client, *_user(db, parcels.platform.id))
    html = client.get("/imports/parcels/ORD3").text
    assert "CEB311" in html and "尚无申报清单" in html


def test_return_actions_on_the_parcel_page(client, db, parcels):
    login(client, *_user(db, parcels.agent.id))
    html = client.get("/imports/parcels/ORD1").text
    assert "货物已退回" in html and "海关已审核，待退货入区" in html
    token = csrf_token(client, "/imports/parcels/ORD1")
    from kuajing.imports.models import Inventory

    invt_no = db.query(Inventory.invt_no).filter(Inventory.order_no == "ORD1").scalar()
    done = client.post("/imports/returns/action", data={"csrf_token": token, "invt_no": invt_no,
                                                        "action": "arrival", "warehouse_code": "BT01"},
                       follow_redirects=False)
    assert done.status_code == 303
    html = client.get(done.headers["location"]).text
    assert "已退回监管场所" in html and "退货货物已到达" in html
    returns_page = client.get("/imports/returns").text
    assert invt_no in returns_page and "2026-03-31" in returns_page and "2026-04-15" in returns_page


def test_another_enterprise_cannot_move_a_return(client, db, parcels):
    from kuajing.imports.models import Inventory

    invt_no = db.query(Inventory.invt_no).filter(Inventory.order_no == "ORD1").scalar()
    login(client, *_user(db, parcels.outsider.id))
    token = csrf_token(client, "/imports/returns")
    denied = client.post("/imports/returns/action", data={"csrf_token": token, "invt_no": invt_no,
                                                          "action": "arrival"}, follow_redirects=False)
    assert denied.status_code == 404
    assert parcels.outsider.id  # and the return did not move:
    from kuajing.imports.models import ReturnTracking

    db.expire_all()
    assert db.query(ReturnTracking.stage).scalar() == "awaiting_goods"
    api = client.post("/api/v1/imports/returns/arrival", json={"invt_no": invt_no},
                      headers={"X-API-Key": parcels.outsider.key})
    assert api.status_code == 404


def test_returns_api_with_an_api_key(client, db, parcels):
    from kuajing.imports.models import Inventory

    invt_no = db.query(Inventory.invt_no).filter(Inventory.order_no == "ORD1").scalar()
    listed = client.get("/api/v1/imports/returns", headers=parcels.agent.headers).json()
    assert [(r["invt_no"], r["apply_by"], r["arrive_by"], r["stage"]) for r in listed] == [
        (invt_no, "2026-03-31", "2026-04-15", "awaiting_goods")]
    assert client.get("/api/v1/imports/returns", headers=parcels.outsider.headers).json() == []
    moved = client.post("/api/v1/imports/returns/arrival", json={"invt_no": invt_no, "warehouse_code": "BT01"},
                        headers=parcels.agent.headers)
    assert moved.status_code == 200 and moved.json()["stage"] == "received"
    again = client.post("/api/v1/imports/returns/arrival", json={"invt_no": invt_no}, headers=parcels.agent.headers)
    assert again.status_code == 409 and again.json()["code"] == "imports_return_stage"


def test_pages_need_a_login(client):
    assert client.get("/imports/inventories", follow_redirects=False).status_code in (303, 401)


def test_nav_has_the_import_entry(client, db, zone):
    login(client, *_user(db, zone.agent.id))
    assert 'href="/imports/inventories"' in client.get("/").text


def test_english_pages(client, db, parcels):
    login(client, *_user(db, parcels.agent.id))
    html = client.get("/imports/inventories", params={"lang": "en"}).text
    assert "Declaration lists" in html and "Sent to customs" in html and "申报清单" not in html


def test_two_platforms_sharing_an_order_number_never_see_each_others_parcel(client, db, parcels):
    # order numbers are unique per platform only: the outsider, as a platform, files its own ORD1 (a QA pass found
    # that /imports/parcels/ORD1 without ?ebp= merged both parcels for either party)
    from dataclasses import replace

    from tests.imports import parcels as p

    theirs = replace(parcels.parties, ebp=parcels.outsider.code)
    send(db, parcels.outsider, p.order(theirs, 1), at("2026-03-04 10:00"))
    db.commit()
    login(client, *_user(db, parcels.outsider.id))
    html = client.get("/imports/parcels/ORD1").text
    assert "CEB311" in html and "CEB621" not in html and "CEB625" not in html  # its order only
    assert "尚无申报清单" in html and parcels.platform.code not in html
    client.post("/logout", headers={"X-CSRF-Token": csrf_token(client)})
    login(client, *_user(db, parcels.platform.id))
    html = client.get("/imports/parcels/ORD1").text
    assert "CEB621" in html and parcels.outsider.code not in html  # its own parcel, not the outsider's order
    client.post("/logout", headers={"X-CSRF-Token": csrf_token(client)})
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)  # sees both: chooses one from the search
    r = client.get("/imports/parcels/ORD1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/imports/parcels?q=ORD1"
    listing = client.get(r.headers["location"]).text
    assert f"ebp={parcels.platform.code}" in listing and f"ebp={parcels.outsider.code}" in listing
    assert client.get(f"/imports/parcels/ORD1?ebp={parcels.outsider.code}").status_code == 200


def test_a_waybill_no_list_claims_is_shown_to_neither_platform_and_keys_are_url_safe(client, db, parcels):
    # QA re-check: a platform without a list of its own saw the other platform's waybill of the shared number;
    # a "#" in an order number cut the search's links at the fragment
    from dataclasses import replace

    from tests.imports import parcels as p

    theirs = replace(parcels.parties, ebp=parcels.outsider.code)
    send(db, parcels.platform, p.order(parcels.parties, 9), at("2026-03-04 10:00"))
    send(db, parcels.outsider, p.order(theirs, 9), at("2026-03-04 10:01"))
    send(db, parcels.logistics, p.waybill(parcels.parties, 9), at("2026-03-04 10:02"))
    hashed = p.order(parcels.parties, 10)
    hashed.records[0].head.order_no = "ORD #10"
    send(db, parcels.platform, hashed, at("2026-03-04 10:03"))
    db.commit()
    for who in (parcels.platform, parcels.outsider):
        login(client, *_user(db, who.id))
        html = client.get("/imports/parcels/ORD9").text
        assert "CEB311" in html and "CEB511" not in html and "WB9" not in html, who.code
        client.post("/logout", headers={"X-CSRF-Token": csrf_token(client)})
    login(client, *_user(db, parcels.platform.id))
    found = client.get("/imports/parcels", params={"q": "ORD #10"}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"].startswith("/imports/parcels/ORD%20%2310?")
    assert client.get(found.headers["location"]).status_code == 200
