"""Intake (申报受理): ONE pipeline for every channel — CEB XML, JSON, Excel, drop folder.

``accept`` takes a parsed kuajing.ceb message and the authenticated principal and answers a verdict per
record: status 2 (accepted, being declared) or a negative official code with the reason. Each record is
written inside its own SAVEPOINT, so a rejected record leaves nothing behind while the others stand.
Idempotency: a retried message (same bytes from the same enterprise) gets the stored answer again and
stores nothing; an identical resend of a record (same business key, same content hash) gets the
original receipt and stores nothing; a different record under an existing key with appType 1 gets the
official duplicate code; appType 2 modifies and 3 deletes only where the state allows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.ceb import RECEIPT_OF, Issue, Message, build
from kuajing.enterprises.models import Enterprise
from kuajing.imports import errors
from kuajing.imports.choices import INVENTORY_AT_CUSTOMS, INVENTORY_EDITABLE, DocumentStatus, InventoryStatus
from kuajing.imports.models import (
    ImportOrder,
    ImportPayment,
    ImportWaybill,
    Inventory,
    Receipt,
    ReceivedMessage,
)
from kuajing.imports.service import delegations, receipts, values
from kuajing.imports.service.records import (
    DOC_TYPES,
    DocType,
    code_of,
    content_hash,
    head_of,
    load_plugins,
    record_to_json,
)

SHANGHAI_OFFSET_DATE = "%Y%m%d"


@dataclass
class RecordVerdict:
    """The verdict on one record: accepted (status 2) or rejected with a code and the reason."""

    business_key: str
    status: str  # "accepted" | "rejected"
    code: str  # the receipt's returnStatus: "2" or a negative code
    info: str  # the receipt's returnInfo
    replayed: bool = False  # the original receipt of an identical earlier record
    receipt: Any = None  # the receipt record (kuajing.ceb model)
    receipt_id: int | None = None  # its pull cursor


@dataclass
class IntakeResult:
    """The verdicts of one message, in record order, and the receipt message answering it."""

    message_type: str
    receipt_type: str
    records: list[RecordVerdict] = field(default_factory=list)
    replayed: bool = False  # the whole message was a retry: the stored answer, nothing stored
    accepted_ids: list[tuple[str, int]] = field(default_factory=list)  # (message type, document id)

    def receipt_message(self) -> Message:
        """The receipt message (CEB312 for CEB311 …) with one receipt per record."""
        records = [v.receipt for v in self.records]
        guid = records[0].guid if records else None  # stable, so a replayed answer is byte-identical
        return Message(message_type=self.receipt_type, records=records, **({"guid": guid} if guid else {}))


class _Reject(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verdict_from_row(row: Receipt, *, replayed: bool) -> RecordVerdict:
    status = "accepted" if row.return_status == "2" else "rejected"
    return RecordVerdict(business_key=row.business_key, status=status, code=row.return_status, info=row.return_info,
                         replayed=replayed, receipt=receipts.record_of(row), receipt_id=row.id)


def _replay(session: Session, found: ReceivedMessage) -> IntakeResult:
    result = IntakeResult(message_type=found.message_type, receipt_type=RECEIPT_OF[found.message_type], replayed=True)
    rows = {r.id: r for r in session.scalars(select(Receipt).where(Receipt.id.in_(found.receipt_ids or [])))}
    result.records = [_verdict_from_row(rows[i], replayed=True) for i in found.receipt_ids if i in rows]
    return result


def _find_message(session: Session, enterprise_id: int, sha: str) -> ReceivedMessage | None:
    return session.scalars(select(ReceivedMessage).where(ReceivedMessage.sender_enterprise_id == enterprise_id,
                                                         ReceivedMessage.sha256 == sha)).first()


@dataclass(frozen=True)
class _Received:
    """The received-message row (报文接收记录) of the message being taken in: only its id is needed."""

    id: int


def _claim_message(session: Session, *, guid: str, message_type: str, enterprise_id: int, sha: str, channel: str,
                   record_count: int, received_at: datetime) -> _Received | None:
    """Write the received-message row unless this sender already sent these bytes (INSERT … ON CONFLICT DO
    NOTHING RETURNING id, no savepoint): its id, or None for a retry."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = ReceivedMessage.__table__
    stmt = (upsert(table).values(guid=guid, message_type=message_type, sender_enterprise_id=enterprise_id, sha256=sha,
                                 channel=channel, record_count=record_count, accepted_count=0, receipt_ids=[],
                                 received_at=received_at)
            .on_conflict_do_nothing(index_elements=["sender_enterprise_id", "sha256"]).returning(table.c.id))
    id_ = session.connection().execute(stmt).scalar()
    return None if id_ is None else _Received(id_)


