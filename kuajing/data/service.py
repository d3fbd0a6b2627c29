"""Reference-data services: import a file as a new dataset version; look rates, days and tax rates up.

Versioning: every import is a :class:`DatasetVersion`; rows are never updated or deleted. A look-up
takes, among the rows in force on the date, the row of the newest version (``as_of_version`` limits
the search to versions up to that one: "as known at version X"). For the holiday calendar the key is
the year: the newest version that lists any day of a year is that year's whole calendar.
"""

from __future__ import annotations

import calendar as _calendar
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kuajing.audit.service import record
from kuajing.ceb.codes import find_by, iso_of, table
from kuajing.data import errors
from kuajing.data.choices import DatasetKind, DayKind
from kuajing.data.errors import DataError
from kuajing.data.models import CalendarDay, DatasetVersion, ExchangeRate, HsTaxRate
from kuajing.errors import AppError, FieldIssue

SEED_DIR = Path(__file__).parent / "seed"
CNY = "142"  # customs currency code of the renminbi (人民币)
MAX_ISSUES = 200  # row problems reported per file (the rest are counted)
_RATE_QUANTUM = Decimal("0.00000001")
_TAX_QUANTUM = Decimal("0.000001")
_FEN = Decimal("0.01")


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateInfo:
    """A customs monthly rate: CNY per ONE unit of ``currency`` for ``month`` (YYYY-MM)."""

    currency: str  # customs code
    rate: Decimal
    month: str
    version: str | None  # version label (None for CNY itself)
    version_id: int | None
    source: str


@dataclass(frozen=True)
class CalendarEntry:
    """A holiday or adjusted working day of the calendar."""

    day: date
    kind: DayKind
    name: str
    source: str


@dataclass(frozen=True)
class YearCalendar:
    """The calendar of one year as one version states it."""

    year: int
    version: str
    version_id: int
    entries: dict[date, CalendarEntry]


@dataclass(frozen=True)
class HsRateInfo:
    """Tariff and tax rates of an HS code in force on a date (rates as fractions)."""

    hs_code: str
    name: str
    valid_from: date
    valid_to: date | None
    mfn_rate: Decimal
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    positive_list: bool
    remarks: str
    version: str
    version_id: int


@dataclass(frozen=True)
class ImportResult:
    """What an import did: a new version, or nothing because the same file was imported before."""

    version_id: int
    kind: DatasetKind
    label: str
    file_name: str
    sha256: str
    row_count: int
    created: bool

    def __str__(self) -> str:
        state = "new version" if self.created else "already imported, nothing new"
        return (f"{self.kind.value} version {self.label!r} (id {self.version_id}, {self.row_count} rows, "
                f"sha256 {self.sha256[:12]}…) from {self.file_name}: {state}")


# --- currencies and months ----------------------------------------------------------------------


def customs_currency(value: str, *, path: str = "currency") -> str:
    """The customs currency code for a customs code (``502``) or an ISO code (``USD``)."""
    text = str(value or "").strip()
    if text in table("currency"):
        return text
    entry = find_by("currency", "iso", text.upper())
    if entry is None:
        raise errors.unknown_currency(value, path=path)
    return entry.code


