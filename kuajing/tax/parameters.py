"""Effective-dated parameters of the retail import tax (跨境电商零售进口税收政策参数), with citations.

Looked up through :func:`parameter` for the declaration date. ``kuajing.rules.rule`` is asked first
(the platform-wide rule book, keys as in policy-rules §12); while it does not hold a parameter, the
tax-local table below answers. Every value carries the legal citation shown in the tax explanation.
Pure data: no database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

log = logging.getLogger("kuajing.tax")

#: The retail import tax policy starts here (财关税〔2016〕18号); no quote before it.
POLICY_START = date(2016, 4, 8)

CIT_18 = "财关税〔2016〕18号"
CIT_49 = "财关税〔2018〕49号"
CIT_VAT_REG = "《增值税暂行条例》第二条"
CIT_VAT_2017 = "财税〔2017〕37号"
CIT_VAT_2018 = "财税〔2018〕32号"
CIT_VAT_2019 = "财政部 税务总局 海关总署公告2019年第39号"
CIT_CT_2006 = "财税〔2006〕33号"
CIT_CT_2016 = "财税〔2016〕103号"
CIT_CT_REG = "《消费税暂行条例》税目税率表"


@dataclass(frozen=True)
class Param:
    """A parameter value in force on a date (参数值), with its legal basis."""

    name: str
    value: Any
    citation: str
    valid_from: date
    valid_to: date | None  # inclusive; None = open-ended


def _d(text: str) -> Decimal:
    return Decimal(text)


_OPEN = None
#: name → periods (valid_from, valid_to inclusive, value, citation), oldest first.
TABLE: dict[str, list[tuple[date, date | None, Any, str]]] = {
    # R1.6 单次交易限值 / 个人年度交易限值
    "cbec.single_limit_cny": [
        (POLICY_START, date(2018, 12, 31), _d("2000.00"), CIT_18),
        (date(2019, 1, 1), _OPEN, _d("5000.00"), CIT_49),
    ],
    "cbec.annual_limit_cny": [
        (POLICY_START, date(2018, 12, 31), _d("20000.00"), CIT_18),
        (date(2019, 1, 1), _OPEN, _d("26000.00"), CIT_49),
    ],
    # R1.8 关税 0、增值税和消费税按法定应纳税额的 70%
    "cbec.tariff_rate_within_limit": [(POLICY_START, _OPEN, _d("0"), CIT_18)],
    "cbec.vat_ct_factor_within_limit": [(POLICY_START, _OPEN, _d("0.7"), CIT_18)],
    # R1.9 单件不可分割商品超过单次限值: 2019 起按货物税率全额征收 (49号); 之前按一般贸易
    "cbec.full_rate_single_item": [
        (POLICY_START, date(2018, 12, 31), False, CIT_18),
        (date(2019, 1, 1), _OPEN, True, CIT_49),
    ],
    # 增值税基本税率 / 低税率
    "vat.standard_rate": [
        (POLICY_START, date(2018, 4, 30), _d("0.17"), CIT_VAT_REG),
        (date(2018, 5, 1), date(2019, 3, 31), _d("0.16"), CIT_VAT_2018),
        (date(2019, 4, 1), _OPEN, _d("0.13"), CIT_VAT_2019),
    ],
    "vat.reduced_rate": [
        (POLICY_START, date(2017, 6, 30), _d("0.13"), CIT_VAT_REG),
        (date(2017, 7, 1), date(2018, 4, 30), _d("0.11"), CIT_VAT_2017),
        (date(2018, 5, 1), date(2019, 3, 31), _d("0.10"), CIT_VAT_2018),
        (date(2019, 4, 1), _OPEN, _d("0.09"), CIT_VAT_2019),
    ],
    # 消费税: 化妆品 30% → 高档化妆品 15% (2016-10-01)
    "cosmetics.ct_rate": [
        (POLICY_START, date(2016, 9, 30), _d("0.30"), CIT_CT_2006),
        (date(2016, 10, 1), _OPEN, _d("0.15"), CIT_CT_2016),
    ],
    # 高档化妆品门槛 (2016-10-01 起): ≥ 10 元/毫升(克) 或 ≥ 15 元/片(张); 之前无门槛
    "cosmetics.high_end_ml_or_g_cny": [(date(2016, 10, 1), _OPEN, _d("10.00"), CIT_CT_2016)],
    "cosmetics.high_end_piece_cny": [(date(2016, 10, 1), _OPEN, _d("15.00"), CIT_CT_2016)],
    # 护肤护发品 2006-04-01 起不征消费税; 2016-10-01 起高档护肤类化妆品并入高档化妆品
    "skincare.ct_rate": [
        (POLICY_START, date(2016, 9, 30), _d("0"), CIT_CT_2006),
        (date(2016, 10, 1), _OPEN, _d("0.15"), CIT_CT_2016),
    ],
    "wine.ct_rate": [(POLICY_START, _OPEN, _d("0.10"), CIT_CT_REG + "（其他酒）")],
    "spirits.ct_rate": [(POLICY_START, _OPEN, _d("0.20"), CIT_CT_REG + "（白酒，另有从量税）")],
    "watch.ct_rate": [(POLICY_START, _OPEN, _d("0.20"), CIT_CT_2006 + "（高档手表）")],
    "watch.high_end_piece_cny": [(POLICY_START, _OPEN, _d("10000.00"), CIT_CT_2006)],
    "jewellery.ct_rate": [(POLICY_START, _OPEN, _d("0.10"), CIT_CT_REG + "（贵重首饰及珠宝玉石）")],
    "golf.ct_rate": [(POLICY_START, _OPEN, _d("0.10"), CIT_CT_2006 + "（高尔夫球及球具）")],
    "battery.ct_rate": [(POLICY_START, _OPEN, _d("0.04"), "财税〔2015〕16号（电池）")],
}

#: Parameters the platform-wide rule book may answer (policy-rules §12 keys).
RULEBOOK_NAMES = frozenset(TABLE)


class ParameterNotInForce(LookupError):
    """No value of the parameter is in force on the date."""


def local_parameter(name: str, on: date) -> Param:
    """The tax-local value of ``name`` in force on ``on``."""
    for start, end, value, citation in TABLE.get(name, ()):
        if start <= on and (end is None or on <= end):
            return Param(name, value, citation, start, end)
    raise ParameterNotInForce(f"{name} on {on.isoformat()}")


def parameter(name: str, on: date) -> Param:
    """The value of ``name`` on ``on``: the rule book's when it has one, else the tax-local table."""
    found = _from_rulebook(name, on)
    return found if found is not None else local_parameter(name, on)


def _from_rulebook(name: str, on: date) -> Param | None:
    try:
        from kuajing.rules import rule  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        got = rule(name, on)
    except Exception:
        log.debug("rule %s not in the rule book; using the tax-local table", name)
        return None
    value = got.value
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        value = Decimal(str(value))
    return Param(name, value, str(got.citation), got.valid_from, got.valid_to)


def has_value(name: str, on: date) -> bool:
    """Whether ``name`` has a value in force on ``on``."""
    try:
        parameter(name, on)
    except ParameterNotInForce:
        return False
    return True
