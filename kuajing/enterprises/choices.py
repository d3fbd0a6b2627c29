"""Statuses, roles and review actions of an enterprise filing, each with a translatable label and a colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class EnterpriseStatus(StrEnum):
    """Where a filing (企业备案) stands in its lifecycle."""

    draft = "draft"  # 草稿
    submitted = "submitted"  # 已提交 (待审核)
    returned = "returned"  # 退回
    approved = "approved"  # 已备案 (通过)
    suspended = "suspended"  # 暂停
    revoked = "revoked"  # 注销 / 撤销

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _STATUS_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour (CSS class of ``.badge``)."""
        return _STATUS_COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_STATUS_LABELS = {
    EnterpriseStatus.draft: lazy("Draft"),
    EnterpriseStatus.submitted: lazy("Submitted"),
    EnterpriseStatus.returned: lazy("Returned"),
    EnterpriseStatus.approved: lazy("Approved"),
    EnterpriseStatus.suspended: lazy("Suspended"),
    EnterpriseStatus.revoked: lazy("Filing revoked"),
}
_STATUS_COLOURS = {
    EnterpriseStatus.draft: "grey",
    EnterpriseStatus.submitted: "blue",
    EnterpriseStatus.returned: "orange",
    EnterpriseStatus.approved: "green",
    EnterpriseStatus.suspended: "red",
    EnterpriseStatus.revoked: "grey",
}


class EnterpriseRole(StrEnum):
    """The part an enterprise plays in cross-border e-commerce (企业类型; one enterprise may play several)."""

    platform = "platform"  # 电商平台
    ecommerce = "ecommerce"  # 电商企业
    logistics = "logistics"  # 物流企业
    payment = "payment"  # 支付企业
    declaring_agent = "declaring_agent"  # 申报企业 (报关)
    warehouse_operator = "warehouse_operator"  # 监管场所/仓储经营人
    finance = "finance"  # 金融/保险
    service_provider = "service_provider"  # 服务商

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _ROLE_LABELS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_ROLE_LABELS = {
    EnterpriseRole.platform: lazy("E-commerce platform"),
    EnterpriseRole.ecommerce: lazy("E-commerce enterprise"),
    EnterpriseRole.logistics: lazy("Logistics enterprise"),
    EnterpriseRole.payment: lazy("Payment enterprise"),
    EnterpriseRole.declaring_agent: lazy("Declaring agent"),
    EnterpriseRole.warehouse_operator: lazy("Supervised site / warehouse operator"),
    EnterpriseRole.finance: lazy("Bank / insurer"),
    EnterpriseRole.service_provider: lazy("Service provider"),
}


class ReviewAction(StrEnum):
    """A reviewed action on a filing; each is one audit action ``enterprises:enterprise:<action>``."""

    create = "create"  # 新建草稿
    update = "update"  # 修改
    submit = "submit"  # 提交
    resubmit = "resubmit"  # 重新提交 (退回后)
    approve = "approve"  # 审核通过
    return_ = "return"  # 退回
    suspend = "suspend"  # 暂停
    reinstate = "reinstate"  # 恢复
    revoke = "revoke"  # 注销

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _ACTION_LABELS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_ACTION_LABELS = {
    ReviewAction.create: lazy("Draft created"),
    ReviewAction.update: lazy("Filing edited"),
    ReviewAction.submit: lazy("Submitted for review"),
    ReviewAction.resubmit: lazy("Resubmitted for review"),
    ReviewAction.approve: lazy("Approved"),
    ReviewAction.return_: lazy("Returned for correction"),
    ReviewAction.suspend: lazy("Suspended"),
    ReviewAction.reinstate: lazy("Reinstated"),
    ReviewAction.revoke: lazy("Filing revoked"),
}

S = EnterpriseStatus

#: The state machine: action → (statuses it may start from, status it leads to).
TRANSITIONS: dict[ReviewAction, tuple[frozenset[EnterpriseStatus], EnterpriseStatus]] = {
    ReviewAction.submit: (frozenset({S.draft}), S.submitted),
    ReviewAction.resubmit: (frozenset({S.returned}), S.submitted),
    ReviewAction.approve: (frozenset({S.submitted}), S.approved),
    ReviewAction.return_: (frozenset({S.submitted}), S.returned),
    ReviewAction.suspend: (frozenset({S.approved}), S.suspended),
    ReviewAction.reinstate: (frozenset({S.suspended}), S.approved),
    ReviewAction.revoke: (frozenset({S.approved, S.suspended}), S.revoked),
}

#: Statuses in which the enterprise may still edit its filing.
EDITABLE_STATUSES = frozenset({S.draft, S.returned})

#: Review actions taken by the zone operator (运营/审核), the rest by the enterprise's administrator.
OPERATOR_ACTIONS = frozenset({ReviewAction.approve, ReviewAction.return_, ReviewAction.suspend,
                              ReviewAction.reinstate, ReviewAction.revoke})


def allowed_actions(status: EnterpriseStatus) -> list[ReviewAction]:
    """The transitions the state machine allows from ``status``."""
    return [action for action, (sources, _target) in TRANSITIONS.items() if status in sources]
