"""Generate (and cache) an XSD from our own definitions, so lxml's C validator gates the fast path.

The generated schema expresses everything the Python checker in :mod:`kuajing.ceb.validate`
checks per field (structure, lengths, digits, enumerations, time patterns and, optionally, the
customs code tables as enumerations). A document that passes it needs no further per-field work;
one that fails it is walked in Python to report every violation with its path.
"""

from __future__ import annotations

import threading
from xml.sax.saxutils import quoteattr

from lxml import etree

from kuajing.ceb.codes import message_codes
from kuajing.ceb.spec import CEB_NS, DS_NS, TIME_FORMATS, FieldSpec, MessageSpec, NodeSpec

_local = threading.local()


def _occ(lo: int, hi: int | None) -> str:
    return f' minOccurs="{lo}" maxOccurs="{"unbounded" if hi is None else hi}"'


def _field(f: FieldSpec, rules: bool, codes: bool, out: list[str]) -> None:
    occ = "" if f.required else ' minOccurs="0"'
    facets: list[str] = []
    if f.kind == "dec":
        base = "xs:decimal"
        facets.append(f'<xs:totalDigits value="{f.total_digits}"/><xs:fractionDigits value="{f.fraction_digits}"/>')
    elif f.kind == "int":
        base = "xs:int"
        if f.total_digits:
            facets.append(f'<xs:totalDigits value="{f.total_digits}"/>')
    else:
        base = "xs:string"
        if f.max_len is not None and f.min_len == f.max_len:
            facets.append(f'<xs:length value="{f.max_len}"/>')
        else:
            if f.min_len:
                facets.append(f'<xs:minLength value="{f.min_len}"/>')
            if f.max_len is not None:
                facets.append(f'<xs:maxLength value="{f.max_len}"/>')
        if f.time_format and rules:
            facets.append(f'<xs:pattern value="{TIME_FORMATS[f.time_format][1]}"/>')
        values: tuple[str, ...] | None = f.enum if rules else None
        if f.fixed is not None:
            values = (f.fixed,)
        if values is None and f.table and codes and rules:
            values = tuple(sorted(message_codes(f.table)))
        if values is not None:
            if f.min_len == 0:
                values = ("", *values)
            facets.extend(f"<xs:enumeration value={quoteattr(v)}/>" for v in values)
    out.append(
        f'<xs:element name="{f.name}"{occ}><xs:simpleType><xs:restriction base="{base}">'
        f'{"".join(facets)}</xs:restriction></xs:simpleType></xs:element>'
    )


def _leaf(node: NodeSpec, occ: str, rules: bool, codes: bool, out: list[str]) -> None:
    out.append(f'<xs:element name="{node.name}"{occ}><xs:complexType><xs:sequence>')
    for f in node.fields:
        _field(f, rules, codes, out)
    out.append("</xs:sequence></xs:complexType></xs:element>")


def _record(node: NodeSpec, occ: str, rules: bool, codes: bool, out: list[str]) -> None:
    if not node.compound:
        _leaf(node, occ, rules, codes, out)
        return
    out.append(f'<xs:element name="{node.name}"{occ}><xs:complexType><xs:sequence>')
    _leaf(node.head, "", rules, codes, out)
    if node.items is not None:
        _leaf(node.items, _occ(node.items_min, node.items_max), rules, codes, out)
    out.append("</xs:sequence></xs:complexType></xs:element>")


_EXTEND = (
    '<xs:element name="ExtendMessage" minOccurs="0"><xs:complexType><xs:sequence>'
    '<xs:element name="name"><xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="30"/>'
    '</xs:restriction></xs:simpleType></xs:element>'
    '<xs:element name="version"><xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="30"/>'
    '</xs:restriction></xs:simpleType></xs:element>'
    '<xs:element name="Message"><xs:complexType><xs:sequence>'
    '<xs:any namespace="##any" processContents="skip" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>'
    "</xs:sequence></xs:complexType></xs:element>"
)


def generate_xsd(spec: MessageSpec, *, rules: bool = True, codes: bool = True) -> str:
    """The XSD text of one message from our definitions.

    ``rules=False`` gives the pure structure (what the official XSD checks); ``rules`` adds the
    enumerations and time patterns; ``codes`` (with ``rules``) adds the customs code tables.
    """
    out = [
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{CEB_NS}" '
        f'xmlns:ceb="{CEB_NS}" elementFormDefault="qualified" attributeFormDefault="unqualified">',
        f'<xs:element name="{spec.root}"><xs:complexType><xs:sequence>',
    ]
    _record(spec.record, _occ(spec.records_min, spec.records_max), rules, codes, out)
    if spec.base_transfer is not None:
        _leaf(spec.base_transfer, "", rules, codes, out)
        _leaf(spec.base_subscribe, _occ(0, 5), rules, codes, out)
        sig_min = 1 if spec.signature == "required" else 0
        sig = f'<xs:any namespace="{DS_NS}" processContents="skip" minOccurs="{sig_min}"/>'
        out.append(_EXTEND + sig if spec.direction == "import" else sig + _EXTEND)
    out.append(
        "</xs:sequence>"
        '<xs:attribute name="guid" use="required"><xs:simpleType><xs:restriction base="xs:string">'
        '<xs:length value="36"/></xs:restriction></xs:simpleType></xs:attribute>'
        '<xs:attribute name="version" use="required"><xs:simpleType><xs:restriction base="xs:string">'
        '<xs:minLength value="1"/><xs:maxLength value="10"/></xs:restriction></xs:simpleType></xs:attribute>'
        "</xs:complexType></xs:element></xs:schema>"
    )
    return "".join(out)


def schema_for(spec: MessageSpec, *, rules: bool = True, codes: bool = True) -> etree.XMLSchema:
    """The compiled schema of ``spec`` (cached per thread; code tables are read when first compiled)."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (spec.type, rules, rules and codes)
    schema = cache.get(key)
    if schema is None:
        schema = cache[key] = etree.XMLSchema(etree.fromstring(generate_xsd(spec, rules=rules, codes=codes).encode()))
    return schema


def clear_cache() -> None:
    """Forget the compiled schemas of this thread (e.g. after the code tables changed)."""
    _local.cache = {}
