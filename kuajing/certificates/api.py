"""JSON routes of the certificate registry (企业证书备案): ``/api/v1/certificates``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal
from kuajing.certificates import errors, service
from kuajing.certificates.choices import CertificateStatus
from kuajing.certificates.models import EnterpriseCertificate
from kuajing.certificates.schemas import CertificateIn, CertificateOut, CertificatePageOut, RevokeIn
from kuajing.enterprises.models import Enterprise
from kuajing.errors import Forbidden
from kuajing.i18n import lazy
from kuajing.web.deps import DbSession

router = APIRouter(prefix="/api/v1/certificates", tags=["certificates"])
MAX_UPLOAD = 64 * 1024


def owner_for(principal: Principal, enterprise_id: int | None) -> int:
    """The enterprise a registration or revocation acts for: an enterprise admin's own, or the operator's choice."""
    if principal.is_zone_wide:
        if not principal.has_role(Role.zone_operator):
            raise Forbidden(lazy("Your role does not allow this."))
        if enterprise_id is None:
            raise errors.enterprise_required()
        return enterprise_id
    if not principal.has_role(Role.enterprise_admin) or principal.enterprise_id is None:
        raise Forbidden(lazy("Only the enterprise's administrator registers or revokes its certificates."))
    if enterprise_id is not None and enterprise_id != principal.enterprise_id:
        raise Forbidden(lazy("Your role does not allow this."))
    return principal.enterprise_id


def to_out(session, certs: list[EnterpriseCertificate]) -> list[CertificateOut]:
    """Certificates with their enterprise's name and code (one query for all)."""
    ids = {c.enterprise_id for c in certs}
    names = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))} if ids else {}
    return [CertificateOut(id=c.id, enterprise_id=c.enterprise_id, enterprise_name=names[c.enterprise_id].name_zh,
                           enterprise_uscc=names[c.enterprise_id].uscc, serial=c.serial, subject=c.subject,
                           issuer=c.issuer, algorithm=c.algorithm, not_before=c.not_before, not_after=c.not_after,
                           fingerprint=c.fingerprint, status=c.status, registered_by=c.registered_by,
                           registered_at=c.registered_at, revoked_at=c.revoked_at, revoke_reason=c.revoke_reason)
            for c in certs]


@router.get("", response_model=CertificatePageOut, summary="List registered signing certificates")
def list_certificates(session: DbSession, principal: Principal = Depends(current_principal),
                      enterprise_id: int | None = Query(None, description="zone-wide roles: one enterprise"),
                      status: CertificateStatus | None = Query(None), page: int = Query(1, ge=1),
                      page_size: int = Query(50, ge=1, le=200)) -> CertificatePageOut:
    """The caller's enterprise's certificates (zone-wide roles: every enterprise's, or one)."""
    if not principal.is_zone_wide:
        if principal.enterprise_id is None or (enterprise_id is not None and enterprise_id != principal.enterprise_id):
            raise Forbidden()
        enterprise_id = principal.enterprise_id
    rows, total = service.listing(session=session, enterprise_id=enterprise_id,
                                  status=status.value if status else None, page=page, page_size=page_size)
    return CertificatePageOut(items=to_out(session, rows), total=total, page=page, page_size=page_size)


@router.post("", response_model=CertificateOut, status_code=201, summary="Register a signing certificate (PEM/DER)")
def register_certificate(body: CertificateIn, session: DbSession,
                         principal: Principal = Depends(current_principal)) -> CertificateOut:
    """Register the X.509 certificate (SM2 or RSA) of the enterprise's signing device (企业证书备案)."""
    owner = owner_for(principal, body.enterprise_id)
    cert = service.register(session=session, enterprise_id=owner, data=body.certificate, actor=principal.actor)
    return to_out(session, [cert])[0]


@router.post("/upload", response_model=CertificateOut, status_code=201,
             summary="Register a signing certificate from a file (.pem, .cer, .crt, .der)")
async def upload_certificate(session: DbSession, principal: Principal = Depends(current_principal),
                             file: UploadFile = File(..., description="the certificate file, PEM or DER"),
                             enterprise_id: int | None = Form(None)) -> CertificateOut:
    """The same registration as ``POST /api/v1/certificates`` from a multipart file upload."""
    owner = owner_for(principal, enterprise_id)
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise errors.unreadable("file larger than 64 KiB")
    cert = service.register(session=session, enterprise_id=owner, data=data, actor=principal.actor)
    return to_out(session, [cert])[0]


@router.get("/platform.pem", summary="The platform's own signing certificate (PEM)",
            response_class=Response, responses={200: {"content": {"application/x-pem-file": {}}}})
def platform_certificate(_: Principal = Depends(current_principal)) -> Response:
    """The certificate the platform signs what it transmits to customs with (to register it with customs)."""
    pem = service.platform_certificate_pem()
    if pem is None:
        raise errors.not_found()
    return Response(pem, media_type="application/x-pem-file")


@router.get("/{certificate_id}", response_model=CertificateOut, summary="One registered certificate")
def get_certificate(certificate_id: int, session: DbSession,
                    principal: Principal = Depends(current_principal)) -> CertificateOut:
    """A certificate of the caller's enterprise (zone-wide roles: any)."""
    return to_out(session, [service.visible(session=session, certificate_id=certificate_id, principal=principal)])[0]


@router.post("/{certificate_id}/revoke", response_model=CertificateOut, summary="Revoke a certificate")
def revoke_certificate(certificate_id: int, session: DbSession, body: RevokeIn | None = None,
                       principal: Principal = Depends(current_principal)) -> CertificateOut:
    """Lists signed with a revoked certificate are refused from now on (−4008)."""
    cert = service.visible(session=session, certificate_id=certificate_id, principal=principal)
    owner_for(principal, cert.enterprise_id)
    cert = service.revoke(session=session, certificate=cert, reason=(body.reason if body else ""),
                          actor=principal.actor)
    return to_out(session, [cert])[0]
