"""Issue 4 (tax guarantee, 税款担保) in real headless Chromium: a customs officer opens the "税款担保" nav entry,
picks the agent, sees a bill waiting for cover, records a top-up that covers it and the payment of the agent's
payment form (缴款书) through the page's forms, and the balance follows by hand: 100.00 − 60.00 (B1 drawn) = 40.00,
B2 (70.00) waits; top-up 50.00 → 90.00 covers B2 → 20.00; B1 paid on form JK-E2E → 20.00 + 60.00 = 80.00."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.tax import service
from tests.accounts.fixtures import make_enterprise, make_zone_user

pytestmark = pytest.mark.browser


def _bill(tax_no: str, vat: str) -> dict[str, str]:
    return {"taxNo": tax_no, "customsTax": "0", "valueAddedTax": vat, "consumptionTax": "0"}


def test_customs_covers_a_waiting_bill_and_records_a_payment(live_server, page, session_factory):
    with session_factory() as session:
        agent = make_enterprise(session, name_zh="包头浏览器报关有限公司")
        service.open_guarantee(session=session, agent_enterprise_id=agent.id, actor="e2e", guarantee_no="BG-E2E")
        service.top_up(session=session, agent_enterprise_id=agent.id, amount=Decimal("100.00"), reference="TU-0",
                       actor="e2e")
        assert service.apply_tax_bills(session=session, bills=[
            service.CustomsBill(_bill("B1", "60.00"), agent.id, "INVT-B1"),
            service.CustomsBill(_bill("B2", "70.00"), agent.id, "INVT-B2")]) == ["drawn", "insufficient"]
        service.record_payment_status(session=session, tax_no="B1", status="2", actor="customs:ceb818",
                                      ent_duty_no="JK-E2E")
        officer, password = make_zone_user(session, "customs_officer", username="e2e-tax-officer")
        session.commit()
        agent_id = agent.id

    page.goto(live_server + "/login")
    page.fill("#username", officer.username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/tax/guarantee']").click()
    with page.expect_navigation():
        page.locator(f"#guarantees a[href='/tax/guarantee?agent={agent_id}']").click()
    assert page.locator("#balance").inner_text() == "40.00"
    assert page.locator("#uncovered").inner_text().split() == ["1", "70.00"]
    assert page.locator("[data-alert=uncovered_bills]").count() == 1

    top_up = page.locator("#top-up-form")
    top_up.locator("input[name=amount]").fill("50.00")
    top_up.locator("input[name=reference]").fill("TU-E2E")
    with page.expect_navigation():
        top_up.locator("button[type=submit]").click()
    assert page.locator("#done").is_visible()
    assert page.locator("#balance").inner_text() == "20.00"  # 40.00 + 50.00 − 70.00 (B2 covered)
    assert page.locator("#uncovered").inner_text() == "0"

    payment = page.locator("#payment-form")
    assert payment.locator("input[name=ent_duty_no]").input_value() == "JK-E2E"  # the unpaid form, offered
    assert payment.locator("input[name=amount]").input_value() == "60.00"
    payment.locator("input[name=reference]").fill("BANK-E2E")
    with page.expect_navigation():
        payment.locator("button[type=submit]").click()
    assert page.locator("#balance").inner_text() == "80.00"
    assert page.locator("#forms tr[data-form='JK-E2E'] .badge.green").count() == 1  # paid
    assert page.locator("#payment-status").get_attribute("data-status") == "open"  # B2 not summarised yet
