"""Deterministic example messages (示例报文) for demos, tests and the benchmark.

``example_message("CEB621", records=100)`` is valid under our full validation with the current
code tables. The signature of the four messages that must carry one is a structurally valid
placeholder (:func:`placeholder_signature`), NOT a real signature.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from kuajing.ceb.codes import table
from kuajing.ceb.messages import spec_of
from kuajing.ceb.models import BaseSubscribe, BaseTransfer, Message, class_for, new_guid
from kuajing.ceb.spec import DS_NS, FieldSpec, NodeSpec

_PREFERRED = {"currency": "142", "country": "142", "unit": "007", "trade_mode": "9610", "id_type": "1",
              "transport_mode": "5"}
_SAMPLE_TIME = {"D8": "20240601", "T14": "20240601120000", "T17": "20240601120000000"}


def _code(name: str) -> str:
    tbl = table(name)
    preferred = _PREFERRED.get(name)
    if preferred and preferred in tbl:
        return preferred
    return next(iter(tbl)).code


def example_value(f: FieldSpec, n: int = 1):
    """A valid example value for one field (``n`` varies it between records)."""
    if f.name == "guid":
        return new_guid()
    if f.time_format:
        return _SAMPLE_TIME[f.time_format]
    if f.fixed is not None:
        return f.fixed
    if f.enum:
        return f.enum[-1] if f.name == "appStatus" else f.enum[0]
    if f.table:
        return _code(f.table)
    if f.kind == "dec":
        return Decimal("10.5")
    if f.kind == "int":
        return 1
    if f.max_len is not None and f.min_len == f.max_len:
        return (f"{n:0{f.max_len}d}")[-f.max_len:]
    base = f"{f.name}{n}" if f.max_len is None or f.max_len >= 12 else str(n)
    text = "测试" + base if f.max_len is None or f.max_len >= len(base) + 2 else base
    return text[: f.max_len] if f.max_len else text


def _leaf(node: NodeSpec, n: int, *, optional: bool = True):
    values = {f.attr: example_value(f, n) for f in node.fields if f.required or optional}
    return class_for(node)(**values)


def example_record(message_type: str, n: int = 1, *, items: int = 2, optional: bool = True):
    """One valid business record of ``message_type`` (head + ``items`` lines for compound records)."""
    spec = spec_of(message_type)
    rec = spec.record
    if not rec.compound:
        return _leaf(rec, n, optional=optional)
    head = _leaf(rec.head, n, optional=optional)
    lines = []
    if rec.items is not None:
        count = max(items, rec.items_min)
        if rec.items_max is not None:
            count = min(count, rec.items_max)
        for k in range(1, count + 1):
            line = _leaf(rec.items, k, optional=optional)
            if "gnum" in rec.items.by_name:
                line.gnum = k
            if all(name in rec.items.by_name for name in ("qty", "price", "totalPrice")):
                line.qty, line.price, line.total_price = Decimal("1"), Decimal("10.5"), Decimal("10.5")  # = qty × price
            lines.append(line)
    if spec.type == "CEB311":
        head.goods_value = sum((line.total_price for line in lines), Decimal(0))
        head.freight = head.discount = head.tax_total = Decimal("0")
        head.actural_paid = head.goods_value
        for line in lines:
            line.qty, line.price, line.total_price = Decimal("1"), Decimal("10.5"), Decimal("10.5")
        head.goods_value = head.actural_paid = Decimal("10.5") * len(lines)
    return class_for(rec)(head=head, items=lines)


def placeholder_signature() -> etree._Element:
    """A structurally valid ds:Signature with dummy values (for tests and demos only)."""
    ds = f"{{{DS_NS}}}"
    sig = etree.Element(ds + "Signature", nsmap={"ds": DS_NS})
    si = etree.SubElement(sig, ds + "SignedInfo")
    etree.SubElement(si, ds + "CanonicalizationMethod", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    etree.SubElement(si, ds + "SignatureMethod", Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    ref = etree.SubElement(si, ds + "Reference", URI="")
    tr = etree.SubElement(ref, ds + "Transforms")
    etree.SubElement(tr, ds + "Transform", Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
    etree.SubElement(ref, ds + "DigestMethod", Algorithm="http://www.w3.org/2000/09/xmldsig#sha1")
    etree.SubElement(ref, ds + "DigestValue").text = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    etree.SubElement(sig, ds + "SignatureValue").text = "AAAA"
    return sig


def example_message(message_type: str, *, records: int = 1, items: int = 2, optional: bool = True) -> Message:
    """A valid example message with ``records`` business records."""
    spec = spec_of(message_type)
    count = min(records, spec.records_max) if spec.records_max is not None else records
    msg = Message(message_type=spec.type,
                  records=[example_record(spec.type, n, items=items, optional=optional) for n in range(1, count + 1)])
    if spec.base_transfer is not None:
        msg.base_transfer = BaseTransfer(direction=spec.direction, cop_code="1101110325", cop_name="测试传输企业",
                                         dxp_id="DXPENT0000000001")
        msg.base_subscribes = [BaseSubscribe(status="ALL", dxp_mode="DXP", dxp_address="DXPENT0000000002")]
        if spec.signature == "required" or spec.type in ("CEB507", "CEB607"):
            msg.signature = placeholder_signature()
    return msg
