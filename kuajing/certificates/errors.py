"""Stable error codes of the certificate registry and of signature verification (验签).

Record verdicts (a receipt's ``returnStatus``) use the official code of the message family where one
exists — ``-621028`` 加签数据比对失败 / ``-621029`` 验签失败 / ``-621026`` 签名信息为空 for CEB621,
``-623029`` / ``-623017`` for CEB623, ``-625208`` / ``-625028`` for CEB625, ``-800001`` for CEB711 — and one of
ours in the −4xxx range for what only the platform's registry knows: ``-4007`` certificate not registered
for the sending enterprise, ``-4008`` certificate revoked, ``-4009`` certificate outside its validity period.
The DXP security code (1001 / 1002 / 1004 / 1999, message spec table 7-1) is given in the returnInfo.
JSON errors (problem details) use :class:`CertificateErrorCode`.
"""

from __future__ import annotations

from enum import StrEnum

from kuajing.ceb.signing import VerifyCode
from kuajing.errors import AppError, Conflict, FieldIssue, NotFound, validation_error

#: The message types whose signature the platform verifies (the XSD makes it mandatory for them).
SIGNED_LISTS = ("CEB621", "CEB623", "CEB625", "CEB711")

CERT_NOT_REGISTERED = "-4007"  # ours: the signing certificate is not registered (active) for the sender (证书未备案)
CERT_REVOKED = "-4008"  # ours: the signing certificate was revoked in the registry (证书已注销)
CERT_NOT_VALID = "-4009"  # ours: the certificate is expired or not yet valid at receipt (证书不在有效期内)

OWN_CODES = {
    CERT_NOT_REGISTERED: ("签名证书未在平台备案", "the signing certificate is not registered for the sending enterprise"),
    CERT_REVOKED: ("签名证书已注销", "the signing certificate has been revoked"),
    CERT_NOT_VALID: ("签名证书不在有效期内", "the signing certificate is expired or not yet valid"),
}

#: 签名信息为空: the list carries no (verifiable) signature while signatures are required.
SIGNATURE_EMPTY = {"CEB621": "-621026", "CEB623": "-623017", "CEB625": "-625028", "CEB711": "-800001"}
#: 加签数据比对失败: the DigestValue does not match the message (DXP 1004).
DIGEST_MISMATCH = {"CEB621": "-621028", "CEB623": "-623029", "CEB625": "-625208", "CEB711": "-800001"}
#: 验签失败: the SignatureValue does not verify, or the signature cannot be read (DXP 1001 / 1999 / 0001).
SIGNATURE_INVALID = {"CEB621": "-621029", "CEB623": "-623029", "CEB625": "-625208", "CEB711": "-800001"}

#: DXP security codes (message spec table 7-1) named in the returnInfo.
DXP_TEXT = {VerifyCode.INVALID_SIGNATURE: "1001 数字签名无效", VerifyCode.EXPIRED: "1002 数字签名过期",
            VerifyCode.DIGEST_MISMATCH: "1004 签名与数据不符", VerifyCode.OTHER: "1999 其他安全错误",
            VerifyCode.MALFORMED: "0001 报文格式错误"}


def verdict_code(message_type: str, code: VerifyCode) -> str:
    """The receipt code of a failed cryptographic check of a ``message_type`` list."""
    table = DIGEST_MISMATCH if code is VerifyCode.DIGEST_MISMATCH else SIGNATURE_INVALID
    return table[message_type]


class CertificateErrorCode(StrEnum):
    """Every JSON error this domain answers, by stable code."""

    unreadable = "certificate_unreadable"
    expired = "certificate_expired"
    duplicate = "certificate_duplicate"
    not_found = "certificate_not_found"
    already_revoked = "certificate_already_revoked"
    enterprise_required = "certificate_enterprise_required"
    enterprise_unknown = "certificate_enterprise_unknown"


C = CertificateErrorCode


def unreadable(reason: str) -> AppError:
    """422: not an X.509 certificate with an SM2 or RSA key (PEM, DER or base64)."""
    return validation_error([FieldIssue(C.unreadable, "certificate",
                                        "Not an X.509 certificate with an SM2 or RSA key: {reason}", None,
                                        {"reason": reason[:200]})])


def expired(not_after: str) -> AppError:
    """422: the certificate's validity already ended."""
    return validation_error([FieldIssue(C.expired, "certificate", "The certificate expired on {date}.", None,
                                        {"date": not_after})])


def duplicate(serial: str) -> AppError:
    """409: the same certificate is already registered."""
    return Conflict(C.duplicate, "This certificate (serial {serial}) is already registered.", serial=serial)


def not_found() -> AppError:
    """404: no such certificate (or one of another enterprise)."""
    return NotFound("certificate")


def already_revoked() -> AppError:
    """409: revoking a certificate twice."""
    return Conflict(C.already_revoked, "The certificate is already revoked.")


def enterprise_required() -> AppError:
    """422: a zone operator must name the enterprise."""
    return validation_error([FieldIssue(C.enterprise_required, "enterprise_id",
                                        "Name the enterprise the certificate belongs to.", None)])


def enterprise_unknown(enterprise_id: int) -> AppError:
    """422: no such enterprise."""
    return validation_error([FieldIssue(C.enterprise_unknown, "enterprise_id", "No such enterprise.", enterprise_id)])
