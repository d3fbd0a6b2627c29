"""The customs sandbox (海关模拟器): a built-in customs that answers as customs does.

What customs knows lives in the tables of :mod:`kuajing.customs.models`. ``receive`` takes a built CEB
message, records each record and queues the immediate receipt (2, or a negative official code);
``advance`` moves every declaration whose next step is due and queues the receipts of that step;
the queue is read by ``SandboxCustoms.poll``. Time comes from the caller (``now``): tests pass it,
the adapter uses its clock.

Paths (returnStatus, ceb-messages §2.6):

* order / payment / waybill / waybill status / warehouse entry: 2 → 120.
* declaration list (CEB621): 2 → 120 → 399 → 800, or 2 → 120 → 300 → 500 → 399 → 800 when the seeded
  draw picks it for inspection (or an officer orders one); 2 → 100 when customs' own three-document
  check finds no order, payment or waybill, or the goods are not on the positive list; −621005 / −621018
  at once when the single or annual limit would be exceeded (the sandbox's national ledger per buyer
  and year). Release issues a CEB816 e-tax bill; the bills of a month are summarised (CEB818 status 2)
  once the next month has begun (Asia/Shanghai).
* cancellation (CEB623): −623003 unknown list, −623005 unless the list is accepted (120/300/399) or
  released and still on the site; else customs holds the list (no further steps) and answers
  2 → 120 → 399 (approved: quota restored, tax bill void, CEB818 status 3).
* return (CEB625): −625016 unknown list, −625209 unknown line, 100 unless released and filed by day 30
  after release (days counted from the day after release, Asia/Shanghai dates); else 2 → 120 → 399
  (approved: returned goods' value restored to the quota; a full return voids the tax bill).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from kuajing import ceb
from kuajing.ceb.catalogue import lookup
from kuajing.ceb.models import Message, new_guid
from kuajing.ceb.receipt import return_time
from kuajing.customs.choices import CANCELLABLE, CustomsStatus
from kuajing.customs.errors import OfficialCode
from kuajing.customs.models import (
    SandboxDeclaration,
    SandboxQuota,
    SandboxReceipt,
    SandboxReceiptDeclaration,
    SandboxTaxBill,
)
from kuajing.customs.service.ports import InboundMessage
from kuajing.db.session import transaction
from kuajing.db.types import blind_index, mask

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = CustomsStatus
DOCUMENT_TYPES = ("CEB311", "CEB411", "CEB511", "CEB513", "CEB711")
RETURN_DAYS = 30  # 退货申请期限: day 30 after release (GACC 2020 No.45; policy-rules R2.1)
_DUPLICATE = {"CEB311": OfficialCode.order_duplicate, "CEB411": OfficialCode.payment_duplicate,
              "CEB511": OfficialCode.waybill_duplicate}
_LIST_STEPS = {S.accepted: None, S.manual_review: S.inspection, S.inspection: S.decided, S.decided: S.released}
_GENERAL_VAT = Decimal("0.13")  # rate for an HS code the sandbox's table does not know (documented)


@dataclass(frozen=True)
class SandboxConfig:
    """How the simulated customs behaves."""

    delay_seconds: float = 0.0  # seconds between two steps
    inspection_rate: float = 0.0  # share of lists picked for inspection (0..1)
    seed: int = 0  # seed of the inspection draw (the draw is a function of seed and list key)
    max_attempts: int = 5  # failed applications of a receipt before it is set aside as failed
    trusted_certificates: tuple[bytes, ...] | None = None  # registered with customs; None: the platform's (settings)
    require_signature: bool | None = None  # refuse unsigned lists; None: require_signed_declarations
    # how long customs holds a list whose order, payment or waybill has not arrived yet before it returns it
    # (三单对碰 waits for the set: the three documents and the list travel separately and may overtake each other)
    document_wait_seconds: float = 120.0
    #: one receipt message per step for all the records of a message / an advance (as customs does); False:
    #: one message per record
    group_answers: bool = True


# --- helpers ------------------------------------------------------------------------------------------


def _official_text(message_type: str, code: str, *subjects: str) -> str:
    """The catalogue's Chinese text of an official code, placeholders filled in order."""
    entries = lookup(message_type, code)
    text = entries[0].meaning_zh if entries else code
    for value in subjects:
        text = text.replace("[*]", f"[{value}]", 1)
    return text


def _shanghai_date(when: datetime) -> date:
    return when.astimezone(SHANGHAI).date()


def _jsonable(record) -> dict:
    """A record (flat or head + list) as plain JSON-able data (decimals as strings)."""
    if hasattr(record, "head"):
        return {"head": {k: str(v) for k, v in record.head.to_dict().items()},
                "items": [{k: str(v) for k, v in i.to_dict().items()} for i in record.items]}
    return {"head": {k: str(v) for k, v in record.to_dict().items()}, "items": []}


def _payload(decl: SandboxDeclaration) -> dict:
    return json.loads(decl.payload)


def _source_record(message_type: str, payload: dict):
    """The record rebuilt from a payload (string values; enough to copy receipt keys)."""
    cls = ceb.classes(message_type)
    if cls.head is not None:
        return cls.record(head=cls.head.from_dict(payload["head"]), items=[])
    return cls.record.from_dict(payload["head"])


def _draw(config: SandboxConfig, key: str) -> bool:
    """Whether the list with ``key`` is picked for inspection (seeded, reproducible)."""
    if config.inspection_rate <= 0:
        return False
    return random.Random(f"{config.seed}:{key}").random() < config.inspection_rate


# --- the answers of one message or one advance, grouped per step (回执合并) -----------------------------

_ANSWERS = "kuajing.customs.sandbox.answers"
#: Receipt types customs answers with one message per status step covering many records (a CEB312 may carry
#: many OrderReturn, a CEB622 many InventoryReturn, a CEB816 many e-tax bills): what one received message
#: or one advance produces is grouped by (type, status), up to the CEB maximum of records per message.
_GROUPED = frozenset({"CEB312", "CEB412", "CEB512", "CEB514", "CEB622", "CEB624", "CEB626", "CEB712", "CEB816",
                      "CEB818"})
_GROUP_MAX = 100

Subject = tuple[str, str]  # (declaration type, business key): what a receipt is about (its order is kept)


@dataclass
class _Group:
    """One message to queue: the records of one (type, status) step, or one message kept as it is."""

    message_type: str
    status: str | None
    records: list
    declarations: list  # SandboxDeclaration (maybe not flushed yet) or declaration ids
    message: Message | None = None  # a message not grouped (CEB900, export types): queued unchanged


