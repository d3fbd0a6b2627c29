"""Issue 6 in real headless Chromium: an exporter's administrator follows the "结汇" nav entry, records the
§6 netting receipt through the form (88,000 received, 12,000 netted → 100,000 restored), then records a
non-affiliated advance and generates its SAFE report."""

from __future__ import annotations

import pytest

from tests.accounts.fixtures import make_enterprise, make_enterprise_user

pytestmark = pytest.mark.browser


def test_record_a_netted_receipt_and_an_advance_report(live_server, page, session_factory):
    with session_factory() as session:
        ent = make_enterprise(session, customs_code="1502960F26", name_zh="包头浏览器结汇有限公司")
        user, password = make_enterprise_user(session, enterprise_id=ent.id, roles=("enterprise_admin",))
        session.commit()
        username = user.username

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/fx']").click()
    assert page.locator("h1").inner_text() == "收汇"
    form = page.locator("form.record-proceeds")
    for name, value in (("bank_name", "中国银行包头分行"), ("bank_reference", "E2E-R62"), ("received_on", "2025-11-20"),
                        ("currency", "USD"), ("actual_amount", "88000"), ("payer_name", "Marketplace EU"),
                        ("fee_storage", "5000"), ("fee_logistics", "4000"), ("fee_tax", "3000")):
        form.locator(f"input[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("table.proceeds tbody tr").first
    assert row.locator("[data-actual]").inner_text() == "88000.00"
    assert row.locator("[data-export]").inner_text() == "100000.00"
    with page.expect_navigation():
        page.locator("nav.fx-nav a[href='/fx/advances']").click()
    adv = page.locator("form.record-advance")
    adv.locator("input[name=client_name]").fill("Nordic Cashmere Retail AB")
    adv.locator("input[name=amount]").fill("4200")
    adv.locator("input[name=advanced_on]").fill("2025-01-10")
    adv.locator("input[name=repaid_on]").fill("2025-12-10")
    with page.expect_navigation():
        adv.locator("button[type=submit]").click()
    assert page.locator("table.advances [data-duty]").first.get_attribute("data-duty") == "yes"
    assert "为非关联企业代垫" in page.locator("table.advances").inner_text()
    with page.expect_navigation():
        page.locator("table.advances button[type=submit]").first.click()
    assert page.locator("article.report").get_attribute("data-required") == "yes"
    assert "non_affiliated" in page.locator("article.report").inner_text()
