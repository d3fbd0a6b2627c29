"""JSON API of FX settlement support (``/api/v1/fx``). Enterprise callers see and act for their own enterprise
only (zone-wide roles for any); banks / insurers (role ``bank_insurer``) see a receipt's bundle only under a live
consent of the enterprise, and nothing else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, current_principal, require_csrf, require_roles
from kuajing.db.base import utcnow
from kuajing.errors import FieldIssue, Forbidden, validation_error
from kuajing.fx import jobs
from kuajing.fx.choices import AdvanceDutyReason, AdvancerKind, Ageing, FeeKind, PayeeKind, SettlementStatus
from kuajing.fx.models import FxAdvance, FxConsent, FxProceeds
from kuajing.fx.schemas import AdvanceCreate, ConsentCreate, ProceedsCreate, QuotaQuery, RepayIn
from kuajing.fx.service import advances, bank, excel, proceeds
from kuajing.i18n import gettext
from kuajing.web.deps import DbSession, get_locale, get_settings

router = APIRouter(tags=["fx"])

#: who may record and change: the enterprise's people and the operator
ACTORS = (Role.enterprise_user, Role.enterprise_admin, Role.zone_operator)
BANKS = (Role.bank_insurer,)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ProceedsId = Path(..., ge=1, le=2**53, description="receipt id")
AdvanceId = Path(..., ge=1, le=2**53, description="advance id")
ConsentId = Path(..., ge=1, le=2**53, description="consent id")
ImportId = Path(..., ge=1, le=2**53, description="upload id")
InventoryId = Path(..., ge=1, le=2**53, description="export declaration list id")
EntQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647, description="zone-wide roles: which enterprise")]


def scope(principal: Principal, enterprise_id: int | None, *, required: bool = False) -> int | None:
    """The enterprise the call is about: one's own (another → 403); zone-wide roles name one (or all).
    Banks never act through these routes (403): they use ``/api/v1/fx/bank``."""
    if principal.has_role(*BANKS) and not principal.has_role(*ACTORS):
        raise Forbidden()
    if principal.is_zone_wide:
        if required and enterprise_id is None:
            raise validation_error([FieldIssue("field_required", "enterprise_id", "This field is required.")])
        return enterprise_id
    if principal.enterprise_id is None or (enterprise_id is not None and enterprise_id != principal.enterprise_id):
        raise Forbidden()
    return principal.enterprise_id


def visible(principal: Principal) -> int | None:
    """The enterprise whose records the caller sees (None: every one)."""
    return scope(principal, None)


def today(request: Request) -> date:
    """Today's business date (Asia/Shanghai)."""
    return utcnow().astimezone(get_settings(request).tz).date()


def money(value: Decimal | None) -> str | None:
    """A decimal as a two-decimal string."""
    return None if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def proceeds_json(row: FxProceeds, locale: str) -> dict[str, Any]:
    """A receipt with its netting figures (actual and restored) and allocations."""
    kind = PayeeKind(row.payee_kind)
    return {
        "id": row.id, "enterprise_id": row.enterprise_id, "bank_name": row.bank_name,
        "bank_reference": row.bank_reference, "received_on": row.received_on, "currency": row.currency,
        "actual_amount": money(row.actual_amount),
        "restored": {"export_receipt": money(row.export_amount), "service_payments": money(row.service_amount),
                     "tax_payments": money(row.tax_amount)},
        "fees": [{"kind": f["kind"], "label": FeeKind(f["kind"]).display(locale), "amount": f["amount"]}
                 for f in row.fees or []],
        "payer_name": row.payer_name, "payer_country": row.payer_country, "evidence_ref": row.evidence_ref,
        "payee_kind": kind.value, "payee_kind_label": kind.display(locale), "person": proceeds.masked_person(row),
        "quota_exempt": row.quota_exempt if kind is PayeeKind.individual else None,
        "usd_equivalent": money(row.usd_equivalent), "source": row.source, "note": row.note,
        "allocations": [{"reference": a.reference, "amount": money(a.amount), "order_id": a.order_id,
                         "inventory_id": a.inventory_id} for a in row.allocations],
        "created_at": row.created_at, "created_by": row.created_by,
    }


