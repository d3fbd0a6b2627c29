"""The DXP terminal envelope: official XSD validity, round trips, hostile input."""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kuajing.ceb.dxp import DXP_NS, SHANGHAI, DxpError, UnsafeXmlError, unwrap, wrap

SPEC = Path(os.environ.get("KUAJING_CEB_SPEC_DIR") or Path(__file__).resolve().parents[3] / "shared" / "ceb-spec")
SAMPLES = sorted((SPEC / "samples").glob("*/*.xml"))


@pytest.fixture(scope="module")
def terminal_schema():
    return etree.XMLSchema(etree.parse(str(SPEC / "xsd" / "ceb-terminal-node-202205.xsd")))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_wraps_validly_and_round_trips(sample, terminal_schema):
    message = sample.read_bytes()
    created = dt.datetime(2026, 3, 15, 15, 35, 55, tzinfo=SHANGHAI)
    envelope = wrap(message, sender_id="DXPENT0000000001", receiver_ids=["DXPEDCCEB0000002"],
                    msg_type=sample.stem, copy_msg_id="COP-0001", created=created)
    assert terminal_schema.validate(etree.fromstring(envelope)), terminal_schema.error_log
    read = unwrap(envelope)
    assert read.data == message  # byte for byte: a signature inside stays valid
    assert (read.msg_type, read.sender_id, read.receiver_ids, read.cop_msg_id, read.created) == (
        sample.stem, "DXPENT0000000001", ("DXPEDCCEB0000002",), "COP-0001", created)
    assert not read.signed


