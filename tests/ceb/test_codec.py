"""parse / build / models / receipts of the CEB layer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree

from kuajing.ceb import (
    CebError,
    Message,
    build,
    classes,
    example_message,
    insert_signature,
    parse,
    receipt_for,
    safe_parse,
    to_ceb900,
    validate,
)
from kuajing.ceb.examples import placeholder_signature
from kuajing.ceb.spec import CEB_NS, DS_NS


def test_build_then_parse_keeps_every_value():
    msg = example_message("CEB311", records=3, items=4)
    head = msg.records[0].head
    head.buyer_name = "李小宝 & <Co>"
    data = build(msg)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"<ceb:CEB311Message" in data and "李小宝".encode() in data and b"&#" not in data
    again = parse(data)
    assert again.records[0].head.buyer_name == "李小宝 & <Co>"
    assert again.records[0].head["buyerName"] == "李小宝 & <Co>"
    assert isinstance(again.records[0].head.goods_value, Decimal)
    assert isinstance(again.records[0].items[0].gnum, int)
    assert [r.to_dict() for r in again.records] == [r.to_dict() for r in msg.records]
    assert build(again) == data


def test_records_by_hand():
    c = classes("CEB411")
    head = c.head.from_dict({
        "guid": "A" * 36, "appType": "1", "appTime": "20240601120000", "appStatus": "2", "payCode": "P1",
        "payName": "支付", "payTransactionId": "T1", "orderNo": "O1", "ebpCode": "E1", "ebpName": "平台",
        "payerIdType": "1", "payerIdNumber": "110101190001010014", "payerName": "张三",
        "amountPaid": Decimal("12.50"), "currency": "142", "payTime": "20240601120000",
    })
    msg = example_message("CEB411")
    msg.records = [c.record(head=head)]
    assert parse(build(msg)).records[0].head.amount_paid == Decimal("12.50")


def test_import_signature_goes_after_extend_message_export_before():
    for mtype, direction in (("CEB621", "import"), ("CEB603", "export")):
        msg = example_message(mtype)
        msg.signature = placeholder_signature()
        from kuajing.ceb.models import ExtendMessage

        msg.extend_message = ExtendMessage(name="x", version="1", content=etree.fromstring(b"<a xmlns='urn:x'>1</a>"))
        root = etree.fromstring(build(msg))
        names = [etree.QName(c).localname for c in root][-2:]
        assert names == (["ExtendMessage", "Signature"] if direction == "import" else ["Signature", "ExtendMessage"])
        # insert_signature puts it at the same place
        sig = root.find(f"{{{DS_NS}}}Signature")
        root.remove(sig)
        insert_signature(root, sig)
        assert [etree.QName(c).localname for c in root][-2:] == names
        assert parse(etree.tostring(root)).signature is not None


def test_signature_is_required_for_621():
    msg = example_message("CEB621")
    msg.signature = None
    with pytest.raises(CebError) as err:
        build(msg)
    assert "CEB-SIGNATURE-MISSING" in err.value.codes


def test_record_limit_is_configurable():
    data = build(example_message("CEB311", records=5))
    assert len(parse(data).records) == 5
    with pytest.raises(CebError) as err:
        parse(data, max_records=3)
    assert err.value.issues[0].code == "CEB-RECORDS-TOO-MANY"
    assert validate(example_message("CEB311", records=101)) == []  # example clamps to 100
    msg = example_message("CEB311", records=100)
    msg.records.append(msg.records[0])
    codes = [i.code for i in validate(msg)]
    assert codes == ["CEB-RECORDS-TOO-MANY"]


def test_expect_message_type():
    with pytest.raises(CebError) as err:
        parse(build(example_message("CEB311")), expect="CEB621")
    assert err.value.codes == ["CEB-ROOT-TYPE"]


def test_default_namespace_receipt_parses():
    data = ('<?xml version="1.0" encoding="UTF-8"?><CEB312Message xmlns="{ns}" guid="{g}" version="1.0">'
            "<OrderReturn><guid>{g}</guid><ebpCode>E1</ebpCode><ebcCode>C1</ebcCode><orderNo>O1</orderNo>"
            "<returnStatus>120</returnStatus><returnTime>20240601120000123</returnTime>"
            "<returnInfo>海关入库</returnInfo></OrderReturn></CEB312Message>").replace("{ns}", CEB_NS).replace("{g}", "G" * 36)
    msg = parse(data.encode())
    assert msg.records[0].return_status == "120"


@pytest.mark.parametrize("decl", ["CEB311", "CEB411", "CEB511", "CEB513", "CEB621", "CEB623", "CEB625", "CEB711",
                                  "CEB213", "CEB215", "CEB303", "CEB403", "CEB505", "CEB507", "CEB509", "CEB603",
                                  "CEB605", "CEB607", "CEB701"])
def test_receipt_for_every_declaration(decl):
    expected = {"CEB311": "CEB312", "CEB411": "CEB412", "CEB511": "CEB512", "CEB513": "CEB514",
                "CEB621": "CEB622", "CEB623": "CEB624", "CEB625": "CEB626", "CEB711": "CEB712",
                "CEB213": "CEB214", "CEB215": "CEB216", "CEB303": "CEB304", "CEB403": "CEB404",
                "CEB505": "CEB506", "CEB507": "CEB508", "CEB509": "CEB510", "CEB603": "CEB604",
                "CEB605": "CEB606", "CEB607": "CEB608", "CEB701": "CEB702"}[decl]
    record = example_message(decl).records[0]
    keys = {"pre_no": "B20240601000000001"}
    head = record.head if hasattr(record, "head") else record
    if decl in ("CEB621", "CEB623", "CEB625"):
        keys["cop_no"] = "COP1"
        keys["invtNo"] = "37002024I000000001"
    if decl in ("CEB701",):
        keys["sum_no"] = "S20240601000000001"
    if decl in ("CEB603",):
        keys["invt_no"] = "INVT1"
    if decl in ("CEB213", "CEB215", "CEB311", "CEB411", "CEB511", "CEB513", "CEB303", "CEB403", "CEB505"):
        keys.pop("pre_no")
    when = datetime(2024, 6, 1, 4, 0, 0, 123000, tzinfo=UTC)
    receipt = receipt_for(decl, record, "120" if decl != "CEB216" else "399", "海关入库", when, **keys)
    assert receipt.message_type == expected
    rec = receipt.records[0]
    assert rec.guid == head.guid
    assert rec.return_time == "20240601120000123"  # Asia/Shanghai
    again = parse(build(receipt))
    assert again.message_type == expected and again.records[0].return_info == "海关入库"


def test_to_ceb900_echoes_the_original():
    bad = b'<?xml version="1.0"?><ceb:CEB311Message xmlns:ceb="%s" guid="x" version="1.0"/>' % CEB_NS.encode()
    with pytest.raises(CebError) as err:
        parse(bad)
    msg = to_ceb900(err.value.issues, original=bad, when="20240601120000000", ori_cop_msg_id="M1")
    data = build(msg)
    assert b"<![CDATA[" in data
    back = parse(data)
    rec = back.records[0]
    assert rec.return_status == "-2" and rec.ori_message_type == "CEB311Message"
    assert rec.ori_biz_message == bad.decode()
    assert "CEB-FIELD-LENGTH" in rec.return_info


def test_safe_parse_returns_element():
    root = safe_parse(build(example_message("CEB311")))
    assert etree.QName(root).localname == "CEB311Message"


def test_message_defaults():
    msg = Message(message_type="CEB311")
    assert len(msg.guid) == 36 and msg.guid == msg.guid.upper() and msg.version == "1.0"


def test_parsed_message_behaves_like_a_message():
    import copy

    msg = example_message("CEB621", records=2, items=2)
    msg.signature = placeholder_signature()
    data = build(msg)
    parsed = parse(data)  # records are built on first access
    assert isinstance(parsed, Message) and parsed.message_type == "CEB621" and parsed.guid == msg.guid
    assert parsed.records[1].head.order_no == msg.records[1].head.order_no
    assert parsed.records[1].head["orderNo"] == msg.records[1].head.order_no
    assert parsed.base_transfer == msg.base_transfer and parsed.signature is not None
    plain = copy.deepcopy(parsed)
    assert type(plain) is Message and plain.records == parsed.records
    assert type(copy.copy(parse(data))) is Message
    # equality with a plain Message compares content, both ways
    again = parse(data)
    fresh = Message(message_type="CEB621", guid=again.guid, version=again.version, records=again.records,
                    base_transfer=again.base_transfer, base_subscribes=again.base_subscribes,
                    extend_message=again.extend_message, signature=again.signature)
    assert again == fresh and fresh == again and repr(again) == repr(fresh)


def test_parsed_message_can_be_changed_before_and_after_reading():
    data = build(example_message("CEB311", records=3))
    msg = parse(data)
    msg.records.append(msg.records[0])  # the first access builds the list
    assert len(msg.records) == 4
    msg = parse(data)
    msg.base_transfer = None  # setting before reading keeps the other parts of the document
    assert msg.base_transfer is None and len(msg.records) == 3
    msg = parse(data)
    msg.records = msg.records[:1]
    msg.records[0].head.order_no = "NEW-1"
    assert parse(build(msg)).records[0].head.order_no == "NEW-1"
