"""HTML pages of the certificate registry: ``/certificates`` (list, upload, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.certificates import service
from kuajing.certificates.api import MAX_UPLOAD, owner_for, to_out
from kuajing.certificates.choices import CertificateStatus
from kuajing.db.base import INT_ID, row_id
from kuajing.errors import AppError
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _page(request: Request, session, principal: Principal, *, locale: str, error: AppError | None = None,
          status_code: int = 200) -> HTMLResponse:
    rows, total = service.listing(session=session, enterprise_id=None if principal.is_zone_wide
                                  else principal.enterprise_id, page=1, page_size=200)
    problem = error.to_problem(locale) if error else None
    return render(request, "certificates/templates/certificates.html",
                  {"certificates": to_out(session, rows), "total": total, "status_of": CertificateStatus,
                   "can_manage": principal.has_role(Role.enterprise_admin, Role.zone_operator),
                   "is_operator": principal.has_role(Role.zone_operator),
                   "platform_pem": (service.platform_certificate_pem() or b"").decode("ascii"),
                   "error": problem, "csrf_token": getattr(request.state, "csrf_token", "")},
                  status_code=status_code)


@router.get("/certificates", response_class=HTMLResponse)
def certificates_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                      locale: str = Depends(get_locale)) -> HTMLResponse:
    """The registered signing certificates of the caller's enterprise (zone-wide roles: all)."""
    return _page(request, session, principal, locale=locale)


@router.post("/certificates", dependencies=[Depends(require_csrf)])
async def certificates_upload(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                              locale: str = Depends(get_locale)) -> Response:
    """Register an uploaded certificate file (multipart ``file``; operators also ``enterprise_id``)."""
    form = await request.form()
    upload = form.get("file")
    raw_id = str(form.get("enterprise_id") or "").strip()
    try:
        # anything but an enterprise id the database can hold names no enterprise (owner_for refuses or picks one's own)
        owner = owner_for(principal, row_id(raw_id, INT_ID))
        data = await upload.read(MAX_UPLOAD + 1) if hasattr(upload, "read") else str(upload or "").encode()
        service.register(session=session, enterprise_id=owner, data=data[:MAX_UPLOAD + 1], actor=principal.actor)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        return _page(request, session, principal, locale=locale, error=exc, status_code=exc.status)
    return RedirectResponse("/certificates", status_code=303)


@router.post("/certificates/{certificate_id}/revoke", dependencies=[Depends(require_csrf)])
async def certificates_revoke(request: Request, certificate_id: int, session: DbSession,
                              principal: Principal = Depends(current_principal)) -> Response:
    """Revoke one of the enterprise's certificates."""
    form = await request.form()
    cert = service.visible(session=session, certificate_id=certificate_id, principal=principal)
    owner_for(principal, cert.enterprise_id)
    service.revoke(session=session, certificate=cert, reason=str(form.get("reason") or ""), actor=principal.actor)
    return RedirectResponse("/certificates", status_code=303)
