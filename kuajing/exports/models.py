"""Tables of cross-border e-commerce export (跨境电商出口: 9610 retail, 1210 zone, 9710 B2B, 9810 overseas warehouse).

The export documents (policy-rules §3, §4; ceb-messages §2.4) received through the ONE intake pipeline of
kuajing.imports (``accept``): order / B2B order / booking note (电子订单 / 订仓单 CEB303), receipt of payment
(收款单 CEB403), waybill (物流运单 CEB505), arrival at the supervised site (运抵单 CEB507), departure (离境单
CEB509), declaration list (出口申报清单 CEB603), cancellation (撤销申请单 CEB605), master/house link (清单总分单
CEB607), export return request (出口退货申请单 CEB213) and return tally (退货理货明细单 CEB215). Every document row
carries the import pipeline's common columns (``DocumentMixin``: business key, sender enterprise, status,
appType history, content hash, the whole record as encrypted JSON); receipts, received messages and the
customs outbox are the import pipeline's tables.

Around them: overseas warehouses (海外仓, master data for 9810), customs declarations prepared for B2B
consignments that may not go on a list (报关单数据包), and the relief check of export returns.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import ExactDecimal, Money, UTCDateTime
from kuajing.imports.models import Amount, DocumentMixin


class OverseasWarehouse(Base):
    """An overseas warehouse (海外仓): optional master data for 9810 since 2024-12-15 (GACC 2024 No.167), no gate."""

    __tablename__ = "export_overseas_warehouses"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 登记企业 (the exporter)
    name: Mapped[str] = mapped_column(String(100))  # 海外仓名称 (CEB303 ebpName of a booking note)
    country: Mapped[str] = mapped_column(String(3), index=True)  # 所在国家(地区) customs country code
    address: Mapped[str] = mapped_column(String(500))  # 地址 (a business address, not personal data)
    area_m2: Mapped[Decimal] = mapped_column(ExactDecimal(14, 2))  # 面积 (平方米)
    operator_name: Mapped[str] = mapped_column(String(200))  # 运营企业
    operator_code: Mapped[str | None] = mapped_column(String(18))  # 运营企业代码 (USCC / customs code)
    ownership_share: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))  # 持股/自有比例 % (0–100; 0 = leased)
    services: Mapped[list[str]] = mapped_column(JSON, default=list)  # WarehouseService values
    public_certified: Mapped[bool] = mapped_column(Boolean, default=False)  # 公共海外仓 / 认定
    status: Mapped[str] = mapped_column(String(12), default="active")  # WarehouseStatus
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ExportOrder(DocumentMixin, Base):
    """An export order (电子订单 CEB303): orderType E retail, B 9710 B2B order, W 9810 booking note (订仓单).

    Key ebpCode:orderNo. A booking note may name one of the sender's overseas warehouses (``warehouse_id``,
    found by name = ebpName, or set through the API).
    """

    __tablename__ = "export_orders"
    __table_args__ = (Index("ix_export_orders_order", "order_no", "ebp_code"),)

    order_type: Mapped[str] = mapped_column(String(1), index=True)  # 电子订单类型 E / B / W
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号 / 订仓单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebp_name: Mapped[str] = mapped_column(String(100))  # 电商平台名称 / 海外仓名称
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码
    ebc_name: Mapped[str] = mapped_column(String(100))  # 电商企业名称
    goods_value: Mapped[Decimal] = mapped_column(Amount)  # 商品价格 (FOB)
    freight: Mapped[Decimal] = mapped_column(Amount)  # 运杂费
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("export_overseas_warehouses.id"), index=True)

    items: Mapped[list[ExportOrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ExportOrderItem.gnum")


class ExportOrderItem(Base):
    """An export order line (订单表体); for a booking note, the goods going to the warehouse."""

    __tablename__ = "export_order_items"
    __table_args__ = (UniqueConstraint("order_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("export_orders.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号
    item_no: Mapped[str] = mapped_column(String(30))  # 企业商品货号
    item_name: Mapped[str] = mapped_column(String(250))  # 企业商品名称
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    qty: Mapped[Decimal] = mapped_column(Amount)  # 数量
    price: Mapped[Decimal] = mapped_column(Amount)  # 单价
    total_price: Mapped[Decimal] = mapped_column(Amount)  # 总价

    order: Mapped[ExportOrder] = relationship(back_populates="items")


class ExportPaymentReceipt(DocumentMixin, Base):
    """A receipt of payment (收款单 CEB403); key ebcCode:orderNo (no longer required from 2024-12-15)."""

    __tablename__ = "export_payment_receipts"
    __table_args__ = (Index("ix_export_payment_receipts_order", "order_no", "ebp_code"),)

    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号
    pay_code: Mapped[str | None] = mapped_column(String(18))  # 支付企业代码
    pay_name: Mapped[str] = mapped_column(String(100))  # 支付企业名称
    pay_no: Mapped[str | None] = mapped_column(String(60))  # 支付交易编号
    charge: Mapped[Decimal] = mapped_column(Amount)  # 收款金额
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    accounting_date: Mapped[str] = mapped_column(String(14))  # 到账时间


class ExportWaybill(DocumentMixin, Base):
    """An export waybill (物流运单 CEB505); key logisticsCode:logisticsNo."""

    __tablename__ = "export_waybills"

    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_name: Mapped[str] = mapped_column(String(100))  # 物流企业名称
    logistics_no: Mapped[str] = mapped_column(String(32), index=True)  # 物流运单编号
    freight: Mapped[Decimal] = mapped_column(Amount)  # 运费
    insured_fee: Mapped[Decimal] = mapped_column(Amount)  # 保价费
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    gross_weight: Mapped[Decimal] = mapped_column(Amount)  # 毛重
    pack_no: Mapped[int] = mapped_column(Integer)  # 件数
    goods_info: Mapped[str] = mapped_column(String(200))  # 主要货物信息
    ebc_code: Mapped[str | None] = mapped_column(String(18))  # 电商企业代码


class ExportArrival(DocumentMixin, Base):
    """An arrival report of the supervised site (运抵单 CEB507); key operatorCode:copNo:msgSeqNo."""

    __tablename__ = "export_arrivals"

    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    cop_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号
    operator_code: Mapped[str] = mapped_column(String(18), index=True)  # 监管场所经营人代码
    operator_name: Mapped[str] = mapped_column(String(100))  # 监管场所经营人名称
    loct_no: Mapped[str | None] = mapped_column(String(10))  # 监管场所代码
    traf_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    bill_no: Mapped[str | None] = mapped_column(String(37))  # 提运单号
    domestic_traf_no: Mapped[str] = mapped_column(String(100))  # 境内运输工具编号
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    msg_count: Mapped[int] = mapped_column(Integer)  # 报文总数
    msg_seq_no: Mapped[int] = mapped_column(Integer)  # 报文序号

    items: Mapped[list[ExportArrivalItem]] = relationship(
        back_populates="arrival", cascade="all, delete-orphan", order_by="ExportArrivalItem.gnum")


class ExportArrivalItem(Base):
    """A waybill that arrived at the supervised site (运抵单表体)."""

    __tablename__ = "export_arrival_items"
    __table_args__ = (UniqueConstraint("arrival_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("export_arrivals.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 序号
    logistics_no: Mapped[str] = mapped_column(String(32), index=True)  # 物流运单编号
    total_package_no: Mapped[str | None] = mapped_column(String(37))  # 总包号

    arrival: Mapped[ExportArrival] = relationship(back_populates="items")


class ExportDeparture(DocumentMixin, Base):
    """A departure report (离境单 CEB509); key logisticsCode:copNo:msgSeqNo."""

    __tablename__ = "export_departures"

    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    cop_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号
    logistics_code: Mapped[str] = mapped_column(String(18), index=True)  # 物流企业代码
    traf_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    traf_name: Mapped[str | None] = mapped_column(String(100))  # 运输工具名称
    voyage_no: Mapped[str | None] = mapped_column(String(32))  # 航班航次号
    bill_no: Mapped[str | None] = mapped_column(String(37))  # 提运单号
    leave_time: Mapped[str] = mapped_column(String(14))  # 离境时间
    msg_count: Mapped[int] = mapped_column(Integer)  # 报文总数
    msg_seq_no: Mapped[int] = mapped_column(Integer)  # 报文序号

    items: Mapped[list[ExportDepartureItem]] = relationship(
        back_populates="departure", cascade="all, delete-orphan", order_by="ExportDepartureItem.gnum")


class ExportDepartureItem(Base):
    """A waybill that left the country (离境单表体)."""

    __tablename__ = "export_departure_items"
    __table_args__ = (UniqueConstraint("departure_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    departure_id: Mapped[int] = mapped_column(ForeignKey("export_departures.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 序号
    logistics_no: Mapped[str] = mapped_column(String(32), index=True)  # 物流运单编号
    total_package_no: Mapped[str | None] = mapped_column(String(37))  # 总包号

    departure: Mapped[ExportDeparture] = relationship(back_populates="items")


class ExportInventory(DocumentMixin, Base):
    """An export declaration list (出口申报清单 CEB603); key ebpCode:orderNo (one live list per order).

    ``declared_on`` is the Asia/Shanghai business date the platform received the list: the document
    check rule (``export.document_check``) is taken on it. ``released_at`` (800) and ``closed_at`` (899)
    are what the monthly summary and the no-invoice register read (lines: ``items``).
    """

    __tablename__ = "export_inventories"
    __table_args__ = (
        Index("ix_export_inventories_order", "order_no", "ebp_code"),
        Index("ix_export_inventories_waybill", "logistics_code", "logistics_no"),
        Index("ix_export_inventories_released", "status", "released_at"),
    )

    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebp_name: Mapped[str] = mapped_column(String(100))  # 电商平台名称
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号 / 订仓单编号
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_no: Mapped[str] = mapped_column(String(32))  # 物流运单编号
    cop_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18), unique=True)  # 预录入编号 (made by the platform)
    invt_no: Mapped[str | None] = mapped_column(String(18), unique=True)  # 清单编号 (from customs, CEB604)
    port_code: Mapped[str] = mapped_column(String(4))  # 出口口岸代码 (exit customs)
    ie_date: Mapped[str] = mapped_column(String(8))  # 出口日期 yyyyMMdd
    statistics_flag: Mapped[str] = mapped_column(String(1), index=True)  # 申报业务类型 A 简化 / B 汇总
    agent_code: Mapped[str] = mapped_column(String(18), index=True)  # 申报企业代码
    agent_name: Mapped[str] = mapped_column(String(100))  # 申报企业名称
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码 (收发货人)
    ebc_name: Mapped[str] = mapped_column(String(100))  # 电商企业名称
    owner_code: Mapped[str] = mapped_column(String(18))  # 生产销售单位代码
    owner_name: Mapped[str] = mapped_column(String(100))  # 生产销售单位名称
    trade_mode: Mapped[str] = mapped_column(String(4), index=True)  # 贸易方式 9610 / 1210 / 9710 / 9810
    traf_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    license_no: Mapped[str | None] = mapped_column(String(19))  # 许可证号
    country: Mapped[str] = mapped_column(String(3))  # 运抵国(地区)
    freight: Mapped[Decimal] = mapped_column(Amount)  # 运费
    f_currency: Mapped[str] = mapped_column(String(3))  # 运费币制
    insured_fee: Mapped[Decimal] = mapped_column(Amount)  # 保费
    gross_weight: Mapped[Decimal] = mapped_column(Amount)  # 毛重
    net_weight: Mapped[Decimal] = mapped_column(Amount)  # 净重
    pack_no: Mapped[int] = mapped_column(Integer)  # 件数
    declared_on: Mapped[date | None] = mapped_column(Date, index=True)  # 申报日期 (Asia/Shanghai, platform receipt)
    documents: Mapped[list[str] | None] = mapped_column(JSON)  # documents the rule required (order, receipt, waybill)
    mismatches: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # 对碰不符项
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 对碰通过时间
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 发往海关时间
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 运抵 (CEB507 naming its waybill)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 放行时间 (800)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 结关时间 (899, after departure)
    last_info: Mapped[str | None] = mapped_column(Text)  # 最新回执信息

    items: Mapped[list[ExportInventoryItem]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="ExportInventoryItem.gnum")


class ExportInventoryItem(Base):
    """An export list line (清单表体)."""

    __tablename__ = "export_inventory_items"
    __table_args__ = (UniqueConstraint("inventory_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("export_inventories.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号 (= order gnum)
    item_no: Mapped[str] = mapped_column(String(20))  # 企业商品货号
    item_record_no: Mapped[str | None] = mapped_column(String(30))  # 账册备案料号
    gcode: Mapped[str] = mapped_column(String(10))  # 商品编码 (10 digits, or 4/6 simplified)
    gname: Mapped[str] = mapped_column(String(250))  # 商品名称
    gmodel: Mapped[str] = mapped_column(String(250))  # 规格型号
    country: Mapped[str] = mapped_column(String(3))  # 最终目的国(地区)
    currency: Mapped[str] = mapped_column(String(3))  # 币制
    qty: Mapped[Decimal] = mapped_column(Amount)  # 数量
    qty1: Mapped[Decimal] = mapped_column(Amount)  # 法定数量
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位
    unit1: Mapped[str] = mapped_column(String(3))  # 法定计量单位
    price: Mapped[Decimal] = mapped_column(Amount)  # 单价
    total_price: Mapped[Decimal] = mapped_column(Amount)  # 总价

    inventory: Mapped[ExportInventory] = relationship(back_populates="items")


class ExportInventoryCancel(DocumentMixin, Base):
    """A cancellation of an export list (撤销申请单 CEB605); key invtNo."""

    __tablename__ = "export_inventory_cancels"

    invt_no: Mapped[str] = mapped_column(String(20), index=True)  # 清单编号
    cop_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号
    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    agent_code: Mapped[str] = mapped_column(String(18))  # 申报企业代码
    ebc_code: Mapped[str] = mapped_column(String(18))  # 电商企业代码
    reason: Mapped[str] = mapped_column(Text)  # 撤单原因


class ExportWaybillLink(DocumentMixin, Base):
    """A master/house link (清单总分单 CEB607): waybills (and lists) on a master bill; key agentCode:copNo:msgSeqNo."""

    __tablename__ = "export_waybill_links"

    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    cop_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号
    agent_code: Mapped[str] = mapped_column(String(18), index=True)  # 申报企业代码
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    traf_mode: Mapped[str] = mapped_column(String(1))  # 运输方式
    traf_name: Mapped[str] = mapped_column(String(100))  # 运输工具名称
    voyage_no: Mapped[str] = mapped_column(String(32))  # 航班航次号
    bill_no: Mapped[str] = mapped_column(String(37), index=True)  # 提运单号 (总单)
    gross_weight: Mapped[Decimal] = mapped_column(Amount)  # 毛重
    msg_seq_no: Mapped[int] = mapped_column(Integer)  # 报文序号

    items: Mapped[list[ExportWaybillLinkItem]] = relationship(
        back_populates="link", cascade="all, delete-orphan", order_by="ExportWaybillLinkItem.gnum")


class ExportWaybillLinkItem(Base):
    """A house waybill on the master bill (清单总分单表体)."""

    __tablename__ = "export_waybill_link_items"
    __table_args__ = (UniqueConstraint("link_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("export_waybill_links.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 序号
    logistics_no: Mapped[str] = mapped_column(String(32), index=True)  # 物流运单编号 (分单)
    invt_no: Mapped[str | None] = mapped_column(String(20))  # 清单编号
    total_package_no: Mapped[str | None] = mapped_column(String(60))  # 总包号

    link: Mapped[ExportWaybillLink] = relationship(back_populates="items")


class ExportRefund(DocumentMixin, Base):
    """An export return request (出口退货申请单 CEB213); key agentCode:coElNo.

    ``exported_on`` is the original list's export date; ``relief_until`` the last day the goods may come
    back and keep the tax relief of policy-rules R2.5 (None when no relief window covers the export);
    ``relief_eligible`` whether this request was filed within it (recomputed on the tally).
    """

    __tablename__ = "export_refunds"

    invt_no: Mapped[str] = mapped_column(String(20), index=True)  # 原清单编号
    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    ebc_code: Mapped[str] = mapped_column(String(18), index=True)  # 电商企业代码
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_no: Mapped[str] = mapped_column(String(80), index=True)  # 物流运单编号
    co_el_no: Mapped[str] = mapped_column(String(30))  # 企业内部编号
    pre_no: Mapped[str | None] = mapped_column(String(18))  # 预录入编号
    trade_mode: Mapped[str | None] = mapped_column(String(4))  # 贸易方式 (9661 / 1261 per the PDF)
    agent_code: Mapped[str] = mapped_column(String(18), index=True)  # 申报企业代码
    reason: Mapped[str] = mapped_column(String(500))  # 退货原因
    country: Mapped[str] = mapped_column(String(3))  # 起运国(地区)
    exported_on: Mapped[date | None] = mapped_column(Date)  # 原出口日期 (list ieDate)
    relief_until: Mapped[date | None] = mapped_column(Date)  # 免税复运进境截止日
    relief_eligible: Mapped[bool | None] = mapped_column(Boolean)  # 适用退货税收政策
    relief_citation: Mapped[str | None] = mapped_column(String(300))  # the rule's citation
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 理货 (CEB215) received

    items: Mapped[list[ExportRefundItem]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="ExportRefundItem.gnum")


class ExportRefundItem(Base):
    """A returned line (退货申请单表体): gnum of the original list."""

    __tablename__ = "export_refund_items"
    __table_args__ = (UniqueConstraint("refund_id", "gnum"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("export_refunds.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)  # 商品序号 (原清单)
    gcode: Mapped[str] = mapped_column(String(10))  # 商品编码
    gname: Mapped[str] = mapped_column(String(250))  # 商品名称
    qty: Mapped[Decimal] = mapped_column(Amount)  # 数量
    unit: Mapped[str] = mapped_column(String(3))  # 计量单位

    refund: Mapped[ExportRefund] = relationship(back_populates="items")


class ExportRefundTally(DocumentMixin, Base):
    """A return tally of the supervised site (退货理货明细单 CEB215); key operatorCode:coElNo."""

    __tablename__ = "export_refund_tallies"

    customs_code: Mapped[str] = mapped_column(String(4))  # 申报海关代码
    operator_code: Mapped[str] = mapped_column(String(18), index=True)  # 监管场所经营人代码
    logistics_code: Mapped[str] = mapped_column(String(18))  # 物流企业代码
    logistics_no: Mapped[str] = mapped_column(String(80), index=True)  # 物流运单编号
    invt_no: Mapped[str | None] = mapped_column(String(20), index=True)  # 原清单编号
    co_el_no: Mapped[str] = mapped_column(String(20))  # 企业内部编号
    bill_no: Mapped[str] = mapped_column(String(37))  # 提运单号
    location: Mapped[str | None] = mapped_column(String(250))  # 存放位置


class CustomsDeclaration(Base):
    """A customs declaration (报关单) the platform prepared for a 9710/9810 consignment that may not go on a list.

    The declaration itself is filed in another customs system (H2018 / single window); the platform keeps
    its data package (JSON, Excel on demand) with the attachment (type 10000004 跨境B2B出口单证, number = the
    order / booking-note number) and tracks it: prepared → filed → released / rejected, or cancelled.
    """

    __tablename__ = "customs_declarations"
    __table_args__ = (Index("ix_customs_declarations_order", "ebp_code", "order_no"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 申报企业 (who prepared it)
    order_id: Mapped[int] = mapped_column(ForeignKey("export_orders.id"), index=True)
    order_no: Mapped[str] = mapped_column(String(60))  # 订单编号 / 订仓单编号
    ebp_code: Mapped[str] = mapped_column(String(18))  # 电商平台代码
    order_type: Mapped[str] = mapped_column(String(1))  # B (9710) / W (9810)
    trade_mode: Mapped[str] = mapped_column(String(4))  # 监管方式 9710 / 9810
    attachment_type: Mapped[str] = mapped_column(String(8), default="10000004")  # 随附单证类型
    attachment_no: Mapped[str] = mapped_column(String(60))  # 随附单证编号 (= order / booking-note number)
    value_cny: Mapped[Decimal] = mapped_column(Money)  # 货值 (人民币, customs monthly rate)
    reasons: Mapped[list[str]] = mapped_column(JSON)  # RoutingReason values: value / licence / inspection / tax
    package: Mapped[dict[str, Any]] = mapped_column(JSON)  # 报关单数据包
    status: Mapped[str] = mapped_column(String(12), index=True)  # CustomsDeclarationStatus
    entry_id: Mapped[str | None] = mapped_column(String(18))  # 报关单号 (once filed)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
