"""HTML page of the tax calculator (税费计算器, ``/tax/calculator``): a GET form, nothing is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from kuajing.app import issues_from_pydantic
from kuajing.errors import AppError, FieldIssue
from kuajing.tax import service
from kuajing.tax.api import to_response
from kuajing.tax.schemas import QuoteRequest
from kuajing.web.deps import get_locale
from kuajing.web.render import render

router = APIRouter()

ROWS = 3  # item rows offered by the form
ITEM_FIELDS = ("hs_code", "goods_value", "quantity", "vat_rate", "consumption_tax_rate", "tariff_rate", "net_content")
ORDER_FIELDS = ("declared_on", "freight", "insured_fee", "prior_annual_total")


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def _payload(form: dict[str, str]) -> dict[str, Any]:
    """The API request the form stands for (blank fields left out, empty item rows skipped)."""
    body: dict[str, Any] = {k: form[k] for k in ORDER_FIELDS if form.get(k)}
    items = []
    for n in range(1, ROWS + 1):
        row = {k: form.get(f"{k}_{n}", "").strip() for k in ITEM_FIELDS}
        if any(row.values()):
            items.append({k: v for k, v in row.items() if v})
    body["items"] = items
    return body


@router.get("/tax/calculator", response_class=HTMLResponse)
def calculator(request: Request, locale: str = Depends(get_locale)) -> HTMLResponse:
    """The calculator form and, once submitted, the quote with its explanation."""
    form = {k: v.strip() for k, v in request.query_params.items() if isinstance(v, str)}
    submitted = "declared_on" in form
    result = None
    problems: list[FieldIssue] = []
    if submitted:
        try:
            body = QuoteRequest.model_validate(_payload(form))
            found = service.quote(declared_on=body.declared_on, items=body.items, freight=body.freight,
                                  insured_fee=body.insured_fee, prior_annual_total=body.prior_annual_total)
            result = to_response(found, locale)
        except ValidationError as exc:
            problems = issues_from_pydantic(exc.errors())
        except AppError as exc:
            problems = exc.errors
    form.setdefault("declared_on", _today())
    errors = [issue.render(locale) for issue in problems]
    return render(request, "tax/templates/calculator.html",
                  {"form": form, "rows": range(1, ROWS + 1), "result": result, "errors": errors},
                  headers={"Cache-Control": "no-store"})
