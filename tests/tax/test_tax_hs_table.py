"""The built-in HS rate table and the dated parameters (policy-rules.md §1.3, §1.4, "How to read")."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from kuajing.tax import hs_table
from kuajing.tax.parameters import TABLE, local_parameter, parameter


def test_at_least_200_codes_well_formed():
    rows = hs_table.table()
    assert len(rows) >= 200
    for code, row in rows.items():
        assert len(code) == 10 and code.isdigit()
        assert row.name_zh and row.name_en
        assert row.vat_category in ("general", "reduced")
        assert row.certainty in ("C", "M", "U") and row.source
        assert Decimal(0) <= row.consumption_tax_rate < 1 and Decimal(0) <= row.mfn_rate <= 1
        if row.ct_threshold is not None:
            assert row.ct_threshold_unit is not None


def test_todays_rates_agree_with_the_dated_parameters():
    """The CSV's current vat_rate / consumption_tax_rate equal the dated rates of its categories today."""
    today = date(2025, 6, 1)
    for row in hs_table.table().values():
        dated = hs_table.rates_on(row, today)
        assert dated.vat_rate == row.vat_rate, row.hs_code
        assert dated.consumption_tax_rate == row.consumption_tax_rate, row.hs_code


def test_categories_present():
    rows = hs_table.table().values()
    cats = {r.ct_category for r in rows}
    assert {"cosmetics", "skincare", "wine", "watch", "jewellery"} <= cats
    assert any(not r.positive_list for r in rows)
    assert any("1210" in r.remarks for r in rows)
    watch = hs_table.find("9102210000")
    assert watch.ct_threshold == Decimal("10000.00")


def test_parameter_periods_are_contiguous():
    for name, periods in TABLE.items():
        for (_s1, e1, *_), (s2, _e2, *_rest) in itertools.pairwise(periods):
            assert e1 is not None and (s2 - e1).days == 1, name
        assert periods[-1][1] is None, name


def test_dated_values():
    assert parameter("vat.standard_rate", date(2018, 4, 30)).value == Decimal("0.17")
    assert parameter("vat.standard_rate", date(2018, 5, 1)).value == Decimal("0.16")
    assert parameter("vat.standard_rate", date(2019, 4, 1)).value == Decimal("0.13")
    assert local_parameter("vat.reduced_rate", date(2019, 4, 1)).value == Decimal("0.09")
    assert parameter("cosmetics.ct_rate", date(2016, 9, 30)).value == Decimal("0.30")
    assert parameter("cosmetics.ct_rate", date(2016, 10, 1)).value == Decimal("0.15")
    assert parameter("cbec.single_limit_cny", date(2018, 12, 31)).value == Decimal("2000.00")
    assert parameter("cbec.annual_limit_cny", date(2019, 1, 1)).value == Decimal("26000.00")
    assert parameter("cbec.full_rate_single_item", date(2018, 12, 31)).value is False
