"""The web shell in a real browser: Chinese by default, language switch to English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_home_is_chinese_and_switches_to_english(live_server, page):
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("header").get_by_text("企业库").is_visible()
    with page.expect_navigation():  # the switch posts to /lang/en and is redirected back
        page.select_option("#langsel", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header").get_by_text("Enterprise registry").is_visible()
    # the choice sticks across pages
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
