"""JSON API of the retail import tax engine (``/api/v1/tax``; public, no login)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.errors import Forbidden, NotFound
from kuajing.i18n import gettext
from kuajing.tax import hs_table, service
from kuajing.tax.calc import money
from kuajing.tax.choices import AlertKind
from kuajing.tax.parameters import POLICY_START
from kuajing.tax.schemas import (
    GuaranteeOpen,
    GuaranteePayment,
    GuaranteeSettings,
    GuaranteeTopUp,
    HsRateOut,
    QuoteItemOut,
    QuoteLine,
    QuoteRequest,
    QuoteResponse,
)
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(prefix="/api/v1/tax", tags=["tax"])


def to_response(result: service.QuoteResult, locale: str) -> QuoteResponse:
    """The JSON answer of a quote in ``locale``."""
    q = result.quote
    return QuoteResponse(
        declared_on=result.declared_on, channel=q.channel.value,
        reason_code=q.reason_code.value if q.reason_code else None,
        reason=service.reason_text(q.reason_code, locale),
        taxable_price=money(q.taxable_price), prior_annual_total=money(result.prior_annual_total),
        annual_total_after=money(q.annual_total_after),
        duty=money(q.duty), vat=money(q.vat), consumption_tax=money(q.consumption_tax), total=money(q.total),
        items=[QuoteItemOut(index=i.index, hs_code=hs, goods_value=money(i.goods_value),
                            freight_share=money(i.freight_share), insurance_share=money(i.insurance_share),
                            taxable_price=money(i.taxable_price), consumption_tax_rate=f"{i.consumption_tax_rate}",
                            duty=money(i.duty), consumption_tax=money(i.consumption_tax), vat=money(i.vat),
                            total=money(i.total))
               for i, hs in zip(q.items, result.hs_codes)],
        lines=[QuoteLine(**service.render_line(step, locale)) for step in result.lines],
    )


@router.post("/quote", response_model=QuoteResponse, summary="Quote the retail import tax of an order")
def quote(body: QuoteRequest, locale: str = Depends(get_locale)) -> QuoteResponse:
    """Channel (cbec / cbec_full_rate / rejected), taxes and a line-by-line explanation with citations."""
    result = service.quote(declared_on=body.declared_on, items=body.items, freight=body.freight,
                           insured_fee=body.insured_fee, prior_annual_total=body.prior_annual_total,
                           buyer_id_number=body.buyer_id_number)
    return to_response(result, locale)


@router.get("/hs-rates/{hs_code}", response_model=HsRateOut, summary="Rates of an HS code on a date")
def hs_rate(hs_code: Annotated[str, Path(pattern=r"^\d{10}$")],
            on: Annotated[date, Query(description="declaration date, YYYY-MM-DD")]) -> HsRateOut:
    """VAT, consumption tax and MFN rates of ``hs_code`` in force on ``on``, with the positive-list flag."""
    row = hs_table.find(hs_code)
    if row is None:
        raise NotFound("HS code", path="hs_code", value=hs_code)
    dated = hs_table.rates_on(row, max(on, POLICY_START))
    return HsRateOut(hs_code=row.hs_code, name_zh=row.name_zh, name_en=row.name_en, on=on,
                     vat_rate=f"{dated.vat_rate}", consumption_tax_rate=f"{dated.consumption_tax_rate}",
                     ct_category=row.ct_category,
                     ct_threshold=money(dated.ct_threshold) if dated.ct_threshold is not None else None,
                     ct_threshold_unit=row.ct_threshold_unit.value if row.ct_threshold_unit else None,
                     mfn_rate=f"{row.mfn_rate}", positive_list=row.positive_list, remarks=row.remarks,
                     certainty=row.certainty, source=row.source)


# --- tax guarantee (税款担保): the agent's own; zone-wide roles all ---------------------------------

AgentId = Path(..., ge=1, le=2_147_483_647, description="the withholding agent's enterprise id")


def _guarantee_json(view: service.GuaranteeView, locale: str) -> dict[str, Any]:
    return {
        "agent_enterprise_id": view.agent_enterprise_id, "guarantee_no": view.guarantee_no,
        "balance": money(view.balance), "alert_threshold": money(view.alert_threshold),
        "cover_days": view.cover_days, "rate_window_days": view.rate_window_days,
        "daily_rate": money(view.daily_rate),
        "days_covered": None if view.days_covered is None else f"{view.days_covered}",
        "alerts": [{"kind": a.kind, "label": gettext(AlertKind(a.kind).label, locale), "balance": money(a.balance),
                    "threshold": money(a.threshold), "daily_rate": money(a.daily_rate), "raised_at": a.raised_at}
                   for a in view.alerts],
        "uncovered_count": view.uncovered_count, "uncovered_total": money(view.uncovered_total),
    }


def _form_json(form: service.PaymentFormView) -> dict[str, Any]:
    return {"ent_duty_no": form.ent_duty_no, "bill_count": form.bill_count, "amount": money(form.amount),
            "summarised_on": form.summarised_on, "due_on": form.due_on, "paid_on": form.paid_on,
            "days_late": form.days_late, "late_fee": money(form.late_fee)}


def _may_see(principal: Principal, agent: int) -> None:
    if not principal.can_see_enterprise(agent):
        raise Forbidden()


@router.get("/guarantees", summary="Tax guarantees (your own; zone-wide roles all)")
def guarantees(session: DbSession, principal: Principal = Depends(current_principal),
               locale: str = Depends(get_locale)) -> list[dict[str, Any]]:
    """Balance, alert settings, recent daily rate and open alerts of each guarantee."""
    agent = None if principal.is_zone_wide else (principal.enterprise_id or -1)
    return [_guarantee_json(v, locale) for v in service.guarantees(session=session, agent_enterprise_id=agent)]


@router.post("/guarantees", status_code=201, summary="Open a withholding agent's guarantee (zone operator)")
def open_guarantee(body: GuaranteeOpen, session: DbSession,
                   principal: Principal = Depends(require_roles(Role.zone_operator)),
                   locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Zero balance; the alert threshold and cover days as given."""
    return _guarantee_json(service.open_guarantee(
        session=session, agent_enterprise_id=body.agent_enterprise_id, actor=principal.actor,
        guarantee_no=body.guarantee_no, alert_threshold=body.alert_threshold, cover_days=body.cover_days,
        rate_window_days=body.rate_window_days), locale)


