"""Alert rules and statuses, credit grades and data-export legal bases, each with a translatable label and colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy, pgettext_lazy


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


class RuleCode(_Labelled):
    """A risk rule (风险规则)."""

    quota_near_limit = "quota_near_limit"  # 额度接近上限: one buyer ID at >= 90% of the annual limit
    identity_reuse = "identity_reuse"  # 身份复用: one buyer ID, >= 3 consignees or phones in 30 days
    split_orders = "split_orders"  # 拆单: same buyer and goods in >= 3 parcels within 24 hours
    undervaluation = "undervaluation"  # 低报价格: unit price < 30% of the HS heading's 90-day median
    blacklisted_enterprise = "blacklisted_enterprise"  # 黑名单企业
    blacklisted_id = "blacklisted_id"  # 黑名单证件
    data_export_threshold = "data_export_threshold"  # 数据出境人数接近/达到门槛


class AlertStatus(_Labelled):
    """Where an alert stands: open → investigating → closed (with a note)."""

    open = "open"  # 待处理
    investigating = "investigating"  # 核查中
    closed = "closed"  # 已关闭


class AlertOutcome(_Labelled):
    """How a closed alert ended (关闭结论)."""

    confirmed = "confirmed"  # 属实: counts as a risk hit in the credit grade
    dismissed = "dismissed"  # 排除: a false positive, not counted


#: the workflow: status → the actions allowed from it and the status each leads to
TRANSITIONS: dict[str, dict[str, str]] = {
    AlertStatus.open: {"investigate": AlertStatus.investigating, "close": AlertStatus.closed},
    AlertStatus.investigating: {"close": AlertStatus.closed},
    AlertStatus.closed: {},
}


class SubjectKind(_Labelled):
    """What an alert or a blacklist entry is about."""

    buyer = "buyer"  # 订购人 (blind index of the ID number)
    enterprise = "enterprise"  # 企业
    inventory = "inventory"  # 申报清单 line
    zone = "zone"  # the whole platform (data-export counters)


class CreditGrade(_Labelled):
    """Enterprise credit grade (企业信用等级), Hangzhou model (policy-rules §9.1)."""

    AAA = "AAA"
    AA = "AA"
    A = "A"
    BBB = "BBB"
    BB = "BB"


class LegalBasis(_Labelled):
    """Legal basis of a personal-data transfer abroad (数据出境的法律依据, PIPL Art. 38; CAC Order 16)."""

    contract_necessity = "contract_necessity"  # 订立、履行个人作为一方当事人的合同所必需 (cross-border shopping, delivery, payment): exempt
    hr_management = "hr_management"  # 跨境人力资源管理所必需: exempt
    emergency = "emergency"  # 紧急情况下保护自然人生命健康和财产安全: exempt
    standard_contract = "standard_contract"  # 个人信息出境标准合同
    certification = "certification"  # 个人信息保护认证
    security_assessment = "security_assessment"  # 数据出境安全评估


#: bases whose transfers are exempt from the counting (CAC Order 16 Art. 5) — logged all the same
EXEMPT_BASES: frozenset[str] = frozenset({LegalBasis.contract_necessity, LegalBasis.hr_management, LegalBasis.emergency})

#: personal-data categories a transfer may carry (数据类别); id_number is sensitive personal information
DATA_CATEGORIES: dict[str, str] = {
    "name": lazy("Name"),
    "phone": lazy("Phone number"),
    "address": lazy("Address"),
    "id_number": lazy("ID number (sensitive)"),
    "order": lazy("Order details"),
    "payment": lazy("Payment details"),
    "email": lazy("E-mail address"),
}
SENSITIVE_CATEGORIES: frozenset[str] = frozenset({"id_number", "payment"})
#: categories no contract with the buyer needs abroad (R11.6: do not send ID numbers abroad): a transfer carrying
#: them under ``contract_necessity`` is not exempt from the counting
NEVER_CONTRACT_NECESSARY: frozenset[str] = frozenset({"id_number"})


_LABELS = {
    RuleCode.quota_near_limit: lazy("Buyer near the annual limit"),
    RuleCode.identity_reuse: lazy("One ID, many consignees or phones"),
    RuleCode.split_orders: lazy("Split orders"),
    RuleCode.undervaluation: lazy("Undervalued unit price"),
    RuleCode.blacklisted_enterprise: lazy("Blacklisted enterprise"),
    RuleCode.blacklisted_id: lazy("Blacklisted ID"),
    RuleCode.data_export_threshold: lazy("Data export threshold"),
    AlertStatus.open: pgettext_lazy("alert status", "Open"),
    AlertStatus.investigating: lazy("Investigating"),
    AlertStatus.closed: pgettext_lazy("alert status", "Closed"),
    AlertOutcome.confirmed: lazy("Confirmed"),
    AlertOutcome.dismissed: lazy("Dismissed"),
    SubjectKind.buyer: lazy("Buyer ID"),
    SubjectKind.enterprise: lazy("Enterprise"),
    SubjectKind.inventory: lazy("Declaration list line"),
    SubjectKind.zone: lazy("Platform"),
    CreditGrade.AAA: lazy("AAA (excellent)"),
    CreditGrade.AA: lazy("AA (good)"),
    CreditGrade.A: lazy("A (fair)"),
    CreditGrade.BBB: lazy("BBB (watch)"),
    CreditGrade.BB: lazy("BB (poor)"),
    LegalBasis.contract_necessity: lazy("Necessary to perform a contract with the individual (exempt)"),
    LegalBasis.hr_management: lazy("Cross-border human-resources management (exempt)"),
    LegalBasis.emergency: lazy("Emergency to protect life or property (exempt)"),
    LegalBasis.standard_contract: lazy("Standard contract"),
    LegalBasis.certification: lazy("Certification"),
    LegalBasis.security_assessment: lazy("Security assessment"),
}

_COLOURS = {
    AlertStatus.open: "red",
    AlertStatus.investigating: "orange",
    AlertStatus.closed: "grey",
    AlertOutcome.confirmed: "red",
    AlertOutcome.dismissed: "green",
    CreditGrade.AAA: "green",
    CreditGrade.AA: "green",
    CreditGrade.A: "blue",
    CreditGrade.BBB: "orange",
    CreditGrade.BB: "red",
}
