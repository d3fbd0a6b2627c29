"""Properties of the pure calculation (kuajing.tax.calc), policy-rules.md §1.2–§1.5."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuajing.tax import calc
from kuajing.tax.calc import Channel, Item, Order, Policy, ReasonCode, allocate

POLICY_2019 = Policy(single_limit=Decimal("5000.00"), annual_limit=Decimal("26000.00"), factor=Decimal("0.7"),
                     tariff_within_limit=Decimal(0), full_rate_single_item=True)
POLICY_2016 = Policy(single_limit=Decimal("2000.00"), annual_limit=Decimal("20000.00"), factor=Decimal("0.7"),
                     tariff_within_limit=Decimal(0), full_rate_single_item=False)
DAY = date(2025, 6, 1)

fen = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
positive_fen = st.integers(min_value=1, max_value=2_000_000).map(lambda c: Decimal(c) / 100)
rate = st.integers(min_value=0, max_value=6000).map(lambda r: Decimal(r) / 10000)
vat = st.sampled_from([Decimal("0.09"), Decimal("0.13"), Decimal("0.16"), Decimal("0.17")])
items = st.lists(st.builds(Item, goods_value=positive_fen, quantity=st.integers(1, 5), vat_rate=vat,
                           consumption_tax_rate=rate, tariff_rate=rate), min_size=1, max_size=6)


@given(amount=fen, weights=st.lists(positive_fen, min_size=1, max_size=12))
def test_shares_sum_exactly_to_the_amount(amount, weights):
    """R1.4: freight and insurance shares add up to the fen; none negative; each within a fen of exact."""
    shares = allocate(amount, weights)
    assert sum(shares, Decimal(0)) == amount
    total = sum(weights)
    for share, w in zip(shares, weights):
        assert share >= 0 and share == share.quantize(Decimal("0.01"))
        assert abs(share - amount * w / total) < Decimal("0.01")


def test_allocation_is_deterministic_ties_to_the_first():
    assert allocate(Decimal("0.01"), [Decimal(1), Decimal(1)]) == [Decimal("0.01"), Decimal("0.00")]
    assert allocate(Decimal("0.02"), [Decimal(1)] * 3) == [Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]


@settings(max_examples=200)
@given(lines=items, freight=fen, insured=fen, prior=fen)
def test_order_tax_is_the_sum_of_rounded_item_taxes(lines, freight, insured, prior):
    """§1 rounding: each item tax is rounded to the fen; the order's tax is their sum."""
    q = calc.quote(Order(DAY, tuple(lines), freight, insured, prior), POLICY_2019)
    for i in q.items:
        for amount in (i.duty, i.consumption_tax, i.vat):
            assert amount == amount.quantize(Decimal("0.01")) and amount >= 0
    assert q.total == sum((i.total for i in q.items), Decimal(0))
    assert q.total == q.duty + q.vat + q.consumption_tax
    assert sum((i.taxable_price for i in q.items), Decimal(0)) == q.taxable_price
    if q.channel is Channel.REJECTED:
        assert q.total == 0 and q.reason_code is not None
    assert q.steps[-1].amount == q.total


@given(lines=items, freight=fen, insured=fen, prior=fen)
def test_channel_follows_the_limits(lines, freight, insured, prior):
    """R1.6–R1.11 as a decision table ("exceeds" means strictly above)."""
    q = calc.quote(Order(DAY, tuple(lines), freight, insured, prior), POLICY_2019)
    price = sum(i.goods_value for i in lines) + freight + insured
    pieces = sum(i.quantity for i in lines)
    if price > 5000 and pieces > 1:
        assert q.reason_code is ReasonCode.SINGLE_LIMIT
    elif prior + price > 26000:
        assert q.reason_code is ReasonCode.ANNUAL_LIMIT
    elif price > 5000:
        assert q.channel is Channel.CBEC_FULL_RATE
    else:
        assert q.channel is Channel.CBEC


@given(value=st.integers(1, 500_000).map(lambda c: Decimal(c) / 100), extra=st.integers(1, 100_000),
       v=vat, c=rate, d=rate)
