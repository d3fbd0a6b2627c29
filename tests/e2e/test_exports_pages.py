"""Issue 5 check, in real headless Chromium: an exporter's administrator follows the "出口" nav entry to the
export lists, registers an overseas warehouse through the form and sees it listed in Chinese."""

from __future__ import annotations

import pytest

from tests.accounts.fixtures import make_enterprise, make_enterprise_user

pytestmark = pytest.mark.browser


def test_nav_to_exports_and_register_a_warehouse(live_server, page, session_factory):
    with session_factory() as session:
        ent = make_enterprise(session, customs_code="1502960E2E", name_zh="包头浏览器出口有限公司")
        user, password = make_enterprise_user(session, enterprise_id=ent.id, roles=("enterprise_admin",))
        session.commit()
        username = user.username

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/exports/inventories']").click()
    assert page.locator("h1").inner_text() == "出口申报清单"
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/exports/warehouses']").click()
    page.fill("#w-name", "包头羊绒德国仓")
    page.fill("#w-country", "304")
    page.fill("#w-address", "Hamburg, Beispielstraße 1")
    page.fill("#w-area", "2500")
    page.fill("#w-op", "包头示例海外仓有限公司")
    page.fill("#w-share", "100")
    page.locator("input[name=services][value=storage]").check()
    with page.expect_navigation():
        page.locator("#add-warehouse button[type=submit]").click()
    mine = page.locator("#my-warehouses").inner_text()
    assert "包头羊绒德国仓" in mine and "德国" in mine and "仓储" in mine