def _pre_no(when: datetime, serial: int) -> str:
    """An e-port pre-entry number: B + yyyymmdd + 9-digit serial (18 characters)."""
    from kuajing.ceb.receipt import SHANGHAI

    return f"B{when.astimezone(SHANGHAI).strftime('%Y%m%d')}{serial % 10**9:09d}"


def _receipt_keys(message_type: str, head, doc, when: datetime) -> dict[str, str]:
    """Receipt fields the record itself may lack (copNo, preNo, invtNo of the list receipts)."""
    dt = DOC_TYPES.get(message_type)
    if dt is not None and dt.receipt_keys is not None:
        return dt.receipt_keys(head, doc, when)
    if message_type not in ("CEB621", "CEB623", "CEB625"):
        return {}
    inv = doc if isinstance(doc, (Inventory, NewDocument)) and message_type == "CEB621" else None
    pre_no = (inv.pre_no if inv is not None else None) or head.pre_no
    if not pre_no or len(pre_no) != 18:
        pre_no = _pre_no(when, 0)
    cop_no = head.cop_no or (inv.cop_no if inv is not None else None) or pre_no
    keys = {"pre_no": pre_no, "cop_no": cop_no[:20]}
    invt_no = (inv.invt_no if inv is not None else None) or getattr(head, "invt_no", None)
    if invt_no and len(invt_no) == 18:
        keys["invt_no"] = invt_no
    return keys


def _authorised(session: Session, ent: Enterprise, codes: tuple[str, ...], message_type: str, at: datetime,
                cache: dict[str, Enterprise | None]) -> bool:
    mine = {c for c in (ent.customs_code, ent.uscc) if c}
    if any(code in mine for code in codes if code):
        return True
    for code in codes:
        if not code:
            continue
        if code not in cache:
            cache[code] = delegations.enterprise_by_code(session=session, code=code)
        party = cache[code]
        if party is not None and delegations.allows(session=session, principal_enterprise_id=party.id,
                                                    agent_enterprise_id=ent.id, message_type=message_type, at=at):
            return True
    return False


def _locked_by_list(session: Session, doc) -> bool:
    """Whether a list that customs holds uses this order, payment or waybill (then it may not change)."""
    q = select(Inventory.id).where(Inventory.status.in_([s.value for s in INVENTORY_AT_CUSTOMS]))
    if isinstance(doc, (ImportOrder, ImportPayment)):
        q = q.where(Inventory.order_no == doc.order_no, Inventory.ebp_code == doc.ebp_code)
    elif isinstance(doc, ImportWaybill):
        q = q.where(Inventory.logistics_code == doc.logistics_code, Inventory.logistics_no == doc.logistics_no)
    else:
        return False
    return session.execute(q.limit(1)).first() is not None


def _may_change(session: Session, dt: DocType, doc) -> bool:
    if dt.may_change is not None:
        return dt.may_change(session, doc)
    if isinstance(doc, Inventory):
        return doc.status in {s.value for s in INVENTORY_EDITABLE}
    if dt.message_type in ("CEB623", "CEB625"):
        return doc.customs_status in (None, "100")
    return not _locked_by_list(session, doc)


