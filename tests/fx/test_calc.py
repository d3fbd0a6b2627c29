"""Pure FX calculations against hand-computed cases (policy-rules §6, section in each test's name)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kuajing.fx import calc
from kuajing.fx.choices import AdvanceDutyReason, Ageing, SettlementStatus
from kuajing.rules import rule

D = date.fromisoformat
EXPORT = D("2025-10-10")


def bounds(on: date = EXPORT) -> dict:
    """The R6.7 bounds in force (30 / 90 / 30 days)."""
    return {"advance_days": rule("fx.advance_receipt_days", on).value,
            "deferred_days": rule("fx.deferred_receipt_days", on).value,
            "report_days": rule("fx.trade_credit_report_days", on).value}


def test_r6_2_netting_worked_example():
    # policy-rules R6.2: USD 100,000 sold; storage 5,000 + last-mile 4,000 + destination VAT 3,000 deducted abroad;
    # 88,000 repatriated. BoP: actual 88,000; restored export 100,000, services 9,000, taxes 3,000.
    n = calc.netting(actual=Decimal("88000"), fees=[("storage", Decimal("5000")), ("logistics", Decimal("4000")),
                                                    ("tax", Decimal("3000"))])
    assert n.actual == Decimal("88000.00")
    assert n.export_receipt == Decimal("100000.00")
    assert n.service_payments == Decimal("9000.00")
    assert n.tax_payments == Decimal("3000.00")
    assert n.netted == Decimal("12000.00")


def test_netting_without_fees_restores_the_receipt_itself():
    n = calc.netting(actual=Decimal("1234.56"), fees=[])
    assert (n.export_receipt, n.service_payments, n.tax_payments) == (Decimal("1234.56"), 0, 0)


def test_the_r6_7_bounds_are_30_90_30_days():
    assert bounds() == {"advance_days": 30, "deferred_days": 90, "report_days": 30}


@pytest.mark.parametrize(("received", "bucket", "days", "report_due"), [
    # export 2025-10-10; 2025-09-09 is 31 days before → advance beyond 30 days, report by 2025-11-09 (export + 30)
    ("2025-09-09", Ageing.advance_over_limit, -31, "2025-11-09"),
    ("2025-09-10", Ageing.advance, -30, None),  # exactly 30 days before: not beyond the bound
    ("2025-10-09", Ageing.advance, -1, None),
    ("2025-10-10", Ageing.normal, 0, None),
    # Oct 10 → Jan 8: 21 (rest of Oct) + 30 (Nov) + 31 (Dec) + 8 = 90 days: still normal
    ("2026-01-08", Ageing.normal, 90, None),
    # 91 days after export → deferred beyond 90 days, report within 30 days of the receipt: 2026-02-08
    ("2026-01-09", Ageing.deferred_over_limit, 91, "2026-02-08"),
])
def test_r6_7_ageing_buckets(received, bucket, days, report_due):
    got = calc.ageing(received_on=D(received), exported_on=EXPORT, **bounds())
    assert got.bucket is bucket and got.days == days
    assert got.report_due == (D(report_due) if report_due else None)
    assert got.flagged is (report_due is not None)


def test_a_receipt_before_any_export_is_not_exported_yet():
    got = calc.ageing(received_on=D("2025-09-01"), exported_on=None, **bounds())
    assert got.bucket is Ageing.not_exported and not got.flagged


def test_r6_7_a_list_still_unpaid_after_90_days_is_flagged():
    b = bounds()
    kw = {"exported_on": EXPORT, "deferred_days": b["deferred_days"], "report_days": b["report_days"]}
    assert calc.outstanding_overdue(outstanding=Decimal("1"), today=D("2026-01-08"), **kw) is None  # day 90
    assert calc.outstanding_overdue(outstanding=Decimal("1"), today=D("2026-01-09"), **kw) == D("2026-02-07")
    assert calc.outstanding_overdue(outstanding=Decimal("0"), today=D("2026-06-01"), **kw) is None  # fully paid


@pytest.mark.parametrize(("declared", "settled", "status"), [
    ("100", "0", SettlementStatus.unsettled), ("100", "40", SettlementStatus.partial),
    ("100", "100", SettlementStatus.settled), ("100", "100.01", SettlementStatus.over_settled)])
def test_settlement_status(declared, settled, status):
    assert calc.settlement_status(declared=Decimal(declared), settled=Decimal(settled)) is status


def test_r6_3_difference_is_listed_not_forced():
    # declared USD 20,000 at 7.11 = CNY 142,200.00; USD 15,000 received at 7.08 = CNY 106,200.00
    d = calc.Difference(Decimal("142200.00"), Decimal("106200.00"))
    assert d.difference == Decimal("-36000.00")
    assert d.ratio == Decimal("0.7468")  # 106,200 / 142,200 = 0.746835…


ADVANCED = D("2025-01-15")


@pytest.mark.parametrize(("repaid", "affiliated", "reasons"), [
    # zone plan 内政字〔2023〕99号 / R6.4: 12 months ([U], rule fx.advance_max_months); term end 2026-01-15
    ("2025-12-15", True, ()),  # 11 months, affiliated: no duty
    ("2026-02-15", True, (AdvanceDutyReason.over_max_term,)),  # 13 months: longer than 12
    ("2025-12-15", False, (AdvanceDutyReason.non_affiliated,)),  # 11 months but non-affiliated
    ("2026-02-15", False, (AdvanceDutyReason.non_affiliated, AdvanceDutyReason.over_max_term)),
    ("2026-01-15", True, ()),  # exactly 12 months is not "longer than 12 months"
    ("2026-01-16", True, (AdvanceDutyReason.over_max_term,)),
])
def test_r6_4_advance_report_duty(repaid, affiliated, reasons):
    months = rule("fx.advance_max_months", ADVANCED).value
    assert months == 12
    got = calc.advance_duty(advanced_on=ADVANCED, repaid_on=D(repaid), today=D("2026-11-27"), affiliated=affiliated,
                            max_months=months)
    assert got.reasons == reasons and got.report is bool(reasons)
    assert got.term_end == D("2026-01-15")


def test_an_open_advance_passes_the_term_with_time():
    kw = {"advanced_on": ADVANCED, "repaid_on": None, "affiliated": True, "max_months": 12}
    assert not calc.advance_duty(today=D("2025-12-15"), **kw).report  # 11 months open
    assert calc.advance_duty(today=D("2026-02-15"), **kw).reasons == (AdvanceDutyReason.over_max_term,)


def test_r6_5_quota_counts_only_settlements_without_evidence():
    quota = rule("fx.individual_quota_usd", D("2025-12-31")).value
    assert quota == Decimal("50000")
    view = calc.quota_view(year=2025, quota_usd=quota, settlements=[
        (Decimal("30000.00"), True),  # with evidence: outside the quota
        (Decimal("20000.00"), False),
        (Decimal("11700.00"), False),
    ])
    assert view.used_usd == Decimal("31700.00") and view.exempt_usd == Decimal("30000.00")
    assert view.remaining_usd == Decimal("18300.00") and not view.over
    full = calc.quota_view(year=2025, quota_usd=quota, settlements=[(Decimal("50000.01"), False)])
    assert full.remaining_usd == 0 and full.over


def test_convert_through_cny_rates_half_up():
    # EUR 10,000 at 8.3187 CNY/EUR, USD at 7.1100 CNY/USD → 83,187 / 7.11 = USD 11,700.00
    assert calc.convert(Decimal("10000"), from_rate=Decimal("8.3187"), to_rate=Decimal("7.1100")) == Decimal("11700.00")
    assert calc.convert(Decimal("1"), from_rate=Decimal("1"), to_rate=Decimal("3")) == Decimal("0.33")
    assert calc.convert(Decimal("5"), from_rate=Decimal("1"), to_rate=Decimal("3")) == Decimal("1.67")
