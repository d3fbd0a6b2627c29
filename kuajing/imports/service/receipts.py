"""Receipts (回执): write one per record, replay the original, pull with a cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kuajing.ceb import build, explain, parse, receipt_for
from kuajing.ceb.receipt import return_time
from kuajing.imports import errors
from kuajing.imports.models import Receipt

ACCEPTED_INFO = "电子口岸申报中：报文已受理"


def info_for(message_type: str, code: str, detail: str = "") -> str:
    """The Chinese returnInfo of ``code`` (catalogue meaning, or ours), with ``detail`` appended."""
    from kuajing.imports.service.records import DOC_TYPES

    own = DOC_TYPES[message_type].own_codes if message_type in DOC_TYPES else None
    if own and code in own:  # a code of the domain that registered the type (exports)
        text = own[code][0]
    elif code in errors.OWN_CODES:
        text = errors.OWN_CODES[code][0]
    else:
        entry = explain(message_type, code)
        text = entry.meaning_zh if entry else code
    # the catalogue's placeholder ([*] or *) stands where the detail goes ("参数校验不通过，*"); without one the detail
    # follows a colon; without a detail the placeholder and the punctuation before it go
    mark = "[*]" if "[*]" in text else "*" if "*" in text else None
    if detail:
        text = text.replace(mark, detail, 1) if mark else f"{text}：{detail}"
    elif mark:
        text = text.replace(mark, "", 1).rstrip("，,：: ")
    return text.replace("[*]", "").replace("*", "")[:1000]


def make_receipt(*, message_type: str, record, status: str, info: str, when: datetime, **keys):
    """The receipt record (CEB312 … one record) answering ``record`` of ``message_type``."""
    return receipt_for(message_type, record, status, info, when, **keys)


def values(*, enterprise_id: int, declaration_type: str, business_key: str, receipt_message, when: datetime,
           source: str, content_hash: str | None = None, received_message_id: int | None = None) -> dict:
    """The column values of one receipt row (what :func:`store` writes), as a plain dict."""
    rec = receipt_message.records[0]
    rec = rec.head if hasattr(rec, "head") else rec  # e-tax bills (CEB816/818) carry a head and lines
    return dict(enterprise_id=enterprise_id, message_type=receipt_message.message_type,
                declaration_type=declaration_type, business_key=business_key[:160],
                return_status=str(rec.get("returnStatus") or rec.get("status") or ""),
                return_info=str(rec.get("returnInfo", "")), return_time=str(rec.get("returnTime") or return_time(when)),
                returned_at=when, source=source, content_hash=content_hash, received_message_id=received_message_id,
                receipt_xml=build(receipt_message, validate=False))


def store(*, session: Session, enterprise_id: int, declaration_type: str, business_key: str, receipt_message,
          when: datetime, source: str, content_hash: str | None = None,
          received_message_id: int | None = None) -> Receipt:
    """Write one receipt for ``enterprise_id`` to pull (its id is the cursor)."""
    row = Receipt(**values(enterprise_id=enterprise_id, declaration_type=declaration_type, business_key=business_key,
                           receipt_message=receipt_message, when=when, source=source, content_hash=content_hash,
                           received_message_id=received_message_id))
    session.add(row)
    return row


def store_many(*, session: Session, receipts: list[dict]) -> None:
    """Write many receipts (each given as :func:`store`'s keyword arguments) in one multi-row INSERT, in
    order (so their cursors follow that order)."""
    if receipts:
        session.execute(insert(Receipt), [values(**kwargs) for kwargs in receipts])


def insert_many(*, session: Session, rows: list[dict]) -> list[int]:
    """Write receipts given as :func:`values` dicts in ONE multi-row INSERT (Core, no ORM objects); returns
    their ids (pull cursors) in order. The committed platform verdicts are counted as :func:`store`'s are."""
    if not rows:
        return []
    table = Receipt.__table__
    ids = list(session.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    from kuajing.pipeline import metrics

    metrics.note_verdicts(session, [(r["declaration_type"], r["return_status"]) for r in rows
                                    if r["source"] == "platform"])
    return ids


def original(*, session: Session, declaration_type: str, business_key: str, content_hash: str) -> Receipt | None:
    """The first platform receipt that accepted this content under this key (what an identical resend gets)."""
    return session.scalars(
        select(Receipt).where(Receipt.declaration_type == declaration_type, Receipt.business_key == business_key,
                              Receipt.content_hash == content_hash, Receipt.source == "platform",
                              Receipt.return_status == "2")
        .order_by(Receipt.id).limit(1)
    ).first()


def record_of(row: Receipt):
    """The receipt record stored in ``row`` (parsed back from its XML)."""
    return parse(row.receipt_xml, validate=False).records[0]


@dataclass(frozen=True)
class ReceiptPage:
    """A page of receipts and the cursor to continue from."""

    items: list[Receipt]
    next_cursor: int
    more: bool


def pull(*, session: Session, enterprise_id: int, after: int = 0, limit: int = 100) -> ReceiptPage:
    """The enterprise's receipts with a cursor greater than ``after``, oldest first."""
    rows = list(session.scalars(
        select(Receipt).where(Receipt.enterprise_id == enterprise_id, Receipt.id > after)
        .order_by(Receipt.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return ReceiptPage(items=rows, next_cursor=rows[-1].id if rows else after, more=more)
