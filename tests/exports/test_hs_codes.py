"""Simplified HS codes on 9710/9810 lists (R4.5 practice table) and appType 2 changes re-routed (R4.5)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from kuajing.exports.models import ExportInventory
from kuajing.exports.service import checks, routing
from tests.exports import shipments as s
from tests.exports.test_intake import send

WHEN = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
BAOTOU = frozenset({"0703", "0706"})


def _issues(gcodes, *, customs="0703", list_allowed=True, trade_mode="9710", record=1):
    return checks.hs_code_issues(trade_mode=trade_mode, customs_code=customs, gcodes=gcodes,
                                 list_allowed=list_allowed, zone_customs=BAOTOU, record=record)


def test_six_digits_pass_on_a_simplified_list_at_a_baotou_office():
    assert _issues(["611012", "6110120000"], customs="0703") == []
    assert _issues(["611012"], customs="0706", trade_mode="9810") == []


def test_six_digits_outside_a_zone_city_need_the_full_code_with_the_line_path():
    found = _issues(["6110120000", "611012"], customs="0100", record=3)
    assert [(i.path, i.value, i.reason) for i in found] == \
        [("Inventory[3]/InventoryList[2]/gcode", "611012", "full_code_required")]


def test_six_digits_on_a_list_that_does_not_qualify_need_the_full_code():
    found = _issues(["611012"], customs="0703", list_allowed=False)
    assert [i.reason for i in found] == ["full_code_required"]


def test_other_lengths_are_refused_everywhere_and_retail_lists_are_not_this_rule():
    assert [i.reason for i in _issues(["6110", "61101200", "61101200AB"])] == ["bad_length"] * 3
    assert _issues(["6110"], trade_mode="9610") == []


def test_the_zone_city_offices_are_the_no_invoice_registers():
    assert routing.zone_customs_offices() == BAOTOU  # 0703 Baotou customs, 0706 its office (customs_office table)


def _list(p, n, *, customs: str, gcode: str, trade_mode="9710", **kw):
    msg = s.inventory(p, n, trade_mode=trade_mode, **kw)
    msg.records[0].head.customs_code = customs
    for item in msg.records[0].items:
        item.gcode = gcode
    return msg


def test_intake_takes_a_six_digit_list_at_0703_and_refuses_it_at_0100(db, ezone):
    p = ezone.parties
    ok = send(db, ezone.agent, _list(p, 1, customs="0703", gcode="611012"), WHEN)
    refused = send(db, ezone.agent, _list(p, 2, customs="0100", gcode="611012", lines=2), WHEN)
    assert ok.records[0].code == "2"
    assert refused.records[0].code == "-4110"
    assert "Inventory[1]/InventoryList[1]/gcode: 611012" in refused.records[0].info
    assert "Inventory[1]/InventoryList[2]/gcode" in refused.records[0].info
    keys = db.scalars(select(ExportInventory.business_key)).all()
    assert keys == [f"{p.ebp}:EXO1"]  # the refused list left nothing behind


def test_intake_still_answers_minus_4106_before_the_hs_rule_for_an_oversized_list(db, ezone):
    result = send(db, ezone.agent, _list(ezone.parties, 1, customs="0703", gcode="611012", price="5000.01",
                                          qty="1"), WHEN)
    assert result.records[0].code == "-4106"


def test_a_change_over_5000_00_is_refused_like_a_new_list_and_the_list_stays_as_it_was(db, ezone):
    p = ezone.parties
    assert send(db, ezone.agent, s.inventory(p, 1, trade_mode="9710", price="2500.00"), WHEN).records[0].code == "2"
    over = send(db, ezone.agent, s.inventory(p, 1, trade_mode="9710", price="2500.01", app_type="2"), WHEN)
    assert over.records[0].code == "-4106"
    inv = db.scalars(select(ExportInventory)).one()
    assert inv.items[0].total_price == Decimal("5000.00") and inv.app_type == "1"


def test_a_change_adding_a_licence_is_refused_and_a_change_within_the_rule_is_taken(db, ezone):
    p = ezone.parties
    assert send(db, ezone.agent, s.inventory(p, 1, trade_mode="9810", price="100"), WHEN).records[0].code == "2"
    licence = send(db, ezone.agent, s.inventory(p, 1, trade_mode="9810", price="100", app_type="2",
                                                 license_no="LIC1"), WHEN)
    assert licence.records[0].code == "-4106"
    fine = send(db, ezone.agent, s.inventory(p, 1, trade_mode="9810", price="2500.00", app_type="2"), WHEN)
    assert fine.records[0].code == "2"
    assert db.scalars(select(ExportInventory)).one().app_type == "2"


def test_a_change_to_a_six_digit_code_outside_a_zone_city_is_refused(db, ezone):
    p = ezone.parties
    assert send(db, ezone.agent, _list(p, 1, customs="0100", gcode="6110120000"), WHEN).records[0].code == "2"
    changed = send(db, ezone.agent, _list(p, 1, customs="0100", gcode="611012", app_type="2"), WHEN)
    assert changed.records[0].code == "-4110"
