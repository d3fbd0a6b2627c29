"""The tax engine's built-in HS rate table (商品税率表, ``hs_rates.csv``) and its dated rates.

The CSV holds today's rates with a VAT category (general/reduced) and a consumption-tax category; the
rates for a past declaration date come from the dated parameters (:mod:`kuajing.tax.parameters`).
Pure: reads a file shipped with the package, no database.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from kuajing.tax.calc import ThresholdUnit
from kuajing.tax.parameters import ParameterNotInForce, parameter

CSV_PATH = Path(__file__).with_name("hs_rates.csv")

#: consumption-tax category → dated rate parameter
CT_PARAMETERS = {
    "cosmetics": "cosmetics.ct_rate",  # 美容修饰类化妆品 (香水、彩妆)
    "skincare": "skincare.ct_rate",  # 护肤类化妆品
    "wine": "wine.ct_rate",  # 其他酒
    "spirits": "spirits.ct_rate",  # 白酒 (ad valorem part)
    "watch": "watch.ct_rate",  # 高档手表
    "jewellery": "jewellery.ct_rate",  # 贵重首饰及珠宝玉石
    "golf": "golf.ct_rate",  # 高尔夫球及球具
    "battery": "battery.ct_rate",  # 电池
}
VAT_PARAMETERS = {"general": "vat.standard_rate", "reduced": "vat.reduced_rate"}


@dataclass(frozen=True)
class HsRow:
    """One row of the table (商品编码税率)."""

    hs_code: str
    name_zh: str
    name_en: str
    vat_category: str  # general | reduced
    vat_rate: Decimal  # today
    ct_category: str  # none | cosmetics | skincare | wine | spirits | beer | watch | jewellery | golf | battery | tobacco
    consumption_tax_rate: Decimal  # today
    ct_threshold: Decimal | None  # 高档门槛
    ct_threshold_unit: ThresholdUnit | None
    mfn_rate: Decimal  # 最惠国税率 (today, not dated)
    positive_list: bool  # 正面清单
    remarks: str  # 清单备注 (quantity caps, 1210 only …)
    certainty: str  # C | M | U
    source: str


@dataclass(frozen=True)
class DatedRates:
    """The rates of a row on a declaration date, each with its citation."""

    vat_rate: Decimal
    vat_citation: str
    consumption_tax_rate: Decimal
    ct_citation: str
    ct_threshold: Decimal | None
    ct_threshold_unit: ThresholdUnit
    tariff_rate: Decimal
    tariff_citation: str


def _row(raw: dict[str, str]) -> HsRow:
    unit = raw["ct_threshold_unit"].strip()
    threshold = raw["ct_threshold"].strip()
    return HsRow(
        hs_code=raw["hs_code"].strip(), name_zh=raw["name_zh"].strip(), name_en=raw["name_en"].strip(),
        vat_category=raw["vat_category"].strip(), vat_rate=Decimal(raw["vat_rate"]),
        ct_category=raw["ct_category"].strip(), consumption_tax_rate=Decimal(raw["consumption_tax_rate"]),
        ct_threshold=Decimal(threshold) if threshold else None,
        ct_threshold_unit=ThresholdUnit(unit) if unit else None,
        mfn_rate=Decimal(raw["mfn_rate"]), positive_list=raw["positive_list"].strip().lower() == "true",
        remarks=raw["remarks"].strip(), certainty=raw["certainty"].strip(), source=raw["source"].strip(),
    )


@cache
def table() -> dict[str, HsRow]:
    """Every row of ``hs_rates.csv`` by HS code."""
    with CSV_PATH.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    rows = [_row(r) for r in csv.DictReader(lines)]
    return {r.hs_code: r for r in rows}


def find(hs_code: str) -> HsRow | None:
    """The row of ``hs_code`` (10 digits), or None."""
    return table().get(hs_code)


def rates_on(row: HsRow, on: date) -> DatedRates:
    """The VAT, consumption-tax and tariff rates of ``row`` in force on ``on``, with citations."""
    vat = parameter(VAT_PARAMETERS[row.vat_category], on)
    ct_rate, ct_cite = row.consumption_tax_rate, ""
    threshold: Decimal | None = None
    unit = row.ct_threshold_unit or ThresholdUnit.PIECE
    name = CT_PARAMETERS.get(row.ct_category)
    if name:
        ct = parameter(name, on)
        ct_rate, ct_cite = ct.value, ct.citation
        threshold = _threshold(row, on)
    elif row.ct_category in ("beer", "tobacco"):
        ct_cite = "《消费税暂行条例》税目税率表"
    cite = f"HS {row.hs_code}: {row.source}"
    return DatedRates(vat_rate=vat.value, vat_citation=vat.citation, consumption_tax_rate=ct_rate,
                      ct_citation=ct_cite, ct_threshold=threshold, ct_threshold_unit=unit,
                      tariff_rate=row.mfn_rate, tariff_citation=cite)


def _threshold(row: HsRow, on: date) -> Decimal | None:
    """The high-end threshold in force (cosmetics only from 2016-10-01; watches always)."""
    if row.ct_threshold is None:
        return None
    if row.ct_category in ("cosmetics", "skincare"):
        name = ("cosmetics.high_end_ml_or_g_cny" if row.ct_threshold_unit is ThresholdUnit.ML_OR_G
                else "cosmetics.high_end_piece_cny")
    elif row.ct_category == "watch":
        name = "watch.high_end_piece_cny"
    else:
        return row.ct_threshold
    try:
        return parameter(name, on).value
    except ParameterNotInForce:
        return None  # before 2016-10-01: cosmetics taxed without a price threshold
