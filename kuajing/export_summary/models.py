"""Tables of the monthly summary (汇总申报 / 汇总统计) and the no-invoice register (无票免税登记).

* :class:`ReleasedLine` — the snapshot of every released export list line the export pipeline hands over
  (``service.register_released_list``); the summary groups these, the register copies its six fields.
* :class:`SummaryModeSetting` — an enterprise's chosen mode with its effective date (append-only history).
* :class:`SummaryApplication` + :class:`SummaryApplicationLine` — one application per group of eight keys.
* :class:`SummaryReminder` — a reminder N working days before the deadline.
* :class:`RegisterEntry` — the six fields of 财税〔2018〕103号 per exported line; never updated or deleted:
  the mapper refuses UPDATE/DELETE and bulk statements against the table (see ``_guard_*`` below).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import ExactDecimal, UTCDateTime
from kuajing.export_summary.errors import ImmutableRegisterError

Qty = ExactDecimal(18, 5)  # N19,5 quantities and prices of the CEB messages (18 digits keep SQLite's int64 exact)


class ReleasedLine(Base):
    """A line of a released export declaration list (已放行出口清单表体快照), written once on release."""

    __tablename__ = "export_summary_released_lines"
    __table_args__ = (
        UniqueConstraint("list_no", "gnum"),
        Index("ix_export_summary_released_lines_month", "enterprise_id", "release_date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    list_no: Mapped[str] = mapped_column(String(20))  # 清单编号 invtNo
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)  # 放行时间
    release_date: Mapped[date] = mapped_column(Date)  # 放行日期 (Asia/Shanghai)
    consignor: Mapped[str] = mapped_column(String(18))  # 收发货人 ebcCode
    consignor_name: Mapped[str] = mapped_column(String(100), default="")
    transport_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    producer_seller: Mapped[str] = mapped_column(String(18))  # 生产销售单位 ownerCode
    arrival_country: Mapped[str] = mapped_column(String(3))  # 运抵国
    exit_customs: Mapped[str] = mapped_column(String(4))  # 出境关别 portCode
    final_destination: Mapped[str] = mapped_column(String(3))  # 最终目的国
    hs_code: Mapped[str] = mapped_column(String(10))  # 商品编码
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    statistics_flag: Mapped[str] = mapped_column(String(1))  # A / B
    trade_mode: Mapped[str] = mapped_column(String(4))  # 监管方式
    declare_customs: Mapped[str] = mapped_column(String(4), default="")  # 申报海关
    agent_code: Mapped[str] = mapped_column(String(18), default="")  # 申报企业代码
    agent_name: Mapped[str] = mapped_column(String(100), default="")
    goods_name: Mapped[str] = mapped_column(String(250))  # 商品名称
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    quantity: Mapped[Decimal] = mapped_column(Qty)  # 数量
    unit_price: Mapped[Decimal] = mapped_column(Qty)  # 单价
    amount: Mapped[Decimal] = mapped_column(Qty)  # 总价
    logistics_no: Mapped[str] = mapped_column(String(32), default="")
    item_no: Mapped[str] = mapped_column(String(30), default="")
    zone_enterprise: Mapped[bool] = mapped_column(Boolean)  # 综试区备案企业 (at release)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SummaryModeSetting(Base):
    """An enterprise's summary mode from a date on (汇总方式设置); the newest effective row wins."""

    __tablename__ = "export_summary_modes"
    __table_args__ = (UniqueConstraint("enterprise_id", "effective_from"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    mode: Mapped[str] = mapped_column(String(12))  # declaration / statistics
    effective_from: Mapped[date] = mapped_column(Date)  # first day of a month
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SummaryApplication(Base):
    """One summary application (汇总申请单, CEB701) — or, in statistics mode, one statistics record."""

    __tablename__ = "export_summary_applications"
    __table_args__ = (UniqueConstraint("enterprise_id", "month", "key_hash", "revision"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the release month
    mode: Mapped[str] = mapped_column(String(12))  # declaration / statistics
    key_hash: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer, default=1)  # 2, 3 … for late lines of the same key
    consignor: Mapped[str] = mapped_column(String(18))  # 收发货人
    transport_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    producer_seller: Mapped[str] = mapped_column(String(18))  # 生产销售单位
    arrival_country: Mapped[str] = mapped_column(String(3))  # 运抵国
    exit_customs: Mapped[str] = mapped_column(String(4))  # 出境关别
    final_destination: Mapped[str] = mapped_column(String(3))  # 最终目的国
    hs_code: Mapped[str] = mapped_column(String(10))  # 商品编码
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    list_count: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(Qty)
    deadline: Mapped[date | None] = mapped_column(Date)  # 申报截止日 (None in statistics mode)
    status: Mapped[str] = mapped_column(String(12), index=True)
    cop_no: Mapped[str] = mapped_column(String(30), unique=True)  # 企业内部编号 copNo
    guid: Mapped[str] = mapped_column(String(36))  # CEB701 head guid
    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号 (CEB702)
    sum_no: Mapped[str | None] = mapped_column(String(18))  # 汇总申请编号 (CEB702/792)
    customs_status: Mapped[str | None] = mapped_column(String(10))  # last returnStatus
    customs_info: Mapped[str | None] = mapped_column(Text)  # last returnInfo
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # CEB792: declSeqNo, entryId, decState …
    message: Mapped[bytes | None] = mapped_column(LargeBinary)  # the CEB701 as sent
    confirmed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SummaryApplicationLine(Base):
    """A released line included in an application (汇总申请单表体: invtNo + gnum)."""

    __tablename__ = "export_summary_application_lines"
    __table_args__ = (UniqueConstraint("application_id", "list_no", "gnum"),
                      Index("ix_export_summary_application_lines_line", "list_no", "gnum"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("export_summary_applications.id", ondelete="CASCADE"),
                                                index=True)
    list_no: Mapped[str] = mapped_column(String(20))
    gnum: Mapped[int] = mapped_column(Integer)


class SummaryReminder(Base):
    """A reminder that a month's summary is due (汇总申报到期提醒)."""

    __tablename__ = "export_summary_reminders"
    __table_args__ = (UniqueConstraint("enterprise_id", "month", "days_before"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # release month the reminder is about
    deadline: Mapped[date] = mapped_column(Date)
    remind_on: Mapped[date] = mapped_column(Date)  # N working days before the deadline
    days_before: Mapped[int] = mapped_column(Integer)
    open_lines: Mapped[int] = mapped_column(Integer)  # lines not yet sent to customs when it was raised
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisterEntry(Base):
    """One entry of the no-invoice register (无票免税登记, 财税〔2018〕103号): six fields, never changed."""

    __tablename__ = "no_invoice_register_entries"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        Index("ix_no_invoice_register_entries_period", "enterprise_id", "export_date"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(120))  # "<list_no>#<gnum>" or "correction:<enterprise>:<reference>"
    kind: Mapped[str] = mapped_column(String(12))  # original / correction
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("no_invoice_register_entries.id"), index=True)
    list_no: Mapped[str] = mapped_column(String(20))  # 清单编号
    gnum: Mapped[int] = mapped_column(Integer)
    export_date: Mapped[date] = mapped_column(Date)  # 出口日期
    goods_name: Mapped[str] = mapped_column(String(250))  # 货物名称
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    quantity: Mapped[Decimal] = mapped_column(Qty)  # 数量
    unit_price: Mapped[Decimal] = mapped_column(Qty)  # 单价
    amount: Mapped[Decimal] = mapped_column(Qty)  # 金额
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    hs_code: Mapped[str] = mapped_column(String(10))
    declare_customs: Mapped[str] = mapped_column(String(4))
    exit_customs: Mapped[str] = mapped_column(String(4))
    eligible: Mapped[bool] = mapped_column(Boolean)  # the three conditions held at recording
    ineligible_reasons: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)  # why a correction was made
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- immutability of the register (model layer) ----------------------------------------------------


@event.listens_for(RegisterEntry, "before_update")
def _guard_update(mapper, connection, target) -> None:
    raise ImmutableRegisterError("no-invoice register entries are never updated; record a correction instead")


@event.listens_for(RegisterEntry, "before_delete")
def _guard_delete(mapper, connection, target) -> None:
    raise ImmutableRegisterError("no-invoice register entries are never deleted; record a correction instead")


@event.listens_for(Session, "do_orm_execute")
def _guard_bulk(state) -> None:
    """Refuse ``update(RegisterEntry)`` / ``delete(RegisterEntry)`` statements run through a session."""
    if (state.is_update or state.is_delete) and any(
            getattr(m, "class_", None) is RegisterEntry for m in state.all_mappers):
        raise ImmutableRegisterError("no-invoice register entries are never updated or deleted")
