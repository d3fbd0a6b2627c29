"""Tables of the withholding agent's tax guarantee (税款担保) and the e-tax bills drawn on it.

One :class:`TaxGuarantee` per withholding agent (代收代缴义务人: the enterprise whose guarantee customs
draws on). Each e-tax bill (电子税单, CEB816) draws on it; top-ups and voided bills give back; each change
is a :class:`TaxGuaranteeMovement` carrying the balance after it. :class:`TaxBill` keeps each bill's
status from CEB818 (1 generated, 2 summarised, 3 void); the monthly summary is computed from them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import Money, UTCDateTime


class TaxGuarantee(Base):
    """A withholding agent's tax guarantee (税款担保账户); the balance never goes below zero."""

    __tablename__ = "tax_guarantees"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), unique=True)  # 担保企业
    guarantee_no: Mapped[str | None] = mapped_column(String(64))  # 担保编号 (bank guarantee / 保证金)
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 担保余额
    alert_threshold: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 预警金额
    cover_days: Mapped[int] = mapped_column(Integer, default=7)  # 预警: balance must cover N more days
    rate_window_days: Mapped[int] = mapped_column(Integer, default=7)  # recent rate = draws of the last N days
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TaxGuaranteeMovement(Base):
    """One change of a guarantee (担保流水): draw (税单扣减), top_up (追加), void (税单作废退回)."""

    __tablename__ = "tax_guarantee_movements"
    __table_args__ = (
        UniqueConstraint("kind", "reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_tax_guarantee_movements_guarantee_day", "guarantee_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("tax_guarantees.id"))
    kind: Mapped[str] = mapped_column(String(16))  # GuaranteeMovementKind
    amount: Mapped[Decimal] = mapped_column(Money)  # always positive; the kind gives the direction
    balance_after: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64))  # e-tax bill no. (taxNo) or top-up reference
    business_date: Mapped[date] = mapped_column(Date)  # Asia/Shanghai date
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxBill(Base):
    """An e-tax bill (电子税单, CEB816) drawn on a guarantee, with its CEB818 status."""

    __tablename__ = "tax_bills"
    __table_args__ = (Index("ix_tax_bills_agent_month", "agent_enterprise_id", "month"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tax_no: Mapped[str] = mapped_column(String(50), unique=True)  # 电子税单号 taxNo
    invt_no: Mapped[str | None] = mapped_column(String(20), index=True)  # 清单编号 invtNo
    agent_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))  # 担保企业 assureCode
    amount: Mapped[Decimal] = mapped_column(Money)  # customsTax + valueAddedTax + consumptionTax
    status: Mapped[str] = mapped_column(String(1), default="1")  # TaxBillStatus: 1 已生成 2 已汇总 3 作废
    # whether the guarantee holds the bill's amount (a draw movement): a bill customs issued when the balance
    # could not cover it is kept uncovered (担保不足) and covered by the next top-up or payment, oldest first
    covered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    ent_duty_no: Mapped[str | None] = mapped_column(String(50))  # 缴款书编号 (summarised bills)
    summarised_on: Mapped[date | None] = mapped_column(Date)  # Asia/Shanghai date of CEB818 status 2 (汇总)
    paid_on: Mapped[date | None] = mapped_column(Date)  # the date its payment form was paid (缴款日期)
    bill_date: Mapped[date] = mapped_column(Date)  # Asia/Shanghai date of the bill
    month: Mapped[date] = mapped_column(Date)  # first day of the bill's month (月度汇总)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxGuaranteeAlert(Base):
    """An alert that a guarantee is running out (担保余额预警); open until a top-up lifts it."""

    __tablename__ = "tax_guarantee_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("tax_guarantees.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # AlertKind: below_threshold / short_runway
    balance: Mapped[Decimal] = mapped_column(Money)  # balance when raised
    threshold: Mapped[Decimal] = mapped_column(Money)  # the threshold or the N-day need it fell below
    daily_rate: Mapped[Decimal] = mapped_column(Money)  # recent average draw per day
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TaxPayment(Base):
    """The payment of a payment form (缴款书, ``entDutyNo`` of the summarised bills): the tax it paid gives the
    guarantee back what its bills held (汇总征税: paying restores the guarantee), recorded once per form."""

    __tablename__ = "tax_payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 担保企业
    ent_duty_no: Mapped[str] = mapped_column(String(50), unique=True)  # 缴款书编号
    amount: Mapped[Decimal] = mapped_column(Money)  # tax paid = the form's valid bills
    restored: Mapped[Decimal] = mapped_column(Money)  # given back to the guarantee (its covered bills)
    paid_on: Mapped[date] = mapped_column(Date)  # 缴款日期 (Asia/Shanghai)
    reference: Mapped[str] = mapped_column(String(64))  # the bank's or e-payment's reference (支付凭证号)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaxBillEarlyStatus(Base):
    """A CEB818 status that arrived before its e-tax bill (CEB816) for an agent whose guarantee books its bills:
    kept, and applied in arrival order when the bill arrives, so a status is never lost to message order."""

    __tablename__ = "tax_bill_early_statuses"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tax_no: Mapped[str] = mapped_column(String(50), index=True)  # 电子税单号 taxNo
    agent_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))  # 担保企业
    status: Mapped[str] = mapped_column(String(1))  # TaxBillStatus
    ent_duty_no: Mapped[str | None] = mapped_column(String(50))  # 缴款书编号
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

