"""Statuses of export documents (出口单证状态), each with a translatable label and a colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import MemberMap, gettext, lazy


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _COLOURS.get(self, "grey")

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


class OrderType(_Labelled):
    """CEB303 orderType (电子订单类型)."""

    retail = "E"  # 零售出口订单 (9610)
    b2b = "B"  # 跨境电商B2B订单 (9710)
    booking = "W"  # 海外仓订仓单 (9810)


class ExportDocumentStatus(_Labelled):
    """Where an export order, receipt of payment, waybill, arrival, departure, link, cancellation or return stands.

    The values are the import pipeline's (``DocumentStatus``) so the shared intake reads them alike.
    """

    accepted = "accepted"  # 电子口岸申报中 (2)
    stored = "stored"  # 海关入库 (120)
    decided = "decided"  # 海关审结 (399) / approved
    rejected = "rejected"  # 海关退单 (100 / negative)
    deleted = "deleted"  # 已删除 (appType 3)


class ExportInventoryStatus(_Labelled):
    """Where an export declaration list stands (出口申报清单状态).

    awaiting_documents ─match─► declared ─120─► customs_accepted ─(300/500)─► decided (399, awaiting arrival)
      ─CEB507 matched, 800─► released ─CEB509, 899─► closed; 100 ► customs_rejected; CEB605 ► cancelled.
    """

    awaiting_documents = "awaiting_documents"  # 待对碰: order / waybill (/ receipt before 2024-12-15) missing
    mismatch = "mismatch"  # 对碰不符
    route_refused = "route_refused"  # 9710/9810 over 5,000 CNY or licence: needs a customs declaration
    declared = "declared"  # 已发往海关
    customs_accepted = "customs_accepted"  # 海关入库 (120)
    review = "review"  # 人工审核 (300)
    inspection = "inspection"  # 查验 (500)
    decided = "decided"  # 海关审结 (399): released once the arrival report matches
    released = "released"  # 放行 (800)
    closed = "closed"  # 结关 (899, after departure)
    customs_rejected = "customs_rejected"  # 海关退单 (100)
    deleted = "deleted"  # 已删除 (appType 3, before declaration)
    cancelled = "cancelled"  # 已撤销 (CEB605 approved)


class CustomsDeclarationStatus(_Labelled):
    """A prepared customs declaration (报关单) for a B2B consignment, tracked in the other customs system."""

    prepared = "prepared"  # 数据包已生成
    filed = "filed"  # 已在单一窗口申报 (报关单号 known)
    released = "released"  # 已放行
    rejected = "rejected"  # 退单
    cancelled = "cancelled"  # 已作废


class RoutingReason(_Labelled):
    """Why a 9710/9810 consignment needs a customs declaration instead of a list (R4.5)."""

    value = "value"  # 单票超过5000元
    licence = "licence"  # 涉证
    inspection = "inspection"  # 涉检
    tax = "tax"  # 涉税


class WarehouseService(_Labelled):
    """Services an overseas warehouse offers (海外仓服务)."""

    storage = "storage"  # 仓储
    fulfilment = "fulfilment"  # 订单履约 / 配送
    returns = "returns"  # 退货处理
    relabelling = "relabelling"  # 换标 / 贴标
    after_sales = "after_sales"  # 售后维修
    customs_clearance = "customs_clearance"  # 进口清关


class WarehouseStatus(_Labelled):
    """Whether an overseas warehouse record is in use."""

    active = "active"
    inactive = "inactive"


#: Lists the platform still holds (appType 2/3 allowed).
INVENTORY_EDITABLE = frozenset({ExportInventoryStatus.awaiting_documents, ExportInventoryStatus.mismatch,
                                ExportInventoryStatus.route_refused, ExportInventoryStatus.customs_rejected})
#: Lists customs holds (their order and waybill may no longer change).
INVENTORY_AT_CUSTOMS = frozenset({ExportInventoryStatus.declared, ExportInventoryStatus.customs_accepted,
                                  ExportInventoryStatus.review, ExportInventoryStatus.inspection,
                                  ExportInventoryStatus.decided, ExportInventoryStatus.released,
                                  ExportInventoryStatus.closed})
#: Lists a cancellation (CEB605) may name: customs accepted it and the goods have not left (policy as import).
CANCELLABLE = frozenset({ExportInventoryStatus.customs_accepted, ExportInventoryStatus.review,
                         ExportInventoryStatus.inspection, ExportInventoryStatus.decided,
                         ExportInventoryStatus.released})

#: Customs returnStatus of a CEB604 → the list's state.
CUSTOMS_INVENTORY_STATUS: dict[str, ExportInventoryStatus] = {
    "120": ExportInventoryStatus.customs_accepted, "300": ExportInventoryStatus.review,
    "500": ExportInventoryStatus.inspection, "399": ExportInventoryStatus.decided,
    "800": ExportInventoryStatus.released, "899": ExportInventoryStatus.closed,
    "100": ExportInventoryStatus.customs_rejected,
}
#: Customs returnStatus of the other export receipts → the document's state.
CUSTOMS_DOCUMENT_STATUS: dict[str, ExportDocumentStatus] = {
    "120": ExportDocumentStatus.stored, "399": ExportDocumentStatus.decided, "800": ExportDocumentStatus.decided,
    "100": ExportDocumentStatus.rejected,
}

_LABELS = MemberMap([
    (OrderType.retail, lazy("Retail export order")),
    (OrderType.b2b, lazy("B2B export order (9710)")),
    (OrderType.booking, lazy("Overseas-warehouse booking note (9810)")),
    (ExportDocumentStatus.accepted, lazy("Accepted, being declared")),
    (ExportDocumentStatus.stored, lazy("Stored by customs")),
    (ExportDocumentStatus.decided, lazy("Customs decision completed")),
    (ExportDocumentStatus.rejected, lazy("Rejected by customs")),
    (ExportDocumentStatus.deleted, lazy("Deleted")),
    (ExportInventoryStatus.awaiting_documents, lazy("Waiting for the other documents")),
    (ExportInventoryStatus.mismatch, lazy("Documents do not match")),
    (ExportInventoryStatus.route_refused, lazy("Needs a customs declaration")),
    (ExportInventoryStatus.declared, lazy("Sent to customs")),
    (ExportInventoryStatus.customs_accepted, lazy("Stored by customs")),
    (ExportInventoryStatus.review, lazy("Manual review")),
    (ExportInventoryStatus.inspection, lazy("Inspection")),
    (ExportInventoryStatus.decided, lazy("Decided, waiting for the arrival report")),
    (ExportInventoryStatus.released, lazy("Released")),
    (ExportInventoryStatus.closed, lazy("Closed")),
    (ExportInventoryStatus.customs_rejected, lazy("Rejected by customs")),
    (ExportInventoryStatus.deleted, lazy("Deleted")),
    (ExportInventoryStatus.cancelled, lazy("Cancelled")),
    (CustomsDeclarationStatus.prepared, lazy("Data package prepared")),
    (CustomsDeclarationStatus.filed, lazy("Filed with customs")),
    (CustomsDeclarationStatus.released, lazy("Released")),
    (CustomsDeclarationStatus.rejected, lazy("Rejected by customs")),
    (CustomsDeclarationStatus.cancelled, lazy("Cancelled")),
    (RoutingReason.value, lazy("Over 5,000 CNY")),
    (RoutingReason.licence, lazy("Licence required")),
    (RoutingReason.inspection, lazy("Inspection required")),
    (RoutingReason.tax, lazy("Tax involved")),
    (WarehouseService.storage, lazy("Storage")),
    (WarehouseService.fulfilment, lazy("Order fulfilment")),
    (WarehouseService.returns, lazy("Returns handling")),
    (WarehouseService.relabelling, lazy("Relabelling")),
    (WarehouseService.after_sales, lazy("After-sales service")),
    (WarehouseService.customs_clearance, lazy("Import clearance")),
    (WarehouseStatus.active, lazy("Active")),
    (WarehouseStatus.inactive, lazy("Inactive")),
])
_COLOURS = MemberMap([
    (ExportDocumentStatus.accepted, "blue"), (ExportDocumentStatus.stored, "green"),
    (ExportDocumentStatus.decided, "green"), (ExportDocumentStatus.rejected, "red"),
    (ExportInventoryStatus.awaiting_documents, "blue"), (ExportInventoryStatus.mismatch, "red"),
    (ExportInventoryStatus.route_refused, "red"), (ExportInventoryStatus.declared, "blue"),
    (ExportInventoryStatus.customs_accepted, "blue"), (ExportInventoryStatus.review, "orange"),
    (ExportInventoryStatus.inspection, "orange"), (ExportInventoryStatus.decided, "blue"),
    (ExportInventoryStatus.released, "green"), (ExportInventoryStatus.closed, "green"),
    (ExportInventoryStatus.customs_rejected, "red"),
    (CustomsDeclarationStatus.prepared, "blue"), (CustomsDeclarationStatus.filed, "orange"),
    (CustomsDeclarationStatus.released, "green"), (CustomsDeclarationStatus.rejected, "red"),
    (WarehouseStatus.active, "green"),
])