def test_envelope_layout_and_defaults(terminal_schema):
    message = (SPEC / "samples" / "import" / "CEB311Message.xml").read_bytes()
    envelope = wrap(message, sender_id="DXPENT0000000001", receiver_ids="DXPEDCCEB0000002")
    root = etree.fromstring(envelope)
    assert root.tag == f"{{{DXP_NS}}}DxpMsg" and root.get("ver") == "1.0"
    d = f"{{{DXP_NS}}}"
    assert [etree.QName(c).localname for c in root] == ["TransInfo", "Data"]
    assert [etree.QName(c).localname for c in root.find(d + "TransInfo")] == [
        "CopMsgId", "SenderId", "ReceiverIds", "CreatTime", "MsgType"]
    assert root.findtext(f"{d}TransInfo/{d}MsgType") == "CEB311Message"  # from the message root
    creat = root.findtext(f"{d}TransInfo/{d}CreatTime")
    assert len(creat) == 19 and creat[10] == "T"  # yyyy-mm-ddThh:mm:ss, Asia/Shanghai wall time
    assert base64.b64decode(root.findtext(d + "Data")) == message
    read = unwrap(envelope)
    assert len(read.cop_msg_id) == 36 and read.created.utcoffset() == dt.timedelta(hours=8)
    assert abs(read.created - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_aware_times_are_written_in_shanghai_time_and_naive_ones_as_given():
    message = b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb"/>'
    utc = dt.datetime(2026, 1, 1, 20, 0, 0, tzinfo=dt.UTC)
    envelope = wrap(message, sender_id="S", receiver_ids=["R"], created=utc)
    assert b"<dxp:CreatTime>2026-01-02T04:00:00</dxp:CreatTime>" in envelope
    assert unwrap(envelope).created == utc
    naive = wrap(message, sender_id="S", receiver_ids=["R"], created=dt.datetime(2026, 1, 2, 4, 0, 0))
    assert unwrap(naive).created == utc


def test_add_info_and_many_receivers(terminal_schema):
    message = (SPEC / "samples" / "import" / "CEB621Message.xml").read_bytes()
    receivers = [f"DXPRECV00000000{i}" for i in range(5)]
    envelope = wrap(message, sender_id="DXPENT0000000001", receiver_ids=receivers, msg_type="CEB621Message",
                    msg_id="X-1", file_name="CEB621_20260315.xml", ic_card="1234567890123",
                    biz_keys={"copNo": "NBBH20160308005", "orderNo": "order2016030811340001"})
    assert terminal_schema.validate(etree.fromstring(envelope)), terminal_schema.error_log
    read = unwrap(envelope)
    assert read.receiver_ids == tuple(receivers) and read.cop_msg_id == "X-1"
    assert read.file_name == "CEB621_20260315.xml" and read.ic_card == "1234567890123"
    assert read.biz_keys == {"copNo": "NBBH20160308005", "orderNo": "order2016030811340001"}


@pytest.mark.parametrize("kwargs,match", [
    ({"receiver_ids": []}, "1..5"),
    ({"receiver_ids": [f"R{i}" for i in range(6)]}, "1..5"),
    ({"sender_id": "S" * 17}, "SenderId"),
    ({"receiver_ids": ["R" * 17]}, "ReceiverId"),
    ({"msg_type": "M" * 31}, "MsgType"),
    ({"cop_msg_id": "a", "msg_id": "b"}, "CopMsgId once"),
    ({"cop_msg_id": "x" * 256}, "CopMsgId"),
])
def test_wrap_refuses_what_the_schema_forbids(kwargs, match):
    args = {"sender_id": "S", "receiver_ids": ["R"]} | kwargs
    with pytest.raises(DxpError, match=match):
        wrap(b"<a/>", **args)


def test_hostile_and_wrong_inputs():
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        wrap(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', sender_id="S", receiver_ids=["R"])
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):
        unwrap(b'<!DOCTYPE d SYSTEM "http://127.0.0.1/x.dtd"><dxp:DxpMsg xmlns:dxp="http://www.chinaport.gov.cn/dxp"/>')
    with pytest.raises(UnsafeXmlError, match="DOCTYPE"):  # a UTF-16 document dodges the byte scan
        unwrap('<!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>'.encode("utf-16"))
    with pytest.raises(UnsafeXmlError, match="limit"):
        unwrap(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)
    with pytest.raises(UnsafeXmlError, match="well-formed"):
        wrap(b"not xml", sender_id="S", receiver_ids=["R"])
    with pytest.raises(DxpError, match="not a DxpMsg"):
        unwrap(b"<a/>")
    good = wrap(b"<a/>", sender_id="S", receiver_ids=["R"])
    with pytest.raises(DxpError, match="base64"):
        unwrap(good.replace(b"<dxp:Data>", b"<dxp:Data>!!"))
    with pytest.raises(DxpError, match="SenderId"):
        unwrap(good.replace(b"<dxp:SenderId>S</dxp:SenderId>", b"<dxp:SenderId></dxp:SenderId>"))
    big = wrap(b"<a>" + b"x" * 5000 + b"</a>", sender_id="S", receiver_ids=["R"])
    with pytest.raises(UnsafeXmlError, match="limit"):
        unwrap(big, max_bytes=len(big) - 1000)


def test_unwrap_reads_through_a_transfer_node_envelope():
    inner = wrap(b"<a/>", sender_id="S", receiver_ids=["R"], cop_msg_id="C1")
    body = inner.split(b"?>", 1)[1]
    outer = (b'<dxp:DxpMsgSv ver="1.0" xmlns:dxp="http://www.chinaport.gov.cn/dxp"><dxp:SvNo><dxp:MsgId>'
             + b"1" * 32 + b"</dxp:MsgId></dxp:SvNo>" + body.replace(b' xmlns:dxp="http://www.chinaport.gov.cn/dxp"',
                                                                    b"") + b"</dxp:DxpMsgSv>")
    assert unwrap(outer).cop_msg_id == "C1"


ids = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)


@settings(max_examples=60, deadline=None)
@given(sender=ids, receivers=st.lists(ids, min_size=1, max_size=5),
       text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")), max_size=200),
       when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_round_trip_property(sender, receivers, text, when):
    message = etree.tostring(etree.Element("{http://www.chinaport.gov.cn/ceb}CEB311Message",
                                           nsmap={"ceb": "http://www.chinaport.gov.cn/ceb"}), encoding="UTF-8")
    message = message.replace(b"/>", b">" + text.encode("utf-8").replace(b"&", b"&amp;").replace(
        b"<", b"&lt;").replace(b">", b"&gt;") + b"</ceb:CEB311Message>")
    envelope = wrap(message, sender_id=sender, receiver_ids=receivers, created=when)
    read = unwrap(envelope)
    assert (read.sender_id, read.receiver_ids, read.data) == (sender, tuple(receivers), message)
    assert read.created == when.replace(microsecond=0, tzinfo=SHANGHAI)
