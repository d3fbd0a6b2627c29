"""Statuses of import documents (进口单证状态), each with a translatable label and a colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import MemberMap, gettext, lazy


class DocumentStatus(StrEnum):
    """Where an order, payment, waybill or waybill status stands (订单/支付单/运单状态)."""

    accepted = "accepted"  # 电子口岸申报中 (2)
    stored = "stored"  # 海关入库 (120)
    decided = "decided"  # 海关审结 (399)
    rejected = "rejected"  # 海关退单 (100)
    deleted = "deleted"  # 已删除 (appType 3)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


class InventoryStatus(StrEnum):
    """Where a declaration list stands (申报清单状态)."""

    awaiting_documents = "awaiting_documents"  # 待对碰: order, payment or waybill still missing
    mismatch = "mismatch"  # 对碰不符
    match_timeout = "match_timeout"  # 对碰超时
    limit_rejected = "limit_rejected"  # 超过个人限额 (−621005 / −621018)
    check_failed = "check_failed"  # 税款校验失败 (unknown HS code, not on the positive list)
    stock_short = "stock_short"  # 保税库存不足 (1210)
    declared = "declared"  # 已发往海关 (outbox written)
    customs_accepted = "customs_accepted"  # 海关入库 (120)
    review = "review"  # 人工审核 (300)
    inspection = "inspection"  # 查验 (500)
    decided = "decided"  # 海关审结 (399)
    detained = "detained"  # 扣留 (501/502/503/599)
    released = "released"  # 放行 (800)
    closed = "closed"  # 结关 (899)
    reshipped = "reshipped"  # 退运 (700)
    customs_rejected = "customs_rejected"  # 海关退单 (100)
    deleted = "deleted"  # 已删除 (appType 3, before declaration)
    cancelled = "cancelled"  # 已撤销 (CEB623 approved)
    returned = "returned"  # 已退货 (CEB625 approved)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


#: States in which the platform still holds the list (not yet sent to customs): appType 2/3 allowed.
INVENTORY_EDITABLE = frozenset({InventoryStatus.awaiting_documents, InventoryStatus.mismatch,
                                InventoryStatus.match_timeout, InventoryStatus.limit_rejected,
                                InventoryStatus.stock_short, InventoryStatus.check_failed,
                                InventoryStatus.customs_rejected})
#: States after which the list's quota and stock are held (reserved or consumed).
INVENTORY_AT_CUSTOMS = frozenset({InventoryStatus.declared, InventoryStatus.customs_accepted, InventoryStatus.review,
                                  InventoryStatus.inspection, InventoryStatus.decided, InventoryStatus.detained,
                                  InventoryStatus.released, InventoryStatus.closed})

_LABELS = MemberMap([
    (DocumentStatus.accepted, lazy("Accepted, being declared")),
    (DocumentStatus.stored, lazy("Stored by customs")),
    (DocumentStatus.decided, lazy("Customs decision completed")),
    (DocumentStatus.rejected, lazy("Rejected by customs")),
    (DocumentStatus.deleted, lazy("Deleted")),
    (InventoryStatus.awaiting_documents, lazy("Waiting for the other documents")),
    (InventoryStatus.mismatch, lazy("Documents do not match")),
    (InventoryStatus.match_timeout, lazy("Documents missing (timed out)")),
    (InventoryStatus.limit_rejected, lazy("Over the buyer's limit")),
    (InventoryStatus.stock_short, lazy("Not enough bonded stock")),
    (InventoryStatus.check_failed, lazy("Tax check failed")),
    (InventoryStatus.declared, lazy("Sent to customs")),
    (InventoryStatus.customs_accepted, lazy("Stored by customs")),
    (InventoryStatus.review, lazy("Manual review")),
    (InventoryStatus.inspection, lazy("Inspection")),
    (InventoryStatus.decided, lazy("Customs decision completed")),
    (InventoryStatus.detained, lazy("Detained")),
    (InventoryStatus.released, lazy("Released")),
    (InventoryStatus.closed, lazy("Closed")),
    (InventoryStatus.reshipped, lazy("Returned abroad")),
    (InventoryStatus.customs_rejected, lazy("Rejected by customs")),
    (InventoryStatus.deleted, lazy("Deleted")),
    (InventoryStatus.cancelled, lazy("Cancelled")),
    (InventoryStatus.returned, lazy("Goods returned")),
])
_COLOURS = MemberMap([
    (DocumentStatus.accepted, "blue"), (DocumentStatus.stored, "green"), (DocumentStatus.decided, "green"),
    (DocumentStatus.rejected, "red"), (DocumentStatus.deleted, "grey"),
    (InventoryStatus.awaiting_documents, "blue"), (InventoryStatus.mismatch, "red"),
    (InventoryStatus.match_timeout, "orange"), (InventoryStatus.limit_rejected, "red"),
    (InventoryStatus.stock_short, "red"), (InventoryStatus.check_failed, "red"),
    (InventoryStatus.declared, "blue"), (InventoryStatus.customs_accepted, "blue"),
    (InventoryStatus.review, "orange"), (InventoryStatus.inspection, "orange"), (InventoryStatus.decided, "blue"),
    (InventoryStatus.detained, "red"), (InventoryStatus.released, "green"), (InventoryStatus.closed, "green"),
    (InventoryStatus.reshipped, "grey"), (InventoryStatus.customs_rejected, "red"), (InventoryStatus.deleted, "grey"),
    (InventoryStatus.cancelled, "grey"), (InventoryStatus.returned, "grey"),
])

#: Customs returnStatus of a CEB622 → the list's state.
CUSTOMS_INVENTORY_STATUS: dict[str, InventoryStatus] = {
    "120": InventoryStatus.customs_accepted, "300": InventoryStatus.review, "399": InventoryStatus.decided,
    "500": InventoryStatus.inspection, "501": InventoryStatus.detained, "502": InventoryStatus.detained,
    "503": InventoryStatus.detained, "599": InventoryStatus.detained, "700": InventoryStatus.reshipped,
    "800": InventoryStatus.released, "899": InventoryStatus.closed, "100": InventoryStatus.customs_rejected,
}
#: Customs returnStatus of CEB312/412/512/514 → the document's state.
CUSTOMS_DOCUMENT_STATUS: dict[str, DocumentStatus] = {
    "120": DocumentStatus.stored, "399": DocumentStatus.decided, "100": DocumentStatus.rejected,
}


class ReturnRoute(StrEnum):
    """Where returned goods go back to (退货路径)."""

    direct = "direct"  # 原海关监管场所 / 区域 (GACC 2020 No.45)
    return_centre = "return_centre"  # 退货中心仓 (GACC 2021 No.70, 1210 in a special zone)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _RETURN_LABELS[self]


class ReturnStage(StrEnum):
    """Where the goods of an approved return stand (退货跟踪)."""

    filed = "filed"  # 已申报，待海关审核
    awaiting_goods = "awaiting_goods"  # 海关已审核，待退货入区 (by day 45)
    sorting = "sorting"  # 已入退货中心仓，分拣中
    restocked = "restocked"  # 已重新上架 (bonded stock restored for 1210)
    shipped_out = "shipped_out"  # 不符合条件，已出区
    received = "received"  # 已退回监管场所 (9610)
    refused = "refused"  # 海关不予退货

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _RETURN_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _RETURN_COLOURS[self]


_RETURN_LABELS = {
    ReturnRoute.direct: lazy("Back to the original supervision site"),
    ReturnRoute.return_centre: lazy("Return-centre warehouse"),
    ReturnStage.filed: lazy("Return filed, awaiting customs"),
    ReturnStage.awaiting_goods: lazy("Approved, awaiting the goods"),
    ReturnStage.sorting: lazy("In the return centre, sorting"),
    ReturnStage.restocked: lazy("Back on the shelf"),
    ReturnStage.shipped_out: lazy("Shipped out of the zone"),
    ReturnStage.received: lazy("Goods back at the site"),
    ReturnStage.refused: lazy("Return refused"),
}
_RETURN_COLOURS = {
    ReturnStage.filed: "blue", ReturnStage.awaiting_goods: "orange", ReturnStage.sorting: "blue",
    ReturnStage.restocked: "green", ReturnStage.shipped_out: "grey", ReturnStage.received: "green",
    ReturnStage.refused: "red",
}
#: Stages in which the goods are still expected (the day-45 check applies).
RETURN_AWAITING = frozenset({ReturnStage.filed, ReturnStage.awaiting_goods})
