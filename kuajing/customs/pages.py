"""HTML pages of the customs sandbox desk (``/customs``): what customs sees, and the officer's buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, require_csrf, require_roles
from kuajing.customs.choices import CustomsStatus, DocumentKind, status_colour, status_label
from kuajing.customs.service import officer
from kuajing.errors import AppError
from kuajing.i18n import gettext
from kuajing.web.deps import DbSession, get_locale, get_settings
from kuajing.web.render import render

router = APIRouter()
T = "customs/templates/"
DESK = require_roles(Role.customs_officer, Role.zone_operator)
NO_STORE = {"Cache-Control": "no-store"}
DeclarationId = Path(..., ge=1, le=2**62)


def _ctx(settings, locale: str) -> dict:
    return {"statuses": list(CustomsStatus), "kinds": list(DocumentKind), "label_of": lambda s: status_label(s, locale),
            "colour_of": status_colour, "sandbox": settings.customs_transport == "sandbox"}


@router.get("/customs", response_class=HTMLResponse)
def desk(request: Request, session: DbSession, message_type: str | None = Query(None, max_length=8),
         status: str | None = Query(None, max_length=10), q: str | None = Query(None, max_length=60),
         page: int = Query(1, ge=1, le=100_000), principal: Principal = Depends(DESK),
         settings=Depends(get_settings), locale: str = Depends(get_locale)) -> HTMLResponse:
    """Received declarations with status tabs and counts, newest first."""
    kind = message_type if message_type in {k.value for k in DocumentKind} else None
    size = 50
    found = officer.search(session=session, message_type=kind, status=status or None, q=q or None, limit=size,
                           offset=(page - 1) * size)
    params = {"message_type": kind or "", "q": q or ""}

    def status_query(value: str | None) -> str:
        return urlencode({k: v for k, v in {**params, "status": value or ""}.items() if v})

    return render(request, T + "desk.html", {
        **_ctx(settings, locale), "rows": found.items, "total": found.total, "counts": found.counts,
        "params": {**params, "status": status or ""}, "status_query": status_query, "page": page,
        "pages": max(1, -(-found.total // size)),
    }, headers=NO_STORE)


@router.get("/customs/declarations/{declaration_id}", response_class=HTMLResponse)
def detail(request: Request, session: DbSession, declaration_id: int = DeclarationId,
           principal: Principal = Depends(DESK), settings=Depends(get_settings),
           locale: str = Depends(get_locale)) -> HTMLResponse:
    """One declaration: keys, status, lines, queued receipts and the allowed officer actions."""
    decl = officer.get(session=session, declaration_id=declaration_id)
    return _detail(request, session, decl, settings, locale, error=None, done=request.query_params.get("done"))


def _detail(request, session, decl, settings, locale, *, error: str | None, done: str | None, status_code=200):
    return render(request, T + "detail.html", {
        **_ctx(settings, locale), "d": officer.summary(decl), "actions": officer.allowed_actions(decl),
        "receipts": officer.receipts_of(session=session, declaration_id=decl.id), "error": error,
        "done": done if done in officer.ACTIONS else None,
    }, status_code=status_code, headers=NO_STORE)


@router.post("/customs/declarations/{declaration_id}/{action}", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
async def act(request: Request, session: DbSession, action: str = Path(..., max_length=10),
              declaration_id: int = DeclarationId, principal: Principal = Depends(DESK),
              settings=Depends(get_settings), locale: str = Depends(get_locale)):
    """A button of the detail page: release, reject (with the reason typed beside it), inspect, exit."""
    form = await request.form()
    reason = form.get("reason")
    try:
        officer.require_sandbox(settings)
        decl = officer.act(session=session, declaration_id=declaration_id, action=action, actor=principal.actor,
                           now=datetime.now(UTC), config=officer.config_of(settings),
                           reason=reason if isinstance(reason, str) else None)
    except AppError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        decl = officer.get(session=session, declaration_id=declaration_id)
        message = exc.errors[0].render(locale)["message"] if exc.errors else gettext(exc.detail or exc.title,
                                                                                     locale, **exc.params)
        return _detail(request, session, decl, settings, locale, error=message, done=None, status_code=exc.status)
    return RedirectResponse(f"/customs/declarations/{decl.id}?done={action}", status_code=303)