def _check_list_request(session: Session, dt: DocType, head) -> None:
    """CEB623/625 name a list customs knows (invtNo) in a state that allows the request (flows: docs/imports.md)."""
    inv = session.scalars(select(Inventory).where(Inventory.invt_no == head.invt_no)).first()
    if inv is None:
        raise _Reject(errors.NOT_FOUND[dt.message_type], head.invt_no or "")
    allowed = ({InventoryStatus.customs_accepted, InventoryStatus.review, InventoryStatus.inspection,
                InventoryStatus.decided, InventoryStatus.released} if dt.message_type == "CEB623"
               else {InventoryStatus.released, InventoryStatus.closed})
    if inv.status not in {s.value for s in allowed}:
        raise _Reject(errors.STATE[dt.message_type], head.invt_no or "")
    from kuajing.imports.service.readside import foreign_party

    if (field := foreign_party(inv, head)) is not None:  # the list is another enterprise's (its values not said)
        raise _Reject(errors.NOT_AUTHORISED[dt.message_type], f"{head.invt_no}: {field}")


def _write(session: Session, dt: DocType, record, head, key: str, digest: str, data: dict, doc, ent: Enterprise,
           message: Message, rm: _Received, when: datetime, index: int = 1) -> tuple[Any, str]:
    """Apply one record (appType 1/2/3) to its table; raises _Reject when the state does not allow it."""
    app_type = str(head.app_type)
    live = doc is not None and doc.status != DocumentStatus.deleted.value
    if app_type == "1":
        if live:
            raise _Reject(code_of(dt, "duplicate"), key)
        if dt.check_new is not None:
            if (problem := dt.check_new(session=session, record=record, head=head, when=when,
                                        index=index)) is not None:
                raise _Reject(*problem)
        elif dt.message_type in ("CEB623", "CEB625"):
            _check_list_request(session, dt, head)
            from kuajing.imports.service import returns  # windows and lines of CEB625 (returns helper)

            if (problem := returns.check_request(session=session, message_type=dt.message_type, record=record,
                                                 when=when)) is not None:
                raise _Reject(*problem)
        action = "accept"
    else:
        if not live:
            raise _Reject(code_of(dt, "not_found"), key)
        if not _may_change(session, dt, doc):
            raise _Reject(code_of(dt, "state"), key)
        if app_type == "2" and dt.check_change is not None and (problem := dt.check_change(
                session=session, record=record, head=head, when=when, index=index)) is not None:
            raise _Reject(*problem)
        action = "modify" if app_type == "2" else "delete"
    before = None if doc is None else {"status": doc.status, "app_type": doc.app_type, "content_hash": doc.content_hash}
    history = list(doc.app_history or []) if doc is not None else []
    history.append({"app_type": app_type, "app_status": str(head.app_status), "guid": message.guid,
                    "content_hash": digest, "at": when.isoformat()})
    if action == "delete":
        doc.status = DocumentStatus.deleted.value
        doc.app_type, doc.app_history, doc.message_guid = "3", history, message.guid
        doc.received_message_id = rm.id
    else:
        cols = dt.columns(head)
        if doc is None:
            doc = dt.model(business_key=key, **cols)
            session.add(doc)
        else:
            for name, value in cols.items():
                setattr(doc, name, value)
            if dt.lines is not None:
                for line in list(doc.items):
                    session.delete(line)
                doc.items.clear()
                session.flush()
        stored = dict(data)
        if message.base_transfer is not None:
            stored["_baseTransfer"] = message.base_transfer.to_dict()
        doc.record = json.dumps(stored, ensure_ascii=False)
        doc.sender_enterprise_id = ent.id
        doc.status = dt.initial_status or (InventoryStatus.awaiting_documents.value if isinstance(doc, Inventory)
                                           else DocumentStatus.accepted.value)
        doc.customs_status = None
        doc.app_type, doc.app_status = app_type, str(head.app_status)
        doc.app_history, doc.message_guid, doc.received_message_id = history, message.guid, rm.id
        doc.content_hash = digest
        if dt.lines is not None:
            doc.items = dt.lines(record)
        if isinstance(doc, Inventory):
            doc.mismatches = doc.matched_at = doc.documents_complete_at = None
            doc.tax_channel = doc.taxable_price = doc.duty = doc.vat = doc.consumption_tax = doc.tax_total = None
            doc.quota_reference = doc.stock_reference = doc.last_info = None
        session.flush()
        if isinstance(doc, Inventory) and not doc.pre_no:
            doc.pre_no = head.pre_no if head.pre_no and len(head.pre_no) == 18 else _pre_no(when, doc.id)
            doc.cop_no = doc.cop_no or doc.pre_no
        if dt.reset is not None:
            dt.reset(doc, head, when)
    session.flush()
    audit.record(session=session, action=f"{dt.domain}:{dt.name.replace('_', '-')}:{action}",
                 stream=audit.stream_name(f"{dt.domain}:{dt.name}", key), actor=f"enterprise:{ent.uscc}", subject_id=key,
                 before=before, after={"status": doc.status, "app_type": doc.app_type, "content_hash": digest,
                                       "message_guid": message.guid})
    return doc, action


