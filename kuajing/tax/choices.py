"""Statuses of the tax guarantee (税款担保) and e-tax bills, each with a translatable label and a colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class TaxBillStatus(StrEnum):
    """An e-tax bill's status as CEB816/CEB818 report it (税单状态)."""

    generated = "1"  # 已生成
    summarised = "2"  # 已汇总 (on a payment form 缴款书)
    void = "3"  # 作废

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _BILL_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _BILL_COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_BILL_LABELS = {
    TaxBillStatus.generated: lazy("Generated"),
    TaxBillStatus.summarised: lazy("Summarised for payment"),
    TaxBillStatus.void: lazy("Void"),
}
_BILL_COLOURS = {TaxBillStatus.generated: "blue", TaxBillStatus.summarised: "green", TaxBillStatus.void: "grey"}


class GuaranteeMovementKind(StrEnum):
    """A change of a guarantee (担保流水类型)."""

    draw = "draw"  # 税单扣减
    top_up = "top_up"  # 追加担保
    void = "void"  # 税单作废退回
    payment = "payment"  # 缴款恢复担保 (a paid payment form gives back what its bills held)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    GuaranteeMovementKind.draw: lazy("Drawn by e-tax bill"),
    GuaranteeMovementKind.top_up: lazy("Topped up"),
    GuaranteeMovementKind.void: lazy("Given back (bill void)"),
    GuaranteeMovementKind.payment: lazy("Given back (tax paid)"),
}


class AlertKind(StrEnum):
    """Why a guarantee alert was raised (担保余额预警)."""

    below_threshold = "below_threshold"  # 低于预警金额
    short_runway = "short_runway"  # 不足以覆盖未来 N 天
    uncovered_bills = "uncovered_bills"  # 有担保不足未扣减的电子税单

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _ALERT_LABELS[self]


_ALERT_LABELS = {
    AlertKind.below_threshold: lazy("Balance below the alert threshold"),
    AlertKind.short_runway: lazy("Balance will not cover the next days at the recent rate"),
    AlertKind.uncovered_bills: lazy("E-tax bills the balance could not cover are waiting for a top-up"),
}


class SummaryPaymentStatus(StrEnum):
    """Payment status of an agent's monthly tax summary (月度汇总缴税状态), from its bills' CEB818 statuses."""

    open = "open"  # 有未汇总税单
    summarised = "summarised"  # 全部已汇总 (缴款书已生成), not all paid yet
    paid = "paid"  # 全部已汇总并已缴款
    empty = "empty"  # 无有效税单

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _SUMMARY_LABELS[self]


_SUMMARY_LABELS = {
    SummaryPaymentStatus.open: lazy("Bills awaiting summary"),
    SummaryPaymentStatus.summarised: lazy("All bills summarised for payment"),
    SummaryPaymentStatus.paid: lazy("All bills summarised and paid"),
    SummaryPaymentStatus.empty: lazy("No valid bills"),
}
