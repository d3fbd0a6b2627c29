"""Tables of the maintained reference data: dataset versions and their effective-dated rows.

Nothing is ever deleted or updated in place: each import is a new :class:`DatasetVersion` (数据集版本),
and a row of a newer version supersedes the rows of older versions for the same key and period. A
look-up at a date takes, among the rows in force on that date, the one of the newest version (or of
the newest version up to a given one, "as known at version X").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import ExactDecimal, UTCDateTime

#: Exchange rates: CNY per ONE unit of the foreign currency, up to 8 decimals (KRW, MNT need them).
RATE_TYPE = ExactDecimal(18, 8)
#: Tax rates as fractions (0.13 = 13 %).
TAX_RATE_TYPE = ExactDecimal(10, 6)


class DatasetVersion(Base):
    """One imported file of one reference table (数据集版本)."""

    __tablename__ = "data_dataset_version"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # DatasetKind
    label: Mapped[str] = mapped_column(String(120))  # version label (版本号)
    source_file: Mapped[str] = mapped_column(String(255))  # file name as imported
    source: Mapped[str] = mapped_column(Text, default="")  # where the figures come from (数据来源)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120))
    row_count: Mapped[int] = mapped_column(Integer)


class ExchangeRate(Base):
    """A customs monthly exchange rate (海关月度汇率 / 折算率): CNY per one unit of ``currency``."""

    __tablename__ = "data_exchange_rate"
    __table_args__ = (
        UniqueConstraint("version_id", "currency", "valid_from"),
        Index("ix_data_exchange_rate_lookup", "currency", "valid_from", "valid_to"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("data_dataset_version.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))  # customs currency code (币制), e.g. 502 = USD
    valid_from: Mapped[date] = mapped_column(Date)  # first day of the month
    valid_to: Mapped[date] = mapped_column(Date)  # last day of the month (inclusive)
    rate: Mapped[Decimal] = mapped_column(RATE_TYPE)
    source: Mapped[str] = mapped_column(Text, default="")


class CalendarDay(Base):
    """A special day of the public-holiday calendar (节假日安排): a holiday or an adjusted working day.

    The key is the calendar year: the newest version holding any day of a year is that year's calendar,
    and days it does not list are ordinary days (Monday–Friday work, weekends rest).
    """

    __tablename__ = "data_calendar_day"
    __table_args__ = (
        UniqueConstraint("version_id", "day"),
        Index("ix_data_calendar_day_year", "year", "version_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("data_dataset_version.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # valid_from = valid_to = this day
    kind: Mapped[str] = mapped_column(String(16))  # DayKind: holiday (放假) / workday (调休上班)
    name: Mapped[str] = mapped_column(String(120), default="")  # e.g. 春节
    source: Mapped[str] = mapped_column(Text, default="")  # e.g. 国办发明电〔2025〕7号


class HsTaxRate(Base):
    """Tariff and tax rates of one HS code for a period (商品税率: 最惠国税率、增值税率、消费税率)."""

    __tablename__ = "data_hs_tax_rate"
    __table_args__ = (
        UniqueConstraint("version_id", "hs_code", "valid_from"),
        Index("ix_data_hs_tax_rate_lookup", "hs_code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("data_dataset_version.id"), index=True)
    hs_code: Mapped[str] = mapped_column(String(10))  # 商品编码 (10 digits)
    name: Mapped[str] = mapped_column(String(255), default="")  # 商品名称
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; None = open-ended
    mfn_rate: Mapped[Decimal] = mapped_column(TAX_RATE_TYPE)  # 最惠国税率
    vat_rate: Mapped[Decimal] = mapped_column(TAX_RATE_TYPE)  # 增值税率
    consumption_tax_rate: Mapped[Decimal] = mapped_column(TAX_RATE_TYPE)  # 消费税率 (ad valorem)
    positive_list: Mapped[bool] = mapped_column(Boolean, default=False)  # 跨境电商零售进口商品清单
    remarks: Mapped[str] = mapped_column(Text, default="")  # 清单备注 (quantity caps, 1210 only …)
