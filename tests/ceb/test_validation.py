"""Every validation rule reports a stable code, a field path and both languages — all at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.ceb import CebError, build, example_message, parse, validate
from kuajing.ceb.codec import serialize_message
from kuajing.ceb.spec import CEB_NS
from kuajing.ceb.xml import safe_parse


def _issues(msg, **kw):
    return [(i.code, i.path, i.value) for i in validate(msg, **kw)]


def _order(records=1, items=2):
    return example_message("CEB311", records=records, items=items)


def test_valid_examples_have_no_issue():
    assert validate(_order(3, 3)) == []


def test_missing_field():
    msg = _order()
    msg.records[0].head.order_no = None
    assert _issues(msg) == [("CEB-FIELD-MISSING", "Order[1]/OrderHead/orderNo", None)]


def test_empty_mandatory_field():
    msg = _order()
    msg.records[0].head.order_no = ""
    assert _issues(msg) == [("CEB-FIELD-MISSING", "Order[1]/OrderHead/orderNo", "")]


def test_too_long():
    msg = _order(2, 3)
    msg.records[1].items[2].item_name = "长" * 251
    [(code, path, value)] = _issues(msg)
    assert (code, path) == ("CEB-FIELD-TOO-LONG", "Order[2]/OrderList[3]/itemName")
    issue = validate(msg)[0]
    assert "250" in issue.message_zh and "250" in issue.message_en


def test_decimal_places_and_digits():
    msg = _order(3, 2)
    msg.records[2].items[1].price = Decimal("1.123456")
    msg.records[2].items[0].qty = Decimal("12345678901234567890")
    msg.records[0].items[0].total_price = "abc"
    codes = _issues(msg, rules=False)
    assert ("CEB-FIELD-FRACTION-DIGITS", "Order[3]/OrderList[2]/price", "1.123456") in codes
    assert ("CEB-FIELD-TOTAL-DIGITS", "Order[3]/OrderList[1]/qty", "12345678901234567890") in codes
    assert ("CEB-FIELD-NOT-DECIMAL", "Order[1]/OrderList[1]/totalPrice", "abc") in codes


def test_integer_fields():
    msg = example_message("CEB303", items=3)
    msg.records[0].items[0].gnum = 123456  # N5
    msg.records[0].items[1].gnum = "x"
    msg.records[0].items[2].gnum = "9" * 5001  # beyond Python's int-string limit: still a clean issue
    codes = [(c, p) for c, p, _ in _issues(msg)]
    assert ("CEB-FIELD-TOTAL-DIGITS", "Order[1]/OrderList[1]/gnum") in codes
    assert ("CEB-FIELD-NOT-INTEGER", "Order[1]/OrderList[2]/gnum") in codes
    assert ("CEB-FIELD-NOT-INTEGER", "Order[1]/OrderList[3]/gnum") in codes


@pytest.mark.parametrize("mtype,field,value,table", [
    ("CEB603", "currency", "ABC", "currency"), ("CEB621", "country", "ZZZ", "country"),
    ("CEB621", "unit", "XYZ", "unit"), ("CEB603", "unit1", "XYZ", "unit"),
])
def test_unknown_code_in_list(mtype, field, value, table):
    msg = example_message(mtype)
    setattr(msg.records[0].items[0], field, value)
    [issue] = validate(msg)
    assert (issue.code, issue.path, issue.value) == ("CEB-FIELD-CODE", f"Inventory[1]/InventoryList[1]/{field}", value)
    assert table in issue.message_en


@pytest.mark.parametrize("field,value", [
    ("trade_mode", "0000"), ("customs_code", "ZZZZ"), ("port_code", "QQQQ"), ("traf_mode", "%"),
    ("buyer_id_type", "Q"), ("wrap_type", "%"), ("country", "ZZZ"),
])
def test_unknown_code_in_head(field, value):
    msg = example_message("CEB621")
    setattr(msg.records[0].head, field, value)
    codes = _issues(msg)
    assert [c for c, _, _ in codes] == ["CEB-FIELD-CODE"], codes


def test_import_currency_is_fixed_142_even_at_structure_level():
    msg = example_message("CEB621")
    msg.records[0].head.currency = "502"
    assert [c for c, _, _ in _issues(msg, rules=False)] == ["CEB-FIELD-ENUM"]


def test_codes_can_be_skipped():
    msg = example_message("CEB621")
    msg.records[0].head.customs_code = "ZZZZ"
    assert validate(msg, codes=False) == []


@pytest.mark.parametrize("value", ["2024060112000", "20241301120000", "20240632120000", "20240601250000", "2024-06-01"])
def test_bad_time_format(value):
    msg = _order()
    msg.records[0].head.app_time = value
    [(code, path, got)] = _issues(msg)
    assert path == "Order[1]/OrderHead/appTime" and got == value
    assert code in ("CEB-FIELD-DATE-FORMAT", "CEB-FIELD-LENGTH")


def test_bad_date_yyyymmdd():
    msg = example_message("CEB621")
    msg.records[0].head.decl_time = "20241301"
    assert _issues(msg) == [("CEB-FIELD-DATE-FORMAT", "Inventory[1]/InventoryHead/declTime", "20241301")]


def test_guid_length():
    msg = _order()
    msg.guid = "abc"
    msg.records[0].head.guid = "X" * 37
    assert _issues(msg) == [("CEB-FIELD-LENGTH", "@guid", "abc"),
                            ("CEB-FIELD-LENGTH", "Order[1]/OrderHead/guid", "X" * 37)]


@pytest.mark.parametrize("mtype,field,value", [
    ("CEB311", "order_type", "E"), ("CEB311", "app_type", "4"), ("CEB311", "app_status", "3"),
    ("CEB621", "ie_flag", "E"), ("CEB303", "order_type", "I"), ("CEB603", "statistics_flag", "C"),
])
def test_enumerations(mtype, field, value):
    msg = example_message(mtype)
    setattr(msg.records[0].head, field, value)
    [(code, path, got)] = _issues(msg)
    assert code == "CEB-FIELD-ENUM" and got == value


def test_enumerations_in_flat_records_and_envelope():
    msg = example_message("CEB513")
    msg.records[0].logistics_status = "R"
    msg.base_subscribes[0].status = "SOME"
    assert _issues(msg) == [("CEB-FIELD-ENUM", "LogisticsStatus[1]/logisticsStatus", "R"),
                            ("CEB-FIELD-ENUM", "BaseSubscribe[1]/status", "SOME")]


def test_rules_off_accepts_spec_stricter_values():
    msg = example_message("CEB513")
    msg.records[0].logistics_status = "R"  # official sample value, not allowed by the PDF
    assert validate(msg, rules=False) == []


def test_amount_identity_rule():
    msg = _order()
    msg.records[0].head.actural_paid += Decimal("0.01")
    [(code, path, _)] = _issues(msg)
    assert (code, path) == ("CEB-RULE-AMOUNT", "Order[1]/OrderHead/acturalPaid")


def test_gnum_rule():
    msg = example_message("CEB621", items=3)
    msg.records[0].items[2].gnum = 2
    assert [c for c, _, _ in _issues(msg)] == ["CEB-RULE-GNUM"]


def test_every_violation_at_once():
    msg = _order(3, 3)
    msg.records[0].head.order_no = None
    msg.records[1].head.currency = "ABC"
    msg.records[1].items[2].price = Decimal("0.000001")
    msg.records[2].head.app_time = "yesterday"
    msg.records[2].items[0].item_name = "x" * 300
    msg.base_transfer.dxp_mode = "FTP"
    found = _issues(msg)
    assert [(c, p) for c, p, _ in found] == [
        ("CEB-FIELD-MISSING", "Order[1]/OrderHead/orderNo"),
        ("CEB-FIELD-ENUM", "Order[2]/OrderHead/currency"),
        ("CEB-FIELD-FRACTION-DIGITS", "Order[2]/OrderList[3]/price"),
        ("CEB-FIELD-LENGTH", "Order[3]/OrderHead/appTime"),
        ("CEB-FIELD-TOO-LONG", "Order[3]/OrderList[1]/itemName"),
        ("CEB-FIELD-ENUM", "BaseTransfer/dxpMode"),
    ]
    for i in validate(msg):
        assert i.message_zh and i.message_en and i.to_dict()["path"] == i.path


def test_structure_errors():
    data = serialize_message(_order()).decode()
    data = data.replace("<ceb:BaseTransfer>", "<ceb:Bogus>1</ceb:Bogus><ceb:BaseTransfer>", 1)
    data = data.replace("</ceb:CEB311Message>", "<ceb:BaseTransfer><ceb:copCode>1</ceb:copCode><ceb:copName>a</ceb:copName>"
                        "<ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>x</ceb:dxpId></ceb:BaseTransfer></ceb:CEB311Message>")
    with pytest.raises(CebError) as err:
        parse(data.encode())
    assert [(i.code, i.path) for i in err.value.issues] == [
        ("CEB-ELEMENT-UNEXPECTED", "Bogus"), ("CEB-ELEMENT-TOO-MANY", "BaseTransfer[2]")]


def test_missing_records_and_attributes():
    data = f'<ceb:CEB311Message xmlns:ceb="{CEB_NS}"/>'.encode()
    with pytest.raises(CebError) as err:
        parse(data)
    assert [(i.code, i.path) for i in err.value.issues] == [
        ("CEB-ATTR-MISSING", "@guid"), ("CEB-ATTR-MISSING", "@version"),
        ("CEB-FIELD-MISSING", "Order"), ("CEB-FIELD-MISSING", "BaseTransfer")]


# ---- hostile and malformed input -----------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1">&xxe;</ceb:CEB311Message>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, XXE.decode().encode("utf-16")], ids=["xxe", "laughs", "utf16"])
def test_doctype_is_refused(data):
    with pytest.raises(CebError) as err:
        parse(data)
    assert err.value.codes == ["CEB-XML-DOCTYPE"]
    assert b"root:" not in str(err.value).encode()


def test_oversized_input_is_refused_before_parsing():
    data = b"<a>" + b" " * 2048 + b"</a>"
    with pytest.raises(CebError) as err:
        safe_parse(data, max_bytes=1024)
    assert err.value.codes == ["CEB-XML-TOO-LARGE"]
    with pytest.raises(CebError):
        parse(build(_order(50, 5)), max_bytes=10_000)


def test_malformed():
    with pytest.raises(CebError) as err:
        parse(b"<ceb:CEB311Message")
    assert err.value.codes == ["CEB-XML-MALFORMED"]


def test_wrong_root_and_namespace():
    with pytest.raises(CebError) as err:
        parse(f'<ceb:CEB999Message xmlns:ceb="{CEB_NS}" guid="x" version="1"/>'.encode())
    assert err.value.codes == ["CEB-ROOT-UNKNOWN"]
    with pytest.raises(CebError) as err:
        parse(b'<CEB311Message xmlns="urn:other" guid="x" version="1"/>')
    assert err.value.codes == ["CEB-ROOT-NAMESPACE"]
    with pytest.raises(CebError) as err:
        parse(b'<CEB311Message guid="x" version="1"/>')
    assert err.value.codes == ["CEB-ROOT-NAMESPACE"]


# ---- parse(bytes) finds the code-table and cross-field issues without building the model first ------
# (parse screens the validated document with XPath and builds the model only when the screen raises an
# alarm; these tests prove the screen never lets through what the model checks would report)

def _parse_issues(msg, **kw):
    data = serialize_message(msg)
    with pytest.raises(CebError) as err:
        parse(data, **kw)
    assert [(i.code, i.path, i.value) for i in validate(data, **kw)] == [
        (i.code, i.path, i.value) for i in err.value.issues]
    return [(i.code, i.path, i.value) for i in err.value.issues]


def _coded_fields():
    from kuajing.ceb.messages import MESSAGES

    for spec in MESSAGES.values():
        rec = spec.record
        parts = [("head", rec.head), ("item", rec.items)] if rec.compound else [("record", rec)]
        for where, node in parts:
            for f in (node.fields if node is not None else ()):
                if f.table and f.fixed is None:
                    yield spec.type, where, node.name, f


@pytest.mark.parametrize("mtype,where,node,field", list(_coded_fields()),
                         ids=lambda v: getattr(v, "name", v))
def test_parse_reports_every_unknown_code(mtype, where, node, field):
    msg = example_message(mtype, records=3, items=2)
    n = len(msg.records)  # CEB711 carries one record
    rec = msg.records[-1]
    target = rec.head if where == "head" else rec.items[1] if where == "item" else rec
    value = "~" * max(field.min_len, 1)  # never a code, of a length the field allows
    setattr(target, field.attr, value)
    name = msg.spec.record.name
    path = {"head": f"{name}[{n}]/{node}/{field.name}", "item": f"{name}[{n}]/{node}[2]/{field.name}",
            "record": f"{name}[{n}]/{field.name}"}[where]
    assert _parse_issues(msg) == [("CEB-FIELD-CODE", path, value)]
    again = parse(serialize_message(msg), codes=False).records[-1]
    again = again.head if where == "head" else again.items[1] if where == "item" else again
    assert getattr(again, field.attr) == value


def test_parse_reports_amount_identity_in_any_record():
    msg = _order(5, 2)
    msg.records[3].head.actural_paid += Decimal("0.00001")
    assert _parse_issues(msg) == [("CEB-RULE-AMOUNT", "Order[4]/OrderHead/acturalPaid",
                                   format(msg.records[3].head.actural_paid, "f"))]


@pytest.mark.parametrize("mtype", ["CEB311", "CEB621", "CEB711", "CEB507", "CEB603", "CEB607"])
def test_parse_reports_gnum_gaps(mtype):
    msg = example_message(mtype, records=1, items=3)
    msg.records[-1].items[1].gnum = 3
    assert [c for c, _, _ in _parse_issues(msg)] == ["CEB-RULE-GNUM"]


def test_parse_reports_missing_signature_when_declared():
    msg = example_message("CEB507")
    msg.records[0].head.app_status = "2"
    msg.signature = None
    assert [c for c, _, _ in _parse_issues(msg)] == ["CEB-SIGNATURE-MISSING"]
    msg.records[0].head.app_status = "1"
    assert parse(serialize_message(msg)).signature is None


def test_parse_screen_is_not_fooled_by_comments_inside_values():
    # a comment splits a text node: the model keeps the text before it (lxml .text) and decides
    data = serialize_message(_order(2, 2)).decode()
    bad = data.replace("<ceb:acturalPaid>", "<ceb:acturalPaid>1<!-- c -->", 1)
    with pytest.raises(CebError) as err:
        parse(bad.encode())
    assert err.value.codes == ["CEB-RULE-AMOUNT"]
    gnum = data.replace("<ceb:gnum>2</ceb:gnum>", "<ceb:gnum>2<!-- c -->0</ceb:gnum>", 1)
    assert parse(gnum.encode()).records[0].items[1].gnum == 2  # the model sees 2: numbered 1, 2