_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: Any, *, path: str = "month") -> date:
    """The first day of a ``YYYY-MM`` month (a date or datetime is taken as its month)."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    match = _MONTH_RE.match(text) or re.match(r"^(\d{4})-(\d{1,2})-01$", text)
    if not match:
        raise errors.bad_month(value, path=path)
    year, month = int(match.group(1)), int(match.group(2))
    if not (1990 <= year <= 2100 and 1 <= month <= 12):
        raise errors.bad_month(value, path=path)
    return date(year, month, 1)


def _month_end(first: date) -> date:
    return first.replace(day=_calendar.monthrange(first.year, first.month)[1])


def _resolve_version(session: Session, kind: DatasetKind, as_of: int | str | None) -> int | None:
    if as_of is None:
        return None
    query = select(DatasetVersion.id).where(DatasetVersion.kind == kind.value)
    if isinstance(as_of, int) or (isinstance(as_of, str) and as_of.isdigit()):
        found = session.scalar(query.where(DatasetVersion.id == int(as_of)))
    else:
        found = session.scalar(query.where(DatasetVersion.label == as_of).order_by(DatasetVersion.id.desc()))
    if found is None:
        raise errors.version_not_found(as_of)
    return found


# --- exchange rates (海关月度汇率) ----------------------------------------------------------------


def exchange_rate(*, session: Session, currency: str, on: date, as_of_version: int | str | None = None) -> RateInfo:
    """The customs monthly rate of ``currency`` in force on ``on`` (CNY per one unit)."""
    code = customs_currency(currency)
    month = on.strftime("%Y-%m")
    if code == CNY:
        return RateInfo(currency=CNY, rate=Decimal(1), month=month, version=None, version_id=None, source="CNY")
    limit = _resolve_version(session, DatasetKind.EXCHANGE_RATE, as_of_version)
    query = (
        select(ExchangeRate, DatasetVersion.label)
        .join(DatasetVersion, DatasetVersion.id == ExchangeRate.version_id)
        .where(ExchangeRate.currency == code, ExchangeRate.valid_from <= on, ExchangeRate.valid_to >= on)
        .order_by(ExchangeRate.version_id.desc())
        .limit(1)
    )
    if limit is not None:
        query = query.where(ExchangeRate.version_id <= limit)
    row = session.execute(query).first()
    if row is None:
        raise errors.rate_not_found(code, month)
    rate, label = row
    return RateInfo(currency=code, rate=rate.rate, month=month, version=label, version_id=rate.version_id,
                    source=rate.source)


def rates_for_month(*, session: Session, month: str | date, as_of_version: int | str | None = None) -> list[RateInfo]:
    """Every currency's customs rate for ``month`` (the newest version of each), sorted by currency code."""
    first = parse_month(month)
    limit = _resolve_version(session, DatasetKind.EXCHANGE_RATE, as_of_version)
    query = (
        select(ExchangeRate, DatasetVersion.label)
        .join(DatasetVersion, DatasetVersion.id == ExchangeRate.version_id)
        .where(ExchangeRate.valid_from <= first, ExchangeRate.valid_to >= first)
        .order_by(ExchangeRate.currency, ExchangeRate.version_id.desc())
    )
    if limit is not None:
        query = query.where(ExchangeRate.version_id <= limit)
    seen: dict[str, RateInfo] = {}
    for rate, label in session.execute(query):
        if rate.currency not in seen:
            seen[rate.currency] = RateInfo(currency=rate.currency, rate=rate.rate, month=first.strftime("%Y-%m"),
                                           version=label, version_id=rate.version_id, source=rate.source)
    return list(seen.values())


def convert_to_cny(*, session: Session, amount: Decimal, currency: str, on: date) -> Decimal:
    """``amount`` of ``currency`` in CNY at the customs rate in force on ``on``, half-up to the fen."""
    if isinstance(amount, float):
        raise TypeError("floats never touch money: pass a Decimal or a string")
    info = exchange_rate(session=session, currency=currency, on=on)
    return (Decimal(amount) * info.rate).quantize(_FEN, rounding="ROUND_HALF_UP")


# --- holiday calendar (节假日安排) -----------------------------------------------------------------


def year_calendar(*, session: Session, year: int, as_of_version: int | str | None = None) -> YearCalendar:
    """The holidays and adjusted working days of ``year`` from the newest version that covers it."""
    if not 1990 <= int(year) <= 2100:
        raise errors.bad_year(year)
    limit = _resolve_version(session, DatasetKind.HOLIDAY, as_of_version)
    query = select(func.max(CalendarDay.version_id)).where(CalendarDay.year == year)
    if limit is not None:
        query = query.where(CalendarDay.version_id <= limit)
    version_id = session.scalar(query)
    if version_id is None:
        raise errors.calendar_not_loaded(year)
    label = session.scalar(select(DatasetVersion.label).where(DatasetVersion.id == version_id))
    rows = session.scalars(
        select(CalendarDay).where(CalendarDay.version_id == version_id, CalendarDay.year == year).order_by(CalendarDay.day)
    )
    entries = {r.day: CalendarEntry(day=r.day, kind=DayKind(r.kind), name=r.name, source=r.source) for r in rows}
    return YearCalendar(year=year, version=label, version_id=version_id, entries=entries)


