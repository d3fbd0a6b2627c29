"""Retail import tax calculation (跨境电商零售进口税计算): pure functions over plain dataclasses.

No database, no I/O. The service resolves the rates (HS table or request) and the effective-dated
parameters (limits, factor, channel rule) for the declaration date; this module allocates freight and
insurance, chooses the channel and computes each tax line by line, with an explanation a buyer or clerk
can check by hand (policy-rules §1.2–§1.5).

Rounding (policy-rules §1, "How to read"): each tax of each item is computed unrounded from the item's
taxable price, rounded half-up to the fen, and the order's tax is the sum of the rounded item taxes.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

FEN = Decimal("0.01")
SHOWN = Decimal("0.0001")  # unrounded intermediates are shown to 4 places
ZERO = Decimal("0.00")


class Channel(StrEnum):
    """How the order clears (通关渠道)."""

    CBEC = "cbec"  # 跨境电商零售进口, within limits: tariff 0, VAT and CT × 0.7
    CBEC_FULL_RATE = "cbec_full_rate"  # 单件不可分割商品超限, 按货物税率全额征收
    REJECTED = "rejected"  # 不得按跨境电商零售进口 (general trade 一般贸易)


class ReasonCode(StrEnum):
    """Why an order is rejected: the official customs return code where one exists, else ours."""

    SINGLE_LIMIT = "-621005"  # 超过单次交易限值 (official, CEB621 inventory check)
    ANNUAL_LIMIT = "-621018"  # 超过个人年度交易限值 (official)
    NOT_ON_POSITIVE_LIST = "tax_not_on_positive_list"  # 不在跨境电商零售进口商品清单 (ours)


class ThresholdUnit(StrEnum):
    """What a consumption-tax price threshold is per (消费税价格门槛单位)."""

    ML_OR_G = "ml_g"  # 元/毫升(克)
    PIECE = "piece"  # 元/片(张、只)


class Text:
    """Message ids of the explanation (English; translated by the catalogues, see tax.po)."""

    TAXABLE_ORDER = "Taxable price of the order: goods {goods} + freight {freight} + insurance {insurance}"
    TAXABLE_ITEM = "Item {n}: goods {goods} + freight share {freight} + insurance share {insurance}"
    RATES_HS = "Item {n} (HS {hs}): VAT rate {vat}, consumption-tax rate {ct}, tariff rate {tariff}"
    RATES_NO_HS = "Item {n}: VAT rate {vat}, consumption-tax rate {ct}, tariff rate {tariff}"
    RATES_NO_TARIFF_HS = "Item {n} (HS {hs}): VAT rate {vat}, consumption-tax rate {ct}"
    RATES_NO_TARIFF = "Item {n}: VAT rate {vat}, consumption-tax rate {ct}"
    NOT_ON_LIST = "Item {n} (HS {hs}) is not on the positive list of CBEC retail imports"
    THRESHOLD_MET_ML = "Item {n}: {unit_price} per ml or g reaches the high-end threshold {threshold}"
    THRESHOLD_BELOW_ML = "Item {n}: {unit_price} per ml or g is below the high-end threshold {threshold}; no consumption tax"
    THRESHOLD_MET_PIECE = "Item {n}: {unit_price} per piece reaches the high-end threshold {threshold}"
    THRESHOLD_BELOW_PIECE = "Item {n}: {unit_price} per piece is below the high-end threshold {threshold}; no consumption tax"
    SINGLE_OK = "Single-transaction limit {limit}: the order's {price} does not exceed it"
    SINGLE_OVER = "Single-transaction limit {limit}: the order's {price} exceeds it"
    ANNUAL_OK = "Annual limit {limit}: used this year {prior} + this order {price} = {after}, within the limit"
    ANNUAL_OVER = "Annual limit {limit}: used this year {prior} + this order {price} = {after}, which exceeds it"
    CHANNEL_CBEC = ("Within both limits: CBEC retail import, tariff {tariff}, VAT and consumption tax at "
                    "{factor} of the statutory amount")
    CHANNEL_FULL = ("One indivisible piece above the single limit and within the annual limit: CBEC retail "
                    "import at the full goods rates, counted towards the annual limit")
    REJECT_MULTI = ("Above the single limit with {pieces} pieces, not one indivisible item: rejected on the "
                    "CBEC channel (general trade)")
    REJECT_BEFORE_2019 = ("Above the single limit: before 2019-01-01 even one indivisible item went to general "
                          "trade; rejected on the CBEC channel")
    REJECT_ANNUAL = "The annual limit would be exceeded: rejected on the CBEC channel (general trade)"
    REJECT_LIST = "Goods not on the positive list cannot clear as CBEC retail imports: rejected"
    DUTY_WITHIN = "Item {n} tariff: {price} × {rate}"
    CT_NONE = "Item {n} consumption tax: none (rate 0)"
    CT_WITHIN = ("Item {n} consumption tax: {price} × {ct} ÷ (1 − {ct}) = {statutory}; × {factor} = {exact}; "
                 "rounded to the fen")
    VAT_WITHIN = ("Item {n} VAT: ({price} + {ct_statutory}) × {vat} = {statutory}; × {factor} = {exact}; "
                  "rounded to the fen")
    DUTY_FULL = "Item {n} tariff: {price} × {rate} = {exact}; rounded to the fen"
    CT_FULL = "Item {n} consumption tax: ({price} + {duty}) × {ct} ÷ (1 − {ct}) = {exact}; rounded to the fen"
    VAT_FULL = "Item {n} VAT: ({price} + {duty} + {ct_statutory}) × {vat} = {exact}; rounded to the fen"
    TOTAL_DUTY = "Tariff of the order (sum of the rounded item amounts)"
    TOTAL_CT = "Consumption tax of the order (sum of the rounded item amounts)"
    TOTAL_VAT = "VAT of the order (sum of the rounded item amounts)"
    TOTAL = "Tax payable on the order"
    TOTAL_REJECTED = "No CBEC retail tax: the order cannot clear on the CBEC channel"

    @classmethod
    def all(cls) -> list[str]:
        """Every message id (for the translation check)."""
        return [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]


# --- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One goods line of the order (商品项) with the rates that apply to it (rates as fractions)."""

    goods_value: Decimal  # 商品总价: unit price × quantity, CNY, in fen
    quantity: int  # 件数 (pieces)
    vat_rate: Decimal  # 增值税率
    consumption_tax_rate: Decimal = Decimal(0)  # 消费税率 (ad valorem)
    tariff_rate: Decimal | None = None  # 关税税率 (MFN 最惠国); only needed at full rate
    hs_code: str | None = None  # 商品编码
    positive_list: bool | None = None  # 正面清单 (None = not known)
    ct_threshold: Decimal | None = None  # 高档门槛: CT only from this unit price on
    ct_threshold_unit: ThresholdUnit = ThresholdUnit.PIECE
    net_content: Decimal | None = None  # 净含量 per piece (ml or g), for ml/g thresholds
    vat_citation: str = ""
    ct_citation: str = ""
    tariff_citation: str = ""