def test_tax_is_monotonic_in_value(value, extra, v, c, d):
    """Within one channel, a dearer item never pays less tax."""
    dearer = value + Decimal(extra) / 100
    def order(x):
        return Order(DAY, (Item(x, 1, v, c, d),))

    low, high = calc.quote(order(value), POLICY_2019), calc.quote(order(dearer), POLICY_2019)
    if low.channel == high.channel:
        assert high.total >= low.total


@given(value=st.integers(1, 500_000).map(lambda c: Decimal(c) / 100), v=vat, c=rate)
def test_within_limit_matches_the_comprehensive_rate_to_a_fen_or_two(value, v, c):
    """§1.4: CT + VAT ≈ P × (c + v) / (1 − c) × 0.7; per-line rounding may differ by at most 1 fen."""
    q = calc.quote(Order(DAY, (Item(value, 1, v, c),)), POLICY_2019)
    one_step = calc.round_fen(value * (c + v) / (1 - c) * Decimal("0.7"))
    assert abs(q.total - one_step) <= Decimal("0.01")


def test_e4_one_step_differs():
    """§1.5 E4: the sum of rounded taxes is 53.66, the one-step formula 53.67."""
    q = calc.quote(Order(DAY, (Item(Decimal(300), 1, Decimal("0.13"), Decimal("0.10")),)), POLICY_2019)
    assert q.total == Decimal("53.66")
    assert calc.round_fen(Decimal(300) * Decimal("0.23") / Decimal("0.9") * Decimal("0.7")) == Decimal("53.67")


def test_before_2019_single_item_over_limit_is_rejected():
    q = calc.quote(Order(date(2018, 1, 2), (Item(Decimal("2000.01"), 1, Decimal("0.17"), tariff_rate=Decimal("0.1")),)),
                   POLICY_2016)
    assert q.reason_code is ReasonCode.SINGLE_LIMIT
    ok = calc.quote(Order(date(2018, 1, 2), (Item(Decimal("2000.00"), 1, Decimal("0.17")),)), POLICY_2016)
    assert ok.channel is Channel.CBEC


def test_full_rate_needs_a_tariff_rate():
    with pytest.raises(calc.MissingTariffRate):
        calc.quote(Order(DAY, (Item(Decimal(6000), 1, Decimal("0.13")),)), POLICY_2019)


def test_percent_and_money_formatting():
    assert calc.percent(Decimal("0.13")) == "13%"
    assert calc.percent(Decimal("0.7")) == "70%"
    assert calc.percent(Decimal("0.075")) == "7.5%"
    assert calc.money(Decimal("0.005")) == "0.01"


@pytest.mark.parametrize(("qty", "pieces"), [("1", 1), ("3", 3), ("0.5", 1), ("2.5", 3), ("0", 1)])
def test_pieces_of_a_declared_quantity(qty, pieces):
    """R1.9 "one item means one piece": a part piece is a piece, and a line has at least one."""
    assert calc.pieces_of(Decimal(qty)) == pieces


@pytest.mark.parametrize(("pieces", "legal", "expected"), [
    (1, [("30", "096")], "30.000"),  # 30 毫升
    (1, [("0.03", "095")], "30.000"),  # 0.03 升 = 30 ml
    (2, [("0.1", "035")], "50.000"),  # 0.1 千克 over two pieces = 50 g each
    (3, [("100", "036")], "33.333"),  # 100 克 over three pieces, to 0.001
    (1, [("0.000002", "070")], "2.000"),  # tonnes, for completeness
    (2, [("2", "011"), ("100", "036")], "50.000"),  # unit1 件 measures nothing: the second legal unit
    (1, [("1", "007"), (None, None)], None),  # no content unit: unknown
    (1, [("0", "096")], None),  # no quantity: unknown
    (1, [("2000", "070")], None),  # beyond a tonne a piece: not a retail piece
])
def test_net_content_from_the_legal_quantities(pieces, legal, expected):
    """ml or g per piece from 法定数量 in a mass or volume unit (JGS-20: 035 千克, 036 克, 070 吨, 095 升, 096 毫升)."""
    got = calc.net_content_from_legal(pieces, *[(Decimal(q) if q is not None else None, u) for q, u in legal])
    assert got == (Decimal(expected) if expected is not None else None)