class _Answers:
    """The messages customs will send for one received message or one advance, grouped per step.

    A message joins the open group of its (type, status) only if that keeps the order of every message
    about the same subject (a declaration's 800 before its CEB816, a record's 2 before a later refusal of
    the same key); else it opens a new group after the others. A message without a subject only joins
    the last group.
    """

    def __init__(self, grouped: bool = True) -> None:
        self.grouped = grouped
        self.groups: list[_Group] = []
        self.open: dict[tuple[str, str | None], int] = {}
        self.after: dict[Subject, int] = {}  # subject → index of the last group holding a message about it

    def add(self, message: Message, status: str | None, declaration, subjects: tuple[Subject, ...]) -> None:
        key = (message.message_type, status) if self.grouped and message.message_type in _GROUPED else None
        floor = max((self.after.get(s, -1) for s in subjects), default=len(self.groups) - 1)
        index = self.open.get(key) if key is not None else None
        if (index is None or index < floor
                or len(self.groups[index].records) + len(message.records) > _GROUP_MAX):
            self.groups.append(_Group(message.message_type, status, [], [],
                                      message=None if key is not None else message))
            index = len(self.groups) - 1
            if key is not None:
                self.open[key] = index
        group = self.groups[index]
        group.records.extend(message.records)
        if declaration is not None:
            group.declarations.append(declaration)
        for subject in subjects:
            self.after[subject] = index

    def write(self, session: Session) -> None:
        """Queue the grouped messages (one row each, in order) and the declarations each answers."""
        if not self.groups:
            return
        session.flush()  # new declarations get their ids
        rows: list[tuple[SandboxReceipt, list[int]]] = []
        for group in self.groups:
            message = group.message or Message(message_type=group.message_type, guid=new_guid(),
                                               records=group.records)
            ids = list(dict.fromkeys(d.id if isinstance(d, SandboxDeclaration) else d for d in group.declarations))
            rows.append((SandboxReceipt(declaration_id=ids[0] if ids else None, message_type=group.message_type,
                                        return_status=group.status, xml=ceb.build(message)), ids))
        session.add_all([row for row, _ids in rows])
        session.flush()  # one multi-row INSERT
        links = [{"receipt_id": row.id, "declaration_id": i} for row, ids in rows for i in ids]
        if links:
            session.execute(insert(SandboxReceiptDeclaration), links)
        self.groups.clear()
        self.open.clear()
        self.after.clear()


@contextmanager
def _answering(session: Session, grouped: bool = True):
    """Collect the messages queued inside (one receive or one advance) and write them (grouped unless
    ``grouped`` is False) at the end; nested uses share the outer collection."""
    if session.info.get(_ANSWERS) is not None:
        yield session.info[_ANSWERS]
        return
    answers = session.info[_ANSWERS] = _Answers(grouped)
    try:
        yield answers
        answers.write(session)
    finally:
        session.info.pop(_ANSWERS, None)


def _subject(decl: SandboxDeclaration) -> Subject:
    return decl.message_type, decl.business_key


def _queue(session: Session, message: Message, *, declaration_id: int | None, status: str | None,
           declaration: SandboxDeclaration | None = None, subjects: tuple[Subject, ...] = ()) -> None:
    """Queue ``message`` (grouped with the others of the same step when a collection is open)."""
    with _answering(session) as answers:
        answers.add(message, status, declaration if declaration is not None else declaration_id, subjects)


def _receipt(session: Session, decl: SandboxDeclaration, status: str, info: str, now: datetime) -> None:
    """Queue the receipt answering ``decl`` with ``status``."""
    payload = _payload(decl)
    record = _source_record(decl.message_type, payload)
    keys: dict[str, str] = {}
    if decl.message_type in ("CEB621", "CEB623", "CEB625"):
        keys = {"copNo": decl.cop_no or "", "preNo": decl.pre_no or ""}
        keys["invtNo"] = decl.invt_no if decl.message_type == "CEB621" else decl.ref_invt_no
    elif decl.message_type == "CEB711":
        keys = {"preNo": decl.pre_no or ""}
    message = ceb.receipt_for(decl.message_type, record, status, info[:1000], now, **keys)
    _queue(session, message, declaration_id=decl.id, status=status, declaration=decl, subjects=(_subject(decl),))


def _refuse(session: Session, message_type: str, record, code: str, info: str, now: datetime, *,
            subject: Subject | None = None, **keys) -> None:
    """Queue an immediate refusal of a record customs does not keep (unknown list …)."""
    message = ceb.receipt_for(message_type, record, code, info[:1000], now, **keys)
    _queue(session, message, declaration_id=None, status=code, subjects=(subject,) if subject else ())


def _set(decl: SandboxDeclaration, status: str, info: str, *, next_status: str | None, now: datetime,
         config: SandboxConfig) -> None:
    decl.status = status
    decl.status_info = info
    decl.next_status = next_status
    decl.due_at = now + timedelta(seconds=config.delay_seconds) if next_status else None
    decl.updated_at = now


def _quota_row(session: Session, buyer_key: str, year: int) -> SandboxQuota:
    cached = session.info.get(_QUOTA)
    if cached is not None and (buyer_key, year) in cached:
        return cached[(buyer_key, year)]
    row = session.execute(select(SandboxQuota).where(SandboxQuota.buyer_key == buyer_key,
                                                     SandboxQuota.year == year).with_for_update()).scalar_one_or_none()
    if row is None:
        row = SandboxQuota(buyer_key=buyer_key, year=year, total=Decimal("0.00"))
        session.add(row)
        session.flush()
    return row


def _adjust_quota(session: Session, decl: SandboxDeclaration, delta: Decimal) -> None:
    if decl.buyer_key is None or decl.quota_year is None or not delta:
        return
    row = _quota_row(session, decl.buyer_key, decl.quota_year)
    row.total = max(Decimal("0.00"), row.total + delta)


def national_total(*, session: Session, buyer_id_number: str, year: int) -> Decimal:
    """What customs' national ledger holds for a buyer and year (所有平台已用额度)."""
    total = session.execute(select(SandboxQuota.total).where(SandboxQuota.buyer_key == blind_index(buyer_id_number),
                                                             SandboxQuota.year == year)).scalar_one_or_none()
    return total if total is not None else Decimal("0.00")


def record_national_purchase(*, session: Session, buyer_id_number: str, year: int, amount: Decimal) -> Decimal:
    """Add a purchase made on another platform to the national ledger (for tests and demos); returns the total."""
    row = _quota_row(session, blind_index(buyer_id_number), year)
    row.total = row.total + amount
    return row.total


# --- tax ------------------------------------------------------------------------------------------------


def list_quote(payload: dict, *, prior: Decimal):
    """The retail import tax quote of a declaration list (kuajing.tax over its lines), or an error text."""
    from kuajing.errors import AppError
    from kuajing.tax import calc, hs_table
    from kuajing.tax.schemas import QuoteItemIn
    from kuajing.tax.service import quote

    head = payload["head"]
    declared = datetime.strptime(head["declTime"], "%Y%m%d").date()
    items = []
    for line in payload["items"]:
        pieces = calc.pieces_of(Decimal(line["qty"]))
        value = calc.round_fen(Decimal(line["totalPrice"]))
        known = hs_table.find(line["gcode"]) is not None
        legal = [(Decimal(line[q]) if line.get(q) not in (None, "") else None, line.get(u))
                 for q, u in (("qty1", "unit1"), ("qty2", "unit2"))]
        items.append(QuoteItemIn.model_construct(
            hs_code=line["gcode"] if known else None, goods_value=value, quantity=pieces,
            vat_rate=None if known else _GENERAL_VAT, consumption_tax_rate=None, tariff_rate=None,
            net_content=calc.net_content_from_legal(pieces, *legal)))
    try:
        return quote(declared_on=declared, items=items, freight=calc.round_fen(Decimal(head.get("freight", "0"))),
                     insured_fee=calc.round_fen(Decimal(head.get("insuredFee", "0"))), prior_annual_total=prior)
    except AppError as exc:
        return str(exc)