@dataclass(frozen=True)
class Policy:
    """The effective-dated parameters in force on the declaration date (政策参数)."""

    single_limit: Decimal  # 单次交易限值
    annual_limit: Decimal  # 个人年度交易限值
    factor: Decimal  # 限值内增值税、消费税征收比例 (0.7)
    tariff_within_limit: Decimal  # 限值内关税税率 (0)
    full_rate_single_item: bool  # 单件不可分割商品超单次限值可按全额征税 (2019 起)
    single_limit_citation: str = ""
    annual_limit_citation: str = ""
    factor_citation: str = ""
    full_rate_citation: str = ""


@dataclass(frozen=True)
class Order:
    """What the tax is computed on (订单): the goods lines, freight, insurance, prior annual usage."""

    declared_on: date  # 申报日期
    items: tuple[Item, ...]
    freight: Decimal = ZERO  # 运费
    insured_fee: Decimal = ZERO  # 保费
    prior_annual_total: Decimal = ZERO  # 本年度已用额度


# --- outputs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One line of the explanation: message id + parameters, the amount, the rule and its citation."""

    text: str
    params: dict[str, str] = field(default_factory=dict)
    amount: Decimal | None = None
    rule: str = ""
    citation: str = ""


@dataclass(frozen=True)
class ItemTax:
    """The taxes of one item (商品项税额), each rounded to the fen."""

    index: int  # 1-based
    goods_value: Decimal
    freight_share: Decimal
    insurance_share: Decimal
    taxable_price: Decimal  # 完税价格
    consumption_tax_rate: Decimal  # applied (0 when below the high-end threshold)
    duty: Decimal = ZERO  # 关税
    consumption_tax: Decimal = ZERO  # 消费税
    vat: Decimal = ZERO  # 增值税

    @property
    def total(self) -> Decimal:
        """Duty + consumption tax + VAT of this item."""
        return self.duty + self.consumption_tax + self.vat


