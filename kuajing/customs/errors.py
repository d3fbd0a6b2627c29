"""Stable error codes of the customs domain: the official customs codes the sandbox answers with, and the
API's own codes (officer actions on the sandbox)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue


class OfficialCode(StrEnum):
    """Official negative returnStatus codes the sandbox emits (ceb-messages §2.6; kuajing.ceb.catalogue)."""

    order_duplicate = "-301010"  # 已存在相同编号的订单
    payment_duplicate = "-401007"  # 已存在相同编号的支付单
    waybill_duplicate = "-504015"  # 已存在相同编号的运单
    inventory_duplicate = "-621004"  # 清单已经申报过
    single_limit = "-621005"  # 超过单笔限额
    no_changeable_inventory = "-621011"  # 不存在已申报的清单, 无法改单
    inventory_state_no_change = "-621012"  # 申报状态不符合改单条件
    annual_limit = "-621018"  # 超过年度限额
    cancel_unknown_inventory = "-623003"  # 系统中不存在清单编号为[*]的清单
    cancel_state = "-623005"  # 清单的状态不符合撤单申报要求
    cancel_duplicate = "-623009"  # 撤单清单已经申报过
    refund_unknown_inventory = "-625016"  # 查无此数据
    refund_duplicate = "-625033"  # 退货申请单已经申报过
    refund_line_unknown = "-625209"  # 在关联的清单中未找到表体序号为[*]的数据


class CustomsErrorCode(StrEnum):
    """Every error the customs API answers, by stable code."""

    declaration_not_found = "customs_declaration_not_found"
    action_not_allowed = "customs_action_not_allowed"
    reason_required = "customs_reason_required"
    sandbox_only = "customs_sandbox_only"
    message_unreadable = "customs_message_unreadable"


C = CustomsErrorCode

#: code → English msgid (with placeholders).
MESSAGES: dict[CustomsErrorCode, str] = {
    C.declaration_not_found: "No declaration with this id is known to the customs sandbox.",
    C.action_not_allowed: "The action {action} is not allowed for a declaration in customs status {current}.",
    C.reason_required: "Give the reason customs states for the rejection.",
    C.sandbox_only: "This action needs the built-in customs sandbox; the platform is set to a real customs transport.",
    C.message_unreadable: "The message could not be read: {reason}",
}


def issue(code: CustomsErrorCode, path: str, value: Any = None, **params: Any) -> FieldIssue:
    """A field issue with the domain's message for ``code``."""
    return FieldIssue(code.value, path, MESSAGES[code], value, params)


def action_not_allowed(*, action: str, current: str) -> AppError:
    """409: the sandbox state does not allow ``action``."""
    return Conflict(C.action_not_allowed.value, MESSAGES[C.action_not_allowed], path="status", value=current,
                    action=action, current=current)


def reason_required() -> AppError:
    """422: a rejection needs its reason."""
    return AppError(C.reason_required.value, "The request has invalid fields", status=422,
                    detail=MESSAGES[C.reason_required], errors=[issue(C.reason_required, "reason")])


def sandbox_only() -> AppError:
    """409: the configured transport is not the sandbox."""
    return Conflict(C.sandbox_only.value, MESSAGES[C.sandbox_only])


def not_found(declaration_id: Any) -> AppError:
    """404: no such sandbox declaration."""
    return AppError(C.declaration_not_found.value, "Not found", status=404,
                    detail=MESSAGES[C.declaration_not_found],
                    errors=[issue(C.declaration_not_found, "declaration_id", declaration_id)])


def unreadable(reason: str) -> AppError:
    """400: the posted message is not a CEB message the sandbox can read."""
    return AppError(C.message_unreadable.value, "The message could not be read", status=400,
                    detail=MESSAGES[C.message_unreadable], reason=reason)
