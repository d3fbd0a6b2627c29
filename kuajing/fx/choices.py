"""Kinds, flags and statuses of the FX domain, each with a translatable label and colour."""

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


class PayeeKind(_Labelled):
    """Who receives the proceeds (收款人类型)."""

    enterprise = "enterprise"  # 企业 (经常项目外汇账户)
    individual = "individual"  # 个人 (个人外汇账户, R6.5)


class FeeKind(_Labelled):
    """A fee netted against export proceeds abroad (轧差结算, R6.2)."""

    storage = "storage"  # 海外仓储费 (service payment)
    logistics = "logistics"  # 物流/尾程派送费 (service payment)
    other_service = "other_service"  # 其他服务费 (service payment)
    tax = "tax"  # 境外税费, e.g. destination VAT (tax payment)


#: fee kinds reported as service payments (服务贸易支出) in the restored figures; the rest are tax payments
SERVICE_FEES = frozenset({FeeKind.storage, FeeKind.logistics, FeeKind.other_service})


class Ageing(_Labelled):
    """Where a receipt stands against the export date (R6.7 trade credit)."""

    advance_over_limit = "advance_over_limit"  # 预收 > 30 days before export: report
    advance = "advance"  # received before export, within 30 days
    normal = "normal"  # 0–90 days after export
    deferred_over_limit = "deferred_over_limit"  # 延收 > 90 days after export: report
    not_exported = "not_exported"  # no export date yet (list not declared / order without list)


class SettlementStatus(_Labelled):
    """A declaration list's settlement (收汇状态)."""

    unsettled = "unsettled"  # 未收汇
    partial = "partial"  # 部分收汇
    settled = "settled"  # 已收汇
    over_settled = "over_settled"  # 收汇多于申报 (allowed for 9810: R6.3)


class AdvancerKind(_Labelled):
    """Who advances costs for a client (代垫主体, zone plan)."""

    logistics = "logistics"  # 物流企业
    platform = "platform"  # 跨境电商平台企业
    postal = "postal"  # 境内国际寄递企业


class AdvanceDutyReason(_Labelled):
    """Why an advance must be reported to the local SAFE branch (报备)."""

    non_affiliated = "non_affiliated"  # 非关联企业代垫
    over_max_term = "over_max_term"  # 代垫期限超过12个月


class ImportStatus(_Labelled):
    """An Excel upload of proceeds."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


_LABELS = MemberMap([
    (PayeeKind.enterprise, lazy("Enterprise account")),
    (PayeeKind.individual, lazy("Personal FX account")),
    (FeeKind.storage, lazy("Overseas storage")),
    (FeeKind.logistics, lazy("Logistics and last-mile delivery")),
    (FeeKind.other_service, lazy("Other service fees")),
    (FeeKind.tax, lazy("Taxes abroad")),
    (Ageing.advance_over_limit, lazy("Advance receipt beyond the limit: report")),
    (Ageing.advance, lazy("Advance receipt")),
    (Ageing.normal, lazy("Normal")),
    (Ageing.deferred_over_limit, lazy("Deferred receipt beyond the limit: report")),
    (Ageing.not_exported, lazy("Not exported yet")),
    (SettlementStatus.unsettled, lazy("Unsettled")),
    (SettlementStatus.partial, lazy("Partly settled")),
    (SettlementStatus.settled, lazy("Settled")),
    (SettlementStatus.over_settled, lazy("Proceeds above the declared value")),
    (AdvancerKind.logistics, lazy("Logistics enterprise")),
    (AdvancerKind.platform, lazy("E-commerce platform")),
    (AdvancerKind.postal, lazy("International postal and express operator")),
    (AdvanceDutyReason.non_affiliated, lazy("Advance for a non-affiliated client")),
    (AdvanceDutyReason.over_max_term, lazy("Advance longer than the maximum term")),
    (ImportStatus.queued, lazy("Queued")),
    (ImportStatus.running, lazy("Running")),
    (ImportStatus.done, lazy("Done")),
    (ImportStatus.failed, lazy("Failed")),
])
_COLOURS = MemberMap([
    (PayeeKind.enterprise, "blue"),
    (PayeeKind.individual, "grey"),
    (Ageing.advance_over_limit, "red"),
    (Ageing.advance, "blue"),
    (Ageing.normal, "green"),
    (Ageing.deferred_over_limit, "red"),
    (Ageing.not_exported, "orange"),
    (SettlementStatus.unsettled, "red"),
    (SettlementStatus.partial, "orange"),
    (SettlementStatus.settled, "green"),
    (SettlementStatus.over_settled, "blue"),
    (AdvanceDutyReason.non_affiliated, "orange"),
    (AdvanceDutyReason.over_max_term, "red"),
    (ImportStatus.queued, "grey"),
    (ImportStatus.running, "blue"),
    (ImportStatus.done, "green"),
    (ImportStatus.failed, "red"),
])
