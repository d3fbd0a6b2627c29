"""Issue 7 (risk), in real headless Chromium: a commerce-bureau supervisor follows the "风险预警" nav entry,
opens a split-order alert (buyer ID masked), starts investigating, closes it with a note; then publishes a
district evaluation and sees the snapshot verified."""

from __future__ import annotations

import pytest

from kuajing.accounts.choices import Role
from kuajing.risk import service
from tests.accounts.fixtures import make_zone_user
from tests.risk.helpers import BUYER, fact, hours

pytestmark = pytest.mark.browser


def test_supervisor_works_an_alert_and_publishes_an_evaluation(live_server, page, session_factory):
    with session_factory() as session:
        fact(session, at=hours(0), district="150207")
        fact(session, at=hours(1), district="150207")
        [alert] = service.evaluate(session=session, fact=fact(session, at=hours(2), district="150207"))
        user, password = make_zone_user(session, role=Role.commerce_supervisor)
        session.commit()
        username, alert_id = user.username, alert.id

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/risk/alerts']").click()
    page.fill("input[name=start]", "2026-01-01")
    page.fill("input[name=end]", "2026-12-31")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    table = page.locator("table.alerts").inner_text()
    assert "拆单" in table and "1502**********1234" in table and BUYER not in page.content()
    with page.expect_navigation():
        page.locator(f"a[href='/risk/alerts/{alert_id}']").click()
    with page.expect_navigation():
        page.locator("#investigate").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "investigating"
    page.fill("textarea[name=note]", "同一家庭分次购买，已核实")
    page.select_option("select[name=outcome]", "dismissed")
    with page.expect_navigation():
        page.locator("#close").click()
    assert page.locator("[data-status]").get_attribute("data-status") == "closed"
    assert "同一家庭分次购买，已核实" in page.locator("ol.steps").inner_text()

    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/evaluation']").click()
    assert "园区建设" in page.locator("table.ranking").inner_text()
    with page.expect_navigation():
        page.locator("#publish").click()
    assert page.locator("[data-verified]").count() == 1
