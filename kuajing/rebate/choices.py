"""Classes, claim statuses and business types of export tax rebates, each with a translatable label and colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


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


class RebateClass(_Labelled):
    """Export rebate management class (出口退（免）税企业分类, SAT 2016 No.46)."""

    one = "1"  # 一类
    two = "2"  # 二类
    three = "3"  # 三类
    four = "4"  # 四类


class ClaimStatus(_Labelled):
    """Where a rebate claim (退税申报) stands after the tax office accepted it."""

    accepted = "accepted"  # 已受理: the statutory clock runs
    refunded = "refunded"  # 已退税
    rejected = "rejected"  # 不予退税


class BusinessType(_Labelled):
    """Normal claim, or the 9810 pre-refund on departure (海外仓预退税, R4.8)."""

    normal = "normal"  # 一般退税
    pre_refund = "HWC-YT"  # 海外仓预退税


class PaperDocument(_Labelled):
    """Paper documents of a class 4 claim (rule ``rebate.class4_paper_documents``, [M])."""

    export_declaration = "export_declaration"  # 出口货物报关单
    purchase_vat_invoice = "purchase_vat_invoice"  # 增值税专用发票 (进货)
    export_invoice = "export_invoice"  # 出口发票
    proceeds_evidence = "proceeds_evidence"  # 收汇凭证
    transport_documents = "transport_documents"  # 运输单据


_LABELS = {
    RebateClass.one: lazy("Class 1"),
    RebateClass.two: lazy("Class 2"),
    RebateClass.three: lazy("Class 3"),
    RebateClass.four: lazy("Class 4"),
    ClaimStatus.accepted: lazy("Accepted, in processing"),
    ClaimStatus.refunded: lazy("Refunded"),
    ClaimStatus.rejected: lazy("Refused"),
    BusinessType.normal: lazy("Normal rebate"),
    BusinessType.pre_refund: lazy("Overseas-warehouse pre-refund (HWC-YT)"),
    PaperDocument.export_declaration: lazy("Export customs declaration"),
    PaperDocument.purchase_vat_invoice: lazy("VAT special invoice of the purchase"),
    PaperDocument.export_invoice: lazy("Export invoice"),
    PaperDocument.proceeds_evidence: lazy("Evidence of FX proceeds"),
    PaperDocument.transport_documents: lazy("Transport documents"),
}
_COLOURS = {
    RebateClass.one: "green",
    RebateClass.two: "blue",
    RebateClass.three: "orange",
    RebateClass.four: "red",
    ClaimStatus.accepted: "blue",
    ClaimStatus.refunded: "green",
    ClaimStatus.rejected: "red",
    BusinessType.normal: "grey",
    BusinessType.pre_refund: "orange",
}
