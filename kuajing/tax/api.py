"""JSON API of the retail import tax engine (``/api/v1/tax``; public, no login)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from kuajing.errors import NotFound
from kuajing.tax import hs_table, service
from kuajing.tax.calc import money
from kuajing.tax.parameters import POLICY_START
from kuajing.tax.schemas import HsRateOut, QuoteItemOut, QuoteLine, QuoteRequest, QuoteResponse
from kuajing.web.deps import get_locale

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
