"""HTML pages of the tax domain: the tax calculator (税费计算器, ``/tax/calculator``: a GET form, nothing is stored)
and the withholding agent's tax guarantee with its e-tax bills (税款担保与电子税单, ``/tax/guarantee``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_csrf
from kuajing.app import issues_from_pydantic
from kuajing.db.base import utcnow
from kuajing.errors import AppError, FieldIssue, Forbidden, validation_error
from kuajing.tax import readside, service
from kuajing.tax.api import to_response
from kuajing.tax.calc import money
from kuajing.tax.choices import AlertKind, GuaranteeMovementKind, SummaryPaymentStatus, TaxBillStatus
from kuajing.tax.schemas import QuoteRequest
from kuajing.web.deps import DbSession, get_locale
from kuajing.web.render import render

router = APIRouter()

ROWS = 3  # item rows offered by the form
ITEM_FIELDS = ("hs_code", "goods_value", "quantity", "vat_rate", "consumption_tax_rate", "tariff_rate", "net_content")
ORDER_FIELDS = ("declared_on", "freight", "insured_fee", "prior_annual_total")


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


#: the form's label of each field (the msgids of the template's headings), for the error list
LABELS = {"hs_code": "HS code", "goods_value": "Goods value (CNY, line total)", "quantity": "Pieces",
          "vat_rate": "VAT rate", "consumption_tax_rate": "Consumption-tax rate", "tariff_rate": "Tariff rate",
          "net_content": "Net content per piece (ml or g)", "declared_on": "Declaration date",
          "freight": "Freight (CNY)", "insured_fee": "Insurance (CNY)",
          "prior_annual_total": "Used this year before this order (CNY)"}
_ITEM_PATH = re.compile(r"^items\[(\d+)\](?:/(\w+))?")


def _payload(form: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The API request the form stands for (blank fields left out, empty item rows skipped) and, for each item
    of the request, the form row it came from (so an error on ``items[1]`` names the row the clerk filled)."""
    body: dict[str, Any] = {k: form[k] for k in ORDER_FIELDS if form.get(k)}
    items, rows = [], []
    for n in range(1, ROWS + 1):
        row = {k: form.get(f"{k}_{n}", "").strip() for k in ITEM_FIELDS}
        if any(row.values()):
            items.append({k: v for k, v in row.items() if v})
            rows.append(n)
    body["items"] = items
    return body, rows


def _where(error: dict[str, Any], rows: list[int]) -> dict[str, Any]:
    """The error with the form's row number and field label (``row``, ``field``) beside its API path."""
    found = _ITEM_PATH.match(error.get("path") or "")
    if found:
        k = int(found.group(1))
        row = rows[k - 1] if 1 <= k <= len(rows) else None
        return {**error, "row": row, "field": LABELS.get(found.group(2) or "")}
    return {**error, "row": None, "field": LABELS.get((error.get("path") or "").split("/")[0])}


@router.get("/tax/calculator", response_class=HTMLResponse)
def calculator(request: Request, locale: str = Depends(get_locale)) -> HTMLResponse:
    """The calculator form and, once submitted, the quote with its explanation."""
    form = {k: v.strip() for k, v in request.query_params.items() if isinstance(v, str)}
    submitted = "declared_on" in form
    result = None
    problems: list[FieldIssue] = []
    rows: list[int] = []
    if submitted:
        try:
            payload, rows = _payload(form)
            body = QuoteRequest.model_validate(payload)
            found = service.quote(declared_on=body.declared_on, items=body.items, freight=body.freight,
                                  insured_fee=body.insured_fee, prior_annual_total=body.prior_annual_total)
            result = to_response(found, locale)
        except ValidationError as exc:
            problems = issues_from_pydantic(exc.errors())
        except AppError as exc:
            problems = exc.errors
    form.setdefault("declared_on", _today())
    errors = [_where(issue.render(locale), rows) for issue in problems]
    return render(request, "tax/templates/calculator.html",
                  {"form": form, "rows": range(1, ROWS + 1), "result": result, "errors": errors},
                  headers={"Cache-Control": "no-store"})


