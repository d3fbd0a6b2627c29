"""Spreadsheets in: a zip bomb is refused before openpyxl unpacks it."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from kuajing.errors import AppError
from kuajing.spreadsheets import MAX_UNPACKED_BYTES


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
