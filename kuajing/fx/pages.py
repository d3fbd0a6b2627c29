"""HTML pages of FX settlement support: receipts (record by form or Excel, with upload progress), settlement
status and ageing flags per list, advances with their SAFE report, consents for banks, and the bank's view.
Form posts carry the CSRF token; problems are shown in place with the problem's status code."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.db.base import INT_ID, row_id
from kuajing.errors import AppError, Forbidden
from kuajing.fx import api, jobs
from kuajing.fx.choices import AdvancerKind, Ageing, FeeKind, ImportStatus, SettlementStatus
from kuajing.fx.schemas import AdvanceCreate, ConsentCreate, ProceedsCreate
from kuajing.fx.service import advances, bank, excel, proceeds
from kuajing.i18n import gettext
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()


def _ctx(request: Request, **more: Any) -> dict[str, Any]:
    return {"csrf_token": getattr(request.state, "csrf_token", ""), "error": None, "notice": None,
            "fmt": api.money, **more}


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: str(v).strip() for k, v in raw.items() if isinstance(v, str)}


def _problem(exc: Exception, locale: str) -> tuple[str, int]:
    """A refusal as one line of text and its status."""
    if isinstance(exc, ValidationError):
        fields = ", ".join("/".join(str(p) for p in e["loc"]) for e in exc.errors())
        return gettext("Please check these fields: {fields}", locale, fields=fields), 422
    problem = exc.to_problem(locale)
    details = "; ".join(f"{e['path']}: {e['message']}" for e in problem.get("errors") or [] if e.get("path"))
    return (problem.get("detail") or problem["title"]) + (f" ({details})" if details else ""), exc.status


def _enterprises(session, principal: Principal) -> list[tuple[int, str]]:
    """For a zone-wide user: the approved enterprises to choose from (id, name); nobody else chooses."""
    if not principal.is_zone_wide:
        return []
    from sqlalchemy import select

    from kuajing.enterprises.models import Enterprise

    rows = session.execute(select(Enterprise.id, Enterprise.name_zh, Enterprise.customs_code)
                           .where(Enterprise.status == "approved").order_by(Enterprise.name_zh).limit(1000))
    return [(i, f"{name} ({code})" if code else name) for i, name, code in rows]


def _chosen(raw: str | None) -> int | None:
    """The enterprise id a zone-wide user picked (blank or not a plausible id: none)."""
    return row_id(raw, INT_ID)


def _actor(principal: Principal) -> None:
    if not principal.has_role(*api.ACTORS):
        raise Forbidden()


def _proceeds_page(request, session, principal, locale, *, error=None, status_code=200, form=None):
    ctx = _ctx(request, items=[], totals={}, error=error, form=form or {}, fee_kinds=list(FeeKind),
               can_act=principal.has_role(*api.ACTORS), enterprises=_enterprises(session, principal))
    try:
        ent = api.scope(principal, None)
        ctx["items"] = proceeds.listing(session=session, enterprise_id=ent)
    except AppError as exc:
        ctx["error"], status_code = _problem(exc, locale)
    return render(request, "fx/templates/proceeds.html", ctx, status_code=status_code)


@router.get("/fx", response_class=HTMLResponse)
def proceeds_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                  locale: str = Depends(get_locale)) -> HTMLResponse:
    """Receipts of the caller's enterprise with their actual and restored figures; record / upload forms."""
    return _proceeds_page(request, session, principal, locale)


@router.post("/fx/proceeds", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def record_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                      locale: str = Depends(get_locale)) -> HTMLResponse:
    """Record one receipt from the form (up to one fee of each kind and one allocation)."""
    form = await _form(request)
    try:
        _actor(principal)
        fees = [{"kind": k.value, "amount": form[f"fee_{k.value}"]} for k in FeeKind if form.get(f"fee_{k.value}")]
        allocs = [{"reference": form["reference"], "amount": form.get("allocated") or form.get("actual_amount")}] \
            if form.get("reference") else []
        body = ProceedsCreate.model_validate({
            "bank_name": form.get("bank_name"), "bank_reference": form.get("bank_reference"),
            "received_on": form.get("received_on"), "currency": form.get("currency"),
            "actual_amount": form.get("actual_amount"), "payer_name": form.get("payer_name"), "fees": fees,
            "allocations": allocs, "evidence_ref": form.get("evidence_ref") or None,
            "payee_kind": form.get("payee_kind") or "enterprise", "person_name": form.get("person_name") or None,
            "person_id_number": form.get("person_id_number") or None,
            "enterprise_id": _chosen(form.get("enterprise_id")) if principal.is_zone_wide else None})
        api.create_proceeds(body, session, principal, locale)
    except (AppError, ValidationError) as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _proceeds_page(request, session, principal, locale, error=error, status_code=status, form=form)
    return RedirectResponse("/fx", status_code=303)


