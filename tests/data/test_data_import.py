"""Importing reference-data files: versions, superseding, idempotence, all-or-nothing with line numbers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kuajing.data import service
from kuajing.data.models import CalendarDay, DatasetVersion, ExchangeRate, HsTaxRate
from kuajing.errors import AppError

RATES_V1 = """# version: 2025-10-official
# source: 海关总署 2025年10月份汇率
currency,month,rate
USD,2025-10,7.1000
502,2025-11,7.0900
300,2025-10,8.2500
"""

RATES_V2 = """# version: 2025-10-corrected
currency,month,rate,source
USD,2025-10,7.1200,corrected notice
"""


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_import_then_lookup(db, tmp_path):
    result = service.import_file(session=db, path=_write(tmp_path, "rates.csv", RATES_V1))
    db.commit()
    assert result.created and result.kind == "exchange_rate" and result.row_count == 3
    assert result.label == "2025-10-official"

    info = service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 31))
    assert info.rate == Decimal("7.1") and info.currency == "502" and info.month == "2025-10"
    assert info.version == "2025-10-official" and info.source == "海关总署 2025年10月份汇率"
    assert service.exchange_rate(session=db, currency="502", on=date(2025, 11, 1)).rate == Decimal("7.09")
    # 100 USD at 7.1000, half-up to the fen
    assert service.convert_to_cny(session=db, amount=Decimal("100.005"), currency="USD", on=date(2025, 10, 1)) \
        == Decimal("710.04")
    assert service.convert_to_cny(session=db, amount=Decimal("12.34"), currency="142", on=date(2025, 10, 1)) \
        == Decimal("12.34")

    version = db.scalar(select(DatasetVersion))
    assert version.source_file == "rates.csv" and len(version.sha256) == 64 and version.imported_by == "cli"
    assert version.imported_at.tzinfo is not None and version.row_count == 3


def test_missing_rate_and_unknown_currency(db, tmp_path):
    service.import_file(session=db, path=_write(tmp_path, "rates.csv", RATES_V1))
    db.commit()
    with pytest.raises(AppError) as err:
        service.exchange_rate(session=db, currency="USD", on=date(2025, 12, 1))
    assert err.value.code == "exchange_rate_not_found"
    with pytest.raises(AppError) as err:
        service.exchange_rate(session=db, currency="XYZ", on=date(2025, 10, 1))
    assert err.value.code == "unknown_currency"


def test_newer_version_supersedes_without_deleting_history(db, tmp_path):
    v1 = service.import_file(session=db, path=_write(tmp_path, "v1.csv", RATES_V1))
    v2 = service.import_file(session=db, path=_write(tmp_path, "v2.csv", RATES_V2))
    db.commit()
    assert v2.version_id > v1.version_id

    october = service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 15))
    assert october.rate == Decimal("7.12") and october.version == "2025-10-corrected"
    assert october.source == "corrected notice"
    # v2 says nothing about November: v1's row is still the one in force
    assert service.exchange_rate(session=db, currency="USD", on=date(2025, 11, 15)).rate == Decimal("7.09")
    # EUR untouched by v2
    assert service.exchange_rate(session=db, currency="EUR", on=date(2025, 10, 15)).version == "2025-10-official"
    # as known at version 1 (by id or by label)
    assert service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 15),
                                 as_of_version=v1.version_id).rate == Decimal("7.1")
    assert service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 15),
                                 as_of_version="2025-10-official").rate == Decimal("7.1")
    # history kept
    assert _count(db, ExchangeRate) == 4
    month = {r.currency: r for r in service.rates_for_month(session=db, month="2025-10")}
    assert month["502"].rate == Decimal("7.12") and month["300"].rate == Decimal("8.25")
    with pytest.raises(AppError) as err:
        service.exchange_rate(session=db, currency="USD", on=date(2025, 10, 15), as_of_version=999)
    assert err.value.code == "dataset_version_not_found"


def test_same_file_twice_creates_nothing(db, tmp_path):
    path = _write(tmp_path, "rates.csv", RATES_V1)
    first = service.import_file(session=db, path=path)
    db.commit()
    again = service.import_file(session=db, path=path)
    # same bytes under another name: still the same dataset
    renamed = service.import_file(session=db, path=_write(tmp_path, "copy-of-rates.csv", RATES_V1))
    db.commit()
    assert not again.created and not renamed.created
    assert again.version_id == first.version_id == renamed.version_id
    assert _count(db, DatasetVersion) == 1 and _count(db, ExchangeRate) == 3


def test_bad_rows_reject_the_whole_file_with_line_numbers(db, tmp_path):
    text = """# comment lines count as lines
