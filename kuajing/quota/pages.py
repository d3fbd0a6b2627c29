"""HTML page of the buyer's quota lookup (个人额度查询, ``/quota``): a POST form (CSRF), masked answer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from kuajing.accounts.deps import Principal, optional_principal, require_csrf
from kuajing.errors import AppError, FieldIssue
from kuajing.quota import service
from kuajing.quota.api import caller_of, to_response
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def _page(request: Request, *, form: dict[str, str], result=None, problems: list[FieldIssue] | None = None,
          error: str | None = None, locale: str, status_code: int = 200) -> HTMLResponse:
    return render(request, "quota/templates/lookup.html",
                  {"form": form, "result": result, "errors": [p.render(locale) for p in problems or []],
                   "error": error, "csrf_token": getattr(request.state, "csrf_token", "")},
                  status_code=status_code, headers={"Cache-Control": "no-store"})


@router.get("/quota", response_class=HTMLResponse)
def quota_form(request: Request, locale: str = Depends(get_locale)) -> HTMLResponse:
    """The lookup form."""
    return _page(request, form={"year": str(_year())}, locale=locale)


@router.post("/quota", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def quota_lookup(request: Request, session: DbSession, principal: Principal | None = Depends(optional_principal),
                       locale: str = Depends(get_locale)) -> HTMLResponse:
    """The masked answer (the ID number is never echoed back in full)."""
    raw = await request.form()
    form = {k: str(raw.get(k, "")).strip() for k in ("buyer_id_number", "buyer_name", "year")}
    try:
        year = int(form["year"] or _year())
    except ValueError:
        year = _year()
    shown = {"buyer_name": form["buyer_name"], "year": str(year)}  # the ID number is not put back in the page
    try:
        view = service.lookup_for_caller(session=session, caller=caller_of(request, principal),
                                         buyer_id_number=form["buyer_id_number"], buyer_name=form["buyer_name"],
                                         year=year)
    except AppError as exc:
        return _page(request, form=shown, problems=exc.errors, error=exc.to_problem(locale).get("detail"),
                     locale=locale, status_code=exc.status)
    return _page(request, form=shown, result=to_response(view, locale), locale=locale)