def settlement_json(s: proceeds.ListSettlement, locale: str) -> dict[str, Any]:
    """A list's settled / outstanding amounts and ageing flags."""
    inv = s.inventory
    return {
        "inventory_id": inv.id, "invt_no": inv.invt_no, "order_no": inv.order_no, "trade_mode": inv.trade_mode,
        "list_status": inv.status, "exported_on": s.exported_on, "currency": s.currency,
        "declared": money(s.declared), "settled": money(s.settled), "outstanding": money(s.outstanding),
        "status": s.status.value, "status_label": s.status.display(locale), "flags": s.flags,
        "outstanding_report_due": s.overdue_report_due,
        "receipts": [{"proceeds_id": r.proceeds_id, "received_on": r.received_on, "amount": money(r.amount),
                      "amount_in_list_currency": money(r.amount_in_list_currency), "days_from_export": r.ageing.days,
                      "ageing": r.ageing.bucket.value, "ageing_label": r.ageing.bucket.display(locale),
                      "flagged": r.ageing.flagged, "report_due": r.ageing.report_due} for r in s.receipts],
    }


def advance_json(row: FxAdvance, request: Request, locale: str) -> dict[str, Any]:
    """An advance with its report duty."""
    duty, used = advances.duty(advance=row, today=today(request))
    return {
        "id": row.id, "enterprise_id": row.enterprise_id, "advancer_kind": row.advancer_kind,
        "advancer_kind_label": AdvancerKind(row.advancer_kind).display(locale), "client_name": row.client_name,
        "client_code": row.client_code, "affiliated": row.affiliated, "purpose": row.purpose,
        "currency": row.currency, "amount": money(row.amount), "advanced_on": row.advanced_on,
        "repaid_on": row.repaid_on, "term_end": duty.term_end, "report_required": duty.report,
        "reasons": [{"code": r.value, "label": AdvanceDutyReason(r).display(locale)} for r in duty.reasons],
        "rule": {"name": used.name, "value": used.value, "citation": used.citation, "confidence": used.confidence},
        "reported_at": row.reported_at, "note": row.note,
    }


def consent_json(row: FxConsent) -> dict[str, Any]:
    """A consent."""
    return {"id": row.id, "enterprise_id": row.enterprise_id, "bank_enterprise_id": row.bank_enterprise_id,
            "proceeds_id": row.proceeds_id, "purpose": row.purpose, "granted_at": row.granted_at,
            "granted_by": row.granted_by, "revoked_at": row.revoked_at, "revoked_by": row.revoked_by,
            "active": row.revoked_at is None}


# --- proceeds -------------------------------------------------------------------------------------------


