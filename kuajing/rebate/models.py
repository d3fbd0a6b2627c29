"""Tables of export tax rebate support (出口退税): each enterprise's class with effective dates, the claims
tracked from acceptance, and the sales a 9810 pre-refund (HWC-YT) is reconciled against."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import Money, UTCDateTime


class RebateClassAssignment(Base):
    """An enterprise's rebate class (出口退（免）税企业管理类别) from ``valid_from`` (to ``valid_to``, inclusive)."""

    __tablename__ = "rebate_classes"
    __table_args__ = (UniqueConstraint("enterprise_id", "valid_from"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    rebate_class: Mapped[str] = mapped_column(String(1))  # RebateClass 1–4
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # closed when a new class takes effect
    basis: Mapped[str | None] = mapped_column(String(200))  # 评定文书 (tax office decision reference)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))


class RebateClaim(Base):
    """A rebate claim (退税申报) accepted by the tax office, with its statutory due date in working days."""

    __tablename__ = "rebate_claims"
    __table_args__ = (UniqueConstraint("enterprise_id", "claim_no"), CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    claim_no: Mapped[str] = mapped_column(String(40))  # 申报批次 / 受理号
    business_type: Mapped[str] = mapped_column(String(8), default="normal")  # BusinessType
    accepted_on: Mapped[date] = mapped_column(Date, index=True)  # 受理日期 (clock starts, Asia/Shanghai)
    amount: Mapped[Decimal] = mapped_column(Money)  # 申报退税额 (CNY)
    rebate_class: Mapped[str] = mapped_column(String(1))  # class in force on accepted_on
    paperless: Mapped[bool] = mapped_column(Boolean)
    paper_documents: Mapped[list[str]] = mapped_column(JSON, default=list)  # class 4: PaperDocument values
    statutory_due: Mapped[date] = mapped_column(Date)  # last day of the statutory limit
    target_due: Mapped[date | None] = mapped_column(Date)  # classes 1–2: the 3-day target, when in force
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    booking_note_id: Mapped[int | None] = mapped_column(ForeignKey("export_orders.id"))  # HWC-YT: 订仓单
    departed_on: Mapped[date | None] = mapped_column(Date)  # HWC-YT: departure of the goods
    reconcile_until: Mapped[date | None] = mapped_column(Date)  # HWC-YT: end of the reconciliation window
    status: Mapped[str] = mapped_column(String(10), default="accepted")  # ClaimStatus
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    sales: Mapped[list[RebateSale]] = relationship(back_populates="claim", cascade="all, delete-orphan",
                                                   order_by="RebateSale.sold_on")


class RebateSale(Base):
    """Sales from the overseas warehouse reconciled against a pre-refund (预退税核对), goods value in CNY."""

    __tablename__ = "rebate_sales"
    __table_args__ = (CheckConstraint("value > 0", name="value_positive"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("rebate_claims.id", ondelete="CASCADE"), index=True)
    sold_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Money)  # declared (export) value of the goods sold, CNY
    reference: Mapped[str | None] = mapped_column(String(60))  # sales order / platform settlement
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    claim: Mapped[RebateClaim] = relationship(back_populates="sales")