# --- the withholding agent's tax guarantee (税款担保) and its e-tax bills (电子税单) ---------------------------

BILLS_PER_PAGE = 50
MOVEMENTS_PER_PAGE = 50
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _month(value: str | None, today: date) -> tuple[date | None, str | None]:
    """The first day of the month ``YYYY-MM`` (the current month when not given), or the text that is no month."""
    text = (value or "").strip()
    if not text:
        return today.replace(day=1), None
    found = _MONTH.fullmatch(text)
    if found and 1 <= int(found.group(1)) and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1), None
    return None, text[:20]


def _shift(month: date, months: int) -> date | None:
    n = month.year * 12 + month.month - 1 + months
    return date(n // 12, n % 12 + 1, 1) if 1 <= n // 12 <= 9999 else None


def _label(enum, value: str) -> str:
    """The label msgid of ``value`` (the raw value when the enum does not know it: shown, never a 500)."""
    try:
        return enum(value).label
    except ValueError:
        return value


def _bill_colour(value: str) -> str:
    try:
        return TaxBillStatus(value).colour
    except ValueError:
        return "grey"


@router.get("/tax/guarantee", response_class=HTMLResponse)
def guarantee_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                   agent: int | None = Query(None, ge=1, le=2_147_483_647),
                   month: str | None = Query(None), page: int = Query(1, ge=1, le=100_000),
                   mpage: int = Query(1, ge=1, le=100_000)) -> HTMLResponse:
    """The agent's tax guarantee: balance, alerts, a month's summary and bills, the latest movements.

    An enterprise sees its own guarantee; zone-wide roles see the list of every guarantee and pick one (``?agent=``).
    """
    return _guarantee(request, session, principal, agent=agent, month=month, page=page, mpage=mpage)


#: who records top-ups and payments on an agent's guarantee (as the API: the agent cannot raise its own)
RECORDERS = (Role.zone_operator, Role.customs_officer)


def _recorder(principal: Principal) -> None:
    if not any(principal.has_role(r) for r in RECORDERS):
        raise Forbidden()


def _required(form: dict[str, str], *names: str) -> None:
    missing = [FieldIssue("field_required", n, "This field is required.", None) for n in names if not form.get(n)]
    if missing:
        raise validation_error(missing)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v).strip()[:200] for k, v in (await request.form()).items() if isinstance(v, str)}


def _done(agent: int, month: str | None, what: str) -> RedirectResponse:
    query = {"agent": agent, **({"month": month} if month else {}), "done": what}
    return RedirectResponse(f"/tax/guarantee?{urlencode(query)}", status_code=303)


async def _record(request: Request, session, principal: Principal, agent: int, kind: str, action) -> Response:
    """Run ``action(form)`` for a recorder (zone operator, customs officer) and go back to the page, or show the
    page again with the error on its field and what was entered (``kind`` names the form)."""
    _recorder(principal)
    form = await _form(request)
    try:
        action(form)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return _guarantee(request, session, principal, agent=agent, month=form.get("month"), error=exc,
                          form={kind: form})
    return _done(agent, form.get("month"), kind)


@router.post("/tax/guarantee/{agent_enterprise_id}/top-ups", dependencies=[Depends(require_csrf)])
async def guarantee_top_up(request: Request, session: DbSession,
                           agent_enterprise_id: int = Path(..., ge=1, le=2_147_483_647),
                           principal: Principal = Depends(current_principal)) -> Response:
    """Record a top-up of the agent's guarantee (zone operator, customs officer), as the API does."""
    def top_up(form: dict[str, str]) -> None:
        _required(form, "amount", "reference")
        service.top_up(session=session, agent_enterprise_id=agent_enterprise_id, amount=form["amount"],
                       reference=form["reference"][:64], actor=principal.actor)

    return await _record(request, session, principal, agent_enterprise_id, "top_up", top_up)