currency,month,rate
USD,2025-10,7.1000
EUR,2025-13,8.2
XXX,2025-10,1
JPY,2025-10,abc
USD,2025-10,7.2
GBP,2025-10,
"""
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "bad-rates.csv", text))
    problem = err.value.to_problem("en")
    assert problem["code"] == "data_import_invalid" and problem["status"] == 422
    found = {(e["path"], e["code"]) for e in problem["errors"]}
    assert found == {
        ("rows[4]/month", "bad_month"),
        ("rows[5]/currency", "unknown_currency"),
        ("rows[6]/rate", "bad_decimal"),
        ("rows[7]", "duplicate_row"),
        ("rows[8]/rate", "field_required"),
    }
    messages = [e["message"] for e in problem["errors"]]
    assert "Line 7: the same entry is already on line 3." in messages
    zh = err.value.to_problem("zh_Hans")
    assert any("第 6 行" in e["message"] for e in zh["errors"])
    db.rollback()
    assert _count(db, DatasetVersion) == 0 and _count(db, ExchangeRate) == 0


def test_json_and_xlsx_and_per_100(db, tmp_path):
    data = {"kind": "exchange_rate", "version": "json-1", "rows": [
        {"currency": "JPY", "month": "2025-10", "rate": "4.7897", "per": 100},
        {"currency": "KRW", "month": "2025-10", "rate": "0.005012"},
    ]}
    result = service.import_file(session=db, path=_write(tmp_path, "rates.json", json.dumps(data)))
    assert result.label == "json-1" and result.row_count == 2
    assert service.exchange_rate(session=db, currency="116", on=date(2025, 10, 2)).rate == Decimal("0.047897")

    book = Workbook()
    sheet = book.active
    sheet.append(["币制", "月份", "折算率"])
    sheet.append(["303", date(2025, 10, 1), 9.4917])
    sheet.append(["AUD", "2025-10", "4.6712"])
    xlsx = tmp_path / "十月汇率.xlsx"
    book.save(xlsx)
    result = service.import_file(session=db, path=xlsx)
    db.commit()
    assert result.kind == "exchange_rate" and result.row_count == 2
    assert service.exchange_rate(session=db, currency="GBP", on=date(2025, 10, 9)).rate == Decimal("9.4917")


def test_xlsx_bad_row_reports_the_sheet_row(db, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["currency", "month", "rate"])
    sheet.append(["USD", "2025-10", 7.1])
    sheet.append(["USD", "2025-11", -1])
    path = tmp_path / "rates.xlsx"
    book.save(path)
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=path)
    assert [e.path for e in err.value.errors] == ["rows[3]/rate"]
    assert err.value.errors[0].code == "out_of_range"


def test_kind_is_guessed_or_refused(db, tmp_path):
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "misc.csv", "a,b\n1,2\n"))
    assert err.value.code == "data_kind_unknown"
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "rates.csv", RATES_V1), kind="tariffs")
    assert err.value.code == "data_kind_unknown"
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "broken.json", "{not json"))
    assert err.value.code == "data_import_unreadable"
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "rates.csv", "currency,month,rate\n"))
    assert err.value.code == "data_import_invalid"


def test_holiday_file_checks_adjusted_days(db, tmp_path):
    text = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,workday,oops\n2027-01-05,party,\n"
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "holidays.csv", text))
    assert {(e.path, e.code) for e in err.value.errors} == {("rows[3]/date", "out_of_range"),
                                                            ("rows[4]/kind", "not_allowed")}


def test_hs_rates_import_lookup_and_overlap(db, tmp_path):
    text = """hs_code,name,valid_from,valid_to,mfn_rate,vat_rate,consumption_tax_rate,positive_list,remarks
2204.2100.00,wine,2018-05-01,2019-03-31,0.14,16%,0.10,true,
2204210000,wine,2019-04-01,,0.14,0.13,0.10,是,limit 1210
"""
    service.import_file(session=db, path=_write(tmp_path, "hs.csv", text))
    db.commit()
    before = service.hs_tax_rate(session=db, hs_code="2204210000", on=date(2019, 3, 31))
    after = service.hs_tax_rate(session=db, hs_code="2204.21.0000", on=date(2019, 4, 1))
    assert before.vat_rate == Decimal("0.16") and after.vat_rate == Decimal("0.13")
    assert after.positive_list and after.remarks == "limit 1210" and after.valid_to is None
    with pytest.raises(AppError) as err:
        service.hs_tax_rate(session=db, hs_code="2204210000", on=date(2018, 4, 30))
    assert err.value.code == "hs_tax_rate_not_found"

    overlap = """hs_code,valid_from,valid_to,mfn_rate,vat_rate,consumption_tax_rate
0409000000,2019-04-01,,0.15,0.09,0
0409000000,2020-01-01,2020-12-31,0.15,0.09,0
12345,2020-01-01,,0.1,0.13,0
"""
    with pytest.raises(AppError) as err:
        service.import_file(session=db, path=_write(tmp_path, "hs2.csv", overlap))
    assert {(e.path, e.code) for e in err.value.errors} == {("rows[3]/valid_from", "duplicate_row"),
                                                            ("rows[4]/hs_code", "bad_hs_code")}
    assert _count(db, HsTaxRate) == 2


def test_seed_loads_once(db):
    first = service.load_seed(session=db)
    db.commit()
    assert {r.kind.value for r in first} == {"exchange_rate", "holiday", "hs_tax_rate"}
    assert all(r.created for r in first)
    rows = _count(db, CalendarDay), _count(db, ExchangeRate), _count(db, HsTaxRate)
    again = service.load_seed(session=db)
    db.commit()
    assert not any(r.created for r in again)
    assert (_count(db, CalendarDay), _count(db, ExchangeRate), _count(db, HsTaxRate)) == rows
    # the seed covers 2023-01 … 2026-11 for the nine brief currencies that have customs codes
    for code in ("502", "300", "116", "110", "303", "344", "133", "601"):
        assert service.exchange_rate(session=db, currency=code, on=date(2023, 1, 1)).rate > 0
        assert service.exchange_rate(session=db, currency=code, on=date(2026, 11, 30)).rate > 0


def test_import_with_progress_console(db, tmp_path):
    from rich.console import Console

    with open(tmp_path / "out.txt", "w") as out:
        console = Console(file=out, force_terminal=False)
        result = service.import_file(session=db, path=_write(tmp_path, "rates.csv", RATES_V1), console=console)
    assert result.created and "rates.csv" in (tmp_path / "out.txt").read_text()
