"""Customs statuses (海关回执状态, ceb-messages §2.6) and sandbox document kinds, with labels and colours."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class CustomsStatus(StrEnum):
    """returnStatus values the sandbox uses (official codes of ceb-messages §2.6); negatives are error codes."""

    declaring = "2"  # 电子口岸申报中: received, declaring
    rejected = "100"  # 海关退单: returned to the enterprise (reason in returnInfo)
    accepted = "120"  # 海关入库: accepted into the customs system
    manual_review = "300"  # 人工审核: picked for manual review (the step before an inspection)
    decided = "399"  # 海关审结: customs decision completed
    inspection = "500"  # 查验: under inspection
    released = "800"  # 放行: released
    closed = "899"  # 结关: closed (the goods have left the supervised site)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour (CSS class of ``.badge``)."""
        return _COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_LABELS = {
    CustomsStatus.declaring: lazy("Received, declaring"),
    CustomsStatus.rejected: lazy("Rejected by customs"),
    CustomsStatus.accepted: lazy("Accepted by customs"),
    CustomsStatus.manual_review: lazy("Manual review"),
    CustomsStatus.decided: lazy("Customs decision completed"),
    CustomsStatus.inspection: lazy("Inspection"),
    CustomsStatus.released: lazy("Released"),
    CustomsStatus.closed: lazy("Closed (left the site)"),
}
_COLOURS = {
    CustomsStatus.declaring: "grey",
    CustomsStatus.rejected: "red",
    CustomsStatus.accepted: "blue",
    CustomsStatus.manual_review: "orange",
    CustomsStatus.decided: "blue",
    CustomsStatus.inspection: "orange",
    CustomsStatus.released: "green",
    CustomsStatus.closed: "green",
}


def status_label(code: str, locale: str) -> str:
    """The label of a status code, or the code itself for an error code (negative) or an unknown one."""
    try:
        return CustomsStatus(code).display(locale)
    except ValueError:
        return gettext("Refused ({code})", locale, code=code)


def status_colour(code: str) -> str:
    """Badge colour of a status code (error codes are red)."""
    try:
        return CustomsStatus(code).colour
    except ValueError:
        return "red"


class DocumentKind(StrEnum):
    """What customs received (单证类型), by declaration message type."""

    order = "CEB311"  # 订单
    payment = "CEB411"  # 支付单
    waybill = "CEB511"  # 运单
    waybill_status = "CEB513"  # 运单状态
    inventory = "CEB621"  # 申报清单
    cancel = "CEB623"  # 撤销申请单
    refund = "CEB625"  # 退货申请单
    delivery = "CEB711"  # 入库明细单

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    DocumentKind.order: lazy("Order"),
    DocumentKind.payment: lazy("Payment"),
    DocumentKind.waybill: lazy("Waybill"),
    DocumentKind.waybill_status: lazy("Waybill status"),
    DocumentKind.inventory: lazy("Declaration list"),
    DocumentKind.cancel: lazy("Cancellation"),
    DocumentKind.refund: lazy("Return request"),
    DocumentKind.delivery: lazy("Warehouse entry"),
}

#: States of a list that allow a CEB623 cancellation (the goods must not have left the site: 899 excluded).
CANCELLABLE = frozenset({CustomsStatus.accepted, CustomsStatus.manual_review, CustomsStatus.decided,
                         CustomsStatus.released})
#: States a customs officer may release, reject or send to inspection from.
OPEN_LIST_STATES = frozenset({CustomsStatus.declaring, CustomsStatus.accepted, CustomsStatus.manual_review,
                              CustomsStatus.inspection, CustomsStatus.decided})
