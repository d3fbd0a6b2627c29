"""The customs code tables of kuajing.ceb.codes load, are well-formed and hold the known anchors."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from kuajing.ceb.codes import (
    TABLE_NAMES,
    CodeEntry,
    district_of,
    find_by,
    is_valid,
    iso_of,
    table,
)

#: Code shape per table (length and charset).
CODE_PATTERN = {
    "currency": r"\d{3}",
    "country": r"\d{3}",
    "unit": r"\d{3}",
    "transport_mode": r"[0-9A-Z]",
    "trade_mode": r"\d{4}",
    "customs_office": r"\d{4}",
    "id_type": r"\d",
    "package_type": r"\d",
}


def test_every_table_has_a_pattern():
    assert set(CODE_PATTERN) == set(TABLE_NAMES)


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_table_loads_and_is_well_formed(name):
    codes = table(name)
    assert len(codes) > 0
    pattern = re.compile(CODE_PATTERN[name])
    for entry in codes:
        assert isinstance(entry, CodeEntry)
        assert pattern.fullmatch(entry.code), (name, entry.code)
        assert entry.name_zh, (name, entry.code)
        assert entry.name_en, (name, entry.code)
        assert entry.name_zh == entry.name_zh.strip() and entry.name_en == entry.name_en.strip()


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_codes_unique_in_file(name):
    """The loader also refuses duplicates; this checks the raw file so the message names the code."""
    from importlib import resources

    text = resources.files("kuajing.ceb.codes").joinpath("data", f"{name}.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0].split(",")[:3] == ["code", "name_zh", "name_en"]
    codes = Counter(ln.split(",", 1)[0] for ln in lines[1:])
    assert [c for c, n in codes.items() if n > 1] == []
    assert len(codes) == len(table(name))


def test_unknown_table_raises():
    with pytest.raises(KeyError):
        table("nope")


@pytest.mark.parametrize("name", ["currency", "country"])
def test_iso_mapping_unique_where_present(name):
    isos = [e.extra["iso"] for e in table(name) if e.extra.get("iso")]
    assert len(isos) == len(set(isos))
    length = 3 if name == "currency" else 2
    assert all(re.fullmatch(rf"[A-Z]{{{length}}}", iso) for iso in isos)


def test_currency_anchors():
    assert table("currency").get("142").extra["iso"] == "CNY"
    assert find_by("currency", "iso", "CNY").code == "142"
    assert iso_of("currency", "502") == "USD"
    assert iso_of("currency", "300") == "EUR"
    assert iso_of("currency", "116") == "JPY"
    assert not is_valid("currency", "156")  # ISO numeric for CNY is not a customs code
    assert not is_valid("currency", "CNY")


def test_country_anchors():
    assert table("country").get("142").name_zh == "中国"
    assert iso_of("country", "142") == "CN"
    assert iso_of("country", "344") == "RU"
    assert iso_of("country", "116") == "JP"
    assert iso_of("country", "502") == "US"
    assert iso_of("country", "124") == "MN"
    assert iso_of("country", "701") is None
    assert find_by("country", "iso", "RU").code == "344"
    assert not is_valid("country", "001")  # placeholder used by the official export samples


def test_country_continent_follows_first_digit():
    continents = {
        "1": "asia",
        "2": "africa",
        "3": "europe",
        "4": "latin_america",
        "5": "north_america",
        "6": "oceania",
        "7": "other",
        "9": "other",
    }
    for entry in table("country"):
        assert entry.extra["continent"] == continents[entry.code[0]], entry.code


def test_unit_anchors():
    units = table("unit")
    assert units.get("007").name_zh == "个"
    assert units.get("035").name_zh == "千克"
    assert units.get("011").name_zh == "件"
    assert units.get("142").name_zh == "瓶"
    assert len(units) == 123


def test_transport_anchors():
    assert table("transport_mode").get("5").name_zh.startswith("航空")
    for code in "0123456789":
        assert is_valid("transport_mode", code)


def test_trade_mode_anchors():
    for code in ("9610", "1210", "1239", "9710", "9810", "9661", "1261", "0110"):
        assert is_valid("trade_mode", code), code
    cbec = {e.code for e in table("trade_mode") if e.extra.get("cbec") == "1"}
    assert cbec == {"9610", "1210", "1239", "9710", "9810", "9661", "1261"}
    assert not is_valid("trade_mode", "0101")  # placeholder used by the official export samples


def test_customs_office_districts():
    offices = table("customs_office")
    heads = [e for e in offices if e.code.endswith("00")]
    assert len(heads) == 42
    for entry in offices:
        assert entry.extra["district"] == entry.code[:2] + "00"
        assert entry.extra["district"] in offices, entry.code
    assert offices.get("0100").name_zh.startswith("北京")
    assert offices.get("0200").name_zh.startswith("天津")


def test_hohhot_district_offices():
    offices = table("customs_office")
    assert offices.get("0700").name_zh == "呼和浩特关区"
    assert offices.get("0703").name_zh == "包头海关"
    assert offices.get("0702").name_zh == "二连海关"
    hohhot = {e.code for e in offices if e.extra["district"] == "0700"}
    assert {f"07{n:02d}" for n in range(15)} <= hohhot
    assert district_of("0706").code == "0700"  # Baotou container station office
    assert offices.get("0600").name_zh == "满洲里关区"
    assert district_of("0609").code == "0600"  # Manzhouli railway port
    assert district_of("0202").code == "0200"  # Tianjin Xingang
    assert district_of("12") is None


def test_id_and_package_types():
    assert table("id_type").get("1").name_zh == "身份证"
    assert table("package_type").get("2").name_zh == "纸箱"
    assert len(table("package_type")) == 7


def test_entry_display_name():
    entry = table("currency").get("142")
    assert entry.name("zh_Hans") == "人民币"
    assert entry.name("en") == "Chinese yuan"



def test_messages_carry_only_the_cross_border_trade_modes():
    """tradeMode of CEB621/CEB603/CEB213 (message spec 202205 field notes): 9610/1210(/1239), 9710/9810, 9661/1261.
    The general supervision modes (0110 一般贸易 …) are in the table for platform data, not for messages."""
    from kuajing.ceb import CebError, build, parse, validate
    from kuajing.ceb.codes import message_codes
    from kuajing.ceb.examples import example_message

    assert message_codes("trade_mode") == {"9610", "1210", "1239", "9710", "9810", "9661", "1261"}
    assert "0110" in table("trade_mode")
    for mtype, record in (("CEB621", "Inventory"), ("CEB603", "Inventory"), ("CEB213", "InvtRefund")):
        msg = example_message(mtype)
        good = msg.records[0].head.trade_mode
        assert good in message_codes("trade_mode")
        msg.records[0].head.trade_mode = "0110"
        assert [(i.code, i.path) for i in validate(msg)] == [("CEB-FIELD-CODE", f"{record}[1]/{record}Head/tradeMode")]
        data = build(example_message(mtype)).replace(f"<ceb:tradeMode>{good}<".encode(), b"<ceb:tradeMode>0110<")
        with pytest.raises(CebError) as err:
            parse(data)
        assert [(i.code, i.path) for i in err.value.issues] == [("CEB-FIELD-CODE", f"{record}[1]/{record}Head/tradeMode")]
