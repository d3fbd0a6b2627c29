"""Tables of FX settlement support (结汇): proceeds with their netting figures and links to export orders /
lists, advances (代垫), the enterprise's consents for banks, and Excel uploads of proceeds.

Amounts are in the currency of the record (customs currency code, e.g. 502 USD) as ``Money`` (exact, two
decimals). Personal data of individual payees (name, ID number) is encrypted (SM4) and found by a keyed hash.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import BlindIndex, EncryptedStr, Money, UTCDateTime


class FxProceeds(Base):
    """Proceeds received (收汇记录) for exports, with the restored gross figures of netting (轧差结算, R6.2)."""

    __tablename__ = "fx_proceeds"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "bank_reference"),
        CheckConstraint("actual_amount > 0", name="actual_positive"),
        CheckConstraint("export_amount = actual_amount + service_amount + tax_amount", name="restored_adds_up"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 记录企业 (exporter)
    payee_kind: Mapped[str] = mapped_column(String(12), default="enterprise")  # PayeeKind
    person_name: Mapped[str | None] = mapped_column(EncryptedStr)  # 个人姓名 (individuals, encrypted)
    person_id_number: Mapped[str | None] = mapped_column(EncryptedStr)  # 个人证件号码 (encrypted)
    person_index: Mapped[str | None] = mapped_column(BlindIndex, index=True)  # 证件号码 keyed hash
    bank_name: Mapped[str] = mapped_column(String(100))  # 收款银行
    bank_reference: Mapped[str] = mapped_column(String(60))  # 银行业务编号 / 申报号码
    received_on: Mapped[date] = mapped_column(Date, index=True)  # 收汇日期 (Asia/Shanghai)
    currency: Mapped[str] = mapped_column(String(3))  # 币制 (customs code, 502 = USD)
    actual_amount: Mapped[Decimal] = mapped_column(Money)  # 实际收汇金额
    export_amount: Mapped[Decimal] = mapped_column(Money)  # 还原: 出口收入 (gross export receipt)
    service_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 还原: 服务贸易支出
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 还原: 税费支出
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # 轧差费用 [{kind, amount}]
    payer_name: Mapped[str] = mapped_column(String(200))  # 付款人
    payer_country: Mapped[str | None] = mapped_column(String(3))  # 付款人国别 (customs country code)
    evidence_ref: Mapped[str | None] = mapped_column(String(200))  # 交易证明 / 电子交易信息编号
    quota_exempt: Mapped[bool] = mapped_column(Boolean, default=False)  # 不占用年度便利化额度 (R6.5)
    usd_equivalent: Mapped[Decimal | None] = mapped_column(Money)  # 折美元 (individuals, customs rates)
    source: Mapped[str] = mapped_column(String(8), default="api")  # api / excel / form
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    allocations: Mapped[list[FxAllocation]] = relationship(back_populates="proceeds", cascade="all, delete-orphan",
                                                           order_by="FxAllocation.id")


class FxAllocation(Base):
    """The part of a receipt's export figure that settles one export order or declaration list (核销)."""

    __tablename__ = "fx_allocations"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    proceeds_id: Mapped[int] = mapped_column(ForeignKey("fx_proceeds.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("export_orders.id"), index=True)  # 订单 / 订仓单
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("export_inventories.id"), index=True)  # 申报清单
    reference: Mapped[str] = mapped_column(String(60))  # the order no. or list no. as given
    amount: Mapped[Decimal] = mapped_column(Money)  # in the receipt's currency, part of export_amount

    proceeds: Mapped[FxProceeds] = relationship(back_populates="allocations")


class FxAdvance(Base):
    """An advance (代垫) of overseas storage, logistics or tax costs for a client (zone plan; R6.4)."""

    __tablename__ = "fx_advances"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 代垫方
    advancer_kind: Mapped[str] = mapped_column(String(12))  # AdvancerKind
    client_name: Mapped[str] = mapped_column(String(200))  # 被代垫客户
    client_code: Mapped[str | None] = mapped_column(String(18))  # 客户代码 (USCC / customs code), if domestic
    affiliated: Mapped[bool] = mapped_column(Boolean)  # 关联企业
    purpose: Mapped[str] = mapped_column(String(12))  # FeeKind (storage / logistics / tax / other_service)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    advanced_on: Mapped[date] = mapped_column(Date)  # 代垫日期
    repaid_on: Mapped[date | None] = mapped_column(Date)  # 收回日期
    note: Mapped[str | None] = mapped_column(String(500))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # 报备材料 as generated
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class FxConsent(Base):
    """An enterprise's consent (授权) letting one bank or insurer see the electronic data behind its
    settlements (all of them, or one receipt). Revoking stops access at once; nothing is deleted."""

    __tablename__ = "fx_consents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 授权企业
    bank_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 被授权银行/保险
    proceeds_id: Mapped[int | None] = mapped_column(ForeignKey("fx_proceeds.id"))  # None = every receipt
    purpose: Mapped[str] = mapped_column(String(200))  # e.g. 凭交易电子信息结汇
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(120))


class FxImport(Base):
    """One Excel upload of proceeds, processed in chunks so its progress can be watched (导入进度)."""

    __tablename__ = "fx_imports"
    __table_args__ = (UniqueConstraint("enterprise_id", "file_sha256"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept until processed
    status: Mapped[str] = mapped_column(String(10), default="queued")  # ImportStatus
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # row-level errors
    failure: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