def _issue_text(issues: list[Issue]) -> str:
    return "；".join(f"{i.path}: {i.message_zh}" if i.path else i.message_zh for i in issues)[:900]


@dataclass
class _Item:
    """One record of the message being received, with what intake derived from it."""

    index: int
    record: Any
    head: Any
    key: str
    data: dict
    digest: str
    issues: list[Issue] | None


def _existing_docs(session: Session, dt: DocType, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        for doc in session.scalars(select(dt.model).where(dt.model.business_key.in_(chunk))):
            found[doc.business_key] = doc
    return found


def _one(session: Session, dt: DocType, it: _Item, doc, ent: Enterprise, message: Message, rm: _Received,
         received_at: datetime, sig, cache: dict, result: IntakeResult) -> RecordVerdict:
    """One record, written inside its own SAVEPOINT (replays, changes, deletions, rejections, races)."""
    record, head, key, data, digest, issues, index = it.record, it.head, it.key, it.data, it.digest, it.issues, it.index
    if (doc is not None and doc.content_hash == digest and doc.status != DocumentStatus.deleted.value
            and str(head.app_type) in ("1", "2")):
        orig = receipts.original(session=session, declaration_type=dt.message_type, business_key=key,
                                 content_hash=digest)
        if orig is not None and orig.enterprise_id == ent.id:
            return _verdict_from_row(orig, replayed=True)
    try:
        if sig.refused:  # signature hook: one signature covers the whole message, so every record
            raise _Reject(sig.code, sig.detail)
        if issues:
            raise _Reject(code_of(dt, "invalid"), _issue_text(issues))
        with session.begin_nested():
            if not _authorised(session, ent, dt.senders(head), dt.message_type, received_at, cache):
                raise _Reject(code_of(dt, "not_authorised"),
                              "/".join(c for c in dt.senders(head) if c))
            doc, action = _write(session, dt, record, head, key, digest, data, doc, ent, message, rm, received_at,
                                 index=index)
            receipt_msg = receipts.make_receipt(message_type=dt.message_type, record=record, status="2",
                                                info=receipts.ACCEPTED_INFO, when=received_at,
                                                **_receipt_keys(dt.message_type, head, doc, received_at))
            row = receipts.store(session=session, enterprise_id=ent.id, declaration_type=dt.message_type,
                                 business_key=key, receipt_message=receipt_msg, when=received_at,
                                 source="platform", content_hash=digest, received_message_id=rm.id)
            session.flush()
        result.accepted_ids.append((dt.message_type, doc.id))
        return RecordVerdict(business_key=key, status="accepted", code="2", info=receipts.ACCEPTED_INFO,
                             receipt=receipt_msg.records[0], receipt_id=row.id)
    except (_Reject, IntegrityError) as exc:
        code = exc.code if isinstance(exc, _Reject) else code_of(dt, "duplicate")
        detail = exc.detail if isinstance(exc, _Reject) else key
        info = receipts.info_for(dt.message_type, code, detail)
        receipt_msg = receipts.make_receipt(message_type=dt.message_type, record=record, status=code, info=info,
                                            when=received_at,
                                            **_receipt_keys(dt.message_type, head, None, received_at))
        row = receipts.store(session=session, enterprise_id=ent.id, declaration_type=dt.message_type,
                             business_key=key, receipt_message=receipt_msg, when=received_at, source="platform",
                             received_message_id=rm.id)
        session.flush()
        return RecordVerdict(business_key=key, status="rejected", code=code, info=info,
                             receipt=receipt_msg.records[0], receipt_id=row.id)


def _write_new(session: Session, dt: DocType, batch: list[_Item], ent: Enterprise, message: Message,
               rm: _Received, when: datetime) -> list[tuple[Any, RecordVerdict]] | None:
    """Write new records (appType 1, key not taken, already checked) together: one SAVEPOINT, one flush of
    the documents (a multi-row INSERT per table), one of the receipts. None when a concurrent writer took
    one of the keys meanwhile (nothing of the batch is kept; the caller goes record by record)."""
    try:
        with session.begin_nested():
            docs = []
            for it in batch:
                doc = dt.model(business_key=it.key, **dt.columns(it.head))
                stored = dict(it.data)
                if message.base_transfer is not None:
                    stored["_baseTransfer"] = message.base_transfer.to_dict()
                doc.record = json.dumps(stored, ensure_ascii=False)
                doc.sender_enterprise_id = ent.id
                doc.status = dt.initial_status or (InventoryStatus.awaiting_documents.value if isinstance(doc, Inventory)
                                                   else DocumentStatus.accepted.value)
                doc.customs_status = None
                doc.app_type, doc.app_status = "1", str(it.head.app_status)
                doc.app_history = [{"app_type": "1", "app_status": str(it.head.app_status), "guid": message.guid,
                                    "content_hash": it.digest, "at": when.isoformat()}]
                doc.message_guid, doc.received_message_id, doc.content_hash = message.guid, rm.id, it.digest
                if dt.lines is not None:
                    doc.items = dt.lines(it.record)
                docs.append(doc)
            session.add_all(docs)
            session.flush()
            out = []
            for it, doc in zip(batch, docs, strict=True):
                if isinstance(doc, Inventory) and not doc.pre_no:
                    head = it.head
                    doc.pre_no = head.pre_no if head.pre_no and len(head.pre_no) == 18 else _pre_no(when, doc.id)
                    doc.cop_no = doc.cop_no or doc.pre_no
                if dt.reset is not None:
                    dt.reset(doc, it.head, when)
                audit.record(session=session, action=f"{dt.domain}:{dt.name.replace('_', '-')}:accept",
                             stream=audit.stream_name(f"{dt.domain}:{dt.name}", it.key), actor=f"enterprise:{ent.uscc}",
                             subject_id=it.key, before=None,
                             after={"status": doc.status, "app_type": doc.app_type, "content_hash": it.digest,
                                    "message_guid": message.guid})
                receipt_msg = receipts.make_receipt(message_type=dt.message_type, record=it.record, status="2",
                                                    info=receipts.ACCEPTED_INFO, when=when,
                                                    **_receipt_keys(dt.message_type, it.head, doc, when))
                row = receipts.store(session=session, enterprise_id=ent.id, declaration_type=dt.message_type,
                                     business_key=it.key, receipt_message=receipt_msg, when=when,
                                     source="platform", content_hash=it.digest, received_message_id=rm.id)
                out.append((doc, row, receipt_msg))
            session.flush()
    except IntegrityError:
        return None
    return [(doc, RecordVerdict(business_key=it.key, status="accepted", code="2", info=receipts.ACCEPTED_INFO,
                                receipt=receipt_msg.records[0], receipt_id=row.id))
            for it, (doc, row, receipt_msg) in zip(batch, out, strict=True)]


class NewDocument(SimpleNamespace):
    """A document just written by a Core INSERT (新受理单证): its id and column values. Not an ORM object and
    not tracked by the session; what the receipt and the follow-up of intake (flow.after_accept) read."""


def _lines_target(model) -> tuple[Any, str]:
    """The line table (表体) of a document model and the name of its column pointing at the document."""
    prop = sa_inspect(model).relationships["items"]
    ((_, fk),) = prop.local_remote_pairs
    return prop.mapper.local_table, fk.name


def _write_new_core(session: Session, dt: DocType, batch: list[_Item], ent: Enterprise, message: Message,
                    rm: _Received, when: datetime) -> list[tuple[NewDocument, RecordVerdict]] | None:
    """:func:`_write_new` without ORM objects: the documents in one multi-row INSERT … RETURNING id, their
    lines in one executemany INSERT, the list numbers (preNo) in one executemany UPDATE, the receipts in one
    multi-row INSERT … RETURNING id — inside one SAVEPOINT. Same rows, receipts and audit events as the ORM
    path; None when a concurrent writer took one of the keys meanwhile (nothing of the batch is kept)."""
    table = dt.model.__table__
    is_list = dt.model is Inventory
    status = dt.initial_status or (InventoryStatus.awaiting_documents.value if is_list
                                   else DocumentStatus.accepted.value)
    transfer = message.base_transfer.to_dict() if message.base_transfer is not None else None
    at = when.isoformat()
    rows = []
    for it in batch:
        stored = dict(it.data)
        if transfer is not None:
            stored["_baseTransfer"] = transfer
        app_status = str(it.head.app_status)
        row = dt.columns(it.head)
        row.update(business_key=it.key, record=json.dumps(stored, ensure_ascii=False),
                   sender_enterprise_id=ent.id, status=status, customs_status=None, app_type="1",
                   app_status=app_status,
                   app_history=[{"app_type": "1", "app_status": app_status, "guid": message.guid,
                                 "content_hash": it.digest, "at": at}],
                   message_guid=message.guid, received_message_id=rm.id, content_hash=it.digest)
        rows.append(row)
    try:
        with session.begin_nested():
            # the connection asked for INSIDE the savepoint block: the session emits SAVEPOINT on first use
            conn = session.connection()
            ids = list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                    rows).scalars())
            docs = [NewDocument(id=id_, invt_no=None, pre_no=None, **row) for row, id_ in zip(rows, ids, strict=True)]
            if dt.line_rows is not None:
                lines_table, fk = _lines_target(dt.model)
                for it, doc in zip(batch, docs, strict=True):
                    doc.lines = dt.line_rows(it.record)
                lines = [{fk: doc.id, **line} for doc in docs for line in doc.lines]
                if lines:
                    conn.execute(insert(lines_table), lines)
            if is_list:  # the platform's pre-entry number (预录入编号): the list's own, or made from its id
                for it, doc in zip(batch, docs, strict=True):
                    head = it.head
                    doc.pre_no = head.pre_no if head.pre_no and len(head.pre_no) == 18 else _pre_no(when, doc.id)
                    doc.cop_no = doc.cop_no or doc.pre_no
                conn.execute(update(table).where(table.c.id == bindparam("_id"))
                             .values(pre_no=bindparam("_pre_no"), cop_no=bindparam("_cop_no")),
                             [{"_id": d.id, "_pre_no": d.pre_no, "_cop_no": d.cop_no} for d in docs])
            action = f"{dt.domain}:{dt.name.replace('_', '-')}:accept"
            actor = f"enterprise:{ent.uscc}"
            receipt_rows, receipt_msgs = [], []
            for it, doc in zip(batch, docs, strict=True):
                audit.record(session=session, action=action, stream=audit.stream_name(f"{dt.domain}:{dt.name}", it.key),
                             actor=actor, subject_id=it.key, before=None,
                             after={"status": doc.status, "app_type": doc.app_type, "content_hash": it.digest,
                                    "message_guid": message.guid})
                receipt_msg = receipts.make_receipt(message_type=dt.message_type, record=it.record, status="2",
                                                    info=receipts.ACCEPTED_INFO, when=when,
                                                    **_receipt_keys(dt.message_type, it.head, doc, when))
                receipt_msgs.append(receipt_msg)
                receipt_rows.append(receipts.values(
                    enterprise_id=ent.id, declaration_type=dt.message_type, business_key=it.key,
                    receipt_message=receipt_msg, when=when, source="platform", content_hash=it.digest,
                    received_message_id=rm.id))
            receipt_ids = receipts.insert_many(session=session, rows=receipt_rows)
    except IntegrityError:
        return None
    return [(doc, RecordVerdict(business_key=it.key, status="accepted", code="2", info=receipts.ACCEPTED_INFO,
                                receipt=receipt_msg.records[0], receipt_id=receipt_id))
            for it, doc, receipt_msg, receipt_id in zip(batch, docs, receipt_msgs, receipt_ids, strict=True)]


