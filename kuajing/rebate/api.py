"""JSON API of export tax rebate support (``/api/v1/rebate``). Enterprise callers see and act for their own
enterprise; zone-wide roles for any."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.errors import FieldIssue, validation_error
from kuajing.fx.api import EntQuery, money, scope, today, visible
from kuajing.i18n import gettext
from kuajing.rebate import calc, errors, service
from kuajing.rebate.choices import BusinessType, ClaimStatus, PaperDocument, RebateClass
from kuajing.rebate.models import RebateClaim, RebateClassAssignment
from kuajing.rebate.schemas import ClaimCreate, ClassIn, DecisionIn, SaleIn
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(tags=["rebate"])

ACTORS = (Role.enterprise_user, Role.enterprise_admin, Role.zone_operator)
ClaimId = Path(..., ge=1, le=2**53, description="rebate claim id")


def class_json(row: RebateClassAssignment, locale: str) -> dict[str, Any]:
    """A class assignment."""
    cls = RebateClass(row.rebate_class)
    return {"id": row.id, "enterprise_id": row.enterprise_id, "rebate_class": cls.value, "label": cls.display(locale),
            "valid_from": row.valid_from, "valid_to": row.valid_to, "basis": row.basis}


def claim_json(session, row: RebateClaim, request: Request, locale: str) -> dict[str, Any]:
    """A claim with its deadlines, SLA state, paper documents and (HWC-YT) reconciliation."""
    now = today(request)
    status, kind = ClaimStatus(row.status), BusinessType(row.business_type)
    out = {
        "id": row.id, "enterprise_id": row.enterprise_id, "claim_no": row.claim_no, "business_type": kind.value,
        "business_type_label": kind.display(locale), "accepted_on": row.accepted_on, "amount": money(row.amount),
        "rebate_class": row.rebate_class, "rebate_class_label": RebateClass(row.rebate_class).display(locale),
        "paperless": row.paperless,
        "paper_documents": [{"code": d, "label": PaperDocument(d).display(locale)} for d in row.paper_documents or []],
        "statutory_due": row.statutory_due, "target_due": row.target_due, "status": status.value,
        "status_label": status.display(locale), "decided_on": row.decided_on,
        "sla": calc.sla(statutory_due=row.statutory_due, target_due=row.target_due, decided_on=row.decided_on,
                        today=now),
        "working_days_taken": service.working_days_taken(session=session, claim=row, until=row.decided_on or now),
        "citations": row.citations, "note": row.note,
    }
    balance = service.pre_refund_balance(session=session, claim=row)
    if balance is not None:
        out["pre_refund"] = {"departed_on": row.departed_on, "reconcile_until": row.reconcile_until,
                             "declared_cny": money(balance.declared), "sold_cny": money(balance.sold),
                             "unsold_cny": money(balance.unsold), "state": balance.state(now),
                             "sales": [{"sold_on": s.sold_on, "value": money(s.value), "reference": s.reference}
                                       for s in row.sales]}
    return out


@router.post("/api/v1/rebate/classes", status_code=201, summary="Record an enterprise's rebate class")
def set_class(body: ClassIn, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
              locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Class 1–4 (SAT 2016 No.46) from ``valid_from``; the class before it ends the day before."""
    ent = scope(principal, body.enterprise_id, required=True)
    return class_json(service.set_class(session=session, enterprise_id=ent, rebate_class=body.rebate_class,
                                        valid_from=body.valid_from, basis=body.basis, actor=principal.actor), locale)


@router.get("/api/v1/rebate/classes", summary="Rebate class history")
def list_classes(session: DbSession, principal: Principal = Depends(current_principal), enterprise_id: EntQuery = None,
                 locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Newest first, with each class's period."""
    ent = scope(principal, enterprise_id, required=True)
    rows = service.classes(session=session, enterprise_id=ent)
    return {"items": [class_json(r, locale) for r in rows], "total": len(rows)}


@router.post("/api/v1/rebate/claims", status_code=201, summary="Track a rebate claim from acceptance")
def create_claim(request: Request, body: ClaimCreate, session: DbSession,
                 principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The class in force on the acceptance date sets the statutory limit (5/10/15/20 working days, holiday
    calendar) and, for classes 1–2 while it is in force, the 3-working-day target; class 4 lists its paper
    documents. ``business_type`` HWC-YT (from 2025-01-27) needs a 9810 booking note whose goods departed."""
    ent = scope(principal, body.enterprise_id, required=True)
    if body.business_type is BusinessType.pre_refund and not body.booking_note:
        raise validation_error([FieldIssue("field_required", "booking_note", "This field is required.")])
    row = service.create_claim(session=session, enterprise_id=ent, actor=principal.actor, values=service.ClaimIn(
        claim_no=body.claim_no, accepted_on=body.accepted_on, amount=body.amount, business_type=body.business_type,
        booking_note=body.booking_note, note=body.note))
    return claim_json(session, row, request, locale)


@router.get("/api/v1/rebate/claims", summary="Rebate claims and their deadlines")
def list_claims(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                enterprise_id: EntQuery = None, locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Newest first, each with statutory and target dates and its SLA state."""
    ent = scope(principal, enterprise_id)
    rows = service.claims(session=session, enterprise_id=ent)
    return {"items": [claim_json(session, r, request, locale) for r in rows], "total": len(rows),
            "note": gettext("Statutory limits count working days from the day after acceptance.", locale)}


@router.get("/api/v1/rebate/claims/{claim_id}", summary="One rebate claim")
def get_claim(request: Request, session: DbSession, claim_id: int = ClaimId,
              principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """A claim with its deadlines and, for HWC-YT, the reconciliation against sales."""
    return claim_json(session, service.get_claim(session=session, claim_id=claim_id, enterprise_id=visible(principal)),
                      request, locale)


def visible_claim(session: DbSession, claim_id: int = ClaimId,
                  principal: Principal = Depends(require_roles(*ACTORS))) -> RebateClaim:
    """The addressed claim, if the caller may act on it (404 before the body is even read)."""
    return service.get_claim(session=session, claim_id=claim_id, enterprise_id=visible(principal))


@router.post("/api/v1/rebate/claims/{claim_id}/decision", summary="Record the tax office's decision")
def decide(request: Request, body: DecisionIn, session: DbSession, row: RebateClaim = Depends(visible_claim),
           principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Refunded or refused, with the date; the SLA state compares it with the target and the statutory date."""
    if body.status is ClaimStatus.accepted:
        raise validation_error([FieldIssue(errors.C.bad_decision, "status", "A decision is refunded or rejected.",
                                           body.status.value)])
    return claim_json(session, service.decide(session=session, claim=row, status=body.status,
                                              decided_on=body.decided_on, actor=principal.actor), request, locale)


@router.post("/api/v1/rebate/claims/{claim_id}/sales", status_code=201, summary="Reconcile a pre-refund with a sale")
def add_sale(request: Request, body: SaleIn, session: DbSession, row: RebateClaim = Depends(visible_claim),
             principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Goods of an HWC-YT pre-refund sold from the overseas warehouse; the claim shows sold / unsold and the
    reconciliation window (to April of the following year, R4.8)."""
    service.add_sale(session=session, claim=row, sold_on=body.sold_on, value=body.value, reference=body.reference,
                     actor=principal.actor)
    return claim_json(session, row, request, locale)