# --- receive ------------------------------------------------------------------------------------------


def receive(*, session: Session, message: bytes, message_type: str, now: datetime,
            config: SandboxConfig = SandboxConfig(), transport_message_id: str | None = None) -> str:
    """Customs receives one message: record each record, queue its first receipt; returns the message id."""
    message_id = transport_message_id or str(uuid.uuid4()).upper()
    try:
        msg = ceb.parse(message, expect=message_type if message_type.startswith("CEB") else None)
    except ceb.CebError as exc:
        _queue(session, ceb.to_ceb900(exc.issues, original=message, when=now, ori_cop_msg_id=message_id),
               declaration_id=None, status=None)
        return message_id
    handler = _HANDLERS.get(msg.message_type)
    if handler is None:
        issue = ceb.Issue(code=ceb.IssueCode.ROOT_TYPE, path=msg.root_name, value=msg.message_type,
                          message_zh="海关不受理此类报文", message_en="customs does not accept this message type")
        _queue(session, ceb.to_ceb900([issue], original=message, when=now, ori_cop_msg_id=message_id),
               declaration_id=None, status=None)
        return message_id
    with _answering(session, config.group_answers):  # one receipt message per step for the whole message
        if _signature_refused(session, msg, message, now, config):  # signature hook (kuajing.certificates)
            return message_id
        _prefetch(session, msg, now, message_id)
        try:
            for record in msg.records:
                handler(session, msg.message_type, record, now, config, message_id)
            _drop_unused(session)
        finally:
            for name in (_PREFETCHED, _NEW_LISTS, _QUOTA):
                session.info.pop(name, None)
    return message_id


def _signature_refused(session: Session, msg: Message, message: bytes, now: datetime, config: SandboxConfig) -> bool:
    """Customs verifies a list's signature (one per message) against the certificates registered with it;
    a bad, untrusted or (when required) missing one refuses every record with the official code."""
    from kuajing.certificates.service import carries_signature, check_at_customs

    found = check_at_customs(data=message, message_type=msg.message_type, at=now,
                             signature_present=carries_signature(msg.signature),
                             trusted=config.trusted_certificates, require=config.require_signature)
    if found is None:
        return False
    code, info = found
    for record in msg.records:
        head = record.head if hasattr(record, "head") else record
        if msg.message_type == "CEB621":
            keys = {"copNo": head.cop_no or head.order_no[:20], "invtNo": None,
                    "preNo": _valid_pre_no(head.pre_no) or _pre_no(now, 0)}
        elif msg.message_type in ("CEB623", "CEB625"):
            keys = _keys_of(head, None, now)
        else:
            keys = {"preNo": _valid_pre_no(getattr(head, "pre_no", None)) or _pre_no(now, 0)}
        _refuse(session, msg.message_type, record, code, info, now, **keys)
    return True


_PREFETCHED = "kuajing.customs.sandbox.declarations"
_NEW_LISTS = "kuajing.customs.sandbox.new_lists"  # business key → list declaration written ahead (one INSERT)
_QUOTA = "kuajing.customs.sandbox.quota"  # (buyer key, year) → national ledger row, locked for the message


def _existing(session: Session, message_type: str, key: str) -> SandboxDeclaration | None:
    known = session.info.get(_PREFETCHED)
    if known is not None and (message_type, key) in known:
        return known[(message_type, key)]
    return session.execute(select(SandboxDeclaration).where(SandboxDeclaration.message_type == message_type,
                                                            SandboxDeclaration.business_key == key)
                           .with_for_update()).scalar_one_or_none()


def _remember(session: Session, decl: SandboxDeclaration) -> None:
    """A declaration just added: later records of the same message find it (as a query would after a flush)."""
    known = session.info.get(_PREFETCHED)
    if known is not None:
        known[(decl.message_type, decl.business_key)] = decl


def _prefetch(session: Session, msg: Message, now: datetime, message_id: str) -> None:
    """What the message's records name, set-based: the declarations (locked in one query), for lists
    also the national ledger rows of their buyers (locked in one query, missing ones inserted in one) and
    the new list declarations written ahead in one INSERT (their ids number the pre-entry numbers)."""
    keys: set[tuple[str, str]] = set()
    for record in msg.records:
        head = record.head if hasattr(record, "head") else record
        if msg.message_type in DOCUMENT_TYPES:
            keys.add((msg.message_type, _document_key(msg.message_type, head)[0]))
        elif msg.message_type == "CEB621":
            keys.add(("CEB621", f"{head.ebp_code}|{head.order_no}"))
    known: dict[tuple[str, str], SandboxDeclaration | None] = dict.fromkeys(keys)
    by_type: dict[str, list[str]] = {}
    for mtype, key in sorted(keys):
        by_type.setdefault(mtype, []).append(key)
    for mtype, wanted in by_type.items():
        for start in range(0, len(wanted), 500):
            rows = session.execute(select(SandboxDeclaration).where(
                SandboxDeclaration.message_type == mtype, SandboxDeclaration.business_key.in_(wanted[start:start + 500]))
                .order_by(SandboxDeclaration.id).with_for_update()).scalars()
            for decl in rows:
                known[(mtype, decl.business_key)] = decl
    session.info[_PREFETCHED] = known
    if msg.message_type == "CEB621":
        _prefetch_quota(session, msg.records)
        _new_lists_ahead(session, msg.records, known, now, message_id)


def _prefetch_quota(session: Session, records) -> None:
    """The national ledger rows (个人年度额度) of the lists' buyers and years: locked in one query, in key
    order; the missing ones inserted in one statement."""
    wanted: set[tuple[str, int]] = set()
    for record in records:
        try:
            wanted.add((blind_index(record.head.buyer_id_number), int(record.head.decl_time[:4])))
        except (TypeError, ValueError):
            continue  # the list's handler meets the same value and answers it
    rows: dict[tuple[str, int], SandboxQuota] = {}
    buyers = sorted({k for k, _y in wanted})
    for start in range(0, len(buyers), 500):
        for row in session.execute(select(SandboxQuota).where(SandboxQuota.buyer_key.in_(buyers[start:start + 500]))
                                   .order_by(SandboxQuota.buyer_key, SandboxQuota.year).with_for_update()).scalars():
            rows[(row.buyer_key, row.year)] = row
    missing = [SandboxQuota(buyer_key=k, year=y, total=Decimal("0.00")) for k, y in sorted(wanted - rows.keys())]
    if missing:
        session.add_all(missing)
        session.flush()
        rows.update(((r.buyer_key, r.year), r) for r in missing)
    session.info[_QUOTA] = rows


def _new_lists_ahead(session: Session, records, known: dict, now: datetime, message_id: str) -> None:
    """The list declarations this message will create (an unknown key with a record that is not a change),
    inserted together before the records are handled; each record still decides in order whether it
    takes its declaration (:func:`_new_list`)."""
    ahead: dict[str, SandboxDeclaration] = {}
    for record in records:
        head = record.head
        key = f"{head.ebp_code}|{head.order_no}"
        if known.get(("CEB621", key)) is None and key not in ahead and (head.app_type or "1") != "2":
            ahead[key] = SandboxDeclaration(message_type="CEB621", business_key=key, received_at=now,
                                            status=S.declaring, payload="{}", transport_message_id=message_id,
                                            guid=head.guid)
    if ahead:
        session.add_all(ahead.values())
        session.flush()
    session.info[_NEW_LISTS] = ahead


