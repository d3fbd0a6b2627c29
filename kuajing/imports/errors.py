"""Stable error codes of retail import intake (进口申报受理): official customs codes where they exist.

Record verdicts carry a customs ``returnStatus``: the official negative code of the message family where
one exists (−301010 duplicate order …), else one of ours in the DXP user-defined range (4000–9999,
negated like the CEB900 format codes): ``-4001`` sender not authorised, ``-4002`` three-document
mismatch, ``-4003`` bonded stock short, ``-4004`` documents missing after the match period, ``-4005``
message type not handled by import intake. JSON errors (problem details) use :class:`ImportErrorCode`.
"""

from __future__ import annotations

from enum import StrEnum

from kuajing.errors import AppError, FieldIssue

#: appType 1 with a business key that already exists with different content (重复申报).
DUPLICATE = {"CEB311": "-301010", "CEB411": "-401007", "CEB511": "-504015", "CEB513": "-505012",
             "CEB621": "-621004", "CEB623": "-623009", "CEB625": "-625033"}
#: appType 2/3 for a business key that does not exist (未找到操作的单证).
NOT_FOUND = {"CEB311": "-301009", "CEB411": "-401006", "CEB511": "-504014", "CEB513": "-505014",
             "CEB621": "-621011", "CEB623": "-623003", "CEB625": "-625016"}
#: appType 2/3 (or a cancellation/return) in a state that does not allow it (状态不符).
STATE = {"CEB311": "-301011", "CEB411": "-401008", "CEB511": "-504016", "CEB513": "-505014",
         "CEB621": "-621012", "CEB623": "-623005", "CEB625": "-625022"}
#: Field checks failed (参数校验不通过).
INVALID = {"CEB311": "-301008", "CEB411": "-401009", "CEB511": "-504011", "CEB513": "-505011",
           "CEB621": "-621001", "CEB623": "-623001", "CEB625": "-625001"}
#: The transmitting enterprise may not act for the record's party (没有权限进行操作).
NOT_AUTHORISED = {"CEB621": "-621016", "CEB623": "-623026", "CEB625": "-625021"}

SENDER_NOT_AUTHORISED = "-4001"  # ours: the record names another party and no delegation allows it
MISMATCH = "-4002"  # ours: three-document match failed (三单对碰不符)
STOCK_SHORT = "-4003"  # ours: not enough bonded stock for a 1210 list (保税库存不足)
MATCH_TIMEOUT = "-4004"  # ours: the set stayed incomplete past the match period (对碰超时)
TYPE_NOT_HANDLED = "-4005"  # ours: the message type is not an import declaration handled here
RETURN_LATE = "-4006"  # ours: a return (CEB625) filed after day 30 from release (退货申请超期)
SINGLE_LIMIT = "-621005"  # official: single-transaction limit exceeded
ANNUAL_LIMIT = "-621018"  # official: annual personal limit exceeded

OWN_CODES = {
    SENDER_NOT_AUTHORISED: ("传输企业无权代表报文所列企业申报", "the transmitting enterprise may not act for the party the record names"),
    MISMATCH: ("三单对碰不符", "three-document match failed"),
    STOCK_SHORT: ("保税库存不足", "not enough bonded stock"),
    MATCH_TIMEOUT: ("对碰超时：订单、支付单或运单未在规定时间内到达", "documents missing after the match period"),
    TYPE_NOT_HANDLED: ("该报文类型不由进口申报受理", "message type not handled by import intake"),
    RETURN_LATE: ("退货申请已超过放行之日起30日", "return filed after day 30 from release"),
}
from kuajing.certificates.errors import OWN_CODES as _SIGNATURE_CODES  # noqa: E402 - -4007..-4009 (signatures)

OWN_CODES.update(_SIGNATURE_CODES)


def _issue_meaning(code: str) -> str | None:
    from kuajing.ceb.catalogue import issue_code_text
    from kuajing.ceb.issues import IssueCode

    try:
        return issue_code_text(IssueCode(code))[1]
    except (ValueError, KeyError):
        return None


