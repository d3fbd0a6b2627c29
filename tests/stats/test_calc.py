"""Pure calculations of the statistics (no database), each checked against a hand-computed example."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from kuajing.stats import calc


def test_split_value_keeps_the_total_to_the_fen():
    # 100.00 over 1:1:1 → 33.33 ×3 = 99.99; the remaining fen goes on the largest (first of equals)
    assert calc.split_value(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    # taxable price 130.00 over goods prices 60 and 40 → 78.00 and 52.00
    assert calc.split_value(D("130.00"), [D(60), D(40)]) == [D("78.00"), D("52.00")]
    assert calc.split_value(D("10.00"), [D(0), D(0)]) == [D("5.00"), D("5.00")]


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.lists(st.decimals(min_value=0, max_value=10**6,
                                                                                 places=2), min_size=1, max_size=8))
def test_split_value_always_adds_up(total, weights):
    assert sum(calc.split_value(total, weights), D(0)) == total


def test_fact_rows_group_by_country_and_heading_and_count_the_parcel_once():
    lines = [calc.Line(2, "6110110000", "304", "142", D("50"), D("50")),
             calc.Line(1, "6110200000", "304", "142", D("30"), D("30")),
             calc.Line(3, "0402210000", "601", "142", D("20"), D("20"))]
    rows = {(r.country, r.hs_heading): r for r in calc.fact_rows(lines)}
    assert set(rows) == {("304", "6110"), ("601", "0402")}
    assert rows[("304", "6110")].value_cny == D("80") and rows[("304", "6110")].lines == 2
    assert rows[("304", "6110")].parcels == 1 and rows[("601", "0402")].parcels == 0
    reversed_ = calc.fact_rows(lines, sign=-1)
    assert sum(r.parcels for r in reversed_) == -1 and sum(r.value_cny for r in reversed_) == D("-100")


def test_fact_rows_without_a_rate_wait():
    rows = calc.fact_rows([calc.Line(1, "6110", "502", "502", D("10"), None)])
    assert rows[0].value_cny is None and rows[0].amount == D("10")


def test_heading_pads_simplified_codes():
    assert calc.heading("6110200000") == "6110" and calc.heading("61") == "6100" and calc.heading("") == "0000"


def test_window_and_months():
    assert calc.window(date(2026, 10, 17), 12) == (date(2025, 11, 1), date(2026, 10, 1))
    assert calc.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert len(calc.months_between(date(2025, 11, 1), date(2026, 10, 1))) == 12


def test_project_value_run_rate_worked_example():
    # 2026: Jan–Sep 10 M each (90 M), October so far 4 M, as of 2026-10-15.
    # run rate = mean(Jul, Aug, Sep) = 10 M; Nov + Dec = 20 M; the rest of October = 10 − 4 = 6 M
    # → 90 + 4 + 20 + 6 = 120 M
    monthly = {date(2026, m, 1): D(10_000_000) for m in range(1, 10)}
    monthly[date(2026, 10, 1)] = D(4_000_000)
    assert calc.project_value(monthly, year=2026, as_of=date(2026, 10, 15)) == D("120000000.00")
    # a past year: the projection is the actual
    assert calc.project_value(monthly, year=2026, as_of=date(2027, 2, 1)) == D(94_000_000)


def test_project_count_worked_example():
    # 40 enterprises before 2026, 10 new in Jan–May 2026 (as of 2026-05-31): 2/month → +14 by December → 64
    firsts = [date(2025, 3, 1)] * 40 + [date(2026, 2, 1)] * 10
    assert calc.project_count(firsts, year=2026, as_of=date(2026, 5, 31)) == 64


def test_target_status():
    assert calc.target_status(actual=D(60), projected=D(60), minimum=D(50), maximum=None) == "met"
    assert calc.target_status(actual=D(30), projected=D(55), minimum=D(50), maximum=None) == "on_track"
    assert calc.target_status(actual=D(30), projected=D(45), minimum=D(50), maximum=None) == "behind"
    assert calc.target_status(actual=D(6), projected=D(6), minimum=D(3), maximum=D(5)) == "over"
    assert calc.target_status(actual=D(4), projected=D(4), minimum=D(3), maximum=D(5)) == "met"


def test_growth_and_combined_scope():
    assert calc.growth(D(120), D(100)) == D("20.0") and calc.growth(D(1), D(0)) is None
    assert calc.combined_scope(D(100), {(1, "express"): D(5), (2, "postal"): D(7)}) == D(112)
