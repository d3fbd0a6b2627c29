"""Issue 5 end to end in real headless Chromium: a zone exporter's administrator uploads its export orders
from the Excel template (one good order, one with a bad cell shown by row and column), the carrier sends the
waybill, the agent declares the list, the supervised site reports the arrival (CEB507), the customs sandbox
releases the list (800), the departure report (CEB509) closes it (899). In the browser the exporter sees the
list closed with its timeline, the line in the no-invoice register exactly once and the group in the summary
wizard; the customs officer finds the list on the desk among the departed ones, with its site state and
timeline."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.data import service as data
from kuajing.db.base import utcnow
from kuajing.exports.models import ExportInventory
from kuajing.imports.service import pump
from tests.accounts.fixtures import make_api_key, make_enterprise, make_enterprise_user, make_zone_user
from tests.exports import shipments as s
from tests.exports.conftest import Party, Zone
from tests.exports.test_excel import rows, workbook
from tests.exports.test_release import _send

pytestmark = pytest.mark.browser


def _zone(session) -> Zone:
    made = []
    for n, name in enumerate(("platform", "logistics", "agent", "operator", "outsider"), start=1):
        code = f"15028{n:05d}"
        ent = make_enterprise(session, customs_code=code, dxp_id=f"DXPENT00008{n:04d}", name_zh=f"浏览器出口{name}")
        made.append(Party(id=ent.id, code=code, key=make_api_key(session, ent.id)))
    return Zone(*made)


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()


def _the_list(session_factory, zone: Zone) -> ExportInventory:
    with session_factory() as session:
        inv = session.scalars(select(ExportInventory).where(
            ExportInventory.business_key == f"{zone.platform.code}:EXO1")).one()
        inv.items  # noqa: B018 - loaded before the session closes
        return inv


def test_a_released_consignment_from_excel_upload_to_register_and_summary(live_server, browser, client,
                                                                          session_factory):
    with session_factory() as session:
        data.load_seed(session=session)
        zone = _zone(session)
        admin, admin_pw = make_enterprise_user(session, enterprise_id=zone.platform.id, roles=("enterprise_admin",))
        officer, officer_pw = make_zone_user(session, role="customs_officer")
        session.commit()
        admin_name, officer_name = admin.username, officer.username
    p = zone.parties
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())

    # 1. the exporter uploads its orders through the page (progress, verdicts, row errors)
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    _login(page, live_server, admin_name, admin_pw)
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/exports/inventories']").click()
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/exports/orders/upload']").click()
    assert page.locator("h1").inner_text() == "上传出口订单（Excel）"
    assert page.locator("#template-link").get_attribute("href") == "/api/v1/exports/orders/template.xlsx"
    good = rows(p.ebp, "EXO1", "E")
    for row in good:  # the order the agent's list will declare (tests/exports/shipments.inventory)
        row.update({"itemNo": "SKU1", "price": "100", "qty": "2", "currency": "142"})
    bad = rows(p.ebp, "EXO9", "E", bad={1: {"qty": "two"}})
    page.set_input_files("#file", files=[{"name": "orders.xlsx", "buffer": workbook(good + bad),
                                          "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_selector("#upload-result:not([hidden])")
    assert page.locator("#upload-summary").inner_text() == "共 2 个订单：受理 1 个，退回 1 个。"
    orders = page.locator("#upload-orders tbody").inner_text()
    assert re.search(r"EXO1\s+3\s+受理\s+2", orders) and re.search(r"EXO9\s+4\s+退回", orders), orders
    errors = page.locator("#upload-errors tbody tr")
    assert errors.count() == 1 and errors.first.locator("td").nth(0).inner_text() == "4"
    assert errors.first.locator("td").nth(1).inner_text() == "qty"

    # 2. waybill, list, the customs sandbox decides (399) and waits for the goods
    _send(client, zone.logistics, s.waybill(p, 1))
    assert _send(client, zone.agent, s.inventory(p, 1))["code"] == "2"
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    assert _the_list(session_factory, zone).status == "decided"
    # 3. arrival at the supervised site → 800; departure → 899
    _send(client, zone.operator, s.arrival(p, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    assert _the_list(session_factory, zone).status == "released"
    _send(client, zone.logistics, s.departure(p, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    inv = _the_list(session_factory, zone)
    assert inv.status == "closed" and inv.invt_no
    gname = inv.items[0].gname

    # 4. the exporter: the list is closed, with its timeline
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/exports/inventories']").click()
    with page.expect_navigation():
        page.locator('#status-filter a[data-status="closed"]').click()
    with page.expect_navigation():
        page.locator("table.inventories").get_by_text("EXO1").click()
    assert page.locator("#list-status").inner_text() == "结关"
    timeline = page.locator("#timeline")
    for text in ("CEB303", "CEB505", "CEB603", "已运抵监管场所", "已离境"):
        assert timeline.get_by_text(text).first.is_visible(), text
    codes = timeline.locator(".badge").all_inner_texts()
    assert codes.index("800") < codes.index("899"), codes  # released before closed
    assert page.locator("#register-entries tbody tr").count() == 1

    # 5. the released line is in the no-invoice register exactly once
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/no-invoice-register']").click()
    register = page.locator("table.register tbody tr")
    assert register.filter(has_text=inv.invt_no).count() == 1
    line = register.filter(has_text=inv.invt_no).inner_text()
    assert gname in line and "200" in line, line  # the list's goods name; amount 2 × 100

    # 6. the summary wizard shows the group (the month of the release, Asia/Shanghai)
    month = _shanghai_month()
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/export-summary']").click()
    page.fill("input[name=month]", month)
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    groups = page.locator("table.groups tbody tr")
    assert groups.count() == 1
    cells = groups.first.locator("td").all_inner_texts()
    assert cells[0] == p.ebp and cells[6] == "6110120000" and cells[8] == "1", cells
    assert page.locator("[data-deadline]").inner_text().startswith(_next_month(month))
    ctx.close()

    # 7. the customs officer finds it on the desk among the departed lists
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    _login(page, live_server, officer_name, officer_pw)
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/exports/inventories']").click()
    with page.expect_navigation():
        page.locator("nav.exports-nav a[href='/exports/desk']").click()
    assert page.locator("h1").inner_text() == "出口清单关员工作台"
    page.select_option("#f-site", "departed")
    with page.expect_navigation():
        page.locator("#desk-filters button[type=submit]").click()
    listed = page.locator("#desk-lists tbody tr")
    assert listed.count() == 1 and "EXO1" in listed.first.inner_text()
    with page.expect_navigation():
        listed.first.locator("a").click()
    assert page.locator("#list-status").inner_text() == "结关"
    assert f"{zone.operator.code}:ARR1:1" in page.locator("#site-arrival").inner_text()
    assert f"{zone.logistics.code}:DEP1:1" in page.locator("#site-departure").inner_text()
    assert page.locator("#timeline").get_by_text("899").first.is_visible()
    ctx.close()


def _shanghai_month() -> str:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def _next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
