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
