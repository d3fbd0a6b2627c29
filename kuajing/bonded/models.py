"""Tables of the bonded ledger (保税账册, 1210 网购保税进口).

A :class:`BondedWarehouse` is one electronic account book (账册编号) of a supervised site; a
:class:`BondedItem` is one record line (料号 / 备案序号) of it. Stock is kept per record line and customs
status (保税 / 非保税 / 待转换) in :class:`BondedStock`, so bonded and domestic goods share one warehouse
(同仓存储). Every change is a :class:`BondedMovement`; a declaration's claim is a
:class:`BondedReservation` keyed by the caller's reference, which makes every call idempotent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import ExactDecimal, UTCDateTime

#: Quantities to 4 decimals (pieces are whole; kilograms and litres are not).
Quantity = ExactDecimal(18, 4)


class BondedWarehouse(Base):
    """A bonded warehouse's electronic account book (保税仓 / 电子账册)."""

    __tablename__ = "bonded_warehouses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 账册编号 (the warehouse_code of the services)
    site_code: Mapped[str] = mapped_column(String(32), index=True)  # 监管场所代码
    name: Mapped[str] = mapped_column(String(200))  # 仓库名称
    customs_office: Mapped[str | None] = mapped_column(String(4))  # 主管海关 关区代码
    operator_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 仓储经营人
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BondedItem(Base):
    """One record line of an account book (账册料号 / 备案序号)."""

    __tablename__ = "bonded_items"
    __table_args__ = (UniqueConstraint("warehouse_id", "item_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("bonded_warehouses.id"))
    item_no: Mapped[str] = mapped_column(String(40))  # 料号
    record_seq: Mapped[str | None] = mapped_column(String(20))  # 备案序号
    goods_name: Mapped[str] = mapped_column(String(250))  # 商品名称
    hs_code: Mapped[str] = mapped_column(String(10))  # 商品编码
    unit: Mapped[str] = mapped_column(String(3))  # 法定计量单位 (customs unit code)
    declared_unit: Mapped[str] = mapped_column(String(3))  # 申报计量单位
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BondedStock(Base):
    """Stock of one record line in one customs status (库存, 按状态分类监管); never negative."""

    __tablename__ = "bonded_stock"
    __table_args__ = (
        UniqueConstraint("item_id", "customs_status"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("bonded_items.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("bonded_warehouses.id"), index=True)
    customs_status: Mapped[str] = mapped_column(String(20))  # CustomsStatus: 保税 / 非保税 / 待转换
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))  # 账面结存
    reserved: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))  # 已申报占用 (declared, not released)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BondedReservation(Base):
    """One declaration's claim on bonded stock (清单占用), keyed by the caller's reference."""

    __tablename__ = "bonded_reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)  # 业务编号 (list business key + line)
    stock_id: Mapped[int] = mapped_column(ForeignKey("bonded_stock.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("bonded_warehouses.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 申报企业
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    restored: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))  # 退货 / 撤单 returned to stock
    status: Mapped[str] = mapped_column(String(16), index=True)  # ReservationStatus
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BondedMovement(Base):
    """One change of the ledger (账册流水): entry, reserve, deduct, cancel, restore, conversion."""

    __tablename__ = "bonded_movements"
    __table_args__ = (
        UniqueConstraint("kind", "movement_key"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_bonded_movements_warehouse_day", "warehouse_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("bonded_warehouses.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("bonded_items.id"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("bonded_stock.id"), index=True)
    customs_status: Mapped[str] = mapped_column(String(20))  # status of the stock row it changed
    kind: Mapped[str] = mapped_column(String(20))  # MovementKind
    quantity: Mapped[Decimal] = mapped_column(Quantity)  # always positive; the kind gives the direction
    reference: Mapped[str] = mapped_column(String(100), index=True)  # reservation reference or entry key
    movement_key: Mapped[str] = mapped_column(String(200))  # idempotency key (unique per kind)
    document_no: Mapped[str | None] = mapped_column(String(64), index=True)  # 核注清单编号 (or 转换单据号)
    business_date: Mapped[date] = mapped_column(Date)  # Asia/Shanghai date of the movement
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BondedReconciliation(Base):
    """One daily reconciliation of an account book against the customs 核注清单 (日对账)."""

    __tablename__ = "bonded_reconciliations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("bonded_warehouses.id"), index=True)
    business_date: Mapped[date] = mapped_column(Date)  # 对账日期
    matched: Mapped[int] = mapped_column(Integer)  # lines that agree
    differences: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # each difference, see service
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
