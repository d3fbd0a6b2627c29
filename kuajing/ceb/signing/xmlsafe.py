"""Hardened XML parsing for customs messages: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree


class UnsafeXmlError(ValueError):
    """The XML was refused before use: DOCTYPE/entities, too large, or not well-formed."""

DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # a CEB message holds at most 100 documents of 99 lines each


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse ``data`` safely; UnsafeXmlError for a DOCTYPE, an entity, excess size or malformed XML."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UnsafeXmlError("XML must be given as bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"XML is {len(data)} bytes, more than the limit of {max_bytes}")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeXmlError("XML with a DOCTYPE or ENTITY declaration is refused")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"XML is not well-formed: {exc}") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:  # e.g. a UTF-16 document
        raise UnsafeXmlError("XML with a DOCTYPE or ENTITY declaration is refused")
    return tree