def _new_list(session: Session, key: str, head, now: datetime, message_id: str) -> SandboxDeclaration:
    """A new list declaration for ``key`` (the one written ahead for this message, else added now)."""
    decl = session.info.get(_NEW_LISTS, {}).pop(key, None)
    if decl is None:
        decl = SandboxDeclaration(message_type="CEB621", business_key=key, received_at=now, status=S.declaring,
                                  payload="{}", transport_message_id=message_id, guid=head.guid)
        session.add(decl)
        session.flush()
    _remember(session, decl)
    return decl


def _drop_unused(session: Session) -> None:
    """Declarations written ahead that no record took (cannot happen today; kept exact all the same)."""
    for decl in session.info.get(_NEW_LISTS, {}).values():
        session.delete(decl)


def _is_live(decl: SandboxDeclaration) -> bool:
    """Whether customs holds the declaration (not refused with a negative code, not rejected with 100)."""
    return not decl.status.startswith("-") and decl.status != S.rejected


def _document_key(message_type: str, head) -> tuple[str, str | None, str | None, str | None]:
    """(business key, orderNo, logisticsNo, enterprise code) of a three-document record."""
    if message_type == "CEB311":
        return f"{head.ebp_code}|{head.order_no}", head.order_no, None, head.ebp_code
    if message_type == "CEB411":
        return f"{head.pay_code}|{head.pay_transaction_id}", head.order_no, None, head.pay_code
    if message_type == "CEB511":
        return f"{head.logistics_code}|{head.logistics_no}", head.order_no, head.logistics_no, head.logistics_code
    if message_type == "CEB513":
        return (f"{head.logistics_code}|{head.logistics_no}|{head.logistics_status}", None, head.logistics_no,
                head.logistics_code)
    return f"{head.operator_code}|{head.cop_no or head.guid}", None, None, head.operator_code  # CEB711


def _receive_document(session, message_type, record, now, config, message_id) -> None:
    head = record.head if hasattr(record, "head") else record
    key, order_no, logistics_no, enterprise = _document_key(message_type, head)
    app_type = getattr(head, "app_type", "1") or "1"
    decl = _existing(session, message_type, key)
    if app_type == "1" and decl is not None and _is_live(decl) and message_type in _DUPLICATE:
        code = _DUPLICATE[message_type]
        _refuse(session, message_type, record, code, _official_text(message_type, code, key), now,
                subject=(message_type, key))
        return
    buyer = getattr(head, "buyer_id_number", None)
    if decl is None:
        decl = SandboxDeclaration(message_type=message_type, business_key=key, received_at=now,
                                  status=S.declaring)
        session.add(decl)
        _remember(session, decl)
    decl.transport_message_id = message_id
    decl.guid = head.guid
    decl.order_no, decl.logistics_no, decl.enterprise_code = order_no, logistics_no, enterprise
    decl.cop_no = getattr(head, "cop_no", None)
    decl.pre_no = getattr(head, "pre_no", None) or decl.pre_no
    decl.customs_code = getattr(head, "customs_code", None)
    decl.buyer_key = blind_index(buyer) if buyer else None
    decl.buyer_masked = mask(buyer) if buyer else None
    decl.payload = json.dumps(_jsonable(record), ensure_ascii=False)
    if app_type == "3":
        _set(decl, S.accepted, "删除成功", next_status=None, now=now, config=config)
        _receipt(session, decl, S.accepted, "删除成功", now)
        return
    _set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _serial_no(prefix: str, number: int, width: int = 9) -> str:
    return f"{prefix}{number % 10 ** width:0{width}d}"


def _receive_list(session, message_type, record, now, config, message_id) -> None:
    head = record.head
    key = f"{head.ebp_code}|{head.order_no}"
    app_type = head.app_type or "1"
    decl = _existing(session, "CEB621", key)
    live = decl is not None and _is_live(decl)
    if app_type == "1" and live:
        code = OfficialCode.inventory_duplicate
        _refuse(session, message_type, record, code, _official_text("CEB622", code, head.order_no), now,
                subject=("CEB621", key), copNo=head.cop_no or head.order_no[:20], preNo=decl.pre_no or _pre_no(now, decl.id), invtNo=None)
        return
    if app_type == "2" and decl is None:
        code = OfficialCode.no_changeable_inventory
        _refuse(session, message_type, record, code, _official_text("CEB622", code, head.order_no), now,
                subject=("CEB621", key), copNo=head.cop_no or head.order_no[:20], preNo=_valid_pre_no(head.pre_no) or _pre_no(now, 0),
                invtNo=None)
        return
    if app_type == "2" and live and decl.status != S.declaring:
        code = OfficialCode.inventory_state_no_change
        _refuse(session, message_type, record, code, _official_text("CEB622", code, decl.invt_no or head.order_no),
                now, subject=("CEB621", key), copNo=head.cop_no or head.order_no[:20],
                preNo=decl.pre_no or _pre_no(now, decl.id), invtNo=decl.invt_no)
        return
    if decl is None:
        decl = _new_list(session, key, head, now, message_id)
    elif live:  # a change (appType 2) while still declaring: free what the first version reserved
        _adjust_quota(session, decl, -(decl.amount or Decimal("0.00")))
    decl.transport_message_id = message_id
    decl.guid = head.guid
    decl.order_no, decl.logistics_no, decl.enterprise_code = head.order_no, head.logistics_no, head.agent_code
    decl.cop_no = head.cop_no or head.order_no[:20]
    decl.pre_no = decl.pre_no or _valid_pre_no(head.pre_no) or _pre_no(now, decl.id)
    decl.customs_code = head.customs_code
    decl.buyer_key = blind_index(head.buyer_id_number)
    decl.buyer_masked = mask(head.buyer_id_number)
    decl.quota_year = int(head.decl_time[:4])
    decl.payload = json.dumps(_jsonable(record), ensure_ascii=False)
    decl.cancelled = decl.returned = decl.left_site = decl.inspection = False
    decl.released_at = None
    decl.amount = None

    prior_row = _quota_row(session, decl.buyer_key, decl.quota_year)
    result = list_quote(_payload(decl), prior=prior_row.total)
    if isinstance(result, str):
        _set(decl, S.declaring, "电子口岸申报中", next_status=S.rejected, now=now, config=config)
        decl.status_info = f"清单[{head.order_no}]税款无法计算：{result}"
        _receipt(session, decl, S.declaring, "电子口岸申报中", now)
        return
    quote = result.quote
    reason = quote.reason_code.value if quote.reason_code is not None else None
    if reason in (OfficialCode.single_limit, OfficialCode.annual_limit):
        from kuajing.tax.service import policy_on

        policy = policy_on(on=result.declared_on)
        if reason == OfficialCode.single_limit:
            info = _official_text("CEB622", reason, head.order_no, f"{policy.single_limit:.2f}")
        else:
            info = _official_text("CEB622", reason, head.order_no, mask(head.buyer_id_number),
                                  f"{prior_row.total:.2f}", f"{policy.annual_limit:.2f}")
        _set(decl, reason, info, next_status=None, now=now, config=config)
        _receipt(session, decl, reason, info, now)
        return
    decl.amount = quote.taxable_price
    prior_row.total = prior_row.total + quote.taxable_price  # reserved until rejection, cancellation or return
    decl.inspection = _draw(config, key)
    if reason is not None:  # not on the positive list: customs returns it at acceptance
        _set(decl, S.declaring, "电子口岸申报中", next_status=S.rejected, now=now, config=config)
        decl.status_info = f"清单[{head.order_no}]商品不在跨境电子商务零售进口商品清单内"
    else:
        _set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def _pre_no(now: datetime, serial: int) -> str:
    """An e-port pre-entry number (预录入编号): B + yyyymmdd + 9-digit serial."""
    return _serial_no("B" + _shanghai_date(now).strftime("%Y%m%d"), serial)