@router.post("/fx/proceeds/excel", response_class=HTMLResponse)
async def upload_page(request: Request, background: BackgroundTasks, session: DbSession,
                      principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)):
    """Queue an Excel upload and show its progress page."""
    await require_csrf(request)
    form = await request.form()
    file = form.get("file")
    try:
        _actor(principal)
        picked = _chosen(str(form.get("enterprise_id") or "")) if principal.is_zone_wide else None
        ent = api.scope(principal, picked, required=True)
        if file is None or isinstance(file, str):
            from kuajing.errors import FieldIssue, validation_error

            raise validation_error([FieldIssue("field_required", "file", "This field is required.")])
        content = await file.read(api.MAX_UPLOAD_BYTES + 1)
        row, new = excel.submit(session=session, enterprise_id=ent, content=content, file_name=file.filename or "",
                                actor=principal.actor, locale=locale)
    except AppError as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _proceeds_page(request, session, principal, locale, error=error, status_code=status)
    if new:
        session.commit()
        background.add_task(jobs.process_import, session_factory=request.app.state.sessionmaker, import_id=row.id)
    return RedirectResponse(f"/fx/imports/{row.id}", status_code=303)


@router.get("/fx/imports/{import_id}", response_class=HTMLResponse)
def import_page(request: Request, session: DbSession, import_id: int = api.ImportId,
                principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> HTMLResponse:
    """An upload's progress (refreshes itself while it runs) and its row errors."""
    row = excel.get(session=session, import_id=import_id, enterprise_id=api.visible(principal))
    running = row.status in (ImportStatus.queued.value, ImportStatus.running.value)
    return render(request, "fx/templates/import.html", _ctx(request, imp=excel.as_json(row, locale), running=running))


@router.get("/fx/settlements", response_class=HTMLResponse)
def settlements_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     locale: str = Depends(get_locale), flagged: bool = False,
                     enterprise_id: str | None = Query(None, max_length=12)) -> HTMLResponse:
    """Each list's declared / settled / outstanding amounts and the ageing flags to report (zone-wide users
    choose the enterprise first)."""
    picked = _chosen(enterprise_id) if principal.is_zone_wide else None
    ctx = _ctx(request, items=[], flagged=flagged, legend=list(Ageing), statuses=list(SettlementStatus), recon=[],
               enterprises=_enterprises(session, principal), picked=picked)
    status_code = 200
    if principal.is_zone_wide and picked is None:
        return render(request, "fx/templates/settlements.html", ctx)
    try:
        ent = api.scope(principal, picked, required=True)
        ctx["items"] = proceeds.settlements(session=session, enterprise_id=ent, today=api.today(request),
                                            flagged_only=flagged)
        ctx["recon"] = proceeds.reconcile_9810(session=session, enterprise_id=ent)
    except AppError as exc:
        ctx["error"], status_code = _problem(exc, locale)
    return render(request, "fx/templates/settlements.html", ctx, status_code=status_code)


def _advances_page(request, session, principal, locale, *, error=None, status_code=200, form=None):
    ctx = _ctx(request, items=[], error=error, form=form or {}, kinds=list(AdvancerKind), purposes=list(FeeKind),
               can_act=principal.has_role(*api.ACTORS))
    try:
        ent = api.scope(principal, None)
        ctx["items"] = [(row, advances.duty(advance=row, today=api.today(request))[0])
                        for row in advances.listing(session=session, enterprise_id=ent)]
    except AppError as exc:
        ctx["error"], status_code = _problem(exc, locale)
    return render(request, "fx/templates/advances.html", ctx, status_code=status_code)


@router.get("/fx/advances", response_class=HTMLResponse)
def advances_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                  locale: str = Depends(get_locale)) -> HTMLResponse:
    """Advances (代垫) with their report duty and the form to record one."""
    return _advances_page(request, session, principal, locale)


