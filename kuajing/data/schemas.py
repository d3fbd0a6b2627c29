"""JSON shapes of the read-only reference-data API (amounts and rates as decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


class RateRead(BaseModel):
    """A customs monthly exchange rate (海关月度汇率): CNY per one unit."""

    currency: str  # customs currency code (币制)
    iso: str | None
    name: str
    month: str
    rate: Decimal
    per: int = 1
    version: str | None
    version_id: int | None
    source: str


class MonthRatesRead(BaseModel):
    """Every currency's rate for a month."""

    month: str
    rates: list[RateRead]


class CalendarDayRead(BaseModel):
    """A holiday or adjusted working day."""

    date: date
    kind: str  # holiday | workday
    name: str
    source: str


class YearCalendarRead(BaseModel):
    """The special days of one year (节假日安排)."""

    year: int
    version: str
    version_id: int
    days: list[CalendarDayRead]


class WorkingDayRead(BaseModel):
    """Whether a date is a working day, and why."""

    date: date
    working_day: bool
    reason: str  # weekday | weekend | holiday | adjusted_workday
    name: str
    next_working_day: date


class HsRateRead(BaseModel):
    """Tariff and tax rates of an HS code on a date (fractions)."""

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


class DatasetVersionRead(BaseModel):
    """An imported dataset version (数据集版本)."""

    id: int
    kind: str
    label: str
    source_file: str
    source: str
    sha256: str
    imported_at: datetime
    imported_by: str
    row_count: int