def _valid_pre_no(value: str | None) -> str | None:
    """``value`` when it has the 18 characters of a pre-entry number, else None (the sandbox makes one)."""
    return value if value and len(value) == 18 else None


def _find_list(session: Session, invt_no: str) -> SandboxDeclaration | None:
    return session.execute(select(SandboxDeclaration).where(SandboxDeclaration.invt_no == invt_no)
                           .with_for_update()).scalar_one_or_none()


def _keys_of(record, decl: SandboxDeclaration | None, now: datetime) -> dict[str, str]:
    return {"copNo": record.cop_no or (decl.cop_no if decl else None) or record.order_no[:20],
            "preNo": _valid_pre_no(record.pre_no) or _pre_no(now, decl.id if decl else 0), "invtNo": record.invt_no}


def _receive_cancel(session, message_type, record, now, config, message_id) -> None:
    head = record.head if hasattr(record, "head") else record
    target = _find_list(session, head.invt_no)
    if target is None:
        code = OfficialCode.cancel_unknown_inventory
        _refuse(session, message_type, record, code, _official_text(message_type, code, head.invt_no), now,
                subject=(message_type, head.invt_no), **_keys_of(head, None, now))
        return
    existing = _existing(session, message_type, head.invt_no)
    if existing is not None and _is_live(existing):
        code = OfficialCode.cancel_duplicate
        _refuse(session, message_type, record, code, _official_text(message_type, code, head.invt_no), now,
                subject=(message_type, head.invt_no), **_keys_of(head, target, now))
        return
    if target.status not in CANCELLABLE or target.left_site or target.cancelled or target.returned:
        code = OfficialCode.cancel_state
        _refuse(session, message_type, record, code, _official_text(message_type, code, head.invt_no), now,
                subject=(message_type, head.invt_no), **_keys_of(head, target, now))
        return
    target.next_status = None  # customs holds a list under cancellation until it decides
    target.due_at = None
    _store_request(session, message_type, head, record, target, existing, now, config, message_id)


def _store_request(session, message_type, head, record, target, existing, now, config, message_id) -> None:
    decl = existing or SandboxDeclaration(message_type=message_type, business_key=head.invt_no, received_at=now,
                                          status=S.declaring)
    if existing is None:
        session.add(decl)
    decl.transport_message_id = message_id
    decl.guid = head.guid
    decl.order_no, decl.logistics_no, decl.enterprise_code = head.order_no, head.logistics_no, head.agent_code
    decl.ref_invt_no = head.invt_no
    decl.customs_code = head.customs_code
    decl.buyer_key, decl.buyer_masked = target.buyer_key, target.buyer_masked
    decl.quota_year = target.quota_year
    decl.payload = json.dumps(_jsonable(record), ensure_ascii=False)
    session.flush()
    decl.cop_no = head.cop_no or target.cop_no
    decl.pre_no = _valid_pre_no(head.pre_no) or _pre_no(now, decl.id)
    _set(decl, S.declaring, "电子口岸申报中", next_status=S.accepted, now=now, config=config)
    _receipt(session, decl, S.declaring, "电子口岸申报中", now)


def last_return_day(released_on: date) -> date:
    """The last day a return may be filed: day 30 counted from the day after release (03-01 → 03-31)."""
    return released_on + timedelta(days=RETURN_DAYS)


def _receive_refund(session, message_type, record, now, config, message_id) -> None:
    head = record.head
    target = _find_list(session, head.invt_no)
    keys = _keys_of(head, target, now)
    if target is None:
        code = OfficialCode.refund_unknown_inventory
        _refuse(session, message_type, record, code, _official_text(message_type, code), now, subject=(message_type, head.invt_no), **keys)
        return
    existing = _existing(session, message_type, head.invt_no)
    if existing is not None and _is_live(existing) and (head.app_type or "1") == "1":
        code = OfficialCode.refund_duplicate
        _refuse(session, message_type, record, code, _official_text(message_type, code, head.invt_no), now, subject=(message_type, head.invt_no), **keys)
        return
    lines = {int(i["gnum"]): i for i in _payload(target)["items"]}
    for item in record.items:
        line = lines.get(int(item.gnum))
        if line is None or line["gcode"] != item.gcode:
            code = OfficialCode.refund_line_unknown
            info = _official_text(message_type, code, head.invt_no, str(item.gnum), item.gcode)
            _refuse(session, message_type, record, code, info, now, subject=(message_type, head.invt_no), **keys)
            return
        if Decimal(str(item.qty)) > Decimal(line["qty"]):
            info = f"退货申请单[{head.invt_no}]第[{item.gnum}]项退货数量[{item.qty}]超过原清单数量[{line['qty']}]"
            _refuse(session, message_type, record, S.rejected, info, now, subject=(message_type, head.invt_no), **keys)
            return
    if target.released_at is None or target.cancelled or target.returned:
        info = f"清单[{head.invt_no}]未放行或已撤单、已退货，不能申请退货"
        _refuse(session, message_type, record, S.rejected, info, now, subject=(message_type, head.invt_no), **keys)
        return
    released_on = _shanghai_date(target.released_at)
    last = last_return_day(released_on)
    if _shanghai_date(now) > last:
        info = (f"清单[{head.invt_no}]于{released_on:%Y-%m-%d}放行，退货申请期限至{last:%Y-%m-%d}"
                f"（放行之日起30日内），已超过期限")
        _refuse(session, message_type, record, S.rejected, info, now, subject=(message_type, head.invt_no), **keys)
        return
    _store_request(session, message_type, head, record, target, existing, now, config, message_id)


_HANDLERS: dict[str, Callable] = {t: _receive_document for t in DOCUMENT_TYPES}
_HANDLERS.update(CEB621=_receive_list, CEB623=_receive_cancel, CEB625=_receive_refund)
#: Steps of the export declarations (filled with the export handlers by sandbox_export at the end of this module).
_EXPORT_STEPS: dict[str, Callable] = {}


# --- advance ------------------------------------------------------------------------------------------