class _Calendar:
    """Per-call cache of year calendars for day arithmetic."""

    def __init__(self, session: Session):
        self.session = session
        self.years: dict[int, YearCalendar] = {}

    def working(self, day: date) -> bool:
        if day.year not in self.years:
            self.years[day.year] = year_calendar(session=self.session, year=day.year)
        entry = self.years[day.year].entries.get(day)
        if entry is not None:
            return entry.kind == DayKind.WORKDAY
        return day.weekday() < 5


def is_working_day(*, session: Session, day: date) -> bool:
    """True when ``day`` is a working day: Mon–Fri not a holiday, or an adjusted working day (调休上班)."""
    return _Calendar(session).working(day)


def add_working_days(*, session: Session, start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (before it when ``n`` < 0; ``start`` itself is not counted)."""
    cal = _Calendar(session)
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if cal.working(day):
            left -= 1
    return day


def next_working_day(*, session: Session, day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it (deadline roll-forward)."""
    cal = _Calendar(session)
    while not cal.working(day):
        day += timedelta(days=1)
    return day


# --- HS tax rates (商品税率) ----------------------------------------------------------------------


def hs_tax_rate(*, session: Session, hs_code: str, on: date, as_of_version: int | str | None = None) -> HsRateInfo:
    """The tariff and tax rates of ``hs_code`` in force on ``on`` (newest version wins)."""
    code = re.sub(r"[\s.]", "", str(hs_code or ""))
    limit = _resolve_version(session, DatasetKind.HS_TAX_RATE, as_of_version)
    query = (
        select(HsTaxRate, DatasetVersion.label)
        .join(DatasetVersion, DatasetVersion.id == HsTaxRate.version_id)
        .where(HsTaxRate.hs_code == code, HsTaxRate.valid_from <= on)
        .where((HsTaxRate.valid_to.is_(None)) | (HsTaxRate.valid_to >= on))
        .order_by(HsTaxRate.version_id.desc(), HsTaxRate.valid_from.desc())
        .limit(1)
    )
    if limit is not None:
        query = query.where(HsTaxRate.version_id <= limit)
    row = session.execute(query).first()
    if row is None:
        raise errors.hs_rate_not_found(code, on.isoformat())
    r, label = row
    return HsRateInfo(hs_code=r.hs_code, name=r.name, valid_from=r.valid_from, valid_to=r.valid_to,
                      mfn_rate=r.mfn_rate, vat_rate=r.vat_rate, consumption_tax_rate=r.consumption_tax_rate,
                      positive_list=r.positive_list, remarks=r.remarks, version=label, version_id=r.version_id)


def versions(*, session: Session, kind: str | None = None) -> list[DatasetVersion]:
    """Every imported dataset version (of ``kind``), oldest first."""
    query = select(DatasetVersion).order_by(DatasetVersion.id)
    if kind:
        try:
            query = query.where(DatasetVersion.kind == DatasetKind(kind).value)
        except ValueError:
            raise errors.kind_unknown(kind) from None
    return list(session.scalars(query))


# --- reading files ------------------------------------------------------------------------------

_META_KEYS = ("kind", "version", "source")

#: Column-name aliases (Chinese headers of customs/State Council tables) → our field names.
_ALIASES = {
    "币制": "currency", "币种": "currency", "货币": "currency", "currency_code": "currency",
    "月份": "month", "折算率": "rate", "汇率": "rate", "单位": "per", "来源": "source", "数据来源": "source",
    "日期": "date", "day": "date", "类型": "kind", "type": "kind", "名称": "name", "节日": "name",
    "商品编码": "hs_code", "hs": "hs_code", "商品名称": "name", "生效日期": "valid_from", "失效日期": "valid_to",
    "最惠国税率": "mfn_rate", "增值税率": "vat_rate", "消费税率": "consumption_tax_rate",
    "正面清单": "positive_list", "备注": "remarks",
}


@dataclass
class _Parsed:
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]  # (line number, field → raw value)
    meta: dict[str, str]


