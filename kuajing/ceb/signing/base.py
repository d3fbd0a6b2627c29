"""The signing port (签名端口): what a signer (加签) and a verifier (验签) offer, and their result types."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from gmssl_pyx import sm3_hash

from kuajing.ceb.signing.xmlsafe import UnsafeXmlError  # noqa: F401 - re-exported

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N_URI = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED_URI = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

SM2_SM3_URI = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
SM3_URI = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
RSA_SHA1_URI = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1_URI = "http://www.w3.org/2000/09/xmldsig#sha1"
# Seen in the output of one published signing tool, never in the spec: accepted when verifying only.
LEGACY_SM2_SM3_URI = "http://www.w3.org/2000/09/xmldsig#sm2-sm3"

SM2_DEFAULT_ID = b"1234567812345678"  # SM2 distinguishing identifier (用户身份标识), GM/T 0009 default


class SignatureAlgorithm(str, enum.Enum):
    """A signature suite (签名算法) of message spec ch.6.2.1.2: SM2-SM3 (国密, preferred) or RSA-SHA1 (通用)."""

    SM2_SM3 = "sm2-sm3"
    RSA_SHA1 = "rsa-sha1"

    @property
    def signature_uri(self) -> str:
        """The ds:SignatureMethod Algorithm URI."""
        return SM2_SM3_URI if self is SignatureAlgorithm.SM2_SM3 else RSA_SHA1_URI

    @property
    def digest_uri(self) -> str:
        """The ds:DigestMethod Algorithm URI paired with this suite."""
        return SM3_URI if self is SignatureAlgorithm.SM2_SM3 else SHA1_URI

    @classmethod
    def from_signature_uri(cls, uri: str) -> SignatureAlgorithm:
        """The suite named by a ds:SignatureMethod URI; ValueError for an unknown one."""
        if uri in (SM2_SM3_URI, LEGACY_SM2_SM3_URI):
            return cls.SM2_SM3
        if uri == RSA_SHA1_URI:
            return cls.RSA_SHA1
        raise ValueError(f"unsupported SignatureMethod {uri!r}")

    @classmethod
    def parse(cls, value: str | SignatureAlgorithm) -> SignatureAlgorithm:
        """Accept 'sm2-sm3'/'sm2'/'rsa-sha1'/'rsa' (any case) or a member."""
        if isinstance(value, SignatureAlgorithm):
            return value
        key = value.strip().lower()
        aliases = {"sm2": cls.SM2_SM3, "sm2-sm3": cls.SM2_SM3, "rsa": cls.RSA_SHA1, "rsa-sha1": cls.RSA_SHA1}
        if key not in aliases:
            raise ValueError(f"unknown signature algorithm {value!r}; expected sm2-sm3 or rsa-sha1")
        return aliases[key]


def digest(*, uri: str, data: bytes) -> bytes:
    """Hash ``data`` with the ds:DigestMethod named by ``uri`` (SM3 or SHA-1)."""
    if uri == SM3_URI:
        return sm3_hash(data)
    if uri == SHA1_URI:
        return hashlib.sha1(data).digest()
    raise ValueError(f"unsupported DigestMethod {uri!r}")


class SigningError(Exception):
    """Signing could not be done (bad message, unsupported root, signer failure)."""


@runtime_checkable
class Signer(Protocol):
    """A key that signs (签名密钥): software key, USB key (智能密码钥匙) bridge or server crypto device."""

    @property
    def algorithm(self) -> SignatureAlgorithm:
        """The suite this key signs with."""
        ...

    @property
    def certificate_der(self) -> bytes:
        """The X.509 v3 signing certificate (签名证书), DER."""
        ...

    @property
    def key_name(self) -> str:
        """The ds:KeyName: the certificate serial number (证书编号) as the e-port CA issued it."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the canonical SignedInfo); the signer hashes it (SM3 with Z for SM2, SHA-1 for RSA)."""
        ...


@runtime_checkable
class Verifier(Protocol):
    """Checks one raw signature with the public key of a certificate."""

    def verify(
        self, *, algorithm: SignatureAlgorithm, data: bytes, signature: bytes, certificate_der: bytes
    ) -> bool:
        """True when ``signature`` over ``data`` verifies with ``certificate_der``'s public key."""
        ...


class VerifyCode(str, enum.Enum):
    """Why verification failed: DXP security error codes of message spec table 7-1 (数据交换平台错误代码)."""

    OK = "0"
    MALFORMED = "0001"  # 报文格式错误
    INVALID_SIGNATURE = "1001"  # 数字签名无效
    EXPIRED = "1002"  # 数字签名过期
    DIGEST_MISMATCH = "1004"  # 签名与数据不符
    OTHER = "1999"  # 其他安全错误 (missing signature, untrusted certificate, unsupported algorithm)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verify_message; truthy only when the signature is valid (and trusted, if asked)."""

    valid: bool
    code: VerifyCode
    reason: str
    algorithm: SignatureAlgorithm | None = None
    key_name: str | None = None
    certificate_der: bytes | None = None
    certificate_serial: str | None = None
    certificate_subject: str | None = None
    trusted: bool | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.valid
