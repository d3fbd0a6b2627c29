"""JSON API of the personal annual quota (``/api/v1/quota``): the buyer's lookup, the operator's block reset.

The lookup is a POST so the ID number never appears in a URL (URLs end up in access logs and histories).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, optional_principal, require_roles
from kuajing.db.types import blind_index
from kuajing.i18n import gettext
from kuajing.quota import service
from kuajing.quota.choices import MovementKind
from kuajing.quota.schemas import QuotaBlockReset, QuotaLookupRequest, QuotaLookupResponse, QuotaMovementOut
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(prefix="/api/v1/quota", tags=["quota"])


def caller_of(request: Request, principal: Principal | None) -> str:
    """Who is asking, for the lookup count: the principal, or a keyed hash of the client address."""
    if principal is not None:
        return principal.actor
    host = request.client.host if request.client else "unknown"
    return "ip:" + blind_index(host)[:32]


def to_response(view: service.QuotaView, locale: str) -> QuotaLookupResponse:
    """The JSON answer of a lookup."""
    return QuotaLookupResponse(
        found=view.found, buyer_id_number=view.buyer_id_masked, buyer_name=view.buyer_name_masked, year=view.year,
        limit=f"{view.limit:.2f}", used=f"{view.used:.2f}", reserved=f"{view.reserved:.2f}",
        remaining=f"{view.remaining:.2f}", customs_blocked=view.customs_blocked,
        movements=[QuotaMovementOut(kind=m.kind, kind_label=MovementKind(m.kind).display(locale),
                                    amount=f"{m.amount:.2f}", reference=m.reference, at=m.at)
                   for m in view.movements])


@router.post("/lookup", response_model=QuotaLookupResponse, summary="Look up a buyer's annual quota (masked)")
def lookup(body: QuotaLookupRequest, request: Request, session: DbSession,
           principal: Principal | None = Depends(optional_principal),
           locale: str = Depends(get_locale)) -> QuotaLookupResponse:
    """Used, reserved and remaining of the year; ``found`` only when ID number and name both match (429 past the per-caller limit)."""
    view = service.lookup_for_caller(session=session, caller=caller_of(request, principal),
                                     buyer_id_number=body.buyer_id_number, buyer_name=body.buyer_name, year=body.year)
    return to_response(view, locale)


@router.post("/customs-block/reset", summary="Lift a customs −621018 block on a buyer-year (zone operator)")
def reset_block(body: QuotaBlockReset, session: DbSession,
                principal: Principal = Depends(require_roles(Role.zone_operator)),
                locale: str = Depends(get_locale)) -> dict[str, object]:
    """Further reservations for the buyer-year are accepted again (within the annual limit)."""
    changed = service.reset_customs_block(session=session, buyer_id_number=body.buyer_id_number, year=body.year,
                                          actor=principal.actor)
    message = gettext("Customs block lifted.", locale) if changed else gettext("No customs block to lift.", locale)
    return {"reset": changed, "message": message}
