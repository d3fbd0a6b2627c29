"""Hardened XML parsing and the signature hooks (安全解析与签名位置).

``safe_parse`` never resolves entities, never touches the network, never loads a DTD and refuses
any document that carries a DOCTYPE (so XXE and "billion laughs" are rejected, never expanded).
The size limit is checked before the parser sees a byte.

Signature placement (for the signing helper): the enveloped ``ds:Signature`` is a direct child of
the root. Import messages (CEB3xx–CEB7xx import) put it AFTER ``ExtendMessage`` (last child);
export messages put it right after the last ``BaseSubscribe``/``BaseTransfer`` and BEFORE
``ExtendMessage``. :func:`insert_signature` does exactly that.
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from kuajing.ceb.issues import CebError, Issue, IssueCode
from kuajing.ceb.spec import CEB_NS, DS_NS

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB
_CEB = f"{{{CEB_NS}}}"
_local = threading.local()
_ROOT_START = re.compile(rb"<[A-Za-z_]")
# the prolog before the root element: white space, the XML declaration and processing instructions, comments
_PROLOG = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*", re.S)
_ROOT_NAME = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[ \t\r\n/>]")


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            remove_pis=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _fail(code: IssueCode, zh: str, en: str, value: str | None = None) -> CebError:
    return CebError([Issue(code=code, path="", value=value, message_zh=zh, message_en=en)])


def safe_parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into a root element, or raise :class:`CebError` with a stable code."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("safe_parse() takes bytes")
    if len(data) > max_bytes:
        raise _fail(IssueCode.XML_TOO_LARGE, f"报文大小{len(data)}字节，超过上限{max_bytes}字节",
                    f"message is {len(data)} bytes, above the limit of {max_bytes}", str(len(data)))
    data = bytes(data)
    root_start = _ROOT_START.search(data)
    prolog = data[: root_start.start()] if root_start else data
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise _fail(IssueCode.XML_DOCTYPE, "报文不得含有DOCTYPE或实体声明", "DOCTYPE/ENTITY declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _fail(IssueCode.XML_MALFORMED, f"XML格式错误：{exc}", f"malformed XML: {exc}") from None
    except (ValueError, LookupError) as exc:
        raise _fail(IssueCode.XML_ENCODING, f"XML编码错误：{exc}", f"bad XML encoding: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # e.g. a UTF-16 document that hid its DOCTYPE from the byte scan above
        raise _fail(IssueCode.XML_DOCTYPE, "报文不得含有DOCTYPE或实体声明", "DOCTYPE/ENTITY declarations are not allowed")
    return root


def root_name(data: bytes) -> str | None:
    """The local name of the root element of UTF-8 (or ASCII) ``data``, read from the bytes after the BOM,
    the XML declaration, comments and processing instructions without parsing the document; None when the
    prolog holds anything else (a DOCTYPE …: :func:`safe_parse` answers it) or the name cannot be read."""
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    prolog = _PROLOG.match(data, start)
    found = _ROOT_NAME.match(data, prolog.end() if prolog else start)
    return found.group(1).decode("ascii", "replace") if found else None


def serialize(root: etree._Element) -> bytes:
    """The root element as UTF-8 bytes with an XML declaration (no character references for CJK)."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def insert_signature(root: etree._Element, signature: etree._Element) -> etree._Element:
    """Put ``signature`` (a ds:Signature element) at its place for the root's direction; returns root."""
    from kuajing.ceb.messages import BY_ROOT

    if signature.tag != f"{{{DS_NS}}}Signature":
        raise ValueError("not a ds:Signature element")
    for old in root.findall(f"{{{DS_NS}}}Signature"):
        root.remove(old)
    spec = BY_ROOT.get(etree.QName(root).localname)
    if spec is None or spec.base_transfer is None:
        raise ValueError("this message type carries no signature")
    ext = root.find(_CEB + "ExtendMessage")
    if spec.direction == "export" and ext is not None:
        ext.addprevious(signature)
    else:
        root.append(signature)
    return root


def signature_position(message_type: str) -> str:
    """``"after ExtendMessage"`` (import) or ``"before ExtendMessage"`` (export)."""
    from kuajing.ceb.messages import spec_of

    return "after ExtendMessage" if spec_of(message_type).direction == "import" else "before ExtendMessage"
