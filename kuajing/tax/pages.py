"""HTML page of the tax calculator (税费计算器, ``/tax/calculator``): a GET form, nothing is stored."""

from __future__ import annotations

import re
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