@router.get("/api/v1/fx/proceeds/template.xlsx", summary="Excel template for proceeds", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def proceeds_template() -> Response:
    """The proceeds template: Chinese header, field keys on row 2, drop-downs, an example (the §6 netting case)."""
    return Response(excel.template(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="fx-proceeds-template.xlsx"'})


@router.post("/api/v1/fx/proceeds", status_code=201, summary="Record export proceeds (收汇)")
def create_proceeds(body: ProceedsCreate, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                    locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Record a receipt: the amount actually received, the fees netted abroad (storage / logistics / other
    service → service payments; tax → tax payments), so the restored export receipt = actual + fees (R6.2);
    the orders / lists it settles (``allocations``, part of the export receipt); for a personal FX account the
    person, and ``quota_exempt`` = evidence present (linked orders or ``evidence_ref``, R6.5)."""
    ent = scope(principal, body.enterprise_id, required=True)
    values = proceeds.ProceedsIn(
        bank_name=body.bank_name, bank_reference=body.bank_reference, received_on=body.received_on,
        currency=body.currency, actual_amount=body.actual_amount, payer_name=body.payer_name,
        fees=[(f.kind.value, f.amount) for f in body.fees], export_amount=body.export_amount,
        allocations=[proceeds.AllocationIn(a.reference, a.amount) for a in body.allocations],
        payer_country=body.payer_country, evidence_ref=body.evidence_ref, payee_kind=body.payee_kind.value,
        person_name=body.person_name, person_id_number=body.person_id_number, note=body.note)
    row = proceeds.record(session=session, enterprise_id=ent, values=values, actor=principal.actor)
    return proceeds_json(row, locale)


@router.get("/api/v1/fx/proceeds", summary="Receipts of export proceeds")
def list_proceeds(session: DbSession, principal: Principal = Depends(current_principal), enterprise_id: EntQuery = None,
                  date_from: date | None = None, date_to: date | None = None,
                  locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The caller's receipts, newest first (zone-wide roles: all, or one enterprise's)."""
    ent = scope(principal, enterprise_id)
    rows = proceeds.listing(session=session, enterprise_id=ent, date_from=date_from, date_to=date_to)
    return {"items": [proceeds_json(r, locale) for r in rows], "total": len(rows)}


@router.get("/api/v1/fx/proceeds/{proceeds_id}", summary="One receipt")
def get_proceeds(session: DbSession, proceeds_id: int = ProceedsId, principal: Principal = Depends(current_principal),
                 locale: str = Depends(get_locale)) -> dict[str, Any]:
    """A receipt with its actual and restored figures and allocations."""
    return proceeds_json(proceeds.get(session=session, proceeds_id=proceeds_id, enterprise_id=visible(principal)),
                         locale)


@router.delete("/api/v1/fx/proceeds/{proceeds_id}", status_code=204, summary="Delete a receipt entered by mistake")
def delete_proceeds(session: DbSession, proceeds_id: int = ProceedsId,
                    principal: Principal = Depends(require_roles(*ACTORS))) -> Response:
    """Removes the receipt and its allocations (the audit trail keeps its content)."""
    row = proceeds.get(session=session, proceeds_id=proceeds_id, enterprise_id=visible(principal))
    proceeds.delete(session=session, row=row, actor=principal.actor)
    return Response(status_code=204)


@router.post("/api/v1/fx/proceeds/excel", status_code=202, summary="Upload proceeds from the Excel template",
             description="The workbook is checked (not a workbook, no key row, no rows → 422) and queued; the "
                         "receipts are recorded in the background in chunks. Follow `GET /api/v1/fx/imports/{id}` "
                         "for progress and row errors. The same file again returns the same upload.")
async def upload_proceeds(request: Request, background: BackgroundTasks, session: DbSession,
                          principal: Principal = Depends(require_roles(*ACTORS)),
                          file: UploadFile = File(..., description="the filled template (.xlsx)"),
                          enterprise_id: EntQuery = None) -> JSONResponse:
    """Queue an upload; the answer is the upload with its progress counters."""
    ent = scope(principal, enterprise_id, required=True)
    if principal.kind == "user":
        await require_csrf(request)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise validation_error([FieldIssue("imports_excel_too_many_rows", "file", "The file is larger than {mb} MB; "
                                           "split it.", None, {"mb": 20})])
    locale = get_locale(request)
    row, new = excel.submit(session=session, enterprise_id=ent, content=content, file_name=file.filename or "",
                            actor=principal.actor, locale=locale)
    if new:
        session.commit()
        background.add_task(jobs.process_import, session_factory=request.app.state.sessionmaker, import_id=row.id)
    return JSONResponse(excel.as_json(row, locale) | {"created_at": row.created_at.isoformat(),
                                                      "finished_at": None if row.finished_at is None
                                                      else row.finished_at.isoformat()},
                        status_code=202 if new else 200)


@router.get("/api/v1/fx/imports/{import_id}", summary="Progress and row errors of an upload")
def get_import(session: DbSession, import_id: int = ImportId, principal: Principal = Depends(current_principal),
               locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Status, processed / total receipts, accepted, rejected, and every row error (row, column, code, message)."""
    return excel.as_json(excel.get(session=session, import_id=import_id, enterprise_id=visible(principal)), locale)


# --- settlement, ageing, balance of payments, 9810 -------------------------------------------------------------


@router.get("/api/v1/fx/settlements", summary="Settlement status and ageing flags per declaration list")
def list_settlements(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                     enterprise_id: EntQuery = None, flagged: bool = Query(False, description="only lists to report"),
                     locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Each export list: declared value, settled, outstanding, status; each receipt's ageing bucket against the
    export date — advance more than 30 days before, deferred more than 90 days after (R6.7, effective-dated)
    — with the day its report is due; lists still unpaid past 90 days are flagged too."""
    ent = scope(principal, enterprise_id, required=True)
    rows = proceeds.settlements(session=session, enterprise_id=ent, today=today(request), flagged_only=flagged)
    return {"items": [settlement_json(s, locale) for s in rows], "total": len(rows),
            "legend": {a.value: a.display(locale) for a in Ageing},
            "statuses": {s.value: s.display(locale) for s in SettlementStatus}}


@router.get("/api/v1/fx/settlements/{inventory_id}", summary="Settlement of one declaration list")
def get_settlement(request: Request, session: DbSession, inventory_id: int = InventoryId,
                   principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """One list of the caller's enterprise (404 for anyone else's)."""
    return settlement_json(proceeds.list_settlement(session=session, enterprise_id=visible(principal),
                                                    inventory_id=inventory_id, today=today(request)), locale)


@router.get("/api/v1/fx/bop-report", summary="Balance-of-payments figures: actual and restored")
def bop_report(session: DbSession, principal: Principal = Depends(current_principal), enterprise_id: EntQuery = None,
               date_from: date | None = None, date_to: date | None = None) -> dict[str, Any]:
    """Per receipt and in total per currency: the actual receipt and the restored figures (export receipt,
    service payments, tax payments) to declare both in balance-of-payments reporting (R6.2)."""
    ent = scope(principal, enterprise_id)  # zone-wide roles without one: the zone's figures, every enterprise
    rows = proceeds.listing(session=session, enterprise_id=ent, date_from=date_from, date_to=date_to)
    totals: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        t = totals.setdefault(r.currency, {"actual": Decimal(0), "export_receipt": Decimal(0),
                                           "service_payments": Decimal(0), "tax_payments": Decimal(0)})
        t["actual"] += r.actual_amount
        t["export_receipt"] += r.export_amount
        t["service_payments"] += r.service_amount
        t["tax_payments"] += r.tax_amount
    return {"items": [{"proceeds_id": r.id, "bank_reference": r.bank_reference, "received_on": r.received_on,
                       "currency": r.currency, "actual": money(r.actual_amount),
                       "restored": {"export_receipt": money(r.export_amount),
                                    "service_payments": money(r.service_amount),
                                    "tax_payments": money(r.tax_amount)}} for r in rows],
            "totals": {c: {k: money(v) for k, v in t.items()} for c, t in sorted(totals.items())},
            "citation": "汇发〔2020〕11号 (R6.2): declare both the actual receipts and the restored figures"}


@router.get("/api/v1/fx/reconciliation-9810", summary="9810 proceeds against declared values per booking note")
def reconciliation_9810(session: DbSession, principal: Principal = Depends(current_principal),
                        enterprise_id: EntQuery = None) -> dict[str, Any]:
    """For each booking note (订仓单): declared export value of its 9810 list (CNY, customs rate of the export
    month) and the proceeds allocated to it (CNY, rate of the receipt month). Differences are listed for the FX
    business report and never forced to zero (R6.3)."""
    ent = scope(principal, enterprise_id, required=True)
    items = []
    for r in proceeds.reconcile_9810(session=session, enterprise_id=ent):
        items.append({"booking_note": r.order.order_no, "order_id": r.order.id, "ebp_code": r.order.ebp_code,
                      "lists": [x.invt_no or x.pre_no for x in r.lists],
                      "declared_cny": money(r.difference.declared_cny), "proceeds_cny": money(r.difference.proceeds_cny),
                      "difference_cny": money(r.difference.difference),
                      "ratio": None if r.difference.ratio is None else str(r.difference.ratio),
                      "receipts": [{"proceeds_id": p, "received_on": d, "currency": c, "amount": money(a),
                                    "cny": money(y)} for p, d, c, a, y in r.receipts]})
    return {"items": items, "total": len(items), "differences": sum(1 for i in items if i["difference_cny"] != "0.00"),
            "citation": "汇发〔2020〕11号; zone plan 内政字〔2023〕99号 (R6.3 [M wording])"}


# --- the individual quota --------------------------------------------------------------------------------


@router.post("/api/v1/fx/individual-quota", summary="A person's facilitation quota as seen on this platform")
def individual_quota(body: QuotaQuery, session: DbSession, principal: Principal = Depends(require_roles(*ACTORS)),
                     locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Settlements on personal FX accounts in the year: with evidence outside the USD 50,000 quota, without it
    counted against it (R6.5). Only this platform's records are known: the bank keeps the real quota,
    separately for settlement (结汇) and purchase (购汇)."""
    scope(principal, None)
    view = proceeds.quota_for(session=session, id_number=body.id_number, year=body.year)
    return {"year": view.year, "quota_usd": money(view.quota_usd), "used_usd": money(view.used_usd),
            "exempt_usd": money(view.exempt_usd), "remaining_usd": money(view.remaining_usd), "over": view.over,
            "records": view.records, "kind": "settlement",
            "label": gettext("As seen on this platform: the bank keeps the real quota, separately for settlement and "
                             "purchase.", locale)}


# --- advances (代垫) -------------------------------------------------------------------------------------


@router.post("/api/v1/fx/advances", status_code=201, summary="Record an advance (代垫)")
def create_advance(request: Request, body: AdvanceCreate, session: DbSession,
                   principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """A logistics firm, platform or postal operator advancing overseas storage, logistics or tax costs for a
    client; the answer says whether the advance must be reported (non-affiliated, or longer than 12 months)."""
    ent = scope(principal, body.enterprise_id, required=True)
    row = advances.create(session=session, enterprise_id=ent, actor=principal.actor, values=advances.AdvanceIn(
        advancer_kind=body.advancer_kind, client_name=body.client_name, affiliated=body.affiliated,
        purpose=body.purpose, currency=body.currency, amount=body.amount, advanced_on=body.advanced_on,
        client_code=body.client_code, repaid_on=body.repaid_on, note=body.note))
    return advance_json(row, request, locale)


@router.get("/api/v1/fx/advances", summary="Advances and their report duty")
def list_advances(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
                  enterprise_id: EntQuery = None, locale: str = Depends(get_locale)) -> dict[str, Any]:
    """The caller's advances, newest first, each with ``report_required`` and its reasons."""
    ent = scope(principal, enterprise_id)
    rows = advances.listing(session=session, enterprise_id=ent)
    return {"items": [advance_json(r, request, locale) for r in rows], "total": len(rows)}


@router.get("/api/v1/fx/advances/{advance_id}", summary="One advance")
def get_advance(request: Request, session: DbSession, advance_id: int = AdvanceId,
                principal: Principal = Depends(current_principal), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """An advance with its report duty."""
    return advance_json(advances.get(session=session, advance_id=advance_id, enterprise_id=visible(principal)),
                        request, locale)


def visible_advance(session: DbSession, advance_id: int = AdvanceId,
                    principal: Principal = Depends(require_roles(*ACTORS))) -> FxAdvance:
    """The addressed advance, if the caller may act on it (404 before the body is even read)."""
    return advances.get(session=session, advance_id=advance_id, enterprise_id=visible(principal))


@router.post("/api/v1/fx/advances/{advance_id}/repay", summary="Record the repayment of an advance")
def repay_advance(request: Request, body: RepayIn, session: DbSession, row: FxAdvance = Depends(visible_advance),
                  principal: Principal = Depends(require_roles(*ACTORS)), locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Sets the repayment date (not before the advance date)."""
    return advance_json(advances.repay(session=session, row=row, repaid_on=body.repaid_on, actor=principal.actor),
                        request, locale)


@router.post("/api/v1/fx/advances/{advance_id}/report", summary="Generate the SAFE report of an advance")
def report_advance(request: Request, session: DbSession, advance_id: int = AdvanceId,
                   principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """The report (报备材料) for the local SAFE branch: advancer, client, relation, amounts, dates, reasons and the
    rule. Kept on the advance when a duty exists; otherwise ``report_required`` is false and nothing is kept."""
    row = advances.get(session=session, advance_id=advance_id, enterprise_id=visible(principal))
    return advances.generate_report(session=session, row=row, today=today(request), actor=principal.actor)


# --- consents and the bank view --------------------------------------------------------------------------------


@router.post("/api/v1/fx/consents", status_code=201, summary="Consent for a bank / insurer")
def grant_consent(body: ConsentCreate, session: DbSession,
                  principal: Principal = Depends(require_roles(Role.enterprise_admin, Role.zone_operator))
                  ) -> dict[str, Any]:
    """The enterprise lets one bank or insurer of the registry (role finance) see the electronic data behind one
    receipt, or all receipts (``proceeds_id`` empty). Audited; revoke to stop access."""
    ent = scope(principal, body.enterprise_id, required=True)
    return consent_json(bank.grant(session=session, enterprise_id=ent, bank_enterprise_id=body.bank_enterprise_id,
                                   proceeds_id=body.proceeds_id, purpose=body.purpose, actor=principal.actor))


@router.get("/api/v1/fx/consents", summary="Consents the enterprise granted")
def list_consents(session: DbSession, principal: Principal = Depends(current_principal),
                  enterprise_id: EntQuery = None) -> dict[str, Any]:
    """Newest first, live and revoked."""
    rows = bank.consents(session=session, enterprise_id=scope(principal, enterprise_id))
    return {"items": [consent_json(r) for r in rows], "total": len(rows)}


@router.post("/api/v1/fx/consents/{consent_id}/revoke", summary="Revoke a consent")
def revoke_consent(session: DbSession, consent_id: int = ConsentId,
                   principal: Principal = Depends(require_roles(Role.enterprise_admin, Role.zone_operator))
                   ) -> dict[str, Any]:
    """The bank's access ends with this call (audited); revoking twice is a 409."""
    row = bank.get_consent(session=session, consent_id=consent_id, enterprise_id=visible(principal))
    return consent_json(bank.revoke(session=session, consent=row, actor=principal.actor))


@router.get("/api/v1/fx/bank/bundles", summary="Bank view: receipts under a live consent")
def bank_bundles(session: DbSession, principal: Principal = Depends(require_roles(*BANKS)),
                 locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Only receipts whose enterprise consented to this bank (one receipt or all); empty without consent."""
    if principal.enterprise_id is None:
        return {"items": [], "total": 0}
    rows = bank.visible_to_bank(session=session, bank_enterprise_id=principal.enterprise_id)
    return {"items": [proceeds_json(r, locale) for r in rows], "total": len(rows)}


@router.get("/api/v1/fx/bank/bundles/{proceeds_id}", summary="Bank view: the verifiable bundle of a receipt")
def bank_bundle(session: DbSession, proceeds_id: int = ProceedsId,
                principal: Principal = Depends(require_roles(*BANKS))) -> dict[str, Any]:
    """The electronic transaction data behind a settlement request — receipt, orders, lists, payment receipts,
    departures — as canonical JSON (``canonical``), its SM3 digest and the platform's signature over those bytes
    with the certificate to verify it. 404 without a live consent."""
    row = bank.consented(session=session, bank_enterprise_id=principal.enterprise_id or -1, proceeds_id=proceeds_id)
    return bank.bundle(session=session, row=row, bank_enterprise_id=principal.enterprise_id, actor=principal.actor)
