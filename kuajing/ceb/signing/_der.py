"""Just enough ASN.1 DER to read and write SM2 keys and certificates (cryptography has no SM2 curve)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
UTF8_STRING = 0x0C
PRINTABLE_STRING = 0x13
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
BOOLEAN = 0x01


class DerError(ValueError):
    """Raised when bytes are not the DER structure expected."""


@dataclass(frozen=True)
class Tlv:
    """One decoded tag-length-value: ``raw`` is the whole encoding, ``value`` the content octets."""

    tag: int
    value: bytes
    raw: bytes


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one element."""
    return bytes([tag]) + _length(len(value)) + value


def seq(*items: bytes) -> bytes:
    """Encode a SEQUENCE of already-encoded items."""
    return tlv(SEQUENCE, b"".join(items))


def integer(n: int) -> bytes:
    """Encode a (signed, minimal) INTEGER."""
    length = max(1, (n.bit_length() + 8) // 8) if n >= 0 else (n.bit_length() + 8) // 8
    return tlv(INTEGER, n.to_bytes(length, "big", signed=True))


def oid(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER from its dotted form."""
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def bit_string(data: bytes) -> bytes:
    """Encode a BIT STRING with no unused bits."""
    return tlv(BIT_STRING, b"\x00" + data)


def octet_string(data: bytes) -> bytes:
    """Encode an OCTET STRING."""
    return tlv(OCTET_STRING, data)


def utf8(text: str) -> bytes:
    """Encode a UTF8String."""
    return tlv(UTF8_STRING, text.encode("utf-8"))


def printable(text: str) -> bytes:
    """Encode a PrintableString."""
    return tlv(PRINTABLE_STRING, text.encode("ascii"))


def time(value: dt.datetime) -> bytes:
    """Encode a certificate time: UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5)."""
    value = value.astimezone(dt.UTC)
    if value.year < 2050:
        return tlv(UTC_TIME, value.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, value.strftime("%Y%m%d%H%M%SZ").encode())


def explicit(number: int, inner: bytes) -> bytes:
    """Encode a context-specific constructed (EXPLICIT) tag around ``inner``."""
    return tlv(0xA0 | number, inner)


def read(data: bytes, pos: int = 0) -> tuple[Tlv, int]:
    """Decode the element at ``pos``; return it and the position after it."""
    try:
        tag = data[pos]
        first = data[pos + 1]
    except IndexError as exc:
        raise DerError("truncated DER element") from exc
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not supported")
    head = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("unsupported DER length")
        length = int.from_bytes(data[head : head + count], "big")
        head += count
    end = head + length
    if end > len(data):
        raise DerError("truncated DER element")
    return Tlv(tag, data[head:end], data[pos:end]), end


def children(value: bytes) -> list[Tlv]:
    """Decode every element in the content octets of a constructed element."""
    out: list[Tlv] = []
    pos = 0
    while pos < len(value):
        item, pos = read(value, pos)
        out.append(item)
    return out


def parse(data: bytes, expected_tag: int | None = None) -> Tlv:
    """Decode exactly one element that fills ``data``."""
    item, end = read(data)
    if end != len(data):
        raise DerError("trailing bytes after DER element")
    if expected_tag is not None and item.tag != expected_tag:
        raise DerError(f"expected DER tag 0x{expected_tag:02x}, got 0x{item.tag:02x}")
    return item


def to_int(item: Tlv) -> int:
    """Read an INTEGER."""
    if item.tag != INTEGER:
        raise DerError("expected INTEGER")
    return int.from_bytes(item.value, "big", signed=True)


def to_oid(item: Tlv) -> str:
    """Read an OBJECT IDENTIFIER as dotted text."""
    if item.tag != OID or not item.value:
        raise DerError("expected OBJECT IDENTIFIER")
    first = item.value[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    n = 0
    for b in item.value[1:]:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    return ".".join(str(p) for p in parts)


def to_bits(item: Tlv) -> bytes:
    """Read a BIT STRING with no unused bits."""
    if item.tag != BIT_STRING or not item.value or item.value[0] != 0:
        raise DerError("expected BIT STRING without unused bits")
    return item.value[1:]
