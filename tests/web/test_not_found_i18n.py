"""A 404 names the kind of record in the reader's language: a QA pass found "所请求的overseas warehouse不存在"
— the English noun of ``NotFound("overseas warehouse")`` dropped into the Chinese, Russian and Mongolian text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kuajing.errors import NotFound
from kuajing.i18n import CONTEXT_SEP, Term, catalogue, gettext

PACKAGE = Path(__file__).resolve().parents[2] / "kuajing"


def _kinds() -> set[str]:
    found = {"record"}
    for path in PACKAGE.rglob("*.py"):
        found.update(re.findall(r'NotFound\(\s*"([^"]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_kind_of_record_is_translated():
    kinds = _kinds()
    assert {"overseas warehouse", "enterprise", "document"} <= kinds  # guards the scan itself
    for locale in ("zh_Hans", "ru", "mn"):
        missing = sorted(k for k in kinds if f"record kind{CONTEXT_SEP}{k}" not in catalogue(locale))
        assert not missing, f"{locale}: add msgctxt \"record kind\" entries to core.po: {missing}"


@pytest.mark.parametrize(("locale", "detail", "message"), [
    ("zh_Hans", "所请求的海外仓不存在或您无权查看。", "没有该海外仓。"),
    ("ru", "Запрошенный объект (зарубежный склад) не существует или недоступен вам.",
     "Нет такого объекта (зарубежный склад)."),
    ("mn", "Хүссэн гадаад агуулах байхгүй эсвэл танд харагдахгүй.", "Ийм гадаад агуулах байхгүй."),
    ("en", "The requested overseas warehouse does not exist or is not visible to you.", "No such overseas warehouse."),
])
def test_not_found_speaks_one_language(locale, detail, message):
    problem = NotFound("overseas warehouse", path="warehouse_id", value=7).to_problem(locale)
    assert problem["detail"] == detail
    assert problem["errors"][0]["message"] == message


def test_a_term_without_a_translation_falls_back_to_english():
    assert gettext("No such {what}.", "zh_Hans", what=Term("widget")) == "没有该widget。"


def test_the_api_answers_in_the_callers_language(client, db):
    from tests.accounts.fixtures import login, make_zone_user

    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    body = client.get("/api/v1/enterprises/999999", headers={"Accept-Language": "zh-CN"}).json()
    assert body["code"] == "not_found"
    assert body["detail"] == "所请求的企业不存在或您无权查看。"
    assert body["errors"][0]["message"] == "没有该企业。"