def accept(*, session: Session, message: Message, principal, received_at: datetime, raw: bytes | None = None,
           channel: str = "ceb", record_issues: dict[int, list[Issue]] | None = None) -> IntakeResult:
    """Receive one message from ``principal`` and answer a verdict per record (never commits).

    The audit events of the whole message are written in one batch at the end (audit.deferred); those of
    a record whose savepoint is rolled back are dropped with it.
    """
    with audit.deferred(session):
        return _accept(session=session, message=message, principal=principal, received_at=received_at, raw=raw,
                       channel=channel, record_issues=record_issues)


def _accept(*, session: Session, message: Message, principal, received_at: datetime, raw: bytes | None,
            channel: str, record_issues: dict[int, list[Issue]] | None) -> IntakeResult:
    if principal is None or principal.enterprise_id is None:
        raise errors.no_enterprise()
    load_plugins()
    dt = DOC_TYPES.get(message.message_type)
    if dt is None:
        raise errors.unsupported_type(message.message_type)
    # the sender: only the three columns intake reads (one query, no ORM object and no eager-loaded roles)
    ent = session.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.customs_code)
                          .where(Enterprise.id == principal.enterprise_id)).first()
    if ent is None:
        raise errors.no_enterprise()
    sha = _sha256(raw if raw is not None else build(message, validate=False))
    # claim the message (报文接收记录) in one statement: a retry of the same bytes conflicts and gets the
    # stored answer (a concurrent first copy is waited for by the unique index, then answered the same way)
    rm = _claim_message(session, guid=message.guid, message_type=dt.message_type, enterprise_id=ent.id, sha=sha,
                        channel=channel, record_count=len(message.records), received_at=received_at)
    if rm is None:
        found = _find_message(session, ent.id, sha)
        if found is None:  # pragma: no cover - the conflicting row is always visible once its writer is done
            raise RuntimeError(f"received message {sha} conflicts but cannot be read")
        return _replay(session, found)
    # --- signature hook (kuajing.certificates): verified once per message, pinned to the sender's registry ---
    from kuajing.certificates.service import check_incoming, keep_evidence

    sig = check_incoming(session=session, enterprise_id=ent.id, message_type=dt.message_type, message=message,
                         raw=raw, when=received_at)
    keep_evidence(session=session, check=sig, enterprise_id=ent.id, message_type=dt.message_type,
                  message_guid=message.guid, received_message_id=rm.id, when=received_at)  # signature hook

    # the platform's own value checks (negative amounts, line totals, ID type), beside the message layer's issues
    checked = values.record_issues(message)
    if checked:
        record_issues = {n: [*(record_issues or {}).get(n, []), *checked.get(n, [])]
                         for n in set(record_issues or {}) | set(checked)}
    result = IntakeResult(message_type=dt.message_type, receipt_type=RECEIPT_OF[dt.message_type])
    cache: dict[str, Enterprise | None] = {}
    ids: list[int] = []
    items = []
    for index, record in enumerate(message.records, start=1):
        head = head_of(dt.message_type, record)
        data = record_to_json(dt.message_type, record)
        items.append(_Item(index, record, head, dt.key(head), data, content_hash(dt.message_type, data),
                           (record_issues or {}).get(index)))
    # every existing document the message names, in one query (set-based); then each record is decided in
    # Python and the new ones are written together (one INSERT per table), see _write_new
    existing = {} if sig.refused else _existing_docs(session, dt, [it.key for it in items if not it.issues])
    seen: dict[str, int] = {}
    for it in items:
        seen[it.key] = seen.get(it.key, 0) + 1
    fresh: list[_Item] = []
    written: dict[tuple[str, int], NewDocument] = {}  # documents written without ORM objects, for after_accept

    def flush_fresh() -> None:
        if not fresh:
            return
        if dt.core_insert:
            verdicts = _write_new_core(session, dt, fresh, ent, message, rm, received_at)
            if verdicts is not None:
                written.update({(dt.message_type, doc.id): doc for doc, _ in verdicts})
        else:
            verdicts = _write_new(session, dt, fresh, ent, message, rm, received_at)
        if verdicts is None:  # a concurrent writer took one of the keys: record by record, as the slow path
            for item in fresh:
                doc = session.scalars(select(dt.model).where(dt.model.business_key == item.key)).first()
                verdicts_one = _one(session, dt, item, doc, ent, message, rm, received_at, sig, cache, result)
                result.records.append(verdicts_one)
                ids.append(verdicts_one.receipt_id)
        else:
            for doc, verdict in verdicts:
                result.accepted_ids.append((dt.message_type, doc.id))
                result.records.append(verdict)
                ids.append(verdict.receipt_id)
        fresh.clear()

    for it in items:
        doc = None if it.issues or sig.refused else existing.get(it.key)
        if (not sig.refused and not it.issues and doc is None and str(it.head.app_type) == "1"
                and seen[it.key] == 1 and dt.check_new is None and dt.message_type not in ("CEB623", "CEB625")
                and _authorised(session, ent, dt.senders(it.head), dt.message_type, received_at, cache)):
            fresh.append(it)
            continue
        flush_fresh()
        if seen[it.key] > 1 and not it.issues and not sig.refused:  # an earlier record of this message may have it
            doc = session.scalars(select(dt.model).where(dt.model.business_key == it.key)).first()
        verdict = _one(session, dt, it, doc, ent, message, rm, received_at, sig, cache, result)
        result.records.append(verdict)
        ids.append(verdict.receipt_id)
    flush_fresh()
    table = ReceivedMessage.__table__
    session.connection().execute(update(table).where(table.c.id == rm.id).values(
        receipt_ids=ids, accepted_count=sum(1 for v in result.records if v.status == "accepted" and not v.replayed)))
    session.flush()
    if dt.after_accept is not None:  # a type another domain registered (exports): its own follow-up
        dt.after_accept(session=session, accepted=result.accepted_ids, when=received_at)
    else:
        from kuajing.imports.service.flow import after_accept

        after_accept(session=session, accepted=result.accepted_ids, when=received_at, written=written)
    return result
