"""Tax quote service (税款试算): resolves rates and dated parameters, runs the pure calculation.

Rates of an item: the request's explicit rates first, else the built-in HS table
(:mod:`kuajing.tax.hs_table`) at the declaration date. Parameters (limits, 0.7 factor, full-rate
channel): :func:`kuajing.tax.parameters.parameter` (rule book first, tax-local table otherwise).
The annual quota: no ledger exists yet, so prior usage is the request's ``prior_annual_total`` or 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kuajing.errors import FieldIssue
from kuajing.i18n import gettext
from kuajing.tax import calc, errors, hs_table
from kuajing.tax.calc import Step, ThresholdUnit, money
from kuajing.tax.parameters import POLICY_START, parameter
from kuajing.tax.schemas import QuoteItemIn


class Notes:
    """Message ids of the service's own explanation lines (translated in tax.po)."""

    PRIOR_GIVEN = "Annual usage before this order: {prior} (what-if figure given in the request)"
    PRIOR_NONE = "Annual usage before this order: no ledger yet, taken as {prior}"
    PRIOR_NONE_BUYER = "Buyer {buyer}: no annual ledger yet; usage before this order taken as {prior}"
    RATES_GIVEN = "Item {n}: rates given in the request override the table"
    NET_CONTENT_MISSING = ("Item {n}: net content not given, so the high-end threshold ({threshold} per ml or g) "
                           "is taken as met; give net_content to check it")
    REMARK = "Item {n} (HS {hs}) positive-list remark: {remarks}"
    UNCERTAIN = "Item {n} (HS {hs}): the table marks these rates as uncertain; check them against the tariff schedule"
    NAME = "Item {n}: HS {hs} {name}"

    @classmethod
    def all(cls) -> list[str]:
        """Every message id (for the translation check)."""
        return [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]


REASON_TEXT = {
    calc.ReasonCode.SINGLE_LIMIT: "Single-transaction limit exceeded",
    calc.ReasonCode.ANNUAL_LIMIT: "Annual personal limit exceeded",
    calc.ReasonCode.NOT_ON_POSITIVE_LIST: "Not on the positive list of CBEC retail imports",
}


@dataclass(frozen=True)
class QuoteResult:
    """The calculation's quote plus the service's notes and the facts the API echoes."""

    declared_on: date
    quote: calc.Quote
    hs_codes: tuple[str | None, ...]
    prior_annual_total: Decimal
    lines: tuple[Step, ...]  # the full explanation, in order


def policy_on(*, on: date) -> calc.Policy:
    """The retail import parameters in force on ``on`` (R1.6–R1.9)."""
    single = parameter("cbec.single_limit_cny", on)
    annual = parameter("cbec.annual_limit_cny", on)
    factor = parameter("cbec.vat_ct_factor_within_limit", on)
    tariff = parameter("cbec.tariff_rate_within_limit", on)
    full = parameter("cbec.full_rate_single_item", on)
    return calc.Policy(single_limit=single.value, annual_limit=annual.value, factor=factor.value,
                       tariff_within_limit=tariff.value, full_rate_single_item=bool(full.value),
                       single_limit_citation=single.citation, annual_limit_citation=annual.citation,
                       factor_citation=factor.citation, full_rate_citation=full.citation)


def quote(*, declared_on: date, items: Sequence[QuoteItemIn], freight: Decimal = Decimal(0),
          insured_fee: Decimal = Decimal(0), prior_annual_total: Decimal | None = None,
          buyer_id_number: str | None = None) -> QuoteResult:
    """Quote the retail import tax of an order (channel, taxes, explanation); raises 422 on bad input."""
    if declared_on < POLICY_START:
        raise errors.invalid([errors.date_before_policy(declared_on.isoformat(), POLICY_START.isoformat())])
    issues: list[FieldIssue] = []
    notes: list[Step] = []
    calc_items: list[calc.Item] = []
    for n, item in enumerate(items, start=1):
        resolved = _resolve_item(n, item, declared_on, issues, notes)
        if resolved is not None:
            calc_items.append(resolved)
    if issues:
        raise errors.invalid(issues)

    prior = prior_annual_total if prior_annual_total is not None else Decimal("0.00")
    head: list[Step] = []
    if prior_annual_total is not None:
        head.append(Step(Notes.PRIOR_GIVEN, {"prior": money(prior)}, calc.round_fen(prior), "R1.7", "财关税〔2016〕18号"))
    elif buyer_id_number:
        head.append(Step(Notes.PRIOR_NONE_BUYER, {"buyer": mask_id(buyer_id_number), "prior": money(prior)},
                         calc.round_fen(prior), "R1.7", "财关税〔2016〕18号"))
    else:
        head.append(Step(Notes.PRIOR_NONE, {"prior": money(prior)}, calc.round_fen(prior), "R1.7",
                         "财关税〔2016〕18号"))

    order = calc.Order(declared_on=declared_on, items=tuple(calc_items), freight=freight,
                       insured_fee=insured_fee, prior_annual_total=prior)
    try:
        result = calc.quote(order, policy_on(on=declared_on))
    except calc.MissingTariffRate as exc:
        raise errors.invalid([errors.tariff_rate_missing(exc.index)]) from None
    return QuoteResult(declared_on=declared_on, quote=result, hs_codes=tuple(i.hs_code for i in items),
                       prior_annual_total=prior, lines=tuple(head) + result.steps + tuple(notes))