@router.post("/fx/advances", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def advance_create_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                              locale: str = Depends(get_locale)) -> HTMLResponse:
    """Record an advance from the form."""
    form = await _form(request)
    try:
        _actor(principal)
        body = AdvanceCreate.model_validate({
            "advancer_kind": form.get("advancer_kind"), "client_name": form.get("client_name"),
            "client_code": form.get("client_code") or None, "affiliated": form.get("affiliated") == "yes",
            "purpose": form.get("purpose"), "currency": form.get("currency"), "amount": form.get("amount"),
            "advanced_on": form.get("advanced_on"), "repaid_on": form.get("repaid_on") or None})
        api.create_advance(request, body, session, principal, locale)
    except (AppError, ValidationError) as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _advances_page(request, session, principal, locale, error=error, status_code=status, form=form)
    return RedirectResponse("/fx/advances", status_code=303)


@router.post("/fx/advances/{advance_id}/report", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def advance_report_page(request: Request, session: DbSession, advance_id: int = api.AdvanceId,
                        principal: Principal = Depends(current_principal)) -> HTMLResponse:
    """Generate and show the printable report of an advance for the local SAFE branch."""
    row = advances.get(session=session, advance_id=advance_id, enterprise_id=api.visible(principal))
    _actor(principal)
    report = advances.generate_report(session=session, row=row, today=api.today(request), actor=principal.actor)
    return render(request, "fx/templates/report.html", _ctx(request, report=report, advance=row))


def _consents_page(request, session, principal, locale, *, error=None, status_code=200):
    ctx = _ctx(request, items=[], error=error, can_grant=principal.has_role("enterprise_admin", "zone_operator"))
    try:
        ctx["items"] = bank.consents(session=session, enterprise_id=api.scope(principal, None))
    except AppError as exc:
        ctx["error"], status_code = _problem(exc, locale)
    return render(request, "fx/templates/consents.html", ctx, status_code=status_code)


@router.get("/fx/consents", response_class=HTMLResponse)
def consents_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                  locale: str = Depends(get_locale)) -> HTMLResponse:
    """Consents the enterprise granted to banks / insurers; grant and revoke."""
    return _consents_page(request, session, principal, locale)


@router.post("/fx/consents", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def consent_grant_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                             locale: str = Depends(get_locale)) -> HTMLResponse:
    """Grant a consent from the form (enterprise administrators)."""
    form = await _form(request)
    try:
        if not principal.has_role("enterprise_admin", "zone_operator"):
            raise Forbidden()
        body = ConsentCreate.model_validate({"bank_enterprise_id": form.get("bank_enterprise_id"),
                                             "proceeds_id": form.get("proceeds_id") or None,
                                             "purpose": form.get("purpose") or "凭交易电子信息办理结汇"})
        ent = api.scope(principal, None, required=True)
        bank.grant(session=session, enterprise_id=ent, bank_enterprise_id=body.bank_enterprise_id,
                   proceeds_id=body.proceeds_id, purpose=body.purpose, actor=principal.actor)
    except (AppError, ValidationError) as exc:
        session.rollback()
        error, status = _problem(exc, locale)
        return _consents_page(request, session, principal, locale, error=error, status_code=status)
    return RedirectResponse("/fx/consents", status_code=303)


@router.post("/fx/consents/{consent_id}/revoke", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def consent_revoke_page(request: Request, session: DbSession, consent_id: int = api.ConsentId,
                        principal: Principal = Depends(current_principal)):
    """Revoke a consent: the bank's access ends at once."""
    row = bank.get_consent(session=session, consent_id=consent_id, enterprise_id=api.visible(principal))
    if not principal.has_role("enterprise_admin", "zone_operator"):
        raise Forbidden()
    bank.revoke(session=session, consent=row, actor=principal.actor)
    return RedirectResponse("/fx/consents", status_code=303)


@router.get("/fx/bank", response_class=HTMLResponse)
def bank_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
              locale: str = Depends(get_locale)) -> HTMLResponse:
    """For banks / insurers: the receipts enterprises consented to show, each with its verifiable bundle."""
    if not principal.has_role(*api.BANKS):
        raise Forbidden()
    items = bank.visible_to_bank(session=session, bank_enterprise_id=principal.enterprise_id or -1)
    return render(request, "fx/templates/bank.html", _ctx(request, items=items))
