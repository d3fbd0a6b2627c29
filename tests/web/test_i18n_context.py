"""Words whose meaning depends on where they stand carry a message context (msgctxt): a QA pass found a risk
alert's "Open" shown as 可申请 (a return window's "open") and "Closed" as 结关 (customs clearance closed)."""

from __future__ import annotations

import pytest

from kuajing.i18n import catalogue, gettext, pgettext, pgettext_lazy
from kuajing.risk.choices import AlertStatus


@pytest.mark.parametrize(("locale", "alert_open", "alert_closed", "window_open", "window_closed"), [
    ("zh_Hans", "待处理", "已关闭", "可申请", "已截止"),
    ("ru", "Открыто", "Закрыто", "Можно подать", "Срок истёк"),
    ("mn", "Шийдвэрлээгүй", "Хаагдсан", "Нээлттэй", "Хугацаа дууссан"),
    ("en", "Open", "Closed", "Open", "Closed"),
])
def test_the_same_words_in_two_contexts(locale, alert_open, alert_closed, window_open, window_closed):
    assert AlertStatus.open.display(locale) == alert_open
    assert AlertStatus.closed.display(locale) == alert_closed
    assert (pgettext("return window", "Open", locale), pgettext("return window", "Closed", locale)) == \
        (window_open, window_closed)
    assert gettext("Closed", locale) != alert_closed or locale == "en"  # the list status 结关 keeps its own word


def test_a_context_missing_in_a_locale_falls_back_to_english_not_to_another_meaning():
    assert "Closed" in catalogue("zh_Hans")  # 结关: the context-free word exists …
    assert gettext(pgettext_lazy("never translated", "Closed"), "zh_Hans") == "Closed"  # … but is not borrowed


def test_the_risk_pages_use_the_alert_words(client, db):
    from tests.accounts.fixtures import login, make_zone_user

    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    html = client.get("/risk/alerts").text
    assert "待处理" in html and "可申请" not in html and "证书主题" not in html and "对象" in html
