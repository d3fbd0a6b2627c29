"""HTML pages of the district and park evaluation (``/evaluation``): indicators and weights, entries with
evidence, the live ranking and the published snapshots (``/evaluation/snapshots/{snapshot_id}``)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kuajing.accounts.deps import Principal, require_csrf, require_roles
from kuajing.errors import AppError
from kuajing.evaluation import service
from kuajing.evaluation.api import ACTORS, READERS
from kuajing.evaluation.choices import Category, Source, UnitKind
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _default_period() -> str:
    from kuajing.risk.api import today

    return str(today().year)


def _page(request: Request, session, principal: Principal, *, period: str, unit_kind: str, locale: str,
          error: str | None = None, status_code: int = 200) -> HTMLResponse:
    ctx = {"period": period, "unit_kind": unit_kind, "error": error, "view": None, "weights": {},
           "catalogue": service.catalogue(), "categories": {c.value: c for c in Category},
           "sources": {s.value: s for s in Source}, "unit_kinds": list(UnitKind), "units": {},
           "snapshots": service.snapshots(session=session), "entries": [],
           "csrf_token": getattr(request.state, "csrf_token", ""), "can_act": principal.has_role(*ACTORS)}
    ctx["indicator_names"] = {i.code: i.name(locale) for i in service.catalogue()}
    ctx["rates"] = service.RATES  # a growth without a base year is missing, but nobody can enter it
    ctx["unit_kind_labels"] = {k.value: k.display(locale) for k in UnitKind}
    try:
        ctx["units"] = service.units(unit_kind)
        start, end = service.parse_period(period)
        ctx["weights"] = service.weights(session=session, on=end)
        ctx["view"] = service.evaluate(session=session, period=period, unit_kind=unit_kind)
        ctx["entries"] = service.entries(session=session, period=period, unit_kind=unit_kind)
    except AppError as exc:
        ctx["error"] = ctx["error"] or exc.to_problem(locale).get("detail")
        status_code = max(status_code, exc.status) if status_code == 200 else status_code
    return render(request, "evaluation/templates/evaluation.html", ctx, status_code=status_code)


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*READERS)),
                    period: str | None = Query(None, max_length=10), unit_kind: str = Query("district", max_length=10),
                    locale: str = Depends(get_locale)) -> HTMLResponse:
    """Indicators with weights, the ranking as of now, entry and publication forms, published snapshots."""
    return _page(request, session, principal, period=period or _default_period(), unit_kind=unit_kind, locale=locale)


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}


@router.post("/evaluation/entries", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def entry_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                     locale: str = Depends(get_locale)) -> HTMLResponse:
    """Enter a value with its evidence."""
    form = await _form(request)
    period, kind = form.get("period", ""), form.get("unit_kind", "district")
    try:
        service.enter(session=session, period=period, unit_kind=kind, unit_code=form.get("unit_code", ""),
                      indicator_code=form.get("indicator", ""), value=form.get("value", ""),
                      evidence=form.get("evidence", ""), actor=principal.actor)
    except AppError as exc:
        session.rollback()
        return _page(request, session, principal, period=period, unit_kind=kind, locale=locale,
                     error=exc.to_problem(locale).get("detail"), status_code=exc.status)
    return RedirectResponse(f"/evaluation?period={period}&unit_kind={kind}", status_code=303)


@router.post("/evaluation/weights", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def weight_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                      locale: str = Depends(get_locale)) -> HTMLResponse:
    """Set an indicator's weight from a date on."""
    form = await _form(request)
    period, kind = form.get("period", ""), form.get("unit_kind", "district")
    try:
        try:
            valid_from = date.fromisoformat(form.get("valid_from", ""))
        except ValueError:
            from kuajing.errors import FieldIssue, validation_error

            raise validation_error([FieldIssue("bad_date", "valid_from", "A date looks like 2026-01-31.",
                                               form.get("valid_from"))]) from None
        service.set_weight(session=session, indicator_code=form.get("indicator", ""), weight=form.get("weight", ""),
                           valid_from=valid_from, actor=principal.actor)
    except AppError as exc:
        session.rollback()
        return _page(request, session, principal, period=period, unit_kind=kind, locale=locale,
                     error=exc.to_problem(locale).get("detail"), status_code=exc.status)
    return RedirectResponse(f"/evaluation?period={period}&unit_kind={kind}", status_code=303)


@router.post("/evaluation/publish", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def publish_page(request: Request, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                       locale: str = Depends(get_locale)) -> HTMLResponse:
    """Publish the period's evaluation as an immutable snapshot."""
    form = await _form(request)
    period, kind = form.get("period", ""), form.get("unit_kind", "district")
    try:
        if kind not in UnitKind.__members__:
            from kuajing.evaluation.errors import bad_unit_kind

            raise bad_unit_kind(kind)
        snap = service.publish(session=session, period=period, unit_kind=kind, actor=principal.actor,
                               reason=form.get("reason"))
    except AppError as exc:
        session.rollback()
        return _page(request, session, principal, period=period, unit_kind=kind, locale=locale,
                     error=exc.to_problem(locale).get("detail"), status_code=exc.status)
    return RedirectResponse(f"/evaluation/snapshots/{snap.id}", status_code=303)


@router.get("/evaluation/snapshots/{snapshot_id}", response_class=HTMLResponse)
def snapshot_page(request: Request, session: DbSession, snapshot_id: int,
                  principal: Principal = Depends(require_roles(*READERS))) -> HTMLResponse:
    """A published evaluation as it was published, with its SHA-256 check."""
    snap = service.get_snapshot(session=session, snapshot_id=snapshot_id)
    return render(request, "evaluation/templates/snapshot.html", {
        "snap": snap, "verified": service.verify(snap), "categories": {c.value: c for c in Category}})