def _field_name(raw: Any) -> str:
    name = str(raw or "").strip().lstrip("\ufeff")
    key = name.lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(name, _ALIASES.get(key, key))


def _read(path: Path, content: bytes) -> _Parsed:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.unreadable(path.name, "not UTF-8 text") from None
    if suffix == ".json" or text.lstrip().startswith(("{", "[")):
        return _read_json(path, text)
    return _read_csv(path, text)


def _read_csv(path: Path, text: str) -> _Parsed:
    meta: dict[str, str] = {}
    numbered: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped.lstrip("#").partition(":")
            if sep and key.strip().lower() in _META_KEYS and not numbered:
                meta[key.strip().lower()] = value.strip()
            continue
        numbered.append((number, line))
    if not numbered:
        raise errors.unreadable(path.name, "no header row")
    dialect = "excel-tab" if "\t" in numbered[0][1] and "," not in numbered[0][1] else "excel"
    parsed = list(csv.reader((line for _, line in numbered), dialect=dialect))
    header = [_field_name(h) for h in parsed[0]]
    rows = []
    for (number, _line), cells in zip(numbered[1:], parsed[1:]):
        rows.append((number, {header[i]: cells[i] if i < len(cells) else "" for i in range(len(header))}))
    return _Parsed(header=header, rows=rows, meta=meta)


def _read_json(path: Path, text: str) -> _Parsed:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.unreadable(path.name, f"invalid JSON at line {exc.lineno}") from None
    meta: dict[str, str] = {}
    if isinstance(data, dict):
        meta = {k: str(data[k]) for k in _META_KEYS if data.get(k) is not None}
        data = data.get("rows")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise errors.unreadable(path.name, "expected a list of objects, or an object with a rows list")
    header: list[str] = []
    rows = []
    for number, item in enumerate(data, start=1):
        fields = {_field_name(k): v for k, v in item.items()}
        for key in fields:
            if key not in header:
                header.append(key)
        rows.append((number, fields))
    return _Parsed(header=header, rows=rows, meta=meta)