def issue_text(issue, locale: str) -> str:
    """A kuajing.ceb validation issue's message in ``locale``: its exact Chinese or English text, else the
    meaning of its code translated by the catalogues (``ceb.po``: ru, mn), else the English text."""
    from kuajing.i18n import gettext, reads_chinese

    if reads_chinese(locale):
        return issue.message_zh
    meaning = _issue_meaning(issue.code) if locale != "en" else None
    translated = gettext(meaning, locale) if meaning else None
    return translated if translated and translated != meaning else issue.message_en  # untranslated: the exact text


def issue_fields(issues) -> list[FieldIssue]:
    """kuajing.ceb validation issues as field issues whose message follows the request's language (as
    :func:`issue_text`)."""
    from kuajing.settings import LOCALES

    return [FieldIssue(i.code, i.path, i.message_en, i.value, texts={loc: issue_text(i, loc) for loc in LOCALES})
            for i in issues]


def not_authorised_code(message_type: str) -> str:
    """The not-authorised code of ``message_type`` (official where one exists)."""
    return NOT_AUTHORISED.get(message_type, SENDER_NOT_AUTHORISED)


class ImportErrorCode(StrEnum):
    """Every JSON error this domain answers, by stable code."""

    message_unreadable = "imports_message_unreadable"
    no_enterprise = "imports_no_enterprise"
    enterprise_unknown = "imports_enterprise_unknown"
    delegation_not_found = "imports_delegation_not_found"
    delegation_invalid = "imports_delegation_invalid"
    bad_cursor = "imports_bad_cursor"
    unsupported_type = "imports_unsupported_type"


C = ImportErrorCode


def message_unreadable(issues: list[FieldIssue]) -> AppError:
    """400: the message cannot be read at all (not XML, not a CEB message, failed the schema)."""
    return AppError(C.message_unreadable, "The message cannot be read", status=400,
                    detail="Fix the message and send it again; nothing was stored.", errors=issues)


def no_enterprise() -> AppError:
    """403: only an enterprise's key or user may transmit declarations."""
    return AppError(C.no_enterprise, "Forbidden", status=403,
                    detail="Only an enterprise's API key or user can transmit declarations.")


def enterprise_unknown(path: str, value) -> AppError:
    """422: no filed enterprise has this id or code."""
    return AppError(C.enterprise_unknown, "The request has invalid fields", status=422,
                    detail="No enterprise has this id or code.",
                    errors=[FieldIssue(C.enterprise_unknown, path, "No enterprise has this id or code.", value)])


def delegation_invalid(path: str, value, message: str) -> AppError:
    """422: a delegation that cannot be granted."""
    return AppError(C.delegation_invalid, "The request has invalid fields", status=422, detail=message,
                    errors=[FieldIssue(C.delegation_invalid, path, message, value)])


def delegation_not_found(value) -> AppError:
    """404: no such delegation of the caller's enterprise."""
    return AppError(C.delegation_not_found, "Not found", status=404, detail="No such delegation.",
                    errors=[FieldIssue(C.delegation_not_found, "delegation_id", "No such delegation.", value)])


def bad_cursor(value) -> AppError:
    """422: the receipts cursor is not a non-negative whole number."""
    return AppError(C.bad_cursor, "The request has invalid fields", status=422,
                    detail="The cursor must be a whole number from a previous answer (or 0).",
                    errors=[FieldIssue(C.bad_cursor, "after", "A whole number of 0 or more is expected.", value)])


def unsupported_type(message_type: str) -> AppError:
    """400: a readable CEB message that import intake does not take."""
    return AppError(C.unsupported_type, "The message cannot be read", status=400,
                    detail="Import intake takes CEB311, CEB411, CEB511, CEB513, CEB621, CEB623 and CEB625, not {type}.",
                    errors=[FieldIssue(C.unsupported_type, "", "Not an import declaration: {type}.", message_type,
                                       {"type": message_type})], type=message_type)
