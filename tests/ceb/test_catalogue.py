"""The receipt-status / error-code catalogue and its rendered documentation."""

from __future__ import annotations

from pathlib import Path

from kuajing.ceb.catalogue import CATALOGUE, explain, lookup, render_error_codes_markdown
from kuajing.ceb.issues import DXP_CODE, IssueCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "error-codes.md"


def test_committed_doc_equals_rendered_catalogue():
    assert DOC.read_text(encoding="utf-8") == render_error_codes_markdown(), (
        "docs/error-codes.md is stale: regenerate it with "
        "python -c 'from kuajing.ceb.catalogue import render_error_codes_markdown as r; "
        "open(\"docs/error-codes.md\",\"w\").write(r())'")


def test_reused_codes_keep_both_meanings():
    for mtype, code in (("CEB621", "-621027"), ("CEB625", "-625022")):
        entries = lookup(mtype, code)
        assert [e.variant for e in entries] == [1, 2]
        assert entries[0].meaning_zh != entries[1].meaning_zh
    assert explain("CEB622", "-621027", "请确认表体gnum无重复！").variant == 2
    assert explain("CEB622", "-621027", "保存失败，请确认状态并刷新重试").variant == 1
    assert explain("CEB626", "-625022", "退货申请单123已经申报过，请勿重复申报").variant == 1


def test_lookup_by_receipt_or_declaration():
    assert lookup("CEB622", "800")[0].meaning_zh == "放行"
    assert lookup("CEB622Message", "-621005")[0].message_type == "CEB621"
    assert lookup("CEB312", "-301010")[0].meaning_en.startswith("an order")
    assert lookup("CEB214", "600")[0].meaning_zh == "挂起"
    assert lookup("CEB312", "600") == ()
    assert lookup("DXP", "0002")[0].kind == "dxp"
    assert lookup("CEB311", "-10102")[0].message_type == "*"


def test_every_entry_is_bilingual_with_a_fix():
    assert len(CATALOGUE) > 200
    for entries in CATALOGUE.values():
        for e in entries:
            assert e.meaning_zh and e.meaning_en and e.fix_zh and e.fix_en


def test_every_issue_code_has_text_and_dxp_mapping():
    text = render_error_codes_markdown()
    for code in IssueCode:
        assert f"`{code}`" in text and code in DXP_CODE


def test_every_issue_code_has_its_meaning_in_russian_and_mongolian():
    from kuajing.ceb.catalogue import issue_code_text
    from kuajing.ceb.issues import IssueCode
    from kuajing.i18n import catalogue

    for locale in ("ru", "mn"):
        missing = [code.value for code in IssueCode if issue_code_text(code)[1] not in catalogue(locale)]
        assert not missing, (locale, missing)


def test_every_ceb900_status_the_platform_answers_is_explained():
    """to_ceb900 answers −1/−2/−999 (negated DXP format codes, message spec table 7-1): the catalogue explains them."""
    from datetime import datetime

    from kuajing.ceb import Issue, to_ceb900

    when = datetime(2024, 1, 2, 3, 4, 5)
    for issue_code in IssueCode:
        status = to_ceb900([Issue(code=issue_code, path="x", value=None, message_zh="z", message_en="e")],
                           original=b"<x/>", when=when).records[0].return_status
        entry = explain("CEB900", status)
        assert entry is not None, (issue_code, status)
        dxp = DXP_CODE[issue_code]
        if dxp:
            assert lookup("DXP", dxp)[0].meaning_zh in entry.meaning_zh
    assert explain("CEB900Message", "-2").meaning_en.startswith("message fails schema validation")
