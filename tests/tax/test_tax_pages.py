"""The calculator page and the Chinese catalogue of every tax string."""

from __future__ import annotations

import re
from pathlib import Path

from kuajing.i18n import catalogue
from kuajing.tax import service
from kuajing.tax.calc import Text

TAX = Path(__file__).resolve().parents[2] / "kuajing" / "tax"


def _template_ids() -> set[str]:
    found = set()
    for tpl in (TAX / "templates").glob("*.html"):
        found |= set(re.findall(r'_\("([^"]+)"\)', tpl.read_text(encoding="utf-8")))
    return found


def _python_ids() -> set[str]:
    found = set(Text.all()) | set(service.Notes.all()) | set(service.REASON_TEXT.values())
    source = (TAX / "errors.py").read_text(encoding="utf-8")
    found |= set(re.findall(r'^\s+"([A-Z][^"]+[.;])"', source, flags=re.MULTILINE))
    found |= {"HS code"}
    return found


def test_every_tax_string_has_a_chinese_translation():
    zh = catalogue("zh_Hans")
    missing = sorted(m for m in _template_ids() | _python_ids() if m not in zh)
    assert not missing, missing


def test_calculator_page_chinese_by_default(client):
    r = client.get("/tax/calculator")
    assert r.status_code == 200
    assert "跨境电商零售进口税费计算器" in r.text


def test_calculator_computes_with_explanation(client):
    r = client.get("/tax/calculator", params={"declared_on": "2025-06-01", "freight": "20", "goods_value_1": "280",
                                              "quantity_1": "1", "hs_code_1": "0402210000"})
    assert r.status_code == 200
    assert "27.30" in r.text and "财关税〔2016〕18号" in r.text


def test_calculator_shows_field_errors_not_500(client):
    r = client.get("/tax/calculator", params={"declared_on": "2025-06-01", "goods_value_1": "abc", "quantity_1": "x"},
                   headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert "items[1]/goods_value" in r.text
    r = client.get("/tax/calculator", params={"declared_on": "nope"})
    assert r.status_code == 200


def test_calculator_errors_name_the_row_and_field_the_clerk_filled(client):
    # row 1 right, row 2 empty, row 3 wrong: the error is on row 3's goods value (the API sees it as items[2])
    r = client.get("/tax/calculator", params={"declared_on": "2025-06-01", "goods_value_1": "280", "quantity_1": "1",
                                              "vat_rate_1": "0.13", "goods_value_3": "abc", "quantity_3": "1",
                                              "vat_rate_3": "0.13"}, headers={"Accept-Language": "en"})
    errors = re.search(r'<section class="errors".*?</section>', r.text, re.S).group(0)
    assert "Row 3 · Goods value (CNY, line total)" in errors and "Row 2" not in errors
    r = client.get("/tax/calculator", params={"declared_on": "2025-06-01", "freight": "x", "goods_value_1": "1",
                                              "quantity_1": "1", "vat_rate_1": "0.13"})
    errors = re.search(r'<section class="errors".*?</section>', r.text, re.S).group(0)
    assert "运费（元）" in errors  # the order field by its Chinese label
