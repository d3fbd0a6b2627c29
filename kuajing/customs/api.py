"""JSON API of the customs sandbox desk (``/api/v1/customs``) for customs officers and zone operators."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Body, Depends, Path, Query

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, require_roles
from kuajing.customs.choices import status_label
from kuajing.customs.schemas import (
    ActionRequest,
    AdvanceResult,
    DeclarationPage,
    DeclarationRead,
    NationalPurchase,
    NationalTotal,
    ReceiptRead,
)
from kuajing.customs.service import officer
from kuajing.db.types import mask
from kuajing.web.deps import DbSession, get_locale, get_settings

router = APIRouter(prefix="/api/v1/customs", tags=["customs"])

DESK = require_roles(Role.customs_officer, Role.zone_operator)
DeclarationId = Path(..., ge=1, le=2**62, description="the declaration's id in the sandbox")


def to_read(decl, *, locale: str, receipts=None) -> DeclarationRead:
    """The API shape of a received declaration."""
    data = officer.summary(decl)
    data["status_label"] = status_label(decl.status, locale)
    data["allowed_actions"] = officer.allowed_actions(decl)
    if receipts is not None:
        data["receipts"] = [ReceiptRead(id=r.id, message_type=r.message_type, return_status=r.return_status,
                                        created_at=r.created_at, delivered=r.delivered_at is not None,
                                        failed=r.failed_at is not None, attempts=r.attempts,
                                        last_error=r.last_error) for r in receipts]
    return DeclarationRead(**data)


@router.get("/declarations", response_model=DeclarationPage, summary="What customs received (sandbox)")
def list_declarations(
    session: DbSession,
    message_type: Literal["CEB311", "CEB411", "CEB511", "CEB513", "CEB621", "CEB623", "CEB625", "CEB711"] | None = None,
    status: str | None = Query(None, max_length=10),
    q: str | None = Query(None, max_length=60, description="order, waybill, list or copNo number"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(DESK),
    locale: str = Depends(get_locale),
) -> DeclarationPage:
    """Declarations customs received, newest first, with counts per status."""
    page = officer.search(session=session, message_type=message_type, status=status, q=q, limit=limit,
                          offset=offset)
    return DeclarationPage(items=[to_read(d, locale=locale) for d in page.items], total=page.total,
                           counts=page.counts)


@router.get("/declarations/{declaration_id}", response_model=DeclarationRead, summary="One received declaration")
def get_declaration(session: DbSession, declaration_id: int = DeclarationId, principal: Principal = Depends(DESK),
                    locale: str = Depends(get_locale)) -> DeclarationRead:
    """A declaration with every message customs queued about it."""
    decl = officer.get(session=session, declaration_id=declaration_id)
    return to_read(decl, locale=locale, receipts=officer.receipts_of(session=session, declaration_id=decl.id))


@router.post("/declarations/{declaration_id}/{action}", response_model=DeclarationRead,
             summary="Officer action on a list: release, reject (with reason), inspect, exit")
def act(session: DbSession, action: Literal["release", "reject", "inspect", "exit"],
        body: ActionRequest | None = Body(None), declaration_id: int = DeclarationId,
        principal: Principal = Depends(DESK), locale: str = Depends(get_locale),
        settings=Depends(get_settings)) -> DeclarationRead:
    """Release at once (399 → 800 + CEB816), reject (100 with the reason), order an inspection (300 → 500 …),
    or record that released goods left the supervised site (899)."""
    officer.require_sandbox(settings)
    decl = officer.act(session=session, declaration_id=declaration_id, action=action, actor=principal.actor,
                       now=datetime.now(UTC), config=officer.config_of(settings), reason=body.reason if body else None)
    return to_read(decl, locale=locale, receipts=officer.receipts_of(session=session, declaration_id=decl.id))


@router.post("/advance", response_model=AdvanceResult, summary="Take every customs step that is due now")
def advance(session: DbSession, principal: Principal = Depends(DESK), settings=Depends(get_settings)) -> AdvanceResult:
    """What the exchange job does before each poll: move due steps and queue their receipts."""
    officer.require_sandbox(settings)
    steps = officer.advance_now(session=session, now=datetime.now(UTC), config=officer.config_of(settings),
                                actor=principal.actor)
    return AdvanceResult(steps=steps)


@router.post("/national-purchases", response_model=NationalTotal, status_code=201,
             summary="Record a purchase on another platform in customs' national quota ledger")
def national_purchase(session: DbSession, body: NationalPurchase, principal: Principal = Depends(DESK),
                      settings=Depends(get_settings)) -> NationalTotal:
    """Lets a tester simulate what the buyer bought elsewhere this year (the annual limit is national)."""
    officer.require_sandbox(settings)
    total = officer.add_national_purchase(session=session, buyer_id_number=body.buyer_id_number, year=body.year,
                                          amount=body.amount, actor=principal.actor, now=datetime.now(UTC))
    return NationalTotal(buyer_id_masked=mask(body.buyer_id_number), year=body.year, total=total)
