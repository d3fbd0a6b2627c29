"""Issue 2 check, in real headless Chromium: a zone operator logs in, files an enterprise with one
invalid field, sees the error beside it in Chinese, fixes it, and switches the UI to English."""

from __future__ import annotations

import pytest

from tests.accounts.fixtures import make_zone_user, random_uscc

pytestmark = pytest.mark.browser


def test_file_an_enterprise_fix_the_error_switch_to_english(live_server, page, session_factory):
    with session_factory() as session:
        user, password = make_zone_user(session)
        session.commit()
        username = user.username

    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form").filter(has=page.locator("#password")).locator("button[type=submit]").click()
    assert "/login" not in page.url

    page.goto(live_server + "/enterprises/new")
    good_uscc = random_uscc()
    bad_uscc = good_uscc[:-1] + ("0" if good_uscc[-1] != "0" else "1")  # wrong check character
    page.fill("#f-uscc", bad_uscc)
    page.fill("#f-name_zh", "包头市浏览器测试羊绒制品有限公司")
    page.fill("#f-name_en", "Baotou Browser Test Cashmere Co., Ltd.")
    page.fill("#f-customs_code", "1502960123")
    page.fill("#f-address", "包头市九原区建华南路1号")
    page.fill("#f-contact_name", "王经理")
    page.fill("#f-contact_phone", "13800001234")
    page.locator("input[name=roles]").first.check()
    page.select_option("#f-district", index=1)
    page.select_option("#f-industry", index=1)
    with page.expect_navigation():
        page.locator("form.filing-form button[type=submit]").click()

    error = page.locator("#err-uscc .field-error")
    assert error.is_visible()
    assert "不是有效的统一社会信用代码" in error.inner_text()
    assert page.locator("#f-name_zh").input_value() == "包头市浏览器测试羊绒制品有限公司"  # nothing typed is lost

    page.fill("#f-uscc", good_uscc)
    with page.expect_navigation():
        page.locator("form.filing-form button[type=submit]").click()
    assert "/enterprises/" in page.url and "/new" not in page.url
    assert page.get_by_text("包头市浏览器测试羊绒制品有限公司").first.is_visible()
    assert page.get_by_text(good_uscc).first.is_visible()

    with page.expect_navigation():
        page.select_option("#langsel", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header").get_by_text("Enterprise registry").is_visible()
    assert page.get_by_text("Draft").first.is_visible()
