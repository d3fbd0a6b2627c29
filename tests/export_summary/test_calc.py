"""Pure calculations: the eight-key grouping (R3.2), the deadline roll, the register fields and eligibility,
the deemed-profit CIT estimate (R3.7). Hand-built cases from shared/reference/policy-rules.md §3."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuajing.export_summary import calc
from kuajing.export_summary.calc import GROUP_KEYS
from tests.export_summary.helpers import CNY, MN, ROAD, RU, line, twelve_lists, variant

MARCH_2025 = date(2025, 3, 1)


# --- grouping ------------------------------------------------------------------------------------------


def test_twelve_lists_form_exactly_three_declarations():
    """§3.3: 5 US/USD + 4 US/CNY + 3 MN/USD lists of consignor A, air, Baotou → 3 declaration lines."""
    grouping = calc.group_for_summary(twelve_lists(), MARCH_2025)
    assert len(grouping.groups) == 3
    sizes = {(g.keys["final_destination"], g.keys["currency"]): len(g.list_nos) for g in grouping.groups}
    assert sizes == {("502", "502"): 5, ("502", CNY): 4, (MN, "502"): 3}
    assert not grouping.excluded
    # every list in exactly one group
    assert sorted(n for g in grouping.groups for n in g.list_nos) == sorted(x.list_no for x in twelve_lists())


@pytest.mark.parametrize("key", GROUP_KEYS)
def test_one_differing_key_makes_a_separate_group(key):
    base = line(1)
    other_value = {"consignor": "1502960XYZ", "transport_mode": ROAD, "producer_seller": "1502960PRD",
                   "arrival_country": RU, "exit_customs": "0706", "final_destination": RU,
                   "hs_code": "6110120010", "currency": CNY}[key]
    same = variant(base, list_no="07032025E000000002")
    different = variant(base, list_no="07032025E000000003", **{key: other_value})
    grouping = calc.group_for_summary([base, same, different], MARCH_2025)
    assert len(grouping.groups) == 2
    by_value = {g.keys[key]: g.list_nos for g in grouping.groups}
    assert by_value[getattr(base, key)] == (base.list_no, same.list_no)
    assert by_value[other_value] == (different.list_no,)


def test_fields_outside_the_keys_do_not_split_a_group():
    base = line(1)
    other = variant(base, list_no="L2", goods_name="别的名字", unit="035", amount=Decimal("9.99"),
                    declare_customs="0706", agent_code="OTHER", item_no="X")
    assert len(calc.group_for_summary([base, other], MARCH_2025).groups) == 1


def test_lines_of_one_list_with_two_hs_codes_go_to_two_groups():
    first = line(1, gnum=1)
    second = variant(first, gnum=2, hs_code="6110120010")
    grouping = calc.group_for_summary([first, second], MARCH_2025)
    assert [g.list_nos for g in grouping.groups] == [(first.list_no,), (first.list_no,)]
    assert sorted(len(g.lines) for g in grouping.groups) == [1, 1]


def test_release_month_is_the_shanghai_date():
    """23:30 on 31 January in Shanghai is January; 00:10 on 1 February in Shanghai (still 31 January in UTC)
    is February."""
    late_january = line(1, released="2026-01-31 23:30")
    early_february = line(2, released="2026-02-01 00:10")
    assert early_february.released_at.astimezone(calc.SHANGHAI).date() == date(2026, 2, 1)
    from datetime import UTC

    assert early_february.released_at.astimezone(UTC).date() == date(2026, 1, 31)
    january = calc.group_for_summary([late_january, early_february], date(2026, 1, 1))
    february = calc.group_for_summary([late_january, early_february], date(2026, 2, 1))
    assert [g.list_nos for g in january.groups] == [(late_january.list_no,)]
    assert [g.list_nos for g in february.groups] == [(early_february.list_no,)]
    assert [(x.list_no, why) for x, why in january.excluded] == [(early_february.list_no, "other_month")]


def test_simplified_and_b2b_lists_are_left_out_with_the_reason():
    lines = [line(1), line(2, statistics_flag="A"), line(3, trade_mode="9710"), line(4, trade_mode="9810")]
    grouping = calc.group_for_summary(lines, MARCH_2025)
    assert [g.list_nos for g in grouping.groups] == [(lines[0].list_no,)]
    assert {x.list_no: why for x, why in grouping.excluded} == {
        lines[1].list_no: "simplified_declaration", lines[2].list_no: "not_retail_export",
        lines[3].list_no: "not_retail_export"}


def test_a_replayed_line_counts_once():
    base = line(1)
    grouping = calc.group_for_summary([base, base, variant(base)], MARCH_2025)
    assert len(grouping.groups) == 1 and len(grouping.groups[0].lines) == 1
    assert grouping.groups[0].total_amount == Decimal("241.00")


def test_naive_release_time_is_refused():
    from datetime import datetime

    with pytest.raises(ValueError):
        variant(line(1), released_at=datetime(2025, 3, 1, 10, 0)).release_day()


_values = st.sampled_from


@st.composite
def released_lines(draw):
    n = draw(st.integers(min_value=0, max_value=40))
    out = []
    for i in range(n):
        out.append(line(i, gnum=draw(st.integers(1, 3)),
                        released=f"2025-{draw(_values(['02-28', '03-01', '03-15', '03-31', '04-01']))} "
                                 f"{draw(_values(['00:05', '12:00', '23:55']))}",
                        consignor=draw(_values(["A", "B"])), transport_mode=draw(_values(["4", "5"])),
                        producer_seller=draw(_values(["A", "P"])), arrival_country=draw(_values(["502", "124"])),
                        exit_customs=draw(_values(["0703", "0706"])), final_destination=draw(_values(["502", "344"])),
                        hs_code=draw(_values(["6110120090", "0409000000"])), currency=draw(_values(["502", "142"])),
                        statistics_flag=draw(_values(["A", "B", "B"])),
                        trade_mode=draw(_values(["9610", "9610", "9710"]))))
    return out


@settings(max_examples=150, deadline=None)
@given(released_lines(), st.randoms())
def test_grouping_is_a_partition_by_the_eight_keys(lines, rnd):
    grouping = calc.group_for_summary(lines, MARCH_2025)
    eligible = {(x.list_no, x.gnum): x for x in lines if calc.summary_eligible(x, MARCH_2025) is None}
    grouped = [(x.list_no, x.gnum) for g in grouping.groups for x in g.lines]
    assert sorted(grouped) == sorted(eligible)  # each eligible line exactly once
    assert len({g.key for g in grouping.groups}) == len(grouping.groups)  # one group per key
    assert len(grouping.groups) == len({x.key() for x in eligible.values()})
    for g in grouping.groups:
        assert all(x.key() == g.key for x in g.lines)
        assert all(x.release_day().replace(day=1) == MARCH_2025 for x in g.lines)
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    assert calc.group_for_summary(shuffled, MARCH_2025) == grouping  # order of arrival does not matter


# --- deadline -------------------------------------------------------------------------------------------


def weekends_only(day: date) -> bool:
    return day.weekday() < 5


def test_deadline_is_the_15th_when_it_is_a_working_day():
    """§3.3: March 2025 lists are due 2025-04-15 (a Tuesday)."""
    assert calc.summary_deadline(MARCH_2025, deadline_day=15, is_working=weekends_only) == date(2025, 4, 15)


def test_deadline_rolls_over_a_weekend():
    # 2025-03-15 is a Saturday → Monday 2025-03-17
    assert calc.summary_deadline(date(2025, 2, 1), deadline_day=15, is_working=weekends_only) == date(2025, 3, 17)


def test_december_lists_are_due_in_january():
    assert calc.summary_deadline(date(2025, 12, 1), deadline_day=15, is_working=weekends_only) == date(2026, 1, 15)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 1)),
       st.sets(st.integers(min_value=0, max_value=40), max_size=25),
       st.sets(st.integers(min_value=0, max_value=40), max_size=5))
def test_deadline_is_the_first_working_day_from_the_15th(month, holidays, workdays):
    nominal = calc.next_month(month.replace(day=1)).replace(day=15)
    off = {nominal + timedelta(days=d) for d in holidays}
    on = {nominal + timedelta(days=d) for d in workdays if (nominal + timedelta(days=d)).weekday() >= 5}

    def working(day: date) -> bool:
        return day in on or (day.weekday() < 5 and day not in off)

    due = calc.summary_deadline(month, deadline_day=15, is_working=working)
    assert due >= nominal and working(due)
    assert all(not working(nominal + timedelta(days=d)) for d in range((due - nominal).days))


def test_working_days_before_skips_rest_days():
    # Monday 2025-04-14 is 1 working day before Tuesday 2025-04-15; 5 before is Tuesday 2025-04-08
    assert calc.working_days_before(date(2025, 4, 15), 1, weekends_only) == date(2025, 4, 14)
    assert calc.working_days_before(date(2025, 4, 15), 5, weekends_only) == date(2025, 4, 8)
    assert calc.working_days_before(date(2025, 4, 15), 0, weekends_only) == date(2025, 4, 15)


# --- register fields and eligibility (财税〔2018〕103号) -------------------------------------------------


def test_register_row_keeps_the_six_fields_with_the_shanghai_export_date():
    row = calc.register_row(line(1, released="2026-02-01 00:10", goods_name=" 羊绒衫 "))
    assert row == calc.RegisterRow(export_date=date(2026, 2, 1), goods_name="羊绒衫", unit="011",
                                   quantity=Decimal("2"), unit_price=Decimal("120.50"), amount=Decimal("241.00"))


def test_register_covers_9610_only():
    assert calc.register_scope(line(1))
    assert not calc.register_scope(line(1, trade_mode="9710"))
    assert not calc.register_scope(line(1, trade_mode="9810"))


STEEL = calc.ExcludedGoods(hs_prefix="7208", valid_from=date(2021, 5, 1), valid_to=None, name="热轧钢材",
                           reason="rebate_cancelled", source="2021年第16号")


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, []),
    ({"zone_enterprise": False}, ["not_zone_enterprise"]),
    ({"declare_customs": "0101", "exit_customs": "0101"}, ["not_zone_customs"]),
    ({"declare_customs": "", "exit_customs": "0706"}, []),  # no declaring office given: the exit office counts
    ({"hs_code": "7208100000"}, ["excluded_goods"]),
    ({"hs_code": "7208100000", "on": date(2021, 4, 30)}, []),  # the day before the cancellation took effect
    ({"zone_enterprise": False, "declare_customs": "0101", "hs_code": "7208100000"},
     ["not_zone_enterprise", "not_zone_customs", "excluded_goods"]),
])
def test_eligibility_has_three_conditions(kwargs, expected):
    args = {"zone_enterprise": True, "declare_customs": "0703", "exit_customs": "0703", "hs_code": "6110120090",
            "on": date(2025, 3, 1), "zone_customs": frozenset({"0703", "0706"}), "excluded": [STEEL], **kwargs}
    assert calc.eligibility(**args) == expected


# --- CIT on deemed profit (R3.7) --------------------------------------------------------------------------

BANDS_2023 = (calc.ReliefBand(Decimal(1000000), Decimal("0.05")), calc.ReliefBand(Decimal(3000000), Decimal("0.05")))
BANDS_2020 = (calc.ReliefBand(Decimal(1000000), Decimal("0.05")), calc.ReliefBand(Decimal(3000000), Decimal("0.10")))


def _estimate(revenue, bands=BANDS_2023, employees=50, assets=Decimal(10000000)):
    return calc.cit_estimate(revenue=Decimal(revenue), deemed_rate=Decimal("0.04"), standard_rate=Decimal("0.25"),
                             bands=bands, max_taxable_income=Decimal(3000000), max_employees=300,
                             max_assets=Decimal(50000000), employees=employees, assets=assets)


def test_worked_example_of_policy_rules_3_5():
    """Revenue 8,000,000 → taxable 320,000; 25 % = 80,000; small low-profit (25 % × 20 %) = 16,000."""
    plain = _estimate(8000000, employees=None, assets=None)
    assert plain.taxable_income == Decimal("320000.00") and plain.tax == Decimal("80000.00")
    assert plain.relief_reasons == ("relief_not_claimed",)
    relieved = _estimate(8000000)
    assert relieved.small_low_profit and relieved.tax == Decimal("16000.00")
    assert relieved.standard_tax == Decimal("80000.00")


def test_two_bands_of_2020():
    """财税〔2019〕13号: taxable 2,000,000 = 1,000,000 × 5 % + 1,000,000 × 10 % = 150,000."""
    est = _estimate(50000000, bands=BANDS_2020)
    assert est.taxable_income == Decimal("2000000.00")
    assert [(b[0], b[2]) for b in est.bands] == [(Decimal(1000000), Decimal("50000.00")),
                                                  (Decimal(1000000), Decimal("100000.00"))]
    assert est.tax == Decimal("150000.00")


@pytest.mark.parametrize(("revenue", "employees", "assets", "reasons", "tax"), [
    (75000000, 50, 10000000, (), "150000.00"),  # taxable exactly 3,000,000: still relieved, 5 % of it
    (75000025, 50, 10000000, ("taxable_income_too_high",), "750000.25"),  # taxable 3,000,001.00 → 25 %
    (8000000, 301, 10000000, ("too_many_employees",), "80000.00"),
    (8000000, 300, 50000000, (), "16000.00"),
    (8000000, 300, 50000000.01, ("assets_too_high",), "80000.00"),
])
def test_relief_thresholds(revenue, employees, assets, reasons, tax):
    est = _estimate(revenue, employees=employees, assets=Decimal(str(assets)))
    assert est.relief_reasons == reasons and est.tax == Decimal(tax)


def test_taxable_income_rounds_half_up_to_the_fen():
    # 12.3456 × 4 % = 0.493824 → 0.49; 12.3875 × 4 % = 0.4955 → 0.50
    assert _estimate("12.3456").taxable_income == Decimal("0.49")
    assert _estimate("12.3875").taxable_income == Decimal("0.50")


def test_relieved_tax_of_nothing_is_zero_fen():
    """R3.7 with no revenue: taxable 0.00, relieved tax 0.00 (the page showed "0": no band was reached and the
    sum was the bare Decimal 0, not an amount in fen)."""
    est = _estimate(0)
    assert est.small_low_profit and est.bands == ()
    assert str(est.tax) == "0.00" and str(est.taxable_income) == "0.00"