def _resolve_item(n: int, item: QuoteItemIn, on: date, issues: list[FieldIssue], notes: list[Step]) -> calc.Item | None:
    """The calculation's item: explicit rates override the HS table's rates for ``on``."""
    row = hs_table.find(item.hs_code) if item.hs_code else None
    if item.hs_code and row is None and item.vat_rate is None:
        issues.append(errors.hs_code_unknown(n, item.hs_code))
        return None
    if not item.hs_code and item.vat_rate is None:
        issues.append(errors.rate_missing(n))
        return None
    dated = hs_table.rates_on(row, on) if row is not None else None
    if row is not None:
        notes.append(Step(Notes.NAME, {"n": str(n), "hs": row.hs_code, "name": f"{row.name_zh} / {row.name_en}"},
                          None, "R1.13", row.source))
        if row.remarks:
            notes.append(Step(Notes.REMARK, {"n": str(n), "hs": row.hs_code, "remarks": row.remarks}, None, "R1.13",
                              "《跨境电子商务零售进口商品清单》"))
        if row.certainty == "U":
            notes.append(Step(Notes.UNCERTAIN, {"n": str(n), "hs": row.hs_code}, None, "R1.4", row.source))
    given = any(r is not None for r in (item.vat_rate, item.consumption_tax_rate, item.tariff_rate))
    if given:
        notes.append(Step(Notes.RATES_GIVEN, {"n": str(n)}, None, "R1.4", ""))

    vat = item.vat_rate if item.vat_rate is not None else dated.vat_rate  # type: ignore[union-attr]
    vat_cite = "" if item.vat_rate is not None else dated.vat_citation  # type: ignore[union-attr]
    if item.consumption_tax_rate is not None:
        ct, ct_cite, threshold = item.consumption_tax_rate, "", None
    elif dated is not None:
        ct, ct_cite, threshold = dated.consumption_tax_rate, dated.ct_citation, dated.ct_threshold
    else:
        ct, ct_cite, threshold = Decimal(0), "", None
    if item.tariff_rate is not None:
        tariff, tariff_cite = item.tariff_rate, ""
    elif dated is not None:
        tariff, tariff_cite = dated.tariff_rate, dated.tariff_citation
    else:
        tariff, tariff_cite = None, ""
    unit = dated.ct_threshold_unit if dated is not None else ThresholdUnit.PIECE
    if threshold is not None and ct > 0 and unit is ThresholdUnit.ML_OR_G and item.net_content is None:
        notes.append(Step(Notes.NET_CONTENT_MISSING, {"n": str(n), "threshold": money(threshold)}, None, "R1.4",
                          ct_cite))
    return calc.Item(
        goods_value=item.goods_value, quantity=item.quantity, vat_rate=vat, consumption_tax_rate=ct,
        tariff_rate=tariff, hs_code=item.hs_code, positive_list=row.positive_list if row is not None else None,
        ct_threshold=threshold, ct_threshold_unit=unit, net_content=item.net_content,
        vat_citation=vat_cite, ct_citation=ct_cite, tariff_citation=tariff_cite,
    )


def mask_id(number: str) -> str:
    """A buyer ID number as shown: first 4 and last 4 characters (1502**********1234)."""
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:]


def render_line(step: Step, locale: str) -> dict[str, str | None]:
    """One explanation line as JSON in ``locale``."""
    return {"text": gettext(step.text, locale, **step.params),
            "amount": money(step.amount) if step.amount is not None else None,
            "rule": step.rule, "citation": step.citation}


def reason_text(code: calc.ReasonCode | None, locale: str) -> str | None:
    """The translated label of a rejection reason."""
    return gettext(REASON_TEXT[code], locale) if code is not None else None
