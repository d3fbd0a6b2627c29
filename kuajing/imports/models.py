"""Tables of retail import (跨境电商零售进口, 1210 bonded / 9610 direct purchase).

The four documents of a parcel — order (电子订单 CEB311), payment (支付凭证 CEB411), waybill (物流运单
CEB511) and declaration list (申报清单 CEB621) — plus waybill status (运单状态 CEB513), cancellation
(撤销申请单 CEB623) and return (退货申请单 CEB625). Every document row carries its business key, the
enterprise that transmitted it, the appType history, its status, the raw message guid and a content hash
for idempotency. Personal data (buyer ID number, name, phone; consignee name, phone, address) is encrypted
at rest (SM4, ``EncryptedStr``) and found through a keyed hash (``blind_index``). ``record`` keeps the
whole record (encrypted JSON, official camelCase names) so the CEB record can be rebuilt exactly.

Around them: the log of received messages (报文接收记录), the receipts every party pulls (回执, with a
monotonically increasing cursor), delegations to transmit for another party (委托传输) and the
transactional outbox towards customs (发往海关的待发报文).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import BlindIndex, EncryptedStr, ExactDecimal, Money, UTCDateTime

#: CEB amounts and quantities are N19,5: exact to 5 decimals on both databases.
Amount = ExactDecimal(18, 5)


class DocumentMixin:
    """Columns every import document has (单证公共字段)."""

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(160), unique=True)  # 业务主键, e.g. ebpCode:orderNo
    sender_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 传输企业
    status: Mapped[str] = mapped_column(String(24), index=True)  # DocumentStatus / InventoryStatus
    customs_status: Mapped[str | None] = mapped_column(String(10))  # 最新海关回执状态 (returnStatus)
    app_type: Mapped[str] = mapped_column(String(1))  # 报送类型 1 new / 2 change / 3 delete
    app_status: Mapped[str] = mapped_column(String(3))  # 业务状态 1 temp-save / 2 declare
    app_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # appType 历史
    message_guid: Mapped[str] = mapped_column(String(36))  # 原始报文 guid (latest accepted record's message)
    received_message_id: Mapped[int | None] = mapped_column(ForeignKey("received_messages.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical record (idempotency)
    record: Mapped[str] = mapped_column(EncryptedStr)  # 完整记录 (JSON, camelCase), encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImportOrder(DocumentMixin, Base):
    """An import order (电子订单 CEB311); key ebpCode + orderNo."""

    __tablename__ = "import_orders"
    __table_args__ = (Index("ix_import_orders_order", "order_no", "ebp_code"),)

    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebp_name: Mapped[str] = mapped_column(String(100))  # 电商平台名称
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码
    ebc_name: Mapped[str] = mapped_column(String(100))  # 电商企业名称
    goods_value: Mapped[Decimal] = mapped_column(Amount)  # 商品价格
    freight: Mapped[Decimal] = mapped_column(Amount)  # 运杂费
    discount: Mapped[Decimal] = mapped_column(Amount)  # 非现金抵扣金额
    tax_total: Mapped[Decimal] = mapped_column(Amount)  # 代扣税款
    actural_paid: Mapped[Decimal] = mapped_column(Amount)  # 实际支付金额
    buyer_id_type: Mapped[str] = mapped_column(String(1))  # 订购人证件类型
    buyer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 订购人证件号码
    buyer_index: Mapped[str] = mapped_column(BlindIndex, index=True)  # 订购人证件号码 keyed hash
    buyer_name: Mapped[str] = mapped_column(EncryptedStr)  # 订购人姓名
    buyer_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 订购人电话
    pay_code: Mapped[str | None] = mapped_column(String(18))  # 支付企业代码
    pay_transaction_id: Mapped[str | None] = mapped_column(String(60))  # 支付交易编号
    consignee: Mapped[str] = mapped_column(EncryptedStr)  # 收货人姓名
    consignee_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 收货人电话
    consignee_address: Mapped[str] = mapped_column(EncryptedStr)  # 收货地址

    items: Mapped[list[ImportOrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ImportOrderItem.gnum")


class ImportOrderItem(Base):
    """An order line (订单商品表体)."""

    __tablename__ = "import_order_items"
    __table_args__ = (UniqueConstraint("order_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("import_orders.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号
    item_no: Mapped[str | None] = mapped_column(String(30))  # 企业商品货号
    item_name: Mapped[str] = mapped_column(String(250))  # 企业商品名称
    gmodel: Mapped[str] = mapped_column(String(510))  # 规格型号
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    qty: Mapped[Decimal] = mapped_column(Amount)  # 数量
    price: Mapped[Decimal] = mapped_column(Amount)  # 单价
    total_price: Mapped[Decimal] = mapped_column(Amount)  # 总价
    country: Mapped[str] = mapped_column(String(3))  # 原产国

    order: Mapped[ImportOrder] = relationship(back_populates="items")


class ImportPayment(DocumentMixin, Base):
    """A payment voucher (支付凭证 CEB411); key payCode + payTransactionId."""

    __tablename__ = "import_payments"
    __table_args__ = (Index("ix_import_payments_order", "order_no", "ebp_code"),)

    pay_code: Mapped[str] = mapped_column(String(18))  # 支付企业代码
    pay_name: Mapped[str] = mapped_column(String(100))  # 支付企业名称
    pay_transaction_id: Mapped[str] = mapped_column(String(60))  # 支付交易编号
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    payer_id_type: Mapped[str] = mapped_column(String(1))  # 支付人证件类型
    payer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 支付人证件号码
    payer_index: Mapped[str] = mapped_column(BlindIndex, index=True)  # keyed hash of the payer ID number
    payer_name: Mapped[str] = mapped_column(EncryptedStr)  # 支付人姓名
    amount_paid: Mapped[Decimal] = mapped_column(Amount)  # 支付金额
    pay_time: Mapped[str] = mapped_column(String(14))  # 支付时间


class ImportWaybill(DocumentMixin, Base):
    """An import waybill (物流运单 CEB511); key logisticsCode + logisticsNo."""

    __tablename__ = "import_waybills"

    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_name: Mapped[str] = mapped_column(String(100))  # 物流企业名称
    logistics_no: Mapped[str] = mapped_column(String(60))  # 物流运单编号
    order_no: Mapped[str] = mapped_column(String(60), index=True)  # 订单编号
    freight: Mapped[Decimal | None] = mapped_column(Amount)  # 运费
    insured_fee: Mapped[Decimal | None] = mapped_column(Amount)  # 保价费
    weight: Mapped[Decimal] = mapped_column(Amount)  # 毛重
    consignee: Mapped[str] = mapped_column(EncryptedStr)  # 收货人姓名
    consignee_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 收货人电话
    consignee_address: Mapped[str] = mapped_column(EncryptedStr)  # 收货地址


class ImportWaybillStatus(DocumentMixin, Base):
    """A waybill status / sign-off (运单状态 CEB513); key logisticsCode + logisticsNo + status."""

    __tablename__ = "import_waybill_statuses"

    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_no: Mapped[str] = mapped_column(String(60), index=True)  # 物流运单编号
    logistics_status: Mapped[str] = mapped_column(String(1))  # 物流签收状态 (S)
    logistics_time: Mapped[str] = mapped_column(String(14))  # 物流状态时间


class Inventory(DocumentMixin, Base):
    """A retail import declaration list (申报清单 CEB621); key ebpCode + orderNo (one live list per order)."""

    __tablename__ = "import_inventories"
    __table_args__ = (
        Index("ix_import_inventories_order", "order_no", "ebp_code"),
        Index("ix_import_inventories_logistics", "logistics_code", "logistics_no"),
    )

    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_no: Mapped[str] = mapped_column(String(60))  # 物流运单编号
    agent_code: Mapped[str] = mapped_column(String(18), index=True)  # 申报企业代码
    assure_code: Mapped[str] = mapped_column(String(30))  # 担保企业编号
    cop_no: Mapped[str] = mapped_column(String(20))  # 企业内部编号 (given, or the preNo)
    pre_no: Mapped[str | None] = mapped_column(String(18), unique=True)  # 预录入编号 (made by the platform)
    invt_no: Mapped[str | None] = mapped_column(String(18), unique=True)  # 海关清单编号 (from CEB622)
    trade_mode: Mapped[str] = mapped_column(String(4), index=True)  # 贸易方式 1210 / 9610
    ems_no: Mapped[str | None] = mapped_column(String(30))  # 账册编号 (1210)
    area_code: Mapped[str | None] = mapped_column(String(18))  # 区内企业代码 (1210)
    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    decl_time: Mapped[str] = mapped_column(String(8))  # 申报日期 yyyyMMdd
    buyer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 订购人证件号码
    buyer_index: Mapped[str] = mapped_column(BlindIndex, index=True)  # keyed hash of the buyer ID number
    buyer_name: Mapped[str] = mapped_column(EncryptedStr)  # 订购人姓名
    buyer_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 订购人电话
    consignee_address: Mapped[str] = mapped_column(EncryptedStr)  # 收件地址
    freight: Mapped[Decimal] = mapped_column(Amount)  # 运费
    insured_fee: Mapped[Decimal] = mapped_column(Amount)  # 保费
    # three-document match (三单对碰) and what followed it
    mismatches: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # 对碰不符项
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 对碰通过时间
    documents_complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tax_channel: Mapped[str | None] = mapped_column(String(20))  # cbec / cbec_full_rate / rejected
    taxable_price: Mapped[Decimal | None] = mapped_column(Money)  # 完税价格
    duty: Mapped[Decimal | None] = mapped_column(Money)  # 关税
    vat: Mapped[Decimal | None] = mapped_column(Money)  # 增值税
    consumption_tax: Mapped[Decimal | None] = mapped_column(Money)  # 消费税
    tax_total: Mapped[Decimal | None] = mapped_column(Money)  # 应征税款
    quota_reference: Mapped[str | None] = mapped_column(String(100))  # 个人额度占用编号 (kuajing.quota)
    stock_reference: Mapped[str | None] = mapped_column(String(100))  # 保税库存占用编号 (kuajing.bonded)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 发往海关时间
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 放行时间
    last_info: Mapped[str | None] = mapped_column(Text)  # 最新回执信息

    items: Mapped[list[InventoryItem]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="InventoryItem.gnum")


class InventoryItem(Base):
    """A declaration list line (清单表体)."""

    __tablename__ = "import_inventory_items"
    __table_args__ = (UniqueConstraint("inventory_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("import_inventories.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号
    item_record_no: Mapped[str | None] = mapped_column(String(30))  # 账册备案料号 (1210)
    item_no: Mapped[str | None] = mapped_column(String(20))  # 企业商品货号
    gcode: Mapped[str] = mapped_column(String(10))  # 商品编码 (HS)
    gname: Mapped[str] = mapped_column(String(250))  # 商品名称
    gmodel: Mapped[str] = mapped_column(String(510))  # 规格型号
    country: Mapped[str] = mapped_column(String(3))  # 原产国
    qty: Mapped[Decimal] = mapped_column(Amount)  # 数量
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    qty1: Mapped[Decimal] = mapped_column(Amount)  # 法定数量
    unit1: Mapped[str] = mapped_column(String(3))  # 法定计量单位
    qty2: Mapped[Decimal | None] = mapped_column(Amount)  # 第二法定数量
    unit2: Mapped[str | None] = mapped_column(String(3))  # 第二法定计量单位
    price: Mapped[Decimal] = mapped_column(Amount)  # 单价
    total_price: Mapped[Decimal] = mapped_column(Amount)  # 总价

    inventory: Mapped[Inventory] = relationship(back_populates="items")


class InventoryCancel(DocumentMixin, Base):
    """A cancellation request (撤销申请单 CEB623); key invtNo. Flows: see docs/imports.md."""

    __tablename__ = "import_inventory_cancels"

    invt_no: Mapped[str] = mapped_column(String(18), index=True)  # 清单编号
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    agent_code: Mapped[str] = mapped_column(String(18))  # 申报企业代码
    buyer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 订购人证件号码
    buyer_index: Mapped[str] = mapped_column(BlindIndex, index=True)
    buyer_name: Mapped[str] = mapped_column(EncryptedStr)  # 订购人姓名
    buyer_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 订购人电话
    reason: Mapped[str] = mapped_column(Text)  # 撤单原因


class InventoryRefund(DocumentMixin, Base):
    """A return request (退货申请单 CEB625); key invtNo. Flows: see docs/imports.md."""

    __tablename__ = "import_inventory_refunds"

    invt_no: Mapped[str] = mapped_column(String(18), index=True)  # 原清单编号
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    agent_code: Mapped[str] = mapped_column(String(18))  # 申报企业代码
    buyer_id_number: Mapped[str] = mapped_column(EncryptedStr)  # 订购人证件号码
    buyer_index: Mapped[str] = mapped_column(BlindIndex, index=True)
    buyer_name: Mapped[str] = mapped_column(EncryptedStr)  # 订购人姓名
    buyer_telephone: Mapped[str] = mapped_column(EncryptedStr)  # 订购人电话
    reason: Mapped[str] = mapped_column(Text)  # 退货原因

    items: Mapped[list[InventoryRefundItem]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="InventoryRefundItem.gnum")


class InventoryRefundItem(Base):
    """A returned line (退货商品表体): the original list's gnum and the quantity returned."""

    __tablename__ = "import_inventory_refund_items"
    __table_args__ = (UniqueConstraint("refund_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("import_inventory_refunds.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 原清单商品序号
    gcode: Mapped[str] = mapped_column(String(10))  # 商品编码
    gname: Mapped[str] = mapped_column(String(250))  # 商品名称
    qty: Mapped[Decimal] = mapped_column(Amount)  # 退货数量
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位

    refund: Mapped[InventoryRefund] = relationship(back_populates="items")


class ReceivedMessage(Base):
    """One message received from an enterprise (报文接收记录), whatever the channel."""

    __tablename__ = "received_messages"
    __table_args__ = (UniqueConstraint("sender_enterprise_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), index=True)  # 报文 guid
    message_type: Mapped[str] = mapped_column(String(8))  # CEB311 …
    sender_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))  # 传输企业
    sha256: Mapped[str] = mapped_column(String(64))  # of the received bytes (a retry is recognised by it)
    channel: Mapped[str] = mapped_column(String(16))  # ceb / json / excel / folder
    record_count: Mapped[int] = mapped_column(Integer)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    receipt_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the answer, in record order
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Receipt(Base):
    """A receipt (回执) for one record, pulled by its owner with a cursor (the id, increasing)."""

    __tablename__ = "import_receipts"
    __table_args__ = (
        Index("ix_import_receipts_owner", "enterprise_id", "id"),
        Index("ix_import_receipts_key", "declaration_type", "business_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)  # the pull cursor
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))  # who pulls it
    message_type: Mapped[str] = mapped_column(String(8))  # receipt type: CEB312 …
    declaration_type: Mapped[str] = mapped_column(String(8))  # answered declaration: CEB311 …
    business_key: Mapped[str] = mapped_column(String(160))  # 业务主键
    return_status: Mapped[str] = mapped_column(String(10))  # 回执状态
    return_info: Mapped[str] = mapped_column(Text)  # 回执信息
    return_time: Mapped[str] = mapped_column(String(17))  # yyyyMMddHHmmssSSS (Asia/Shanghai)
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10))  # platform (immediate verdict) / customs
    content_hash: Mapped[str | None] = mapped_column(String(64))  # of the answered record (replays)
    received_message_id: Mapped[int | None] = mapped_column(ForeignKey("received_messages.id"))
    receipt_xml: Mapped[bytes] = mapped_column(LargeBinary)  # the receipt CEB message (one record)


