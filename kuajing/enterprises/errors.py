"""Stable error codes of the enterprises domain (企业备案); each maps to a translated message."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, Conflict, FieldIssue, Forbidden


class EnterpriseErrorCode(StrEnum):
    """Every error this domain answers, by stable code."""

    uscc_invalid = "uscc_invalid"
    customs_code_invalid = "customs_code_invalid"
    dxp_id_invalid = "dxp_id_invalid"
    customs_office_unknown = "customs_office_unknown"
    district_unknown = "district_unknown"
    park_unknown = "park_unknown"
    park_not_in_district = "park_not_in_district"
    industry_unknown = "industry_unknown"
    role_unknown = "role_unknown"
    phone_invalid = "phone_invalid"
    field_required = "field_required"
    uscc_taken = "uscc_taken"
    customs_code_taken = "customs_code_taken"
    dxp_id_taken = "dxp_id_taken"
    transition_not_allowed = "enterprise_transition_not_allowed"
    not_editable = "enterprise_not_editable"
    incomplete = "enterprise_incomplete"
    reason_required = "return_reason_required"


C = EnterpriseErrorCode

#: code → English msgid (with placeholders) of the field message.
MESSAGES: dict[EnterpriseErrorCode, str] = {
    C.uscc_invalid: "Not a valid unified social credit code (18 characters, GB 32100-2015 check character).",
    C.customs_code_invalid: "Not a valid customs registration code: 10 characters, the first four a province and city code, then the economic zone digit, the enterprise type and a 4-character serial.",
    C.dxp_id_invalid: "Not a valid DXP id: DXP, a 3-letter node type and 10 digits (e.g. DXPENT0000012345).",
    C.customs_office_unknown: "Unknown customs office code.",
    C.district_unknown: "Unknown district of this zone.",
    C.park_unknown: "Unknown park of this zone.",
    C.park_not_in_district: "This park is not in the chosen district.",
    C.industry_unknown: "Unknown industry.",
    C.role_unknown: "Unknown enterprise role.",
    C.phone_invalid: "Not a valid phone number (a mainland mobile number or a landline with area code).",
    C.field_required: "This field is required.",
    C.uscc_taken: "An enterprise with this unified social credit code is already filed.",
    C.customs_code_taken: "An enterprise with this customs code is already filed.",
    C.dxp_id_taken: "An enterprise with this DXP id is already filed.",
    C.transition_not_allowed: "The action {action} is not allowed for a filing in status {current}.",
    C.not_editable: "A filing in status {current} can no longer be edited.",
    C.incomplete: "Complete the filing before submitting it.",
    C.reason_required: "Give a reason for returning the filing (overall or for a field).",
}


def issue(code: EnterpriseErrorCode, path: str, value: Any = None, **params: Any) -> FieldIssue:
    """A field issue with the domain's message for ``code``."""
    return FieldIssue(code.value, path, MESSAGES[code], value, params)


def duplicate(code: EnterpriseErrorCode, path: str, value: Any) -> AppError:
    """409: a unique identifier is already filed."""
    return Conflict(code.value, MESSAGES[code], path=path, value=value)


def transition_not_allowed(*, status: str, action: str) -> AppError:
    """409: the state machine forbids ``action`` from ``status``."""
    return Conflict(C.transition_not_allowed.value, MESSAGES[C.transition_not_allowed], path="status",
                    value=status, current=status, action=action)


def not_editable(*, status: str) -> AppError:
    """409: the filing is past editing."""
    return Conflict(C.not_editable.value, MESSAGES[C.not_editable], path="status", value=status, current=status)


def incomplete(issues: list[FieldIssue]) -> AppError:
    """422: the filing lacks what a submission needs."""
    return AppError(C.incomplete.value, "The filing is incomplete", status=422,
                    detail=MESSAGES[C.incomplete], errors=issues)


def not_allowed() -> AppError:
    """403: the caller's roles do not allow this action on this enterprise."""
    return Forbidden("Your role does not allow this action on this enterprise.")
