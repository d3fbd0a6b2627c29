"""Tables of the certificate registry (企业证书备案) and the evidence of signed declarations (签名存证)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, utcnow
from kuajing.db.types import UTCDateTime


class EnterpriseCertificate(Base):
    """An X.509 signing certificate (SM2 or RSA) an enterprise registered for its signing device (证书备案)."""

    __tablename__ = "enterprise_certificates"
    __table_args__ = (UniqueConstraint("enterprise_id", "fingerprint"),
                      Index("ix_enterprise_certificates_fingerprint", "fingerprint"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    serial: Mapped[str] = mapped_column(String(80))  # 证书编号, lowercase hex: the ds:KeyName of its signatures
    subject: Mapped[str] = mapped_column(String(1000))  # 证书主题 (RFC 4514)
    issuer: Mapped[str] = mapped_column(String(1000))  # 颁发者
    algorithm: Mapped[str] = mapped_column(String(16))  # sm2-sm3 | rsa-sha1 (from the certificate's key)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)  # 有效期起
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)  # 有效期止
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the DER, hex (what verification pins)
    der: Mapped[bytes] = mapped_column(LargeBinary)  # the certificate itself (public)
    status: Mapped[str] = mapped_column(String(16), default="active")  # CertificateStatus
    registered_by: Mapped[str] = mapped_column(String(120))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class SignedDeclaration(Base):
    """The enterprise's original signed bytes of a received list whose signature verified (签名存证)."""

    __tablename__ = "signed_declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("enterprise_certificates.id"), index=True)
    received_message_id: Mapped[int | None] = mapped_column(Integer, index=True)  # import_received_messages.id
    message_type: Mapped[str] = mapped_column(String(8))
    message_guid: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))  # of signed_xml
    key_name: Mapped[str | None] = mapped_column(String(80))
    algorithm: Mapped[str] = mapped_column(String(16))
    signed_xml: Mapped[bytes] = mapped_column(LargeBinary)  # exactly the bytes that verified
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
