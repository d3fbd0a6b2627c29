"""Pure risk rules, credit grading and data-export thresholds, with hand-built cases at each threshold edge
(defaults of rules.json ``risk.*``; CAC Order 16 thresholds R11.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kuajing.risk import calc
from kuajing.risk.choices import CreditGrade

D = Decimal
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


# --- quota: 90% of the annual limit (26,000.00 CNY, 财关税〔2018〕49号) ------------------------------------


def test_quota_fires_at_exactly_ninety_percent():
    # 0.90 × 26,000.00 = 23,400.00: 23,397.40 is 89.99 %, 23,400.00 is 90.00 %
    near = calc.quota_near_limit(used=D("20000.00"), reserved=D("3397.40"), limit=D("26000.00"), ratio=D("0.90"))
    at = calc.quota_near_limit(used=D("20000.00"), reserved=D("3400.00"), limit=D("26000.00"), ratio=D("0.90"))
    assert not near.fired and near.details["share_pct"] == "89.99"
    assert at.fired and at.details["share_pct"] == "90.00" and at.details["threshold_pct"] == "90.00"


def test_quota_one_fen_under_ninety_percent_is_silent():
    assert not calc.quota_near_limit(used=D("23399.99"), reserved=D("0"), limit=D("26000.00"), ratio=D("0.90")).fired


# --- identity reuse: 3 consignees or phones in 30 days ---------------------------------------------------


def _contact(days_ago: float, consignee: str, phone: str) -> calc.ParcelContact:
    return calc.ParcelContact(T0 - timedelta(days=days_ago), consignee, phone)


def test_two_consignees_are_silent_three_fire():
    two = [_contact(1, "c1", "p1"), _contact(2, "c2", "p1"), _contact(3, "c1", "p1")]
    three = [*two, _contact(4, "c3", "p1")]
    kw = {"at": T0, "window_days": 30, "max_distinct": 3}
    v2 = calc.identity_reuse(parcels=two, **kw)
    v3 = calc.identity_reuse(parcels=three, **kw)
    assert not v2.fired and v2.details["consignees"] == 2 and v2.details["phones"] == 1
    assert v3.fired and v3.details["consignees"] == 3


def test_three_phones_fire_with_one_consignee():
    parcels = [_contact(0, "c1", "p1"), _contact(10, "c1", "p2"), _contact(20, "c1", "p3")]
    v = calc.identity_reuse(parcels=parcels, at=T0, window_days=30, max_distinct=3)
    assert v.fired and v.details == {**v.details, "consignees": 1, "phones": 3}


def test_a_parcel_thirty_days_back_is_outside_the_window():
    # the window is (at − 30 days, at]: exactly 30 days ago is out, 29 days 23 h is in
    out = [_contact(0, "c1", "p1"), _contact(1, "c2", "p1"), _contact(30, "c3", "p1")]
    inside = [_contact(0, "c1", "p1"), _contact(1, "c2", "p1"), _contact(29.99, "c3", "p1")]
    assert not calc.identity_reuse(parcels=out, at=T0, window_days=30, max_distinct=3).fired
    assert calc.identity_reuse(parcels=inside, at=T0, window_days=30, max_distinct=3).fired


# --- split orders: same buyer and goods, 3 parcels within 24 hours -----------------------------------------


def _goods(hours: float, key: str = "g1", ref: str = "") -> calc.ParcelGoods:
    return calc.ParcelGoods(T0 + timedelta(hours=hours), key, ref or f"L{hours}")


def test_three_parcels_within_twenty_four_hours_fire_two_do_not():
    kw = {"window_hours": 24, "min_parcels": 3}
    assert not calc.split_orders(parcels=[_goods(0), _goods(5)], **kw).fired
    v = calc.split_orders(parcels=[_goods(0), _goods(5), _goods(24)], **kw)  # 24 h exactly: inside
    assert v.fired and v.details["parcels"] == 3 and v.details["references"] == ["L0", "L5", "L24"]


def test_three_parcels_over_more_than_twenty_four_hours_are_silent():
    kw = {"window_hours": 24, "min_parcels": 3}
    assert not calc.split_orders(parcels=[_goods(0), _goods(12), _goods(24.01)], **kw).fired


def test_different_goods_are_not_split_orders():
    kw = {"window_hours": 24, "min_parcels": 3}
    assert not calc.split_orders(parcels=[_goods(0, "g1"), _goods(1, "g2"), _goods(2, "g1")], **kw).fired


# --- undervaluation: below 30% of the heading's median, at least 20 samples --------------------------------


def test_nineteen_samples_are_not_enough_twenty_are():
    samples19 = [D("100.00")] * 19
    v19 = calc.undervaluation(unit_price=D("10.00"), samples=samples19, ratio=D("0.30"), min_samples=20)
    v20 = calc.undervaluation(unit_price=D("10.00"), samples=[*samples19, D("100.00")], ratio=D("0.30"),
                              min_samples=20)
    assert not v19.fired and v19.details["samples"] == 19
    assert v20.fired and v20.details["median"] == "100.00" and v20.details["share_pct"] == "10.00"


def test_price_at_thirty_percent_is_silent_just_below_fires():
    # median of 20 samples 100.00 → floor 30.00; 29.99 is 29.99 % (fires), 30.00 is 30 % (silent)
    samples = [D("100.00")] * 20
    below = calc.undervaluation(unit_price=D("29.99"), samples=samples, ratio=D("0.30"), min_samples=20)
    at = calc.undervaluation(unit_price=D("30.00"), samples=samples, ratio=D("0.30"), min_samples=20)
    assert below.fired and below.details["share_pct"] == "29.99"
    assert not at.fired


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    samples = [D(x) for x in range(1, 21)]  # 1..20 → median (10 + 11) / 2 = 10.5; floor 3.15
    v = calc.undervaluation(unit_price=D("3.14"), samples=samples, ratio=D("0.30"), min_samples=20)
    assert v.fired and v.details["median"] == "10.50"
    assert not calc.undervaluation(unit_price=D("3.15"), samples=samples, ratio=D("0.30"), min_samples=20).fired


# --- credit grades ------------------------------------------------------------------------------------------


def _inputs(**kw):
    base = {"declarations": 100, "rejections": 0, "inspections": 0, "risk_hits": 0, "due_filings": 12,
            "on_time_filings": 12}
    return calc.CreditInputs(**{**base, **kw})


def test_a_clean_record_is_aaa_with_every_factor_explained():
    r = calc.credit_grade(_inputs())
    assert r.grade == CreditGrade.AAA and r.score == D("100.00") and r.capped_by is None
    assert [f.factor for f in r.factors] == ["rejections", "inspections", "risk_hits", "punctuality"]
    assert all(f.points == 0 for f in r.factors)


def test_deductions_hand_computed():
    # 10/100 rejected → 40 × 0.10 = 4.00; 5/100 inspected → 20 × 0.05 = 1.00; 2 hits → 10.00;
    # 3 of 12 filings late → 30 × 0.25 = 7.50; 100 − 22.50 = 77.50 → A (70 ≤ s < 80)
    r = calc.credit_grade(_inputs(rejections=10, inspections=5, risk_hits=2, on_time_filings=9))
    points = {f.factor: f.points for f in r.factors}
    assert points == {"rejections": D("4.00"), "inspections": D("1.00"), "risk_hits": D("10.00"),
                      "punctuality": D("7.50")}
    assert r.score == D("77.50") and r.grade == CreditGrade.A
    late = next(f for f in r.factors if f.factor == "punctuality")
    assert late.figures == {"due": 12, "on_time": 9, "late": 3}


def test_band_edges():
    # 2 hits = 10 points → 90.00 exactly: AAA; 25 rejections of 100 = 10 points + 1 hit 5 → 85: AA
    assert calc.credit_grade(_inputs(risk_hits=2)).grade == CreditGrade.AAA
    assert calc.credit_grade(_inputs(risk_hits=2, inspections=1)).grade == CreditGrade.AA  # 89.80
    assert calc.credit_grade(_inputs(risk_hits=4)).grade == CreditGrade.AA  # 80.00
    assert calc.credit_grade(_inputs(risk_hits=6)).grade == CreditGrade.A  # 70.00 (hits capped at 30)
    assert calc.credit_grade(_inputs(risk_hits=9)).score == D("70.00")
    assert calc.credit_grade(_inputs(risk_hits=6, inspections=50)).grade == CreditGrade.BBB  # 60.00
    assert calc.credit_grade(_inputs(risk_hits=6, inspections=51)).grade == CreditGrade.BB  # 59.80


def test_short_history_caps_at_a_and_blacklist_means_bb():
    r = calc.credit_grade(_inputs(declarations=19))
    assert r.grade == CreditGrade.A and r.capped_by == "history" and r.score == D("100.00")
    assert calc.credit_grade(_inputs(declarations=20)).grade == CreditGrade.AAA
    b = calc.credit_grade(_inputs(blacklisted=True))
    assert b.grade == CreditGrade.BB and b.capped_by == "blacklist"


def test_no_declarations_no_filings_divides_by_nothing():
    r = calc.credit_grade(calc.CreditInputs(0, 0, 0, 0, 0, 0))
    assert r.score == D("100.00") and r.grade == CreditGrade.A


# --- data export thresholds (CAC Order 16, R11.5) ---------------------------------------------------------

LIMITS = calc.ExportThresholds(contract_nonsensitive_ge=100_000, assessment_nonsensitive_ge=1_000_000,
                               assessment_sensitive_ge=10_000, warning_ratio=D("0.80"))


def _levels(plain, sens):
    return {r.name: r.level for r in calc.threshold_status(non_sensitive=plain, sensitive=sens, limits=LIMITS)}


def test_nonsensitive_around_one_hundred_thousand():
    assert _levels(79_999, 0)["contract_nonsensitive"] == "ok"
    assert _levels(80_000, 0)["contract_nonsensitive"] == "warning"  # 80 % of 100,000
    assert _levels(99_999, 0)["contract_nonsensitive"] == "warning"
    assert _levels(100_000, 0)["contract_nonsensitive"] == "reached"
    assert calc.required_route(non_sensitive=99_999, sensitive=0, limits=LIMITS) == "exempt"
    assert calc.required_route(non_sensitive=100_000, sensitive=0, limits=LIMITS) == "standard_contract"


def test_nonsensitive_around_one_million():
    assert _levels(799_999, 0)["assessment_nonsensitive"] == "ok"
    assert _levels(800_000, 0)["assessment_nonsensitive"] == "warning"
    assert _levels(999_999, 0)["assessment_nonsensitive"] == "warning"
    assert _levels(1_000_000, 0)["assessment_nonsensitive"] == "reached"
    assert calc.required_route(non_sensitive=999_999, sensitive=0, limits=LIMITS) == "standard_contract"
    assert calc.required_route(non_sensitive=1_000_000, sensitive=0, limits=LIMITS) == "security_assessment"


def test_sensitive_around_ten_thousand():
    assert _levels(0, 7_999)["assessment_sensitive"] == "ok"
    assert _levels(0, 8_000)["assessment_sensitive"] == "warning"
    assert _levels(0, 9_999)["assessment_sensitive"] == "warning"
    assert _levels(0, 10_000)["assessment_sensitive"] == "reached"
    assert calc.required_route(non_sensitive=0, sensitive=1, limits=LIMITS) == "standard_contract"
    assert calc.required_route(non_sensitive=0, sensitive=9_999, limits=LIMITS) == "standard_contract"
    assert calc.required_route(non_sensitive=0, sensitive=10_000, limits=LIMITS) == "security_assessment"


def test_warning_start_rounds_up():
    assert calc.warn_at(100_000, D("0.80")) == 80_000
    assert calc.warn_at(10_000, D("0.333")) == 3_330
    assert calc.warn_at(7, D("0.5")) == 4


def test_distinct_counts_leave_out_exempt_and_count_each_person_once():
    rows = [("p1", False, False), ("p1", False, False), ("p2", False, True), ("p3", True, False),
            ("p1", True, False), ("p4", True, True)]
    assert calc.distinct_counts(rows) == (1, 2)
