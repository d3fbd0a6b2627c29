"""Tables of the personal annual quota ledger (个人年度跨境电子商务零售进口交易额度台账).

One :class:`QuotaAccount` per buyer and calendar year, spanning every enterprise on the platform; each
change is a :class:`QuotaMovement`, so ``used`` and ``reserved`` always equal the sums of the movements.
A :class:`QuotaReservation` per declaration (``reference`` = the list's business key) makes every call
idempotent. Buyer ID numbers and names are encrypted (SM4) and found by their keyed hash (blind index).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import BlindIndex, EncryptedStr, Money, UTCDateTime


class QuotaAccount(Base):
    """A buyer's annual ledger for one calendar year (个人年度额度账户)."""

    __tablename__ = "quota_accounts"
    __table_args__ = (
        UniqueConstraint("buyer_index", "year"),
        CheckConstraint("used >= 0", name="used_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    buyer_index: Mapped[str] = mapped_column(BlindIndex)  # 订购人证件号码 keyed hash
    year: Mapped[int] = mapped_column(Integer)  # 自然年度 (calendar year of the declaration date)
    buyer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 订购人证件号码 (encrypted)
    buyer_name: Mapped[str] = mapped_column(EncryptedStr)  # 订购人姓名 (encrypted; first name seen)
    name_index: Mapped[str] = mapped_column(BlindIndex)  # 订购人姓名 keyed hash (lookup requires both)
    used: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 已使用 (released)
    reserved: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 已占用 (declared, not released)
    customs_blocked: Mapped[bool] = mapped_column(Boolean, default=False)  # 海关额度已满 (−621018 received)
    customs_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customs_blocked_reference: Mapped[str | None] = mapped_column(String(100))  # the rejected list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QuotaReservation(Base):
    """One declaration's claim on a buyer's quota (额度占用), keyed by the caller's reference."""

    __tablename__ = "quota_reservations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)  # 业务编号 (e.g. the list's business key)
    account_id: Mapped[int] = mapped_column(ForeignKey("quota_accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)  # 申报金额 (taxable price counted toward the year)
    status: Mapped[str] = mapped_column(String(16), index=True)  # QuotaReservationStatus
    single_item_full_rate: Mapped[bool] = mapped_column(Boolean, default=False)  # 单件全额征税
    # the decision as first taken, returned again on a repeat reserve
    reason_code: Mapped[str | None] = mapped_column(String(32))
    limit_amount: Mapped[Decimal] = mapped_column(Money)  # 年度限值 on the declaration date
    used_before: Mapped[Decimal] = mapped_column(Money)
    reserved_before: Mapped[Decimal] = mapped_column(Money)
    total_after: Mapped[Decimal] = mapped_column(Money)
    restored: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 已退回 (returns, cancellations)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QuotaMovement(Base):
    """One change of a buyer's ledger (额度流水): reserve, consume, release, restore."""

    __tablename__ = "quota_movements"
    __table_args__ = (
        UniqueConstraint("kind", "movement_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_quota_movements_account_at", "account_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("quota_accounts.id"))
    reservation_id: Mapped[int] = mapped_column(ForeignKey("quota_reservations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # QuotaMovementKind
    amount: Mapped[Decimal] = mapped_column(Money)  # always positive; the kind gives the direction
    reference: Mapped[str] = mapped_column(String(100), index=True)  # the reservation's reference
    movement_key: Mapped[str] = mapped_column(String(200))  # idempotency: reference, or the return's own key
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuotaLookup(Base):
    """One quota lookup by a caller (额度查询记录): counted for the rate limit, kept for the access log."""

    __tablename__ = "quota_lookups"
    __table_args__ = (Index("ix_quota_lookups_caller_at", "caller", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    caller: Mapped[str] = mapped_column(String(140))  # actor (user:/api_key:) or ip:<keyed hash>
    buyer_index: Mapped[str] = mapped_column(BlindIndex, index=True)  # whose quota was asked for
    year: Mapped[int] = mapped_column(Integer)
    matched: Mapped[bool] = mapped_column(Boolean)  # ID number and name matched a ledger
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
