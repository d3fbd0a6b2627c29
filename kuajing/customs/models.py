"""Tables of the customs sandbox (海关模拟器): what customs knows, the receipts it will send, its own
national quota ledger and the e-tax bills. Used only by :class:`kuajing.customs.service.SandboxCustoms`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import EncryptedStr, Money, UTCDateTime


class SandboxDeclaration(Base):
    """A document customs has received (海关已接收单证), keyed by message type + business key."""

    __tablename__ = "customs_sandbox_declarations"
    __table_args__ = (
        UniqueConstraint("message_type", "business_key"),
        Index("ix_customs_sandbox_declarations_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_type: Mapped[str] = mapped_column(String(8))  # 单证类型 CEB311 / 411 / 511 / 621 / 623 / 625 …
    business_key: Mapped[str] = mapped_column(String(200))  # 业务主键 (e.g. ebpCode|orderNo)
    transport_message_id: Mapped[str] = mapped_column(String(64))  # 传输报文 id (send() answer)
    guid: Mapped[str] = mapped_column(String(36))  # 企业报文 guid (of the record)
    order_no: Mapped[str | None] = mapped_column(String(60), index=True)  # 订单编号
    logistics_no: Mapped[str | None] = mapped_column(String(60), index=True)  # 物流运单编号
    cop_no: Mapped[str | None] = mapped_column(String(20))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号 (e-port)
    invt_no: Mapped[str | None] = mapped_column(String(18), unique=True)  # 清单编号 (customs, lists only)
    ref_invt_no: Mapped[str | None] = mapped_column(String(18), index=True)  # 原清单编号 (623 / 625)
    enterprise_code: Mapped[str | None] = mapped_column(String(18))  # 申报 / 发送企业代码
    customs_code: Mapped[str | None] = mapped_column(String(4))  # 申报海关
    status: Mapped[str] = mapped_column(String(10), index=True)  # 海关状态 (returnStatus)
    status_info: Mapped[str | None] = mapped_column(Text)  # 回执信息 / 退单原因
    next_status: Mapped[str | None] = mapped_column(String(10))  # 下一步状态 (None = nothing scheduled)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 下一步到期时间
    inspection: Mapped[bool] = mapped_column(Boolean, default=False)  # 布控查验
    buyer_key: Mapped[str | None] = mapped_column(String(64))  # 订购人证件号 blind index
    buyer_masked: Mapped[str | None] = mapped_column(String(60))  # 订购人证件号 (masked)
    quota_year: Mapped[int | None] = mapped_column(Integer)  # 额度年度 (申报日期所属年度)
    amount: Mapped[Decimal | None] = mapped_column(Money)  # 计入额度的金额 (完税价格)
    left_site: Mapped[bool] = mapped_column(Boolean, default=False)  # 已离开监管场所
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)  # 已撤单 (CEB623 approved)
    returned: Mapped[bool] = mapped_column(Boolean, default=False)  # 已退货 (CEB625 approved, every line in full)
    payload: Mapped[str] = mapped_column(EncryptedStr)  # the record as JSON (personal data: encrypted)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # 接收时间
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 放行时间
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SandboxReceipt(Base):
    """A message customs will send (待发回执): receipt, e-tax bill or tax status, in queue order."""

    __tablename__ = "customs_sandbox_receipts"
    __table_args__ = (Index("ix_customs_sandbox_receipts_pending", "delivered_at", "failed_at", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("customs_sandbox_declarations.id", ondelete="SET NULL"), index=True)
    #: the (first) declaration answered (set before its id is known, so a batch of new declarations and
    #: their receipts is written in one flush, one INSERT per table); a message answering several
    #: declarations (one receipt message per step for a whole message, as customs does) names every one
    #: of them in :class:`SandboxReceiptDeclaration`
    declaration: Mapped[SandboxDeclaration | None] = relationship()
    message_type: Mapped[str] = mapped_column(String(8))  # 回执类型 CEB312 … CEB816 / 818 / 900
    return_status: Mapped[str | None] = mapped_column(String(10))  # 回执状态
    xml: Mapped[bytes] = mapped_column(LargeBinary)  # the built message
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # acknowledged by exchange()
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed applications so far
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # given up (dead letter) after max attempts


class SandboxReceiptDeclaration(Base):
    """Which declarations a queued message answers (回执所答单证): one row per declaration of the message."""

    __tablename__ = "customs_sandbox_receipt_declarations"

    receipt_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("customs_sandbox_receipts.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    declaration_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("customs_sandbox_declarations.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False, index=True)


class SandboxQuota(Base):
    """Customs' national ledger of a buyer's annual purchases (个人年度交易额度, all platforms)."""

    __tablename__ = "customs_sandbox_quota"
    __table_args__ = (UniqueConstraint("buyer_key", "year"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    buyer_key: Mapped[str] = mapped_column(String(64))  # 证件号 blind index
    year: Mapped[int] = mapped_column(Integer)  # 年度 (calendar year of the declaration date)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # 已用额度


class SandboxTaxBill(Base):
    """An e-tax bill customs issued (电子税单, CEB816) and its status (1 generated, 2 summarised, 3 void)."""

    __tablename__ = "customs_sandbox_tax_bills"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("customs_sandbox_declarations.id", ondelete="CASCADE"),
                                                index=True)
    tax_no: Mapped[str] = mapped_column(String(50), unique=True)  # 电子税单编号
    invt_no: Mapped[str] = mapped_column(String(18), index=True)  # 清单编号
    assure_code: Mapped[str | None] = mapped_column(String(64))  # 担保企业
    customs_tax: Mapped[Decimal] = mapped_column(Money)  # 关税
    value_added_tax: Mapped[Decimal] = mapped_column(Money)  # 增值税
    consumption_tax: Mapped[Decimal] = mapped_column(Money)  # 消费税
    status: Mapped[str] = mapped_column(String(1), index=True, default="1")  # 税单状态
    month: Mapped[str] = mapped_column(String(7), index=True)  # 放行月份 yyyy-mm (Asia/Shanghai)
    ent_duty_no: Mapped[str | None] = mapped_column(String(50))  # 缴款书编号 (set on summary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