@dataclass(frozen=True)
class Quote:
    """The answer (税款试算结果): channel, reason, amounts and the explanation."""

    channel: Channel
    reason_code: ReasonCode | None
    taxable_price: Decimal  # 订单完税价格
    annual_total_after: Decimal  # 本单计入后的年度累计 (unchanged when rejected)
    items: tuple[ItemTax, ...]
    steps: tuple[Step, ...]

    @property
    def duty(self) -> Decimal:
        """Sum of the rounded item tariffs."""
        return sum((i.duty for i in self.items), ZERO)

    @property
    def consumption_tax(self) -> Decimal:
        """Sum of the rounded item consumption taxes."""
        return sum((i.consumption_tax for i in self.items), ZERO)

    @property
    def vat(self) -> Decimal:
        """Sum of the rounded item VAT amounts."""
        return sum((i.vat for i in self.items), ZERO)

    @property
    def total(self) -> Decimal:
        """The order's tax: the sum of the rounded item taxes."""
        return self.duty + self.consumption_tax + self.vat


class MissingTariffRate(ValueError):
    """The full-rate channel needs a tariff rate the caller did not give and the table does not know."""

    def __init__(self, index: int):
        super().__init__(f"item {index}: tariff rate needed at full rate")
        self.index = index


# --- helpers ------------------------------------------------------------------------------------------


#: legal units of measure (JGS-20 计量单位) that are a mass or a volume: grams or millilitres per unit. A
#: cosmetic's millilitre and gram count alike for the high-end threshold (10 CNY per ml or g).
MASS_VOLUME_UNITS: dict[str, Decimal] = {"035": Decimal(1000), "036": Decimal(1), "070": Decimal(1_000_000),
                                         "095": Decimal(1000), "096": Decimal(1)}  # 千克 克 吨 升 毫升
NET_CONTENT_STEP = Decimal("0.001")
MAX_NET_CONTENT = Decimal(1_000_000)  # a tonne per piece: beyond it no retail piece, so no net content


def pieces_of(quantity: Decimal) -> int:
    """The pieces (件数) of a declared line quantity: a part piece counts as a piece, at least one ("one item
    means one piece", R1.9)."""
    return max(1, int(quantity.to_integral_value(rounding=decimal.ROUND_CEILING)))


def net_content_from_legal(pieces: int, *legal: tuple[Decimal | None, str | None]) -> Decimal | None:
    """The net content per piece (净含量, ml or g) of a list line, from its legal quantities (法定数量 qty1/unit1,
    then qty2/unit2): the first one whose unit is a mass or a volume, shared over the pieces, to 0.001.
    ``None`` when no legal unit measures content (the threshold is then taken as met, and said so)."""
    for qty, unit in legal:
        factor = MASS_VOLUME_UNITS.get(unit or "")
        if factor is None or qty is None or qty <= 0:
            continue
        per_piece = (Decimal(qty) * factor / Decimal(max(1, pieces))).quantize(NET_CONTENT_STEP, rounding=ROUND_HALF_UP)
        return per_piece if 0 < per_piece <= MAX_NET_CONTENT else None
    return None


def round_fen(amount: Decimal) -> Decimal:
    """Half-up to the fen (0.01 CNY)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def money(amount: Decimal) -> str:
    """An amount as shown in the explanation: two decimals."""
    return f"{round_fen(amount):.2f}"


def shown(amount: Decimal) -> str:
    """An unrounded intermediate as shown: four decimals."""
    return f"{amount.quantize(SHOWN, rounding=ROUND_HALF_UP):.4f}"


def percent(rate: Decimal) -> str:
    """A fraction as a percentage: 0.13 → 13%, 0.7 → 70%."""
    value = (rate * 100).normalize()
    text = f"{value:f}"
    return f"{text}%"


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share ``amount`` (in fen) over ``weights`` proportionally; the shares sum exactly to ``amount``.

    Each share is first rounded down to the fen; the remaining fen go one each to the largest
    remainders, ties to the earlier item (largest-remainder method, deterministic).
    """
    if not weights:
        return []
    cents = amount * 100
    if cents != cents.to_integral_value() or amount < 0:
        raise ValueError("amount must be non-negative and in fen")
    total = sum(weights, Decimal(0))
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        exact = [cents * w / total for w in weights]
        floors = [e.to_integral_value(rounding=ROUND_DOWN) for e in exact]
        left = int(cents - sum(floors, Decimal(0)))
        order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
    return [(f / 100).quantize(FEN) for f in floors]


