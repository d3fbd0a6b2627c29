"""Declarative base with a naming convention, so migrations are stable on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigIntPK = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC (timestamps are stored in UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    """created_at / updated_at in UTC."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


def import_all_models() -> MetaData:
    """Import every ``kuajing.<domain>.models`` module so the metadata knows every table."""
    import kuajing

    for info in pkgutil.iter_modules(kuajing.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"kuajing.{info.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"kuajing.{info.name}.models":
                    raise
    return Base.metadata


#: the largest value of a BIGINT / SQLite INTEGER id, and of an INTEGER id column (PostgreSQL)
MAX_ROW_ID = 2**63 - 1
INT_ID = 2**31 - 1


def row_id(text: str | None, maximum: int = MAX_ROW_ID) -> int | None:
    """``text`` as a row id or cursor: ASCII digits only (``str.isdigit`` takes '²' and '１'), at most ``maximum``;
    else None (a value the database could not hold is no id of any row)."""
    text = (text or "").strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None