@router.post("/tax/guarantee/{agent_enterprise_id}/payments", dependencies=[Depends(require_csrf)])
async def guarantee_payment(request: Request, session: DbSession,
                            agent_enterprise_id: int = Path(..., ge=1, le=2_147_483_647),
                            principal: Principal = Depends(current_principal)) -> Response:
    """Record the payment of a payment form (缴款书) (zone operator, customs officer), as the API does."""
    def pay(form: dict[str, str]) -> None:
        _required(form, "ent_duty_no", "amount", "paid_on", "reference")
        try:
            paid_on = date.fromisoformat(form["paid_on"])
        except ValueError:
            raise validation_error([FieldIssue("bad_date", "paid_on", "A date like 2026-03-01 is expected.",
                                               form["paid_on"])]) from None
        service.record_payment(session=session, agent_enterprise_id=agent_enterprise_id,
                               ent_duty_no=form["ent_duty_no"][:50], amount=form["amount"], paid_on=paid_on,
                               reference=form["reference"][:64], actor=principal.actor)

    return await _record(request, session, principal, agent_enterprise_id, "payment", pay)


def _guarantee(request: Request, session, principal: Principal, *, agent: int | None, month: str | None,
               page: int = 1, mpage: int = 1, error: AppError | None = None,
               form: dict | None = None) -> HTMLResponse:
    zone_wide = principal.is_zone_wide
    if agent is None and not zone_wide:
        agent = principal.enterprise_id
    if agent is not None and not principal.can_see_enterprise(agent):  # the API's _may_see
        raise Forbidden()
    today = utcnow().astimezone(service.SHANGHAI).date()
    chosen, bad_month = _month(month, today)
    ctx: dict[str, Any] = {
        "zone_wide": zone_wide, "agent": agent, "agents": readside.agents(session=session) if zone_wide else [],
        "month": (chosen or today).strftime("%Y-%m"), "bad_month": bad_month, "name": None, "view": None,
        "summary": None, "bills": None, "movements": None, "money": money, "tz": service.SHANGHAI,
        "payment_days": service.PAYMENT_DAYS,
        "bill_label": lambda v: _label(TaxBillStatus, v), "bill_colour": _bill_colour,
        "movement_label": lambda v: _label(GuaranteeMovementKind, v), "alert_label": lambda v: _label(AlertKind, v),
        "payment_label": lambda v: _label(SummaryPaymentStatus, v),
        "may_record": any(principal.has_role(r) for r in RECORDERS), "form": form or {},
        "error": error.to_problem(get_locale(request)) if error else None,
        "done": request.query_params.get("done") if error is None else None, "today": today.isoformat(),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    if agent is not None:
        ctx["name"] = readside.agent_name(session=session, agent_enterprise_id=agent)
        if readside.has_guarantee(session=session, agent_enterprise_id=agent):
            ctx["view"] = service.guarantee(session=session, agent_enterprise_id=agent)
            ctx["movements"] = readside.movements(session=session, agent_enterprise_id=agent, page=mpage,
                                                  per_page=MOVEMENTS_PER_PAGE)
            if chosen is not None:
                ctx["summary"] = service.monthly_summary(session=session, agent_enterprise_id=agent, month=chosen)
                ctx["bills"] = readside.bills(session=session, agent_enterprise_id=agent, month=chosen, page=page,
                                              per_page=BILLS_PER_PAGE)
    base = {"agent": agent} if zone_wide and agent is not None else {}
    shown = {**base, "month": ctx["month"]} if chosen is not None else base
    ctx["query"] = lambda **extra: urlencode({**shown, **{k: v for k, v in extra.items() if v is not None}})
    ctx["month_query"] = lambda m: urlencode({**base, "month": m.strftime("%Y-%m")})
    ctx["previous_month"] = _shift(chosen, -1) if chosen else None
    ctx["next_month"] = _shift(chosen, 1) if chosen else None
    status = error.status if error is not None else 422 if bad_month else 200
    return render(request, "tax/templates/guarantee.html", ctx, status_code=status,
                  headers={"Cache-Control": "no-store"})