def advance(*, session: Session, now: datetime, config: SandboxConfig = SandboxConfig(), batch: int = 1000) -> int:
    """Move every declaration whose next step is due at ``now`` (repeatedly, so 0-second delays run
    through), queue the receipts, and summarise the tax bills of past months; returns the steps taken."""
    steps = 0
    with _answering(session, config.group_answers):  # one receipt message per (type, status) and round
        while True:
            due = session.execute(
                select(SandboxDeclaration).where(SandboxDeclaration.next_status.is_not(None),
                                                 SandboxDeclaration.due_at <= now)
                .order_by(SandboxDeclaration.due_at, SandboxDeclaration.id).limit(batch).with_for_update()
            ).scalars().all()
            if not due:
                break
            _prefetch_documents(session, [d for d in due if d.message_type == "CEB621"
                                          and d.next_status == S.accepted.value])
            try:
                for decl in due:  # each step happens at its due time, so a late advance catches up step by step
                    _step(session, decl, decl.due_at, config)
                    steps += 1
            finally:
                session.info.pop(_DOCUMENTS, None)
            session.flush()
        steps += summarise_due(session=session, now=now)
    return steps


def _step(session: Session, decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> None:
    target = decl.next_status
    if decl.message_type == "CEB621":
        _step_list(session, decl, S(target), now, config)
    elif decl.message_type in ("CEB623", "CEB625"):
        _step_request(session, decl, S(target), now, config)
    elif decl.message_type in _EXPORT_STEPS:
        _EXPORT_STEPS[decl.message_type](session, decl, S(target), now, config)
    else:
        _set(decl, target, "海关入库成功", next_status=None, now=now, config=config)
        _receipt(session, decl, target, "海关入库成功", now)


_DOCUMENTS = "kuajing.customs.sandbox.documents"  # the three documents of the lists being accepted


def _document_scope(head: dict) -> tuple[str, str, str]:
    return f"{head['ebpCode']}|{head['orderNo']}", head["orderNo"], f"{head['logisticsCode']}|{head['logisticsNo']}"


def _prefetch_documents(session: Session, lists: list[SandboxDeclaration]) -> None:
    """The orders, payments and waybills customs holds for ``lists`` (三单对碰), in one query."""
    if not lists:
        return
    scopes = [_document_scope(_payload(d)["head"]) for d in lists]
    order_keys = sorted({o for o, _n, _w in scopes})
    order_nos = sorted({n for _o, n, _w in scopes})
    waybill_keys = sorted({w for _o, _n, w in scopes})
    rows = session.execute(
        select(SandboxDeclaration.message_type, SandboxDeclaration.business_key, SandboxDeclaration.order_no,
               SandboxDeclaration.status)
        .where(or_(and_(SandboxDeclaration.message_type == "CEB311", SandboxDeclaration.business_key.in_(order_keys)),
                   and_(SandboxDeclaration.message_type == "CEB411", SandboxDeclaration.order_no.in_(order_nos)),
                   and_(SandboxDeclaration.message_type == "CEB511",
                        SandboxDeclaration.business_key.in_(waybill_keys))))).all()
    found: dict[tuple[str, str], list] = {}
    for r in rows:  # a payment is found by its order number, the others by their business key
        found.setdefault((r.message_type, r.order_no if r.message_type == "CEB411" else r.business_key), []).append(r)
    session.info[_DOCUMENTS] = (set(order_keys), found)


def _three_documents(session: Session, decl: SandboxDeclaration) -> list[str]:
    """What customs' own three-document check misses for a list (三单对碰): order, payment, waybill."""
    head = _payload(decl)["head"]
    order_key, order_no, waybill_key = _document_scope(head)
    prefetched = session.info.get(_DOCUMENTS)
    if prefetched is not None and order_key in prefetched[0]:
        found = prefetched[1]
        rows = [*found.get(("CEB311", order_key), ()), *found.get(("CEB411", order_no), ()),
                *found.get(("CEB511", waybill_key), ())]
    else:
        rows = session.execute(
            select(SandboxDeclaration.message_type, SandboxDeclaration.business_key, SandboxDeclaration.order_no,
                   SandboxDeclaration.status)
            .where(((SandboxDeclaration.message_type == "CEB311") & (SandboxDeclaration.business_key == order_key))
                   | ((SandboxDeclaration.message_type == "CEB411") & (SandboxDeclaration.order_no == order_no))
                   | ((SandboxDeclaration.message_type == "CEB511") & (SandboxDeclaration.business_key == waybill_key)))
        ).all()
    have = {r.message_type for r in rows if not r.status.startswith("-") and r.status != S.rejected}
    missing = []
    if "CEB311" not in have:
        missing.append(f"订单[{head['orderNo']}]")
    if "CEB411" not in have:
        missing.append(f"支付单(订单[{head['orderNo']}])")
    if "CEB511" not in have:
        missing.append(f"运单[{head['logisticsNo']}]")
    return missing


def _wait_for_documents(decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> bool:
    """Whether a list that is missing documents is checked again later (True) rather than returned now.

    The check comes back after the time already waited (0.5 s, 1 s, 2 s, … — a document that overtook
    nothing by a few milliseconds costs half a second, a long wait only a few checks), until
    ``document_wait_seconds`` after the list arrived."""
    received = decl.received_at if decl.received_at.tzinfo else decl.received_at.replace(tzinfo=UTC)
    waited = (now - received).total_seconds()
    left = config.document_wait_seconds - waited
    if left <= 0:
        return False
    decl.due_at = now + timedelta(seconds=min(left, max(0.5, config.delay_seconds, waited)))
    return True


def _reject_list(session: Session, decl: SandboxDeclaration, info: str, now: datetime, config: SandboxConfig) -> None:
    _adjust_quota(session, decl, -(decl.amount or Decimal("0.00")))
    decl.amount = None
    _set(decl, S.rejected, info, next_status=None, now=now, config=config)
    _receipt(session, decl, S.rejected, info, now)


def _step_list(session: Session, decl: SandboxDeclaration, target: S, now: datetime, config: SandboxConfig) -> None:
    if target is S.rejected:
        _reject_list(session, decl, decl.status_info or "海关退单", now, config)
        return
    if target is S.accepted:
        missing = _three_documents(session, decl)
        if missing and _wait_for_documents(decl, now, config):
            return
        if missing:
            info = f"三单对碰失败：海关未收到{'、'.join(missing)}"
            _reject_list(session, decl, info, now, config)
            return
        if decl.invt_no is None:
            year = _shanghai_date(now).year
            decl.invt_no = f"{(decl.customs_code or '0000')[:4]}{year}I{decl.id % 10 ** 9:09d}"
        following = S.manual_review if decl.inspection else S.decided
        _set(decl, S.accepted, "海关入库成功", next_status=following, now=now, config=config)
        _receipt(session, decl, S.accepted, "海关入库成功", now)
        return
    if target is S.released:
        _release(session, decl, now, config)
        return
    texts = {S.manual_review: "转人工审核", S.inspection: "布控查验", S.decided: "海关审结"}
    following = {S.manual_review: S.inspection, S.inspection: S.decided, S.decided: S.released}[target]
    _set(decl, target, texts[target], next_status=following, now=now, config=config)
    _receipt(session, decl, target, texts[target], now)


def _release(session: Session, decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> None:
    decl.released_at = now
    _set(decl, S.released, "海关放行", next_status=None, now=now, config=config)
    _receipt(session, decl, S.released, "海关放行", now)
    _issue_tax_bill(session, decl, now)


def _issue_tax_bill(session: Session, decl: SandboxDeclaration, now: datetime, *, payload: dict | None = None,
                    sequence: int = 1, subjects: tuple[Subject, ...] = ()) -> SandboxTaxBill | None:
    """Compute the list's tax (kuajing.tax over its lines, or over ``payload``'s: the goods a partial return
    kept) and queue the CEB816 e-tax bill (税单号 = list number + two-digit sequence)."""
    payload = payload if payload is not None else _payload(decl)
    head = payload["head"]
    result = list_quote(payload, prior=Decimal("0.00"))
    if isinstance(result, str):  # cannot happen for a list that passed receive(); keep customs running
        return None
    quote = result.quote
    bill = SandboxTaxBill(declaration_id=decl.id, tax_no=f"{decl.invt_no}{sequence:02d}", invt_no=decl.invt_no,
                          assure_code=head.get("assureCode"), customs_tax=quote.duty,
                          value_added_tax=quote.vat, consumption_tax=quote.consumption_tax, status="1",
                          month=now.astimezone(SHANGHAI).strftime("%Y-%m"))
    session.add(bill)
    cls = ceb.classes("CEB816")
    tax_head = cls.head(guid=new_guid(), return_time=return_time(now), invt_no=decl.invt_no, tax_no=bill.tax_no,
                        customs_tax=quote.duty, value_added_tax=quote.vat, consumption_tax=quote.consumption_tax,
                        status="1", assure_code=head.get("assureCode"), ebc_code=head.get("ebcCode"),
                        logistics_code=head.get("logisticsCode"), agent_code=head.get("agentCode"),
                        customs_code=head.get("customsCode"))
    lines = []
    for line, tax in zip(payload["items"], quote.items, strict=True):
        lines.append(cls.item(gnum=int(line["gnum"]), gcode=line["gcode"], tax_price=tax.taxable_price,
                              customs_tax=tax.duty, value_added_tax=tax.vat, consumption_tax=tax.consumption_tax))
    _queue(session, Message(message_type="CEB816", records=[cls.record(head=tax_head, items=lines)]),
           declaration_id=decl.id, status="1", declaration=decl, subjects=(_subject(decl),) + subjects)
    return bill


def _kept_goods(payload: dict, returned: list[dict]) -> dict:
    """The list as the goods a partial return kept (留存商品): each line's quantity less what came back, its
    value (and the list's freight and insurance) in proportion, fully returned lines left out."""
    back = {int(i["gnum"]): Decimal(i["qty"]) for i in returned}
    items, listed, kept = [], Decimal(0), Decimal(0)
    for line in payload["items"]:
        qty, total = Decimal(line["qty"]), Decimal(line["totalPrice"])
        listed += total
        left = qty - back.get(int(line["gnum"]), Decimal(0))
        if left <= 0:
            continue
        share = total * left / qty
        kept += share
        items.append({**line, "qty": str(left), "qty1": str(Decimal(line["qty1"]) * left / qty),
                      **({"qty2": str(Decimal(line["qty2"]) * left / qty)} if line.get("qty2") not in (None, "") else {}),
                      "totalPrice": str(share)})
    ratio = kept / listed if listed else Decimal(0)
    head = dict(payload["head"])
    for key in ("freight", "insuredFee"):
        if head.get(key) not in (None, ""):
            head[key] = str(Decimal(head[key]) * ratio)
    return {**payload, "head": head, "items": items}


def _reissue_tax_bill(session: Session, decl: SandboxDeclaration, returned: list[dict], now: datetime,
                      request: SandboxDeclaration) -> None:
    """A partial return approved within the window: no tax on the goods that came back (R1.15), so the list's
    bill is voided (CEB818 status 3) and a new one issued for the goods kept (CEB816, next sequence)."""
    bills = session.execute(select(SandboxTaxBill.id).where(SandboxTaxBill.declaration_id == decl.id)).all()
    if not bills:  # no bill yet (never released): nothing to correct
        return
    _void_tax_bill(session, decl, now, request=request)
    _issue_tax_bill(session, decl, now, payload=_kept_goods(_payload(decl), returned), sequence=len(bills) + 1,
                    subjects=(_subject(request),))


def _tax_status(session: Session, bills: Iterable[SandboxTaxBill], now: datetime,
                subjects: tuple[Subject, ...] = ()) -> None:
    """Queue CEB818 tax-status messages (100 bills per message) for ``bills`` as they now stand."""
    cls = ceb.classes("CEB818")
    records = [cls.record(head=cls.head(guid=new_guid(), return_time=return_time(now), invt_no=b.invt_no,
                                        tax_no=b.tax_no, status=b.status, ent_duty_no=b.ent_duty_no,
                                        assure_code=b.assure_code))
               for b in bills]
    for start in range(0, len(records), 100):
        _queue(session, Message(message_type="CEB818", records=records[start:start + 100]), declaration_id=None,
               status=None, subjects=subjects)


def _void_tax_bill(session: Session, decl: SandboxDeclaration, now: datetime,
                   request: SandboxDeclaration | None = None) -> None:
    bills = session.execute(select(SandboxTaxBill).where(SandboxTaxBill.declaration_id == decl.id,
                                                         SandboxTaxBill.status != "3")).scalars().all()
    for bill in bills:
        bill.status = "3"
        bill.updated_at = now
    if bills:  # the CEB818 goes out before the request's answer, as it is queued
        _tax_status(session, bills, now, subjects=(_subject(decl),) + ((_subject(request),) if request else ()))


def summarise_due(*, session: Session, now: datetime) -> int:
    """Summarise (status 2, CEB818) every generated bill of a month before the current Shanghai month."""
    current = now.astimezone(SHANGHAI).strftime("%Y-%m")
    months = session.execute(select(SandboxTaxBill.month).where(SandboxTaxBill.status == "1",
                                                               SandboxTaxBill.month < current).distinct()).scalars()
    return sum(summarise_month(session=session, month=m, now=now) for m in list(months))


def summarise_month(*, session: Session, month: str, now: datetime) -> int:
    """The monthly tax summary (汇总征税) of ``month`` (yyyy-mm): bills to status 2, one CEB818; returns the count."""
    bills = session.execute(select(SandboxTaxBill).where(SandboxTaxBill.status == "1", SandboxTaxBill.month == month)
                            .order_by(SandboxTaxBill.id).with_for_update()).scalars().all()
    duty_no = f"{month.replace('-', '')}{uuid.uuid4().hex[:12].upper()}"
    for bill in bills:
        bill.status = "2"
        bill.ent_duty_no = duty_no
        bill.updated_at = now
    if bills:
        _tax_status(session, bills, now)
    return len(bills)


def _step_request(session: Session, decl: SandboxDeclaration, target: S, now: datetime,
                  config: SandboxConfig) -> None:
    if target is S.accepted:
        _set(decl, S.accepted, "海关入库成功", next_status=S.decided, now=now, config=config)
        _receipt(session, decl, S.accepted, "海关入库成功", now)
        return
    target_list = _find_list(session, decl.ref_invt_no)
    if decl.message_type == "CEB623":
        if (target_list is None or target_list.status not in CANCELLABLE or target_list.left_site
                or target_list.cancelled or target_list.returned):
            info = _official_text("CEB623", OfficialCode.cancel_state, decl.ref_invt_no)
            _set(decl, S.rejected, info, next_status=None, now=now, config=config)
            _receipt(session, decl, S.rejected, info, now)
            return
        target_list.cancelled = True
        target_list.next_status = None
        target_list.due_at = None
        target_list.status_info = "已撤单"
        _adjust_quota(session, target_list, -(target_list.amount or Decimal("0.00")))
        _void_tax_bill(session, target_list, now, request=decl)
        _set(decl, S.decided, "撤单审核通过", next_status=None, now=now, config=config)
        _receipt(session, decl, S.decided, "撤单审核通过", now)
        return
    # CEB625: restore the returned goods' value; a full return voids the tax bill, a partial one reissues it
    original = {int(i["gnum"]): i for i in _payload(target_list)["items"]}
    returned = _payload(decl)["items"]
    value = Decimal("0.00")
    full = len(returned) == len(original)
    for item in returned:
        line = original[int(item["gnum"])]
        qty, orig_qty = Decimal(item["qty"]), Decimal(line["qty"])
        full = full and qty == orig_qty
        value += Decimal(line["totalPrice"]) * qty / orig_qty
    from kuajing.tax.calc import round_fen

    restored = (target_list.amount or Decimal("0.00")) if full else round_fen(value)
    _adjust_quota(session, target_list, -restored)
    if full:
        target_list.returned = True
        target_list.status_info = "已退货"
        _void_tax_bill(session, target_list, now, request=decl)
    else:  # the tax of what came back is not collected: the bill now covers the goods kept
        _reissue_tax_bill(session, target_list, returned, now, request=decl)
    decl.amount = restored
    _set(decl, S.decided, "退货审核通过", next_status=None, now=now, config=config)
    _receipt(session, decl, S.decided, "退货审核通过", now)


# --- officer actions (HTTP pages and API) -------------------------------------------------------------


def release_now(*, session: Session, decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> None:
    """Customs releases a list at once (审结 399 then 放行 800)."""
    if decl.status in (S.declaring,):
        missing = _three_documents(session, decl)
        if missing:
            _reject_list(session, decl, f"三单对碰失败：海关未收到{'、'.join(missing)}", now, config)
            return
        _step_list(session, decl, S.accepted, now, config)
    if decl.status != S.decided:
        _set(decl, S.decided, "海关审结", next_status=None, now=now, config=config)
        _receipt(session, decl, S.decided, "海关审结", now)
    _release(session, decl, now, config)


def reject_now(*, session: Session, decl: SandboxDeclaration, reason: str, now: datetime,
               config: SandboxConfig) -> None:
    """Customs returns a list to the enterprise (退单 100) with ``reason``."""
    _reject_list(session, decl, reason, now, config)


def inspect_now(*, session: Session, decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> None:
    """Customs orders an inspection (布控查验): 300 now, then 500 → 399 → 800 on the usual delays."""
    decl.inspection = True
    if decl.status == S.declaring:
        _step_list(session, decl, S.accepted, now, config)
        if decl.status != S.accepted:
            return
    _set(decl, S.manual_review, "转人工审核", next_status=S.inspection, now=now, config=config)
    _receipt(session, decl, S.manual_review, "转人工审核", now)


def record_exit(*, session: Session, decl: SandboxDeclaration, now: datetime, config: SandboxConfig) -> None:
    """The released goods left the supervised site (离开监管场所): 899 closed; no cancellation any more."""
    decl.left_site = True
    _set(decl, S.closed, "结关", next_status=None, now=now, config=config)
    _receipt(session, decl, S.closed, "结关", now)


# --- the adapter --------------------------------------------------------------------------------------


class SandboxCustoms:
    """The CustomsTransport adapter backed by the sandbox tables; each call is its own transaction.

    Call ``send`` outside an open write transaction of the same database (after the caller's commit, e.g.
    from a job): on SQLite a second writer waits for the first.
    """

    def __init__(self, *, session_factory: sessionmaker[Session], config: SandboxConfig = SandboxConfig(),
                 clock: Callable[[], datetime] | None = None, auto_advance: bool = True):
        self.session_factory = session_factory
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.auto_advance = auto_advance

    @classmethod
    def from_settings(cls, settings, *, session_factory: sessionmaker[Session],
                      clock: Callable[[], datetime] | None = None) -> SandboxCustoms:
        """The sandbox configured by ``settings`` (delay, inspection rate, seed)."""
        config = SandboxConfig(delay_seconds=settings.customs_sandbox_delay_seconds,
                               inspection_rate=settings.customs_sandbox_inspection_rate,
                               seed=settings.customs_sandbox_seed,
                               document_wait_seconds=settings.customs_sandbox_document_wait_seconds)
        return cls(session_factory=session_factory, config=config, clock=clock)

    def send(self, *, message: bytes, message_type: str) -> str:
        """Customs receives ``message`` (its first receipts are queued); returns the transport message id."""
        with transaction(self.session_factory) as session:
            return receive(session=session, message=message, message_type=message_type, now=self.clock(),
                           config=self.config)

    def advance(self, *, session: Session, now: datetime) -> int:
        """Move everything due at ``now`` (see :func:`advance`)."""
        return advance(session=session, now=now, config=self.config)

    def poll(self, *, limit: int = 500) -> list[bytes]:
        """Advance to the clock's now (when auto_advance), then the oldest unacknowledged queued messages."""
        if self.auto_advance:
            with transaction(self.session_factory) as session:
                advance(session=session, now=self.clock(), config=self.config)
        with self.session_factory() as session:
            rows = session.execute(
                select(SandboxReceipt.id, SandboxReceipt.xml)
                .where(SandboxReceipt.delivered_at.is_(None), SandboxReceipt.failed_at.is_(None))
                .order_by(SandboxReceipt.id).limit(limit)
            ).all()
        return [InboundMessage(bytes(r.xml), message_id=str(r.id)) for r in rows]

    def ack(self, *, message_id: str) -> None:
        """Mark a queued message delivered."""
        with transaction(self.session_factory) as session:
            session.execute(update(SandboxReceipt).where(SandboxReceipt.id == int(message_id))
                            .values(delivered_at=self.clock()))

    def ack_many(self, *, message_ids: list[str]) -> None:
        """Mark many queued messages delivered (one statement)."""
        with transaction(self.session_factory) as session:
            session.execute(update(SandboxReceipt).where(SandboxReceipt.id.in_([int(m) for m in message_ids]))
                            .values(delivered_at=self.clock()))

    def reject(self, *, message_id: str, reason: str) -> None:
        """Keep the message queued for a retry; after ``max_attempts`` failures set it aside as failed."""
        with transaction(self.session_factory) as session:
            row = session.get(SandboxReceipt, int(message_id), with_for_update=True)
            if row is None:
                return
            row.attempts += 1
            row.last_error = reason[:4000]
            if row.attempts >= self.config.max_attempts:
                row.failed_at = self.clock()


from kuajing.customs.service import sandbox_export as _export  # noqa: E402,F401 - registers the export paths
