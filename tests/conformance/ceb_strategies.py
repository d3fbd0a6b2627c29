"""Hypothesis strategies that build valid CEB messages from our own definitions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import strategies as st
from lxml import etree

from kuajing.ceb.codes import message_codes
from kuajing.ceb.examples import placeholder_signature
from kuajing.ceb.messages import spec_of
from kuajing.ceb.models import BaseSubscribe, BaseTransfer, ExtendMessage, Message, class_for
from kuajing.ceb.spec import FieldSpec, NodeSpec

ALPHABET = st.sampled_from(list("ABCXYZabcxyz0123456789-_.&<>\"'中文测试海关跨境电商李宝"))
_FORMATS = {"D8": "%Y%m%d", "T14": "%Y%m%d%H%M%S", "T17": "%Y%m%d%H%M%S"}


def field_values(f: FieldSpec) -> st.SearchStrategy:
    """Valid values of one field."""
    if f.fixed is not None:
        return st.just(f.fixed)
    if f.time_format:
        moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
        fmt = _FORMATS[f.time_format]
        return moments.map(lambda d: d.strftime(fmt) + (f"{d.microsecond // 1000:03d}" if f.time_format == "T17" else ""))
    if f.enum:
        return st.sampled_from(f.enum)
    if f.table:
        return st.sampled_from(sorted(message_codes(f.table)))
    if f.kind == "dec":
        return st.builds(lambda i, k: Decimal(i).scaleb(-k), st.integers(-(10**13), 10**13), st.integers(0, 5))
    if f.kind == "int":
        hi = 10**f.total_digits - 1 if f.total_digits else 2**31 - 1
        return st.integers(0, hi)
    lo, hi = f.min_len, f.max_len
    if hi is not None and lo == hi:
        return st.text(ALPHABET, min_size=hi, max_size=hi)
    cap = 8 if hi is None else min(hi, 8)
    short = st.text(ALPHABET, min_size=lo, max_size=max(lo, cap))
    if hi is None or hi > 100:
        return short
    return st.one_of(short, st.text(ALPHABET, min_size=hi, max_size=hi))  # exactly the maximum length


def leaf(node: NodeSpec) -> st.SearchStrategy:
    """A valid leaf record of ``node`` (optional fields randomly absent)."""
    parts = {f.attr: field_values(f) if f.required else st.one_of(st.none(), field_values(f)) for f in node.fields}
    return st.fixed_dictionaries(parts).map(lambda kw: class_for(node)(**kw))


def record(node: NodeSpec) -> st.SearchStrategy:
    if not node.compound:
        return leaf(node)
    if node.items is None:
        items = st.just([])
    else:
        hi = 2 if node.items_max is None else min(2, node.items_max)
        items = st.lists(leaf(node.items), min_size=node.items_min, max_size=max(hi, node.items_min))
    return st.builds(lambda h, i: class_for(node)(head=h, items=i), leaf(node.head), items)


def _fix_rules(msg: Message) -> Message:
    spec = msg.spec
    for rec in msg.records:
        if spec.record.compound and spec.record.items is not None and "gnum" in spec.record.items.by_name:
            for n, item in enumerate(rec.items, 1):
                item.gnum = n
        if spec.type == "CEB311":
            h = rec.head
            h.actural_paid = h.goods_value + h.freight + h.tax_total - h.discount
    if spec.type in ("CEB507", "CEB607") and msg.signature is None:
        msg.signature = placeholder_signature()
    return msg


@st.composite
def messages(draw, message_type: str) -> Message:
    """A whole valid message of ``message_type``."""
    spec = spec_of(message_type)
    hi = 2 if spec.records_max is None else min(2, spec.records_max)
    msg = Message(message_type=spec.type, records=draw(st.lists(record(spec.record), min_size=1, max_size=hi)),
                  guid=draw(st.text(ALPHABET, min_size=36, max_size=36)), version="1.0")
    if spec.base_transfer is not None:
        msg.base_transfer = draw(leaf(spec.base_transfer))
        msg.base_subscribes = draw(st.lists(leaf(spec.base_subscribe), max_size=2))
        if spec.signature == "required" or draw(st.booleans()):
            msg.signature = placeholder_signature()
        if draw(st.booleans()):
            msg.extend_message = ExtendMessage(name="ext", version="1.0",
                                               content=etree.fromstring(b"<x:any xmlns:x='urn:x'>1</x:any>"))
    return _fix_rules(msg)


__all__ = ["messages", "BaseSubscribe", "BaseTransfer"]