def _read_xlsx(path: Path, content: bytes) -> _Parsed:
    from openpyxl import load_workbook

    from kuajing.spreadsheets import check_workbook_archive

    try:
        check_workbook_archive(content)  # a zip bomb is refused before openpyxl unpacks anything
    except ValueError as exc:
        raise errors.unreadable(path.name, f"not a readable XLSX workbook ({exc})") from None
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise errors.unreadable(path.name, f"not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        header: list[str] = []
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not header:
                if any(v is not None for v in values):
                    header = [_field_name(v) for v in values]
                continue
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            rows.append((number, {header[i]: values[i] if i < len(values) else None for i in range(len(header))}))
    finally:
        workbook.close()
    if not header:
        raise errors.unreadable(path.name, "no header row")
    return _Parsed(header=header, rows=rows, meta={})


def _guess_kind(parsed: _Parsed, name: str) -> DatasetKind | None:
    fields = set(parsed.header)
    if "hs_code" in fields:
        return DatasetKind.HS_TAX_RATE
    if {"currency", "rate"} <= fields:
        return DatasetKind.EXCHANGE_RATE
    if {"date", "kind"} <= fields:
        return DatasetKind.HOLIDAY
    lowered = name.lower()
    for words, kind in ((("holiday", "calendar", "节假日", "假日"), DatasetKind.HOLIDAY),
                        (("hs", "tariff", "tax", "税率"), DatasetKind.HS_TAX_RATE),
                        (("rate", "fx", "汇率"), DatasetKind.EXCHANGE_RATE)):
        if any(w in lowered for w in words):
            return kind
    return None


# --- validating rows ----------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, code: str, column: str, message: str, value: Any = None, **params: Any):
        super().__init__(message)
        self.code, self.column, self.message, self.value, self.params = code, column, message, value, params


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # shortest round-trip text of a spreadsheet number, e.g. 7.1879
    return str(value).strip()


def _required(fields: dict[str, Any], name: str) -> str:
    text = _text(fields.get(name))
    if not text:
        raise _RowError(DataError.FIELD_REQUIRED, name, "Line {line}: {field} is required.", None, field=name)
    return text


def _decimal(fields: dict[str, Any], name: str, *, percent: bool = False) -> Decimal:
    text = _required(fields, name).replace(",", "")
    is_percent = percent and text.endswith("%")
    try:
        number = Decimal(text.rstrip("%") if is_percent else text)
    except InvalidOperation:
        raise _RowError(DataError.BAD_DECIMAL, name, "Line {line}: {field} must be a decimal number.", text,
                        field=name) from None
    if not number.is_finite():
        raise _RowError(DataError.BAD_DECIMAL, name, "Line {line}: {field} must be a decimal number.", text, field=name)
    return number / 100 if is_percent else number


def _date(fields: dict[str, Any], name: str, *, required: bool = True) -> date | None:
    text = _text(fields.get(name))
    if not text:
        if required:
            raise _RowError(DataError.FIELD_REQUIRED, name, "Line {line}: {field} is required.", None, field=name)
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _RowError(DataError.BAD_DATE, name, "Line {line}: {field} must be a date like 2026-03-01.", text,
                        field=name) from None


def _quantize(number: Decimal, quantum: Decimal, name: str) -> Decimal:
    if number != number.quantize(quantum):
        raise _RowError(DataError.BAD_DECIMAL, name, "Line {line}: {field} has too many decimal places.",
                        str(number), field=name)
    return number.quantize(quantum)


def _rate_row(fields: dict[str, Any], default_source: str) -> dict[str, Any]:
    raw_currency = _required(fields, "currency")
    try:
        code = customs_currency(raw_currency)
    except AppError:
        raise _RowError(DataError.UNKNOWN_CURRENCY, "currency", "Line {line}: unknown currency {value}.",
                        raw_currency) from None
    if code == CNY:
        raise _RowError(DataError.NOT_ALLOWED, "currency", "Line {line}: CNY needs no exchange rate.", raw_currency)
    try:
        first = parse_month(fields.get("month") if isinstance(fields.get("month"), (date, datetime))
                            else _required(fields, "month"))
    except AppError:
        raise _RowError(DataError.BAD_MONTH, "month", "Line {line}: month must look like 2025-10.",
                        _text(fields.get("month"))) from None
    rate = _decimal(fields, "rate")
    per_text = _text(fields.get("per")) or "1"
    if per_text not in ("1", "100", "1.0", "100.0"):
        raise _RowError(DataError.NOT_ALLOWED, "per", "Line {line}: per must be 1 or 100.", per_text)
    rate = rate / Decimal(per_text)
    if rate <= 0 or rate >= 10000:
        raise _RowError(DataError.OUT_OF_RANGE, "rate", "Line {line}: the rate must be above 0 and below 10000.",
                        str(rate))
    return {"currency": code, "valid_from": first, "valid_to": _month_end(first),
            "rate": _quantize(rate, _RATE_QUANTUM, "rate"),
            "source": _text(fields.get("source")) or default_source}


_DAY_KINDS = {"holiday": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "放假": DayKind.HOLIDAY, "off": DayKind.HOLIDAY,
              "workday": DayKind.WORKDAY, "班": DayKind.WORKDAY, "上班": DayKind.WORKDAY, "work": DayKind.WORKDAY}


def _holiday_row(fields: dict[str, Any], default_source: str) -> dict[str, Any]:
    day = _date(fields, "date")
    raw_kind = _required(fields, "kind")
    kind = _DAY_KINDS.get(raw_kind.lower())
    if kind is None:
        raise _RowError(DataError.NOT_ALLOWED, "kind", "Line {line}: kind must be holiday or workday.", raw_kind)
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        raise _RowError(DataError.OUT_OF_RANGE, "date",
                        "Line {line}: an adjusted working day must be a Saturday or Sunday.", day.isoformat())
    return {"year": day.year, "day": day, "kind": kind.value, "name": _text(fields.get("name")),
            "source": _text(fields.get("source")) or default_source}


_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def _hs_row(fields: dict[str, Any], default_source: str) -> dict[str, Any]:
    raw_code = _required(fields, "hs_code")
    code = re.sub(r"[\s.]", "", raw_code)
    if code.endswith(".0") and code[:-2].isdigit():  # a code typed as a number in a spreadsheet
        code = code[:-2]
    if not re.fullmatch(r"\d{10}", code):
        raise _RowError(DataError.BAD_HS_CODE, "hs_code", "Line {line}: an HS code has 10 digits.", raw_code)
    valid_from = _date(fields, "valid_from")
    valid_to = _date(fields, "valid_to", required=False)
    if valid_to is not None and valid_to < valid_from:
        raise _RowError(DataError.OUT_OF_RANGE, "valid_to", "Line {line}: valid_to is before valid_from.",
                        valid_to.isoformat())
    rates = {}
    for name, upper in (("mfn_rate", Decimal(5)), ("vat_rate", Decimal(1)), ("consumption_tax_rate", Decimal(1))):
        value = _decimal(fields, name, percent=True)
        if value < 0 or value >= upper:
            raise _RowError(DataError.OUT_OF_RANGE, name,
                            "Line {line}: {field} must be a fraction (0.13 or 13%) from 0 to below {upper}.",
                            str(value), field=name, upper=str(upper))
        rates[name] = _quantize(value, _TAX_QUANTUM, name)
    flag = _text(fields.get("positive_list")).lower()
    if flag not in _TRUE | _FALSE:
        raise _RowError(DataError.NOT_ALLOWED, "positive_list", "Line {line}: positive_list must be true or false.",
                        flag)
    return {"hs_code": code, "name": _text(fields.get("name")), "valid_from": valid_from, "valid_to": valid_to,
            **rates, "positive_list": flag in _TRUE, "remarks": _text(fields.get("remarks"))}


_ROW_BUILDERS = {DatasetKind.EXCHANGE_RATE: _rate_row, DatasetKind.HOLIDAY: _holiday_row,
                 DatasetKind.HS_TAX_RATE: _hs_row}
_MODELS = {DatasetKind.EXCHANGE_RATE: ExchangeRate, DatasetKind.HOLIDAY: CalendarDay,
           DatasetKind.HS_TAX_RATE: HsTaxRate}


def _row_key(kind: DatasetKind, row: dict[str, Any]) -> tuple:
    if kind == DatasetKind.EXCHANGE_RATE:
        return (row["currency"], row["valid_from"])
    if kind == DatasetKind.HOLIDAY:
        return (row["day"],)
    return (row["hs_code"], row["valid_from"])


def _validate(kind: DatasetKind, parsed: _Parsed, source: str) -> tuple[list[dict[str, Any]], list[FieldIssue]]:
    build = _ROW_BUILDERS[kind]
    good: list[dict[str, Any]] = []
    issues: list[FieldIssue] = []
    seen: dict[tuple, int] = {}
    hs_periods: dict[str, list[tuple[date, date | None, int]]] = {}
    for line, fields in parsed.rows:
        try:
            row = build(fields, source)
            key = _row_key(kind, row)
            if key in seen:
                raise _RowError(DataError.DUPLICATE_ROW, "", "Line {line}: the same entry is already on line {first}.",
                                None, first=seen[key])
            if kind == DatasetKind.HS_TAX_RATE:
                for start, end, other in hs_periods.get(row["hs_code"], []):
                    if (end is None or row["valid_from"] <= end) and (row["valid_to"] is None or start <= row["valid_to"]):
                        raise _RowError(DataError.DUPLICATE_ROW, "valid_from",
                                        "Line {line}: the period overlaps the one on line {first}.",
                                        row["valid_from"].isoformat(), first=other)
                hs_periods.setdefault(row["hs_code"], []).append((row["valid_from"], row["valid_to"], line))
            seen[key] = line
            good.append(row)
        except _RowError as err:
            path = f"rows[{line}]" + (f"/{err.column}" if err.column else "")
            issues.append(FieldIssue(err.code, path, err.message, err.value,
                                     {"line": line, "value": err.value, **err.params}))
    return good, issues


# --- import -------------------------------------------------------------------------------------


def import_file(*, session: Session, path: Path | str, kind: str | None = None, console=None,
                imported_by: str = "cli") -> ImportResult:
    """Import a CSV/JSON/XLSX file as a new dataset version (all or nothing; same file twice = no-op)."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise errors.unreadable(path.name, exc.strerror or "cannot open") from None
    digest = hashlib.sha256(content).hexdigest()
    parsed = _read(path, content)
    chosen = kind or parsed.meta.get("kind")
    if chosen:
        try:
            dataset_kind = DatasetKind(chosen)
        except ValueError:
            raise errors.kind_unknown(chosen) from None
    else:
        dataset_kind = _guess_kind(parsed, path.name)
        if dataset_kind is None:
            raise errors.kind_unknown(None)

    existing = session.scalar(select(DatasetVersion).where(DatasetVersion.kind == dataset_kind.value,
                                                           DatasetVersion.sha256 == digest))
    if existing is not None:
        return ImportResult(version_id=existing.id, kind=dataset_kind, label=existing.label, file_name=path.name,
                            sha256=digest, row_count=existing.row_count, created=False)

    source = parsed.meta.get("source", "")
    rows, issues = _validate(dataset_kind, parsed, source)
    if not rows and not issues:
        issues.append(FieldIssue(DataError.FIELD_REQUIRED, "rows", "The file has no data rows."))
    if issues:
        if len(issues) > MAX_ISSUES:
            issues = issues[:MAX_ISSUES] + [FieldIssue(DataError.IMPORT_INVALID, "rows",
                                                       "… and {more} more problem(s).", None,
                                                       {"more": len(issues) - MAX_ISSUES})]
        raise errors.import_invalid(path.name, issues)

    version = DatasetVersion(kind=dataset_kind.value, label=parsed.meta.get("version") or path.stem,
                             source_file=path.name, source=source, sha256=digest, imported_by=imported_by,
                             row_count=len(rows))
    session.add(version)
    session.flush()
    _insert_rows(session, _MODELS[dataset_kind], version.id, rows, console=console, description=path.name)
    record(session=session, action="data:dataset:import", stream="data", actor=imported_by,
           subject_id=str(version.id), before=None,
           after={"kind": version.kind, "label": version.label, "source_file": version.source_file,
                  "sha256": digest, "row_count": version.row_count})
    return ImportResult(version_id=version.id, kind=dataset_kind, label=version.label, file_name=path.name,
                        sha256=digest, row_count=len(rows), created=True)


def _insert_rows(session: Session, model, version_id: int, rows: list[dict[str, Any]], *, console,
                 description: str, chunk: int = 500) -> None:
    batches = [rows[i:i + chunk] for i in range(0, len(rows), chunk)]
    if console is None:
        for batch in batches:
            session.execute(insert(model), [{**row, "version_id": version_id} for row in batch])
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=False) as progress:
        task = progress.add_task(description, total=len(rows))
        for batch in batches:
            session.execute(insert(model), [{**row, "version_id": version_id} for row in batch])
            progress.advance(task, len(batch))


def load_seed(*, session: Session, console=None) -> list[ImportResult]:
    """Import the shipped seed files (holidays, demo exchange rates, sample HS rates); idempotent."""
    return [import_file(session=session, path=path, console=console, imported_by="seed")
            for path in sorted(SEED_DIR.iterdir()) if path.suffix.lower() in (".csv", ".json", ".xlsx")]


def display_currency(code: str) -> tuple[str | None, str]:
    """ISO code and English name of a customs currency code (for display only)."""
    entry = table("currency").get(code)
    return iso_of("currency", code), (entry.name_en if entry else "")

