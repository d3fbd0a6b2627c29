"""Issue 4 pages in real headless Chromium: an enterprise user opens the declaration list from the nav,
filters by status, opens a parcel's timeline, and finds a parcel by its waybill number."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.accounts.fixtures import make_api_key, make_enterprise, make_enterprise_user
from tests.imports.parcels import Parties
from tests.imports.returns_flow import at, customs, declare

pytestmark = pytest.mark.browser


def _zone(session):
    parties = {}
    for n, name in enumerate(("platform", "pay", "logistics", "agent"), start=1):
        code = f"15027{n:05d}"
        ent = make_enterprise(session, customs_code=code, dxp_id=f"DXPENT00000{70 + n:05d}", name_zh=f"浏览器{name}")
        make_api_key(session, ent.id)
        parties[name] = SimpleNamespace(id=ent.id, code=code)
    zone = SimpleNamespace(**parties)
    zone.parties = Parties(ebp=zone.platform.code, pay=zone.pay.code, logistics=zone.logistics.code,
                           agent=zone.agent.code)
    return zone


def test_declaration_list_filter_and_parcel_timeline(live_server, page, session_factory):
    with session_factory() as session:
        zone = _zone(session)
        released = declare(session, zone, 1, when=at("2026-03-01 10:00"))
        customs(session, released, "120", "800", when=at("2026-03-01 11:00"))
        declare(session, zone, 2, when=at("2026-03-02 10:00"))
        user, password = make_enterprise_user(session, zone.agent.id)
        session.commit()
        username = user.username

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()

    with page.expect_navigation():
        page.locator("header nav").get_by_text("进口").click()
    assert page.url.endswith("/imports/inventories")
    table = page.locator("table.inventories")
    assert table.get_by_text("ORD1").is_visible() and table.get_by_text("ORD2").is_visible()
    assert page.locator("#status-filter").get_by_text("全部 (2)").is_visible()

    with page.expect_navigation():
        page.locator('#status-filter a[data-status="released"]').click()
    assert "status=released" in page.url
    assert table.get_by_text("ORD1").is_visible()
    assert table.get_by_text("ORD2").count() == 0

    with page.expect_navigation():
        table.get_by_text("ORD1").click()
    assert "/imports/parcels/ORD1" in page.url
    assert page.locator("#list-status").inner_text() == "放行"
    timeline = page.locator("#timeline")
    assert timeline.get_by_text("CEB621").first.is_visible()
    assert timeline.get_by_text("CEB622").first.is_visible()
    assert timeline.get_by_text("申报时计算税款").is_visible()
    assert page.locator("#return-window").get_by_text("2026-03-31").is_visible()

    page.goto(live_server + "/imports/parcels")
    page.fill("#q", "WB2")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert "/imports/parcels/ORD2" in page.url
    assert page.locator("#list-status").inner_text() == "已发往海关"