@router.get("/guarantees/{agent_enterprise_id}", summary="One tax guarantee")
def guarantee(session: DbSession, agent_enterprise_id: int = AgentId,
              principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The agent's guarantee with its open alerts."""
    _may_see(principal, agent_enterprise_id)
    return _guarantee_json(service.guarantee(session=session, agent_enterprise_id=agent_enterprise_id), locale)


@router.patch("/guarantees/{agent_enterprise_id}", summary="Change the alert settings")
def configure(body: GuaranteeSettings, session: DbSession, agent_enterprise_id: int = AgentId,
              principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Zone operators, or the agent's own enterprise administrator."""
    if not (principal.has_role(Role.zone_operator) or (principal.enterprise_id == agent_enterprise_id
                                                       and principal.has_role(Role.enterprise_admin))):
        raise Forbidden()
    return _guarantee_json(service.configure_guarantee(
        session=session, agent_enterprise_id=agent_enterprise_id, actor=principal.actor,
        alert_threshold=body.alert_threshold, cover_days=body.cover_days, rate_window_days=body.rate_window_days,
        guarantee_no=body.guarantee_no), locale)


@router.post("/guarantees/{agent_enterprise_id}/top-ups", summary="Record a top-up (zone operator, customs)")
def top_up(body: GuaranteeTopUp, session: DbSession, agent_enterprise_id: int = AgentId,
           principal: Principal = Depends(require_roles(Role.zone_operator, Role.customs_officer)),
           locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Idempotent per reference; lifts the alerts the new balance covers."""
    return _guarantee_json(service.top_up(session=session, agent_enterprise_id=agent_enterprise_id,
                                          amount=body.amount, reference=body.reference, actor=principal.actor), locale)


@router.get("/guarantees/{agent_enterprise_id}/summaries/{month}", summary="Monthly tax summary and payment status")
def summary(session: DbSession, agent_enterprise_id: int = AgentId,
            month: str = Path(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
            principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The month's valid bills, how many are summarised for payment (CEB818 status 2), and the payment forms."""
    _may_see(principal, agent_enterprise_id)
    s = service.monthly_summary(session=session, agent_enterprise_id=agent_enterprise_id,
                                month=date.fromisoformat(month + "-01"))
    return {"agent_enterprise_id": s.agent_enterprise_id, "month": month, "bill_count": s.bill_count,
            "total": money(s.total), "summarised_count": s.summarised_count,
            "summarised_total": money(s.summarised_total), "void_count": s.void_count,
            "payment_status": s.payment_status, "ent_duty_nos": list(s.ent_duty_nos),
            "uncovered_count": s.uncovered_count, "uncovered_total": money(s.uncovered_total),
            "paid_count": s.paid_count, "paid_total": money(s.paid_total),
            "forms": [_form_json(f) for f in s.forms]}


@router.post("/guarantees/{agent_enterprise_id}/payments",
             summary="Record the payment of a payment form (缴款书) (zone operator, customs)")
def pay(body: GuaranteePayment, session: DbSession, agent_enterprise_id: int = AgentId,
        principal: Principal = Depends(require_roles(Role.zone_operator, Role.customs_officer))) -> dict[str, Any]:
    """The form's bills are paid and the guarantee gets back what they held (汇总征税), then covers the bills
    waiting for cover. ``amount`` must be the form's tax (422 ``tax_payment_amount_mismatch``), ``paid_on`` from
    the day it was summarised to today (422 ``tax_payment_date_invalid``); an unknown form is 404
    ``tax_payment_form_unknown``; the same payment again changes nothing, other figures are 409
    ``tax_reference_reused``. Answers the form with its due date, days late and late-payment surcharge."""
    return _form_json(service.record_payment(
        session=session, agent_enterprise_id=agent_enterprise_id, ent_duty_no=body.ent_duty_no, amount=body.amount,
        paid_on=body.paid_on, reference=body.reference, actor=principal.actor))