def _p(**params: Any) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


# --- the calculation ----------------------------------------------------------------------------------


def quote(order: Order, policy: Policy) -> Quote:
    """Channel, taxes and explanation of ``order`` under ``policy`` (policy-rules §1)."""
    if not order.items:
        raise ValueError("an order has at least one item")
    steps: list[Step] = []
    values = [i.goods_value for i in order.items]
    goods = sum(values, ZERO)
    # freight and insurance follow the lines' values; an order of gifts only (every value 0) shares them
    # equally over its lines, the one split that does not favour a line
    weights = values if goods > 0 else [Decimal(1)] * len(values)
    freight_shares = allocate(order.freight, weights)
    insurance_shares = allocate(order.insured_fee, weights)
    price = goods + order.freight + order.insured_fee
    steps.append(Step(Text.TAXABLE_ORDER, _p(goods=money(goods), freight=money(order.freight),
                                             insurance=money(order.insured_fee)),
                      round_fen(price), "R1.4", "财关税〔2016〕18号"))
    prices: list[Decimal] = []
    for n, (item, fs, ins) in enumerate(zip(order.items, freight_shares, insurance_shares), start=1):
        p = item.goods_value + fs + ins
        prices.append(p)
        if len(order.items) > 1 or fs or ins:
            steps.append(Step(Text.TAXABLE_ITEM, _p(n=n, goods=money(item.goods_value), freight=money(fs),
                                                    insurance=money(ins)), round_fen(p), "R1.4",
                              "财关税〔2016〕18号"))

    channel, reason = _channel(order, policy, price, steps)
    after = order.prior_annual_total + price if channel is not Channel.REJECTED else order.prior_annual_total

    items: list[ItemTax] = []
    for n, (item, fs, ins, p) in enumerate(zip(order.items, freight_shares, insurance_shares, prices), start=1):
        base = ItemTax(index=n, goods_value=item.goods_value, freight_share=fs, insurance_share=ins,
                       taxable_price=p, consumption_tax_rate=Decimal(0))
        if channel is Channel.REJECTED:
            items.append(base)
            continue
        _rates_step(n, item, channel, policy, steps)
        ct_rate = _applied_ct_rate(n, item, p, steps)
        if channel is Channel.CBEC:
            items.append(_within_limits(n, item, base, p, ct_rate, policy, steps))
        else:
            items.append(_full_rate(n, item, base, p, ct_rate, policy, steps))

    result = Quote(channel=channel, reason_code=reason, taxable_price=round_fen(price),
                   annual_total_after=round_fen(after), items=tuple(items), steps=())
    if channel is Channel.REJECTED:
        steps.append(Step(Text.TOTAL_REJECTED, {}, ZERO, _reject_rule(reason), _reject_citation(reason, policy)))
    else:
        cite = policy.factor_citation if channel is Channel.CBEC else policy.full_rate_citation
        rule = "R1.8" if channel is Channel.CBEC else "R1.9"
        steps.append(Step(Text.TOTAL_DUTY, {}, result.duty, rule, cite))
        steps.append(Step(Text.TOTAL_CT, {}, result.consumption_tax, rule, cite))
        steps.append(Step(Text.TOTAL_VAT, {}, result.vat, rule, cite))
        steps.append(Step(Text.TOTAL, {}, result.total, rule, cite))
    return Quote(channel=result.channel, reason_code=result.reason_code, taxable_price=result.taxable_price,
                 annual_total_after=result.annual_total_after, items=result.items, steps=tuple(steps))


def _reject_rule(reason: ReasonCode | None) -> str:
    return {ReasonCode.SINGLE_LIMIT: "R1.11", ReasonCode.ANNUAL_LIMIT: "R1.10",
            ReasonCode.NOT_ON_POSITIVE_LIST: "R1.1"}.get(reason, "R1.1")  # type: ignore[arg-type]


