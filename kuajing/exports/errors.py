"""Stable error codes of export intake (出口申报受理): official customs codes where they exist.

Record verdicts carry a customs ``returnStatus``. CEB303 orders, CEB403 receipts of payment and CEB505
waybills share the official families of their import counterparts (kuajing.ceb.catalogue: −301xxx,
−401xxx, −504xxx). The catalogue has no codes for CEB507/509/603/605/607/213/215: those get ours, in the
DXP user-defined range (4000–9999, negated), next to the import pipeline's −4001…−4006:

``-4101`` duplicate, ``-4102`` nothing to change/delete, ``-4103`` state does not allow it, ``-4104``
field check failed, ``-4105`` order/waybill(/receipt) match failed, ``-4106`` 9710/9810 consignment must go
by customs declaration (over 5,000.00 CNY or licence), ``-4107`` original list unknown, ``-4108`` list
state does not allow the cancellation/return, ``-4109`` returned line not on the list or over its
quantity, ``-4110`` HS code not 10 digits (6 only on a simplified 9710/9810 list at a zone-city customs
office). ``-4001`` (sender not authorised) is the import pipeline's. JSON errors use :class:`ExportErrorCode`.
"""

from __future__ import annotations

from enum import StrEnum

from kuajing.errors import AppError, FieldIssue, NotFound

DUPLICATE = "-4101"
NOT_FOUND = "-4102"
STATE = "-4103"
INVALID = "-4104"
MISMATCH = "-4105"
NEEDS_DECLARATION = "-4106"
LIST_UNKNOWN = "-4107"
LIST_STATE = "-4108"
LINE_UNKNOWN = "-4109"
HS_CODE = "-4110"
SENDER_NOT_AUTHORISED = "-4001"  # the import pipeline's own code (same meaning)

OWN_CODES: dict[str, tuple[str, str]] = {
    DUPLICATE: ("已存在相同编号的单证", "a document with the same key exists"),
    NOT_FOUND: ("报送类型(appType)不正确，未找到操作的单证", "wrong appType: no document to change or delete"),
    STATE: ("单证状态不符，不能变更或删除", "the document's state does not allow a change or deletion"),
    INVALID: ("参数校验不通过", "field checks failed"),
    MISMATCH: ("出口单证对碰不符", "export documents do not match"),
    NEEDS_DECLARATION: ("该跨境电商B2B出口货物不适用申报清单，须以报关单申报",
                        "this B2B export may not go on a declaration list: file a customs declaration"),
    LIST_UNKNOWN: ("系统中不存在该出口申报清单", "no export declaration list with this number"),
    LIST_STATE: ("清单的状态不符合撤单或退货申报要求", "the list's state does not allow the cancellation or return"),
    LINE_UNKNOWN: ("退货商品不在原清单中或数量超过原清单", "returned line not on the original list or over its quantity"),
    HS_CODE: ("商品编码须为10位；6位简化编码仅限在综试区所在城市海关申报的简化清单",
              "the HS code must have 10 digits; 6 digits only on a simplified list declared at a zone-city customs office"),
}

#: Per message type: codes for duplicate / not_found / state / invalid / not_authorised (official where they exist).
CODES: dict[str, dict[str, str]] = {
    "CEB303": {"duplicate": "-301010", "not_found": "-301009", "state": "-301011", "invalid": "-301008",
               "not_authorised": SENDER_NOT_AUTHORISED},
    "CEB403": {"duplicate": "-401007", "not_found": "-401006", "state": "-401008", "invalid": "-401009",
               "not_authorised": SENDER_NOT_AUTHORISED},
    "CEB505": {"duplicate": "-504015", "not_found": "-504014", "state": "-504016", "invalid": "-504011",
               "not_authorised": SENDER_NOT_AUTHORISED},
}
_OURS = {"duplicate": DUPLICATE, "not_found": NOT_FOUND, "state": STATE, "invalid": INVALID,
         "not_authorised": SENDER_NOT_AUTHORISED}
for _type in ("CEB507", "CEB509", "CEB603", "CEB605", "CEB607", "CEB213", "CEB215"):
    CODES[_type] = dict(_OURS)


class ExportErrorCode(StrEnum):
    """Every JSON error this domain answers, by stable code."""

    no_enterprise = "exports_no_enterprise"
    warehouse_invalid = "exports_warehouse_invalid"
    warehouse_not_found = "exports_warehouse_not_found"
    order_not_found = "exports_order_not_found"
    not_b2b = "exports_not_b2b"
    route_list_allowed = "exports_route_list_allowed"
    rate_missing = "exports_rate_missing"
    declaration_not_found = "exports_declaration_not_found"
    declaration_state = "exports_declaration_state"


C = ExportErrorCode


def no_enterprise() -> AppError:
    """403: only an enterprise's key or user may do this."""
    return AppError(C.no_enterprise, "Forbidden", status=403,
                    detail="Only an enterprise's API key or user can do this.")


def warehouse_invalid(path: str, value, message: str) -> AppError:
    """422: an overseas warehouse field is not acceptable."""
    return AppError(C.warehouse_invalid, "The request has invalid fields", status=422, detail=message,
                    errors=[FieldIssue(C.warehouse_invalid, path, message, value)])


def warehouse_not_found(value) -> NotFound:
    """404: no such overseas warehouse of the caller's enterprise."""
    return NotFound("overseas warehouse", path="warehouse_id", value=value)


def order_not_found(value) -> NotFound:
    """404: no such export order the caller may see."""
    return NotFound("export order", path="order", value=value)


def not_b2b(value) -> AppError:
    """422: only B2B orders (B) and booking notes (W) go by customs declaration."""
    return AppError(C.not_b2b, "The request has invalid fields", status=422,
                    detail="Only a B2B order (9710) or a booking note (9810) can go by customs declaration.",
                    errors=[FieldIssue(C.not_b2b, "order", "Not a B2B order or booking note.", value)])


def route_list_allowed(value) -> AppError:
    """409: the consignment may go on a declaration list; no customs declaration is prepared."""
    return AppError(C.route_list_allowed, "Conflict", status=409,
                    detail="This consignment may go on a declaration list; no customs declaration is needed.",
                    errors=[FieldIssue(C.route_list_allowed, "order", "A declaration list is allowed.", value)])


def rate_missing(currency: str, month: str) -> AppError:
    """422: no customs monthly exchange rate for the currency."""
    return AppError(C.rate_missing, "The request has invalid fields", status=422,
                    detail="No customs exchange rate for {currency} in {month}.",
                    errors=[FieldIssue(C.rate_missing, "currency", "No customs exchange rate for {currency} in {month}.",
                                       currency, {"currency": currency, "month": month})],
                    currency=currency, month=month)


def declaration_not_found(value) -> NotFound:
    """404: no such customs declaration of the caller's enterprise."""
    return NotFound("customs declaration", path="declaration_id", value=value)


def declaration_state(value, status: str) -> AppError:
    """409: the declaration's status does not allow this step."""
    return AppError(C.declaration_state, "Conflict", status=409,
                    detail="The customs declaration is {state}; this step is not allowed.",
                    errors=[FieldIssue(C.declaration_state, "status", "This step is not allowed now.", value)],
                    state=status)
