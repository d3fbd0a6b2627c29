"""JSON in/out of the certificate registry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CertificateIn(BaseModel):
    """A certificate to register: PEM text or base64 DER (an upload takes the raw file instead)."""

    model_config = ConfigDict(extra="forbid")

    certificate: str = Field(min_length=1, max_length=20000, description="PEM (-----BEGIN CERTIFICATE-----) or base64 DER")
    enterprise_id: int | None = Field(None, description="zone operator only: the enterprise it belongs to")


class RevokeIn(BaseModel):
    """Why a certificate is revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class CertificateOut(BaseModel):
    """A registered certificate (public facts only)."""

    id: int
    enterprise_id: int
    enterprise_name: str
    enterprise_uscc: str
    serial: str  # the ds:KeyName of its signatures
    subject: str
    issuer: str
    algorithm: str
    not_before: datetime
    not_after: datetime
    fingerprint: str
    status: str
    registered_by: str
    registered_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None


class CertificatePageOut(BaseModel):
    """A page of certificates."""

    items: list[CertificateOut]
    total: int
    page: int
    page_size: int