class Delegation(Base):
    """A party's authorisation for another enterprise to transmit its messages (委托传输)."""

    __tablename__ = "import_delegations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    principal_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 委托方
    agent_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 受托传输方
    message_types: Mapped[list[str]] = mapped_column(JSON)  # e.g. ["CEB311", "CEB621"]
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(120))


class OutboxMessage(Base):
    """A message waiting to go to customs (待发海关报文), written in the business transaction."""

    __tablename__ = "import_outbox"
    __table_args__ = (Index("ix_import_outbox_pending", "status", "id"),
                      Index("ix_import_outbox_order", "order_no", "status"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_type: Mapped[str] = mapped_column(String(8))  # CEB311 …
    business_key: Mapped[str] = mapped_column(String(160))
    # 订单编号 of the parcel the record belongs to (order, payment, waybill, list): the scale-out relay sends a
    # list once its own documents are sent, not after every older document of every parcel
    order_no: Mapped[str | None] = mapped_column(String(60))
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # the CEB message bytes
    status: Mapped[str] = mapped_column(String(10))  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MatchQueueItem(Base):
    """A parcel whose documents changed and whose three-document match (三单对碰) is due (待对碰队列): written
    by intake when matching runs in the pipeline (setting ``match_in`` = "pipeline"), taken in batches by the
    pipeline tick (flow.match_queued). ``ebp_code`` empty: any platform's order of that number (a waybill
    names no platform)."""

    __tablename__ = "import_match_queue"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    ebp_code: Mapped[str | None] = mapped_column(String(18))  # 电商平台代码
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReturnTracking(Base):
    """The goods of one return request on their way back (退货入区跟踪; service: imports/service/returns.py).

    Day 30 (file by) and day 45 (goods back by) after the list's release, Asia/Shanghai dates; the route is
    the original supervision site (direct) or the zone's return-centre warehouse (退货中心仓, R2.3).
    """

    __tablename__ = "import_return_tracking"
    __table_args__ = (Index("ix_import_return_tracking_due", "stage", "arrive_by"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("import_inventory_refunds.id", ondelete="CASCADE"),
                                           unique=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("import_inventories.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 退货企业 (sender)
    invt_no: Mapped[str] = mapped_column(String(18), index=True)  # 原清单编号
    route: Mapped[str] = mapped_column(String(16))  # ReturnRoute: direct / return_centre
    stage: Mapped[str] = mapped_column(String(16))  # ReturnStage
    released_on: Mapped[date] = mapped_column(Date)  # 放行日期 (Asia/Shanghai)
    apply_by: Mapped[date] = mapped_column(Date)  # 退货申请截止 (day 30)
    arrive_by: Mapped[date | None] = mapped_column(Date)  # 退货入区截止 (day 45)
    warehouse_code: Mapped[str | None] = mapped_column(String(30))  # 入区仓库 / 退货中心仓
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 退货入区时间
    sorted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 分拣完成时间 (return centre)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 重新上架 / 出区时间
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 逾期标记时间 (job)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
