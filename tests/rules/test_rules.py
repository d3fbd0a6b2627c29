"""Every boundary of every rule: the day before and the day of each change, hand-computed from
shared/reference/policy-rules.md (the section is in each case's id)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kuajing.errors import AppError
from kuajing.rules import rule
from kuajing.rules.service import definitions

NOT_IN_FORCE = object()
D = date.fromisoformat

CASES = [
    # §1.3 R1.6: single limit 2,000 from 2016-04-08, 5,000 from 2019-01-01 (18号 → 49号)
    ("R1.6 single before 18号", "cbec.single_limit_cny", "2016-04-07", NOT_IN_FORCE),
    ("R1.6 single 18号 day", "cbec.single_limit_cny", "2016-04-08", Decimal(2000)),
    ("R1.6 single last day 2000", "cbec.single_limit_cny", "2018-12-31", Decimal(2000)),
    ("R1.6 single 49号 day", "cbec.single_limit_cny", "2019-01-01", Decimal(5000)),
    # R1.6: annual limit 20,000 → 26,000
    ("R1.6 annual before", "cbec.annual_limit_cny", "2016-04-07", NOT_IN_FORCE),
    ("R1.6 annual 18号 day", "cbec.annual_limit_cny", "2016-04-08", Decimal(20000)),
    ("R1.6 annual last day 20000", "cbec.annual_limit_cny", "2018-12-31", Decimal(20000)),
    ("R1.6 annual 49号 day", "cbec.annual_limit_cny", "2019-01-01", Decimal(26000)),
    # R1.9: full-rate single indivisible item channel starts with 49号
    ("R1.9 before 49号", "cbec.full_rate_single_item", "2018-12-31", False),
    ("R1.9 49号 day", "cbec.full_rate_single_item", "2019-01-01", True),
    # R1.8: duty 0 and the 70% factor from 18号
    ("R1.8 factor before", "cbec.vat_ct_factor_within_limit", "2016-04-07", NOT_IN_FORCE),
    ("R1.8 factor day", "cbec.vat_ct_factor_within_limit", "2016-04-08", Decimal("0.7")),
    ("R1.8 tariff day", "cbec.tariff_rate_within_limit", "2016-04-08", Decimal(0)),
    ("R1.11 comparison", "cbec.limit_comparison", "2019-01-01", "exceeds"),
    # header: VAT 17% → 16% (2018-05-01) → 13% (2019-04-01)
    ("VAT 17 last day", "vat.standard_rate", "2018-04-30", Decimal("0.17")),
    ("VAT 16 first day", "vat.standard_rate", "2018-05-01", Decimal("0.16")),
    ("VAT 16 last day", "vat.standard_rate", "2019-03-31", Decimal("0.16")),
    ("VAT 13 first day", "vat.standard_rate", "2019-04-01", Decimal("0.13")),
    # header: cosmetics consumption tax 30% → 15% on 2016-10-01
    ("cosmetics CT 30 last day", "cosmetics.ct_rate", "2016-09-30", Decimal("0.30")),
    ("cosmetics CT 15 first day", "cosmetics.ct_rate", "2016-10-01", Decimal("0.15")),
    ("§1.4 high-end per ml", "cosmetics.high_end_ml_or_g_cny", "2016-10-01", Decimal(10)),
    ("§1.4 high-end per piece", "cosmetics.high_end_piece_cny", "2016-10-01", Decimal(15)),
    ("§1.4 high-end before", "cosmetics.high_end_piece_cny", "2016-09-30", NOT_IN_FORCE),
    # R1.15 / R2.1: return within 30 days; goods back within 45 days (2020 No.45)
    ("R1.15 apply 30", "cbec.return_apply_days", "2016-04-08", 30),
    ("R2.1 arrive before No.45", "cbec.return_arrive_days", "2020-03-27", NOT_IN_FORCE),
    ("R2.1 arrive 45", "cbec.return_arrive_days", "2020-03-28", 45),
    # R1.14: pay between day 31 and day 45 after release
    ("R1.14 from day", "cbec.tax_pay_from_day", "2019-01-01", 31),
    ("R1.14 by day", "cbec.tax_pay_by_day", "2019-01-01", 45),
    # R3.1: order+receipt+waybill until 2024-12-14, order+waybill from 2024-12-15 (2024 No.167)
    ("R3.1 before 194号", "export.document_check", "2018-12-31", NOT_IN_FORCE),
    ("R3.1 three documents", "export.document_check", "2024-12-14", ("order", "receipt", "waybill")),
    ("R3.1 two documents", "export.document_check", "2024-12-15", ("order", "waybill")),
    # R3.2: summary declaration by the 15th
    ("R3.2 deadline", "export9610.summary_deadline_day", "2025-03-31", 15),
    # R4.5: B2B simplified list ≤ 5,000 from the 9710/9810 pilot (2020-07-01)
    ("R4.5 before pilot", "export.b2b_list_max_value_cny", "2020-06-30", NOT_IN_FORCE),
    ("R4.5 pilot day", "export.b2b_list_max_value_cny", "2020-07-01", Decimal(5000)),
    # R3.5: no-invoice exemption from 2018-10-01
    ("R3.5 before", "export.no_invoice_vat_exemption", "2018-09-30", NOT_IN_FORCE),
    ("R3.5 day", "export.no_invoice_vat_exemption", "2018-10-01", True),
    # R3.7: deemed profit 4% from 2020-01-01
    ("R3.7 before", "cit.deemed_taxable_income_rate", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 day", "cit.deemed_taxable_income_rate", "2020-01-01", Decimal("0.04")),
    # R3.7: CIT 25%; small low-profit relief (小型微利企业) thresholds and effective rates by period [M]
    ("R3.7 CIT rate before", "cit.standard_rate", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 CIT rate day", "cit.standard_rate", "2020-01-01", Decimal("0.25")),
    ("R3.7 SLP income before", "cit.small_low_profit.max_taxable_income_cny", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 SLP income first", "cit.small_low_profit.max_taxable_income_cny", "2020-01-01", Decimal(3000000)),
    ("R3.7 SLP income last", "cit.small_low_profit.max_taxable_income_cny", "2027-12-31", Decimal(3000000)),
    ("R3.7 SLP income after", "cit.small_low_profit.max_taxable_income_cny", "2028-01-01", NOT_IN_FORCE),
    ("R3.7 SLP staff before", "cit.small_low_profit.max_employees", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 SLP staff first", "cit.small_low_profit.max_employees", "2020-01-01", 300),
    ("R3.7 SLP staff last", "cit.small_low_profit.max_employees", "2027-12-31", 300),
    ("R3.7 SLP staff after", "cit.small_low_profit.max_employees", "2028-01-01", NOT_IN_FORCE),
    ("R3.7 SLP assets before", "cit.small_low_profit.max_assets_cny", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 SLP assets first", "cit.small_low_profit.max_assets_cny", "2020-01-01", Decimal(50000000)),
    ("R3.7 SLP assets last", "cit.small_low_profit.max_assets_cny", "2027-12-31", Decimal(50000000)),
    ("R3.7 SLP assets after", "cit.small_low_profit.max_assets_cny", "2028-01-01", NOT_IN_FORCE),
    ("R3.7 SLP 1m before", "cit.small_low_profit.rate_first_1m", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 SLP 1m 13号 first", "cit.small_low_profit.rate_first_1m", "2020-01-01", Decimal("0.05")),
    ("R3.7 SLP 1m 13号 last", "cit.small_low_profit.rate_first_1m", "2020-12-31", Decimal("0.05")),
    ("R3.7 SLP 1m 2021 No.12 first", "cit.small_low_profit.rate_first_1m", "2021-01-01", Decimal("0.025")),
    ("R3.7 SLP 1m 2021 No.12 last", "cit.small_low_profit.rate_first_1m", "2022-12-31", Decimal("0.025")),
    ("R3.7 SLP 1m 2023 No.6 first", "cit.small_low_profit.rate_first_1m", "2023-01-01", Decimal("0.05")),
    ("R3.7 SLP 1m 2023 No.12 last", "cit.small_low_profit.rate_first_1m", "2027-12-31", Decimal("0.05")),
    ("R3.7 SLP 1m after", "cit.small_low_profit.rate_first_1m", "2028-01-01", NOT_IN_FORCE),
    ("R3.7 SLP 3m before", "cit.small_low_profit.rate_1m_to_3m", "2019-12-31", NOT_IN_FORCE),
    ("R3.7 SLP 3m 13号 first", "cit.small_low_profit.rate_1m_to_3m", "2020-01-01", Decimal("0.10")),
    ("R3.7 SLP 3m 13号 last", "cit.small_low_profit.rate_1m_to_3m", "2021-12-31", Decimal("0.10")),
    ("R3.7 SLP 3m 2022 No.13 first", "cit.small_low_profit.rate_1m_to_3m", "2022-01-01", Decimal("0.05")),
    ("R3.7 SLP 3m last", "cit.small_low_profit.rate_1m_to_3m", "2027-12-31", Decimal("0.05")),
    ("R3.7 SLP 3m after", "cit.small_low_profit.rate_1m_to_3m", "2028-01-01", NOT_IN_FORCE),
    # R2.5: export-return window 6 months, 2023-01-30 → 2024-01-29 and 2026-01-01 → 2027-12-31
    ("R2.5 before 2023 No.4", "export_returns.tax_free_window_months", "2023-01-29", NOT_IN_FORCE),
    ("R2.5 2023 No.4 first", "export_returns.tax_free_window_months", "2023-01-30", 6),
    ("R2.5 2023 No.4 last", "export_returns.tax_free_window_months", "2024-01-29", 6),
    ("R2.5 gap [U]", "export_returns.tax_free_window_months", "2024-01-30", NOT_IN_FORCE),
    ("R2.5 gap end [U]", "export_returns.tax_free_window_months", "2025-12-31", NOT_IN_FORCE),
    ("R2.5 2026 No.16 first", "export_returns.tax_free_window_months", "2026-01-01", 6),
    ("R2.5 2026 No.16 last", "export_returns.tax_free_window_months", "2027-12-31", 6),
    ("R2.5 after 2026 No.16", "export_returns.tax_free_window_months", "2028-01-01", NOT_IN_FORCE),
    # R6.5: personal FX quota USD 50,000
    ("R6.5 quota", "fx.individual_quota_usd", "2025-06-30", Decimal(50000)),
    # R6.4: advances up to 12 months from 汇发〔2020〕11号 (2020-05-20) [U]
    ("R6.4 before", "fx.advance_max_months", "2020-05-19", NOT_IN_FORCE),
    ("R6.4 day", "fx.advance_max_months", "2020-05-20", 12),
    # R7.2: rebate processing limits 5/10/15/20 working days by class
    ("R7.2 class 1", "rebate.processing_days.class_1", "2016-07-01", 5),
    ("R7.2 class 2", "rebate.processing_days.class_2", "2016-07-01", 10),
    ("R7.2 class 3", "rebate.processing_days.class_3", "2016-07-01", 15),
    ("R7.2 class 4", "rebate.processing_days.class_4", "2016-07-01", 20),
    ("R7.2 before", "rebate.processing_days.class_1", "2016-06-30", NOT_IN_FORCE),
    # R7.3: average ≤ 3 working days for class 1–2 from 2022-06-20 to the end of 2024
    ("R7.3 before", "rebate.target_avg_days_class12", "2022-06-19", NOT_IN_FORCE),
    ("R7.3 first", "rebate.target_avg_days_class12", "2022-06-20", 3),
    ("R7.3 last", "rebate.target_avg_days_class12", "2024-12-31", 3),
    ("R7.3 after", "rebate.target_avg_days_class12", "2025-01-01", NOT_IN_FORCE),
    # R11.5: CAC Order 16 thresholds from 2024-03-22
    ("R11.5 before", "pi.exempt_nonsensitive_lt", "2024-03-21", NOT_IN_FORCE),
    ("R11.5 exempt", "pi.exempt_nonsensitive_lt", "2024-03-22", 100000),
    ("R11.5 assessment", "pi.assessment_nonsensitive_ge", "2024-03-22", 1000000),
    ("R11.5 sensitive", "pi.assessment_sensitive_ge", "2024-03-22", 10000),
    # start of the modelled period (18号, 2016-04-08): every rule that starts there
    ("R1.9 before 18号", "cbec.full_rate_single_item", "2016-04-07", NOT_IN_FORCE),
    ("R1.9 18号 day", "cbec.full_rate_single_item", "2016-04-08", False),
    ("R1.11 before 18号", "cbec.limit_comparison", "2016-04-07", NOT_IN_FORCE),
    ("R1.11 18号 day", "cbec.limit_comparison", "2016-04-08", "exceeds"),
    ("R1.8 tariff before", "cbec.tariff_rate_within_limit", "2016-04-07", NOT_IN_FORCE),
    ("VAT before modelled period", "vat.standard_rate", "2016-04-07", NOT_IN_FORCE),
    ("VAT 17 first modelled day", "vat.standard_rate", "2016-04-08", Decimal("0.17")),
    ("cosmetics CT before modelled period", "cosmetics.ct_rate", "2016-04-07", NOT_IN_FORCE),
    ("cosmetics CT 30 first modelled day", "cosmetics.ct_rate", "2016-04-08", Decimal("0.30")),
    ("§1.4 high-end per ml before", "cosmetics.high_end_ml_or_g_cny", "2016-09-30", NOT_IN_FORCE),
    ("R1.15 apply before", "cbec.return_apply_days", "2016-04-07", NOT_IN_FORCE),
    ("R1.14 from before", "cbec.tax_pay_from_day", "2016-04-07", NOT_IN_FORCE),
    ("R1.14 from first", "cbec.tax_pay_from_day", "2016-04-08", 31),
    ("R1.14 by before", "cbec.tax_pay_by_day", "2016-04-07", NOT_IN_FORCE),
    ("R1.14 by first", "cbec.tax_pay_by_day", "2016-04-08", 45),
    ("R3.1 194号 day", "export.document_check", "2019-01-01", ("order", "receipt", "waybill")),
    ("R3.2 before 194号", "export9610.summary_deadline_day", "2018-12-31", NOT_IN_FORCE),
    ("R3.2 194号 day", "export9610.summary_deadline_day", "2019-01-01", 15),
    ("R6.5 before modelled period", "fx.individual_quota_usd", "2016-04-07", NOT_IN_FORCE),
    ("R6.5 first modelled day", "fx.individual_quota_usd", "2016-04-08", Decimal(50000)),
    ("R7.2 class 2 before", "rebate.processing_days.class_2", "2016-06-30", NOT_IN_FORCE),
    ("R7.2 class 3 before", "rebate.processing_days.class_3", "2016-06-30", NOT_IN_FORCE),
    ("R7.2 class 4 before", "rebate.processing_days.class_4", "2016-06-30", NOT_IN_FORCE),
    ("R11.5 assessment before", "pi.assessment_nonsensitive_ge", "2024-03-21", NOT_IN_FORCE),
    ("R11.5 sensitive before", "pi.assessment_sensitive_ge", "2024-03-21", NOT_IN_FORCE),
    # §9.1 risk-prevention thresholds: platform settings (the zone may change them), modelled from 2016-04-08
    ("§9.1 quota ratio before", "risk.quota_ratio", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 quota ratio", "risk.quota_ratio", "2016-04-08", Decimal("0.90")),
    ("§9.1 identity window before", "risk.identity_window_days", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 identity window", "risk.identity_window_days", "2016-04-08", 30),
    ("§9.1 identity distinct before", "risk.identity_max_distinct", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 identity distinct", "risk.identity_max_distinct", "2016-04-08", 3),
    ("§9.1 split window before", "risk.split_window_hours", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 split window", "risk.split_window_hours", "2016-04-08", 24),
    ("§9.1 split parcels before", "risk.split_min_parcels", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 split parcels", "risk.split_min_parcels", "2016-04-08", 3),
    ("§9.1 undervalue ratio before", "risk.undervalue_ratio", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 undervalue ratio", "risk.undervalue_ratio", "2016-04-08", Decimal("0.30")),
    ("§9.1 lookback before", "risk.undervalue_lookback_days", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 lookback", "risk.undervalue_lookback_days", "2016-04-08", 90),
    ("§9.1 samples before", "risk.undervalue_min_samples", "2016-04-07", NOT_IN_FORCE),
    ("§9.1 samples", "risk.undervalue_min_samples", "2016-04-08", 20),
    # R11.6: warn before the CAC thresholds (from the day Order 16 took effect)
    ("R11.6 warning before", "pi.warning_ratio", "2024-03-21", NOT_IN_FORCE),
    ("R11.6 warning", "pi.warning_ratio", "2024-03-22", Decimal("0.80")),
    # R6.7: trade-credit ageing bounds (30 days advance, 90 days deferred, report within 30 days)
    ("R6.7 advance before", "fx.advance_receipt_days", "2016-04-07", NOT_IN_FORCE),
    ("R6.7 advance first", "fx.advance_receipt_days", "2016-04-08", 30),
    ("R6.7 deferred before", "fx.deferred_receipt_days", "2016-04-07", NOT_IN_FORCE),
    ("R6.7 deferred first", "fx.deferred_receipt_days", "2016-04-08", 90),
    ("R6.7 report before", "fx.trade_credit_report_days", "2016-04-07", NOT_IN_FORCE),
    ("R6.7 report first", "fx.trade_credit_report_days", "2016-04-08", 30),
    # R7.5: paperless classes 1-3, class 4 paper documents
    ("R7.5 paperless before", "rebate.paperless_classes", "2016-06-30", NOT_IN_FORCE),
    ("R7.5 paperless first", "rebate.paperless_classes", "2016-07-01", ("1", "2", "3")),
    ("R7.5 paper before", "rebate.class4_paper_documents", "2016-06-30", NOT_IN_FORCE),
    ("R7.5 paper first", "rebate.class4_paper_documents", "2016-07-01",
     ("export_declaration", "purchase_vat_invoice", "export_invoice", "proceeds_evidence", "transport_documents")),
    # R4.8: 9810 pre-refund on departure (HWC-YT) from SAT 2025 No.3, reconciled to April of the next year
    ("R4.8 pre-refund before", "rebate.hwc_yt_pre_refund", "2025-01-26", NOT_IN_FORCE),
    ("R4.8 pre-refund first", "rebate.hwc_yt_pre_refund", "2025-01-27", True),
    ("R4.8 window before", "rebate.hwc_yt_reconcile_until_month", "2025-01-26", NOT_IN_FORCE),
    ("R4.8 window first", "rebate.hwc_yt_reconcile_until_month", "2025-01-27", 4),
]


@pytest.mark.parametrize(("name", "day", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_on_boundary(name, day, expected):
    on = D(day)
    if expected is NOT_IN_FORCE:
        with pytest.raises(AppError) as err:
            rule(name, on)
        assert err.value.code == "rule_not_in_force"
        assert err.value.errors[0].path == "on"
        return
    found = rule(name, on)
    assert found.value == expected and type(found.value) is type(expected)
    assert found.valid_from <= on and (found.valid_to is None or on <= found.valid_to)
    assert found.citation


def test_citations_name_the_documents():
    assert "18号" in rule("cbec.single_limit_cny", D("2018-12-31")).citation
    assert "49号" in rule("cbec.single_limit_cny", D("2019-01-01")).citation
    assert "2024年第167号" in rule("export.document_check", D("2024-12-15")).citation
    assert rule("cbec.single_limit_cny", D("2019-01-01")).valid_to is None
    assert rule("cbec.single_limit_cny", D("2016-04-08")).valid_to == D("2018-12-31")


def test_every_rule_is_cited_and_every_boundary_is_tested():
    tested = {(c[1], c[2]) for c in CASES}
    missing = []
    for definition in definitions().values():
        assert definition.section and definition.description
        for period in definition.periods:
            assert period.citation and period.confidence in ("C", "M", "U")
            days = [period.valid_from, period.valid_from - timedelta(days=1)]
            if period.valid_to:
                days += [period.valid_to, period.valid_to + timedelta(days=1)]
            missing += [(definition.name, d.isoformat()) for d in days if (definition.name, d.isoformat()) not in tested]
    assert not missing


def test_unknown_rule_and_messages():
    with pytest.raises(AppError) as err:
        rule("cbec.no_such_rule", D("2025-01-01"))
    assert err.value.code == "rule_unknown"
    with pytest.raises(AppError) as err:
        rule("cbec.single_limit_cny", D("2015-12-31"))
    assert err.value.to_problem("zh_Hans")["errors"][0]["message"] == \
        "规则 cbec.single_limit_cny 在 2015-12-31 不适用（尚未生效或已失效）。"
