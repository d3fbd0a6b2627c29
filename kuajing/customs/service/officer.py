"""The customs officer's desk of the sandbox (海关模拟器操作台): what customs sees and the hand actions
(release, reject with a reason, order an inspection, goods leave the site), each audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.audit.service import record as audit
from kuajing.customs import errors
from kuajing.customs.choices import OPEN_LIST_STATES, CustomsStatus
from kuajing.customs.models import SandboxDeclaration, SandboxReceipt, SandboxReceiptDeclaration
from kuajing.customs.service import sandbox
from kuajing.customs.service.sandbox import SandboxConfig
from kuajing.db.types import mask, mask_name

STREAM = "customs:sandbox"
ACTIONS = ("release", "reject", "inspect", "exit")


def config_of(settings) -> SandboxConfig:
    """The sandbox behaviour the settings name."""
    return SandboxConfig(delay_seconds=settings.customs_sandbox_delay_seconds,
                         inspection_rate=settings.customs_sandbox_inspection_rate, seed=settings.customs_sandbox_seed,
                         document_wait_seconds=settings.customs_sandbox_document_wait_seconds)


def require_sandbox(settings) -> None:
    """409 unless the configured transport is the sandbox."""
    if settings.customs_transport != "sandbox":
        raise errors.sandbox_only()


@dataclass(frozen=True)
class Page:
    """One page of declarations and the counts per status."""

    items: list[SandboxDeclaration]
    total: int
    counts: dict[str, int]


def search(*, session: Session, message_type: str | None = None, status: str | None = None, q: str | None = None,
           limit: int = 50, offset: int = 0) -> Page:
    """Declarations customs received, newest first, filtered by type, status and order/waybill/list number."""
    query = select(SandboxDeclaration)
    if message_type:
        query = query.where(SandboxDeclaration.message_type == message_type)
    if q:
        query = query.where((SandboxDeclaration.order_no == q) | (SandboxDeclaration.logistics_no == q)
                            | (SandboxDeclaration.invt_no == q) | (SandboxDeclaration.ref_invt_no == q)
                            | (SandboxDeclaration.cop_no == q))
    base = query.subquery()
    counts = {row[0]: row[1] for row in session.execute(select(base.c.status, func.count()).group_by(base.c.status))}
    if status:
        query = query.where(SandboxDeclaration.status == status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(SandboxDeclaration.id.desc()).limit(limit).offset(offset)).scalars().all()
    return Page(items=list(items), total=total, counts=counts)


def get(*, session: Session, declaration_id: int) -> SandboxDeclaration:
    """One declaration (404 when customs does not know it)."""
    decl = session.get(SandboxDeclaration, declaration_id)
    if decl is None:
        raise errors.not_found(declaration_id)
    return decl


def receipts_of(*, session: Session, declaration_id: int) -> list[SandboxReceipt]:
    """Every message customs queued about a declaration, oldest first."""
    answered = select(SandboxReceiptDeclaration.receipt_id).where(
        SandboxReceiptDeclaration.declaration_id == declaration_id)
    return list(session.execute(select(SandboxReceipt).where(SandboxReceipt.id.in_(answered))
                                .order_by(SandboxReceipt.id)).scalars())


def summary(decl: SandboxDeclaration) -> dict:
    """What the desk shows of a declaration: keys, status, amounts; personal data masked."""
    head = json.loads(decl.payload).get("head", {}) if decl.payload else {}
    lines = json.loads(decl.payload).get("items", []) if decl.payload else []
    return {
        "id": decl.id, "message_type": decl.message_type, "business_key": decl.business_key,
        "order_no": decl.order_no, "logistics_no": decl.logistics_no, "cop_no": decl.cop_no, "pre_no": decl.pre_no,
        "invt_no": decl.invt_no, "ref_invt_no": decl.ref_invt_no, "enterprise_code": decl.enterprise_code,
        "customs_code": decl.customs_code, "status": decl.status, "status_info": decl.status_info,
        "next_status": decl.next_status, "due_at": decl.due_at, "inspection": decl.inspection,
        "buyer_id_masked": decl.buyer_masked, "buyer_name_masked": mask_name(head.get("buyerName")) or None,
        "amount": decl.amount, "left_site": decl.left_site, "cancelled": decl.cancelled, "returned": decl.returned,
        "received_at": decl.received_at, "released_at": decl.released_at,
        "lines": [{"gnum": int(ln["gnum"]), "gcode": ln.get("gcode"), "gname": ln.get("gname"),
                   "qty": ln.get("qty"), "total_price": ln.get("totalPrice")} for ln in lines if "gnum" in ln],
    }


def allowed_actions(decl: SandboxDeclaration) -> list[str]:
    """The hand actions the declaration's state allows."""
    if decl.message_type != "CEB621" or decl.cancelled or decl.returned:
        return []
    status = decl.status
    out = []
    if status in OPEN_LIST_STATES:
        out += ["release", "reject"]
    if status in (CustomsStatus.declaring, CustomsStatus.accepted, CustomsStatus.decided):
        out.append("inspect")
    if status == CustomsStatus.released and not decl.left_site:
        out.append("exit")
    return out


def act(*, session: Session, declaration_id: int, action: str, actor: str, now: datetime, config: SandboxConfig,
        reason: str | None = None) -> SandboxDeclaration:
    """Apply one officer action (release / reject / inspect / exit) to a declaration list, audited."""
    decl = session.get(SandboxDeclaration, declaration_id, with_for_update=True)
    if decl is None:
        raise errors.not_found(declaration_id)
    if action not in allowed_actions(decl):
        raise errors.action_not_allowed(action=action, current=decl.status)
    if action == "reject" and not (reason or "").strip():
        raise errors.reason_required()
    before = {"status": decl.status, "invt_no": decl.invt_no}
    if action == "release":
        sandbox.release_now(session=session, decl=decl, now=now, config=config)
    elif action == "reject":
        sandbox.reject_now(session=session, decl=decl, reason=reason.strip()[:1000], now=now, config=config)
    elif action == "inspect":
        sandbox.inspect_now(session=session, decl=decl, now=now, config=config)
    else:
        sandbox.record_exit(session=session, decl=decl, now=now, config=config)
    session.flush()
    after = {"status": decl.status, "invt_no": decl.invt_no}
    if action == "reject":
        after["reason"] = decl.status_info
    audit(session=session, action=f"customs:declaration:{action}", stream=STREAM, actor=actor,
          subject_id=str(decl.id), before=before, after=after, at=now)
    return decl


def advance_now(*, session: Session, now: datetime, config: SandboxConfig, actor: str) -> int:
    """Move every due step now (as the background job would); returns the steps taken."""
    steps = sandbox.advance(session=session, now=now, config=config)
    if steps:
        audit(session=session, action="customs:sandbox:advance", stream=STREAM, actor=actor,
              after={"steps": steps}, at=now)
    return steps


def add_national_purchase(*, session: Session, buyer_id_number: str, year: int, amount: Decimal, actor: str,
                          now: datetime) -> Decimal:
    """Record a purchase the buyer made on another platform in customs' national ledger; returns the total."""
    total = sandbox.record_national_purchase(session=session, buyer_id_number=buyer_id_number, year=year,
                                             amount=amount)
    audit(session=session, action="customs:quota:add", stream=STREAM, actor=actor,
          after={"buyer": mask(buyer_id_number), "year": year, "amount": amount, "total": total}, at=now)
    return total
