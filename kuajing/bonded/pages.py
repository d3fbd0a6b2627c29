"""HTML page of the bonded stock (保税库存, ``/bonded``): the caller's books, filtered by customs status."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from kuajing.accounts.deps import Principal, current_principal
from kuajing.bonded import service
from kuajing.bonded.choices import CustomsStatus
from kuajing.web.deps import DbSession
from kuajing.web.render import render

router = APIRouter()


@router.get("/bonded", response_class=HTMLResponse)
def stock_page(request: Request, session: DbSession, principal: Principal = Depends(current_principal),
               status: str | None = Query(default=None, pattern="^(bonded|non_bonded|pending_conversion)?$")
               ) -> HTMLResponse:
    """Stock records of the operator's books (every book for zone-wide roles)."""
    operator = None if principal.is_zone_wide else (principal.enterprise_id or -1)
    rows = service.stock_list(session=session, operator_enterprise_id=operator, customs_status=status or None)
    return render(request, "bonded/templates/stock.html",
                  {"rows": rows, "status": status or "", "statuses": list(CustomsStatus),
                   "statuses_map": {s.value: s.label for s in CustomsStatus},
                   "qty": lambda d: format(d.normalize(), "f")})
