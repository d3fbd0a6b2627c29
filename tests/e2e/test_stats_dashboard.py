"""Issue 7 check, in real headless Chromium: the commerce bureau's supervisor opens the dashboard from the nav,
every ECharts chart draws, a filter changes the figures, the risk and data-export panels show their
placeholders while those modules are absent, a target clicks through to its records, the large-screen layout
switches on."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kuajing.stats import service
from tests.accounts.fixtures import make_enterprise, make_user
from tests.stats.helpers import export_list, import_list

pytestmark = pytest.mark.browser


def test_dashboard_renders_filters_and_clicks_through(live_server, page, session_factory):
    from kuajing.db.base import utcnow

    now = utcnow()
    with session_factory() as session:
        a = make_enterprise(session, customs_code="1502960S01", name_zh="包头看板甲有限公司", district="150207")
        c = make_enterprise(session, customs_code="1502960S02", name_zh="包头看板丙有限公司", district="150204")
        import_list(session, ent=a, released_at=now, items=[("0402210000", "601", D("10000.00"))])
        export_list(session, ent=c, mode="9710", released_at=now, items=[("6110200000", "304", D("30000.00"), "142")])
        user, password = make_user(session, roles=("commerce_supervisor",))
        session.commit()
        username = user.username
    service.fold_all(session_factory=session_factory)

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/stats']").click()
    assert page.locator("h1").inner_text().startswith("综试区监测看板")
    page.wait_for_selector("#dash[data-loaded]")
    for chart in ("trend", "modes", "countries", "products", "districts"):
        page.wait_for_selector(f"#chart-{chart} canvas")  # ECharts drew into a canvas
    assert page.locator("#kpi-import").inner_text() == "1" and page.locator("#kpi-export").inner_text() == "3"
    # the risk and data-export panels show kuajing.risk's figures for the same window / year
    for panel, figure in (("#risk", "未关闭预警"), ("#dataexport", "计入的个人（非豁免）")):  # labels, not raw keys
        page.wait_for_function(f"document.querySelector('{panel}').textContent.trim().length > 0")
        text = page.locator(panel).inner_text()
        assert figure in text and "HTTP" not in text and "尚未安装" not in text, text
    # one filter: mode 9710 → only the export remains
    page.select_option("select[name=mode]", "9710")
    page.wait_for_selector("#dash[data-loaded*='mode=9710']")
    assert page.locator("#kpi-import").inner_text() == "0" and page.locator("#kpi-export").inner_text() == "3"
    assert "mode=9710" in page.url
    # large-screen layout
    page.click("#fullscreen")
    assert "bigscreen" in (page.locator("body").get_attribute("class") or "")
    page.click("#fullscreen")
    # a target's number → the records behind it
    link = page.locator("a.target-link[href*='enterprises_cumulative'][href*='year=2025']")
    with page.expect_navigation():
        link.click()
    assert "/stats/records" in page.url
    page.goto(live_server + f"/stats/records?indicator=enterprises_cumulative&year={now.year}")
    text = page.locator("#records").inner_text()
    assert "包头看板甲有限公司" in text and "包头看板丙有限公司" in text