def _reject_citation(reason: ReasonCode | None, policy: Policy) -> str:
    if reason is ReasonCode.SINGLE_LIMIT:
        return policy.single_limit_citation
    if reason is ReasonCode.ANNUAL_LIMIT:
        return policy.annual_limit_citation
    return "财关税〔2016〕18号; 财关税〔2018〕49号"


def _channel(order: Order, policy: Policy, price: Decimal, steps: list[Step]) -> tuple[Channel, ReasonCode | None]:
    """Choose the channel (R1.1, R1.6–R1.11); limits are exceeded only when strictly above ("超过")."""
    off_list = [(n, i) for n, i in enumerate(order.items, start=1) if i.positive_list is False]
    for n, item in off_list:
        steps.append(Step(Text.NOT_ON_LIST, _p(n=n, hs=item.hs_code or ""), None, "R1.1",
                          "《跨境电子商务零售进口商品清单》"))
    if off_list:
        steps.append(Step(Text.REJECT_LIST, {}, None, "R1.1", "财关税〔2016〕18号"))
        return Channel.REJECTED, ReasonCode.NOT_ON_POSITIVE_LIST

    after = order.prior_annual_total + price
    over_single = price > policy.single_limit
    steps.append(Step(Text.SINGLE_OVER if over_single else Text.SINGLE_OK,
                      _p(limit=money(policy.single_limit), price=money(price)), round_fen(policy.single_limit),
                      "R1.6", policy.single_limit_citation))
    pieces = sum(i.quantity for i in order.items)
    if over_single and pieces != 1:
        steps.append(Step(Text.REJECT_MULTI, _p(pieces=pieces), None, "R1.11", policy.single_limit_citation))
        return Channel.REJECTED, ReasonCode.SINGLE_LIMIT
    if over_single and not policy.full_rate_single_item:
        steps.append(Step(Text.REJECT_BEFORE_2019, {}, None, "R1.9", policy.full_rate_citation))
        return Channel.REJECTED, ReasonCode.SINGLE_LIMIT
    over_annual = after > policy.annual_limit
    steps.append(Step(Text.ANNUAL_OVER if over_annual else Text.ANNUAL_OK,
                      _p(limit=money(policy.annual_limit), prior=money(order.prior_annual_total),
                         price=money(price), after=money(after)),
                      round_fen(after), "R1.6, R1.7", policy.annual_limit_citation))
    if over_annual:
        steps.append(Step(Text.REJECT_ANNUAL, {}, None, "R1.10", policy.annual_limit_citation))
        return Channel.REJECTED, ReasonCode.ANNUAL_LIMIT
    if over_single:
        steps.append(Step(Text.CHANNEL_FULL, {}, None, "R1.9", policy.full_rate_citation))
        return Channel.CBEC_FULL_RATE, None
    steps.append(Step(Text.CHANNEL_CBEC, _p(tariff=percent(policy.tariff_within_limit), factor=percent(policy.factor)),
                      None, "R1.8", policy.factor_citation))
    return Channel.CBEC, None


def _rates_step(n: int, item: Item, channel: Channel, policy: Policy, steps: list[Step]) -> None:
    full = channel is Channel.CBEC_FULL_RATE
    cites = [c for c in (item.vat_citation, item.ct_citation, item.tariff_citation if full else "") if c]
    params = _p(n=n, hs=item.hs_code or "", vat=percent(item.vat_rate), ct=percent(item.consumption_tax_rate))
    if full:
        params["tariff"] = percent(item.tariff_rate if item.tariff_rate is not None else Decimal(0))
        text = Text.RATES_HS if item.hs_code else Text.RATES_NO_HS
    else:
        text = Text.RATES_NO_TARIFF_HS if item.hs_code else Text.RATES_NO_TARIFF
    steps.append(Step(text, params, None, "R1.4", "; ".join(dict.fromkeys(cites))))


def _applied_ct_rate(n: int, item: Item, price: Decimal, steps: list[Step]) -> Decimal:
    """The consumption-tax rate, or 0 when the item is below its high-end price threshold."""
    rate = item.consumption_tax_rate
    if rate == 0 or item.ct_threshold is None:
        return rate
    units = Decimal(item.quantity)
    per_ml = item.ct_threshold_unit is ThresholdUnit.ML_OR_G
    if per_ml:
        if not item.net_content:
            return rate  # net content unknown: the caller is told by the service; taxed as high-end
        units *= item.net_content
    unit_price = price / units
    met = unit_price >= item.ct_threshold
    if per_ml:
        text = Text.THRESHOLD_MET_ML if met else Text.THRESHOLD_BELOW_ML
    else:
        text = Text.THRESHOLD_MET_PIECE if met else Text.THRESHOLD_BELOW_PIECE
    steps.append(Step(text, _p(n=n, unit_price=shown(unit_price), threshold=money(item.ct_threshold)), None,
                      "R1.4", item.ct_citation))
    return rate if met else Decimal(0)


def _within_limits(n: int, item: Item, base: ItemTax, p: Decimal, c: Decimal, policy: Policy,
                   steps: list[Step]) -> ItemTax:
    """R1.8: tariff 0; CT and VAT at ``factor`` (0.7) of the statutory amounts, each rounded."""
    f = policy.factor
    duty = round_fen(p * policy.tariff_within_limit)
    steps.append(Step(Text.DUTY_WITHIN, _p(n=n, price=money(p), rate=percent(policy.tariff_within_limit)), duty,
                      "R1.8", policy.factor_citation))
    ct_stat = p * c / (1 - c)
    ct = round_fen(ct_stat * f)
    if c == 0:
        steps.append(Step(Text.CT_NONE, _p(n=n), ct, "R1.8", item.ct_citation or policy.factor_citation))
    else:
        steps.append(Step(Text.CT_WITHIN, _p(n=n, price=money(p), ct=percent(c), statutory=shown(ct_stat),
                                             factor=percent(f), exact=shown(ct_stat * f)),
                          ct, "R1.8", _join(policy.factor_citation, item.ct_citation)))
    vat_stat = (p + ct_stat) * item.vat_rate
    vat = round_fen(vat_stat * f)
    steps.append(Step(Text.VAT_WITHIN, _p(n=n, price=money(p), ct_statutory=shown(ct_stat), vat=percent(item.vat_rate),
                                          statutory=shown(vat_stat), factor=percent(f), exact=shown(vat_stat * f)),
                      vat, "R1.8", _join(policy.factor_citation, item.vat_citation)))
    return ItemTax(index=base.index, goods_value=base.goods_value, freight_share=base.freight_share,
                   insurance_share=base.insurance_share, taxable_price=p, consumption_tax_rate=c,
                   duty=duty, consumption_tax=ct, vat=vat)


def _full_rate(n: int, item: Item, base: ItemTax, p: Decimal, c: Decimal, policy: Policy,
               steps: list[Step]) -> ItemTax:
    """R1.9: tariff, CT and VAT in full at the goods rates, each rounded."""
    if item.tariff_rate is None:
        raise MissingTariffRate(n)
    d = item.tariff_rate
    cite = policy.full_rate_citation
    duty_u = p * d
    duty = round_fen(duty_u)
    steps.append(Step(Text.DUTY_FULL, _p(n=n, price=money(p), rate=percent(d), exact=shown(duty_u)), duty, "R1.9",
                      _join(cite, item.tariff_citation)))
    ct_u = (p + duty_u) * c / (1 - c)
    ct = round_fen(ct_u)
    if c == 0:
        steps.append(Step(Text.CT_NONE, _p(n=n), ct, "R1.9", item.ct_citation or cite))
    else:
        steps.append(Step(Text.CT_FULL, _p(n=n, price=money(p), duty=shown(duty_u), ct=percent(c), exact=shown(ct_u)),
                          ct, "R1.9", _join(cite, item.ct_citation)))
    vat_u = (p + duty_u + ct_u) * item.vat_rate
    vat = round_fen(vat_u)
    steps.append(Step(Text.VAT_FULL, _p(n=n, price=money(p), duty=shown(duty_u), ct_statutory=shown(ct_u),
                                        vat=percent(item.vat_rate), exact=shown(vat_u)),
                      vat, "R1.9", _join(cite, item.vat_citation)))
    return ItemTax(index=base.index, goods_value=base.goods_value, freight_share=base.freight_share,
                   insurance_share=base.insurance_share, taxable_price=p, consumption_tax_rate=c,
                   duty=duty, consumption_tax=ct, vat=vat)


def _join(*citations: str) -> str:
    return "; ".join(dict.fromkeys(c for c in citations if c))
