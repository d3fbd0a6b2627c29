"""What happens after intake: three-document match, tax, quota, bonded stock, the customs outbox, receipts.

* :func:`after_accept` — called by intake for every accepted record: forwards orders, payments, waybills
  and waybill statuses to customs (outbox) and runs :func:`try_match` for the parcel.
* :func:`try_match` — when order, payment, waybill and list are all present: the pure :func:`match`;
  a clean match computes the tax (kuajing.tax), reserves the buyer's quota (kuajing.quota) and, for 1210,
  the bonded stock (kuajing.bonded), then writes the list to the outbox (state ``declared``).
* :func:`expire_incomplete` — the job that times out lists whose set stayed incomplete.
* :func:`apply_customs_message` — a receipt (CEB312/412/512/514/622/624/626) or e-tax bill (CEB816/818)
  from customs: state, quota consumed on release / freed on rejection, stock deducted / restored, a
  receipt stored for the sender to pull.
* :func:`pump` — sends the outbox through a CustomsTransport after commit and applies what customs sent.

Every state change records an audit event in the same transaction. The calls into the other domains
sit in the small ``_quota_*``, ``_stock_*``, ``_tax_*`` and ``_sign`` functions below.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from kuajing import events
from kuajing.audit import service as audit
from kuajing.ceb import Message, build, parse, spec_of
from kuajing.ceb.models import BaseTransfer
from kuajing.ceb.receipt import SHANGHAI
from kuajing.db.base import utcnow
from kuajing.db.session import MATCH_IN
from kuajing.db.types import mask, mask_name, mask_phone, without_personal_data
from kuajing.errors import AppError
from kuajing.imports import errors
from kuajing.imports.choices import (
    CUSTOMS_DOCUMENT_STATUS,
    CUSTOMS_INVENTORY_STATUS,
    DocumentStatus,
    InventoryStatus,
)
from kuajing.imports.models import (
    ImportOrder,
    ImportPayment,
    ImportWaybill,
    Inventory,
    InventoryCancel,
    InventoryRefund,
    MatchQueueItem,
    OutboxMessage,
    Receipt,
)
from kuajing.imports.service import receipts
from kuajing.imports.service.match import (
    PERSONAL_FIELDS,
    InventoryDoc,
    InventoryLine,
    Mismatch,
    OrderDoc,
    OrderLine,
    PaymentDoc,
    WaybillDoc,
    match,
)
from kuajing.imports.service.records import (
    CUSTOMS_APPLY,
    DOC_TYPES,
    RECEIPT_KEYS,
    load_plugins,
    record_from_json,
)

log = logging.getLogger(__name__)
ACTOR = "system:imports"
FORWARDED = ("CEB311", "CEB411", "CEB511", "CEB513")


# --- outbox -----------------------------------------------------------------------------------------


def _sign(data: bytes, message_type: str) -> bytes:
    """Signing hook: the platform, as transmitting agent, signs the rebuilt message with its own signer
    (kuajing.certificates; the enterprise's original signed bytes stay in signed_declarations as evidence)."""
    from kuajing.certificates.service import sign_outgoing

    return sign_outgoing(data, message_type)


def _outbound(doc, message_type: str) -> bytes:
    """The single-record CEB message for ``doc`` (rebuilt from the stored record), as the outbox keeps it:
    unsigned (a placeholder where the schema requires a signature). The platform signs what it sends, once
    per transmitted message (:func:`_merged`), not once per record here."""
    data = json.loads(doc.record)
    transfer = data.pop("_baseTransfer", None)
    record = record_from_json(message_type, data)
    msg = Message(message_type=message_type, records=[record])
    if transfer:
        cls = type(BaseTransfer(direction="import", cop_code="x", cop_name="x", dxp_id="x"))
        msg.base_transfer = cls.from_dict(transfer)
    else:
        msg.base_transfer = BaseTransfer(direction="import", cop_code=doc.business_key[:18], cop_name="-",
                                         dxp_id="DXPENT0000000000")
    if msg.spec.signature == "required":
        from kuajing.ceb.examples import placeholder_signature

        msg.signature = placeholder_signature()
    if isinstance(doc, Inventory):
        head = record.head
        head.pre_no = doc.pre_no
        head.cop_no = head.cop_no or doc.cop_no
    return build(msg, validate=False)


def enqueue(*, session: Session, doc, message_type: str) -> OutboxMessage:
    """Write ``doc`` to the customs outbox in the current transaction (sent by :func:`pump` after commit)."""
    row = OutboxMessage(message_type=message_type, business_key=doc.business_key,
                        order_no=getattr(doc, "order_no", None), payload=_outbound(doc, message_type),
                        status="pending", attempts=0)
    session.add(row)
    return row


# --- after intake -----------------------------------------------------------------------------------


def enqueue_many(*, session: Session, docs: list[tuple[object, str]]) -> None:
    """:func:`enqueue` for many ``(doc, message_type)`` at once: one executemany INSERT (Core, no ORM objects)."""
    if not docs:
        return
    session.connection().execute(
        insert(OutboxMessage.__table__),
        [{"message_type": message_type, "business_key": doc.business_key, "order_no": getattr(doc, "order_no", None),
          "payload": _outbound(doc, message_type), "status": "pending", "attempts": 0} for doc, message_type in docs])


def after_accept(*, session: Session, accepted: list[tuple[str, int]], when: datetime,
                 written: dict[tuple[str, int], object] | None = None) -> None:
    """Forward accepted documents to customs and try the match of every parcel they belong to — here, or
    (setting ``match_in`` = "pipeline", read from ``Session.info``) in the next pipeline tick, which matches
    every complete set together (:func:`rematch`): the request then only stores and forwards.

    ``written``: (message type, id) → the values of documents intake wrote without ORM objects (Core
    INSERTs); they are read from there instead of being loaded again."""
    orders: set[tuple[str, str | None]] = set()
    forward: list[tuple[object, str]] = []
    for message_type, doc_id in accepted:
        doc = (written or {}).get((message_type, doc_id))
        if doc is None:
            doc = session.get(DOC_TYPES[message_type].model, doc_id)
        if doc is None or doc.status == DocumentStatus.deleted.value or doc.app_status != "2":
            continue
        if message_type in FORWARDED:
            forward.append((doc, message_type))
        elif message_type in ("CEB623", "CEB625"):  # returns helper: outbox + return tracking
            from kuajing.imports.service import returns

            returns.after_accept(session=session, doc=doc, message_type=message_type, when=when)
        if message_type in ("CEB311", "CEB411", "CEB621"):
            orders.add((doc.order_no, doc.ebp_code))
        elif message_type == "CEB511":
            orders.add((doc.order_no, None))
    enqueue_many(session=session, docs=forward)
    if not orders:
        return
    orders_sorted = sorted(orders, key=lambda t: (t[0], t[1] or ""))
    if session.info.get(MATCH_IN) == "pipeline":
        queue_match(session=session, orders=orders_sorted, when=when)
    else:
        try_match(session=session, orders=orders_sorted, now=when, received=written)


def queue_match(*, session: Session, orders: list[tuple[str, str | None]], when: datetime) -> None:
    """Queue the parcels (order number, platform or None) for the pipeline's match (one executemany INSERT)."""
    if orders:
        session.execute(insert(MatchQueueItem), [{"order_no": o, "ebp_code": e, "enqueued_at": when}
                                                 for o, e in orders])


def match_queued(*, session: Session, limit: int = 1000, now: datetime | None = None) -> tuple[int, int]:
    """The pipeline's match (setting ``match_in`` = "pipeline"): take up to ``limit`` queued parcels (oldest
    first; on PostgreSQL skipping those another pipeline process holds) and match them all together, as
    intake would have one request at a time. Returns (queue rows taken, lists settled). A transient conflict
    with a concurrent writer (deadlock, serialization) rolls the whole take back; the next tick retries."""
    from kuajing.db.session import is_retryable

    table = MatchQueueItem.__table__
    now = now or utcnow()
    try:
        with session.begin_nested(), audit.deferred(session):
            if session.get_bind().dialect.name == "postgresql":
                taken = table.delete().where(table.c.id.in_(
                    select(table.c.id).order_by(table.c.id).limit(limit).with_for_update(skip_locked=True)
                    .scalar_subquery())).returning(table.c.order_no, table.c.ebp_code)
                rows = session.execute(taken).all()
            else:  # one writer at a time (SQLite)
                rows = session.execute(select(table.c.id, table.c.order_no, table.c.ebp_code)
                                       .order_by(table.c.id).limit(limit)).all()
                if rows:
                    session.execute(table.delete().where(table.c.id.in_([r.id for r in rows])))
                rows = [(r.order_no, r.ebp_code) for r in rows]
            if not rows:
                return 0, 0
            wanted = {(o, e) for o, e in rows}
            wanted -= {(o, e) for o, e in wanted if e is not None and (o, None) in wanted}  # any platform covers it
            done = match_orders(session=session, orders=sorted(wanted, key=lambda t: (t[0], t[1] or "")), now=now)
            return len(rows), len(done)
    except Exception as exc:
        if is_retryable(exc):
            log.info("queued match rolled back after a transient conflict: %s", exc)
            return 0, 0
        # one parcel the match cannot handle must not hold back every other one behind it in the queue
        log.exception("queued match failed as a batch; matching these parcels one at a time")
        return _match_queued_singly(session, limit=limit, now=now)


def _match_queued_singly(session: Session, *, limit: int, now: datetime) -> tuple[int, int]:
    """The fallback of :func:`match_queued`: each queued parcel in its own savepoint. A parcel that fails on its
    own is logged and its queue rows dropped (its list stays waiting; the sweep, :func:`rematch`, tries it again
    every tick, one at a time, and logs it each time), so the rest of the queue moves."""
    from kuajing.db.session import is_retryable

    table = MatchQueueItem.__table__
    take = select(table.c.id, table.c.order_no, table.c.ebp_code).order_by(table.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        take = take.with_for_update(skip_locked=True)
    groups: dict[tuple[str, str | None], list[int]] = {}
    for row in session.execute(take).all():
        groups.setdefault((row.order_no, row.ebp_code), []).append(row.id)
    taken = settled = 0
    for (order_no, ebp_code), ids in groups.items():
        try:
            with session.begin_nested(), audit.deferred(session):
                session.execute(table.delete().where(table.c.id.in_(ids)))
                settled += len(match_orders(session=session, orders=[(order_no, ebp_code)], now=now))
        except Exception as exc:
            if is_retryable(exc):  # what is settled so far is kept; the rest stays queued for the next tick
                log.info("queued match stopped after a transient conflict: %s", exc)
                break
            log.exception("match of order %s (platform %s) failed; dropped from the match queue, left to the sweep",
                          order_no, ebp_code or "any")
            with session.begin_nested():
                session.execute(table.delete().where(table.c.id.in_(ids)))
        taken += len(ids)
    return taken, settled


# --- the match --------------------------------------------------------------------------------------


def _live(model, *conditions):
    return select(model).where(*conditions, model.status != DocumentStatus.deleted.value)


def _order_doc(o: ImportOrder) -> OrderDoc:
    return OrderDoc(order_no=o.order_no, ebp_code=o.ebp_code, ebc_code=o.ebc_code, goods_value=o.goods_value,
                    freight=o.freight, discount=o.discount, tax_total=o.tax_total, actural_paid=o.actural_paid,
                    buyer_id_type=o.buyer_id_type, buyer_id_number=o.buyer_id_number, buyer_name=o.buyer_name,
                    buyer_telephone=o.buyer_telephone, consignee=o.consignee,
                    consignee_telephone=o.consignee_telephone, consignee_address=o.consignee_address,
                    pay_code=o.pay_code, pay_transaction_id=o.pay_transaction_id,
                    lines=tuple(OrderLine(i.gnum, i.item_name, i.qty, i.price, i.total_price) for i in o.items))


def _payment_doc(p: ImportPayment) -> PaymentDoc:
    return PaymentDoc(pay_code=p.pay_code, pay_transaction_id=p.pay_transaction_id, order_no=p.order_no,
                      ebp_code=p.ebp_code, payer_id_type=p.payer_id_type, payer_id_number=p.payer_id_number,
                      payer_name=p.payer_name, amount_paid=p.amount_paid)


def _waybill_doc(w: ImportWaybill) -> WaybillDoc:
    return WaybillDoc(logistics_code=w.logistics_code, logistics_no=w.logistics_no, order_no=w.order_no,
                      consignee=w.consignee, consignee_telephone=w.consignee_telephone,
                      consignee_address=w.consignee_address)


def _inventory_doc(inv: Inventory) -> InventoryDoc:
    head = record_from_json("CEB621", json.loads(inv.record)).head
    return InventoryDoc(order_no=inv.order_no, ebp_code=inv.ebp_code, ebc_code=inv.ebc_code,
                        logistics_code=inv.logistics_code, logistics_no=inv.logistics_no,
                        buyer_id_type=str(head.buyer_id_type), buyer_id_number=inv.buyer_id_number,
                        buyer_name=inv.buyer_name, buyer_telephone=inv.buyer_telephone,
                        consignee_address=inv.consignee_address, freight=inv.freight,
                        lines=tuple(InventoryLine(i.gnum, i.gname, i.qty, i.price, i.total_price) for i in inv.items))


def _masked(field: str, value: str | None) -> str | None:
    if value is None or field.split("/")[-1] not in PERSONAL_FIELDS:
        return value
    name = field.split("/")[-1]
    if name in ("buyerName", "payerName", "consignee"):
        return mask_name(value)
    if name in ("buyerTelephone", "consigneeTelephone"):
        return mask_phone(value)
    if name == "consigneeAddress":
        return mask(value, keep_start=6, keep_end=0) if len(value) > 6 else mask(value)
    return mask(value)


def stored_mismatch(m: Mismatch) -> dict:
    """A mismatch as stored and shown: personal values masked."""
    d = m.to_dict()
    d["value_a"] = _masked(m.field_a, m.value_a)
    d["value_b"] = _masked(m.field_b, m.value_b)
    return d


def _set_status(session: Session, inv: Inventory, status: InventoryStatus, *, action: str, info: str | None = None,
                extra: dict | None = None) -> None:
    before = {"status": inv.status, "customs_status": inv.customs_status}
    inv.status = status.value
    if info is not None:
        inv.last_info = info
    audit.record(session=session, action=f"import:inventory:{action}", stream=audit.stream_name("import:inventory", inv.business_key),
                 actor=ACTOR, subject_id=inv.business_key, before=before,
                 after={"status": inv.status, "customs_status": inv.customs_status, **(extra or {})})


def _platform_receipt(session: Session, inv: Inventory, code: str, detail: str, when: datetime) -> Receipt:
    """A later platform receipt (CEB622) on a list: mismatch, limit, stock, timeout."""
    record = record_from_json("CEB621", json.loads(inv.record))
    info = receipts.info_for("CEB621", code, detail)
    keys = {"pre_no": inv.pre_no, "cop_no": (inv.cop_no or inv.pre_no)[:20]}
    msg = receipts.make_receipt(message_type="CEB621", record=record, status=code, info=info, when=when, **keys)
    return receipts.store(session=session, enterprise_id=inv.sender_enterprise_id, declaration_type="CEB621",
                          business_key=inv.business_key, receipt_message=msg, when=when, source="platform")


def _documents(session: Session, inv: Inventory):
    order = session.scalars(_live(ImportOrder, ImportOrder.business_key == f"{inv.ebp_code}:{inv.order_no}")).first()
    payment = session.scalars(_live(ImportPayment, ImportPayment.order_no == inv.order_no,
                                    ImportPayment.ebp_code == inv.ebp_code).order_by(ImportPayment.id.desc())).first()
    waybill = session.scalars(_live(ImportWaybill, ImportWaybill.business_key
                                    == f"{inv.logistics_code}:{inv.logistics_no}")).first()
    return order, payment, waybill


def try_match(*, session: Session, order_no: str | None = None, ebp_code: str | None = None,
              now: datetime | None = None, identity_verified: bool = False,
              orders: list[tuple[str, str | None]] | None = None,
              received: dict[tuple[str, int], object] | None = None) -> list[Inventory]:
    """Match every waiting list of ``order_no`` (or of each ``(order_no, ebp_code)`` in ``orders``, set-based:
    see :func:`match_orders`) whose set is complete; declare the ones that match."""
    wanted = list(orders) if orders is not None else [(order_no, ebp_code)]
    return match_orders(session=session, orders=wanted, now=now, identity_verified=identity_verified,
                        received=received)


def _as_received(obj, doc) -> None:
    """Give a document loaded from the database the amounts as intake received them (e.g. 93.33, not the
    stored 93.33000), head and lines, without marking anything changed."""
    if doc is None:
        return
    for name, value in vars(doc).items():
        if isinstance(value, Decimal):
            set_committed_value(obj, name, value)
    lines = {line["gnum"]: line for line in getattr(doc, "lines", None) or []}
    for item in obj.items:
        for name, value in lines.get(item.gnum, {}).items():
            if isinstance(value, Decimal):
                set_committed_value(item, name, value)


def match_orders(*, session: Session, orders: list[tuple[str, str | None]], now: datetime | None = None,
                 identity_verified: bool = False,
                 received: dict[tuple[str, int], object] | None = None) -> list[Inventory]:
    """:func:`try_match` for many orders at once: the waiting lists of all of them in one query (locked on
    PostgreSQL, in id order), their orders, payments and waybills in one query per document type.

    ``received``: the orders and lists intake has just written without ORM objects (intake.NewDocument by
    (message type, id)). The ORM path kept those objects, with the amounts as received, in the session
    (their lines hold them there) and matched them as such; they are given the same values here, so the
    mismatch details read the same (payments and waybills were always read back from the database)."""
    now = now or utcnow()
    if not orders:
        return []
    wanted = {(o, e) for o, e in orders}
    any_platform = {o for o, e in orders if e is None}
    q = select(Inventory).where(Inventory.order_no.in_(sorted({o for o, _ in orders})), Inventory.app_status == "2",
                                Inventory.status.in_([InventoryStatus.awaiting_documents.value,
                                                      InventoryStatus.mismatch.value]))
    if session.get_bind().dialect.name == "postgresql":
        # two documents committing at once must not both declare the list: the second waits, then sees
        # the list no longer waiting (READ COMMITTED re-checks the row) and leaves it alone
        q = q.with_for_update()
    lists = [inv for inv in session.scalars(q.order_by(Inventory.id)).all()
             if inv.order_no in any_platform or (inv.order_no, inv.ebp_code) in wanted]
    if not lists:
        return []
    found = _documents_of(session, lists)
    if received:
        for inv in lists:
            _as_received(inv, received.get(("CEB621", inv.id)))
            order = found(inv)[0]
            if order is not None:
                _as_received(order, received.get(("CEB311", order.id)))
    checked = []
    for inv in lists:
        order, payment, waybill = found(inv)
        if order is None or payment is None or waybill is None:
            continue
        inv.documents_complete_at = inv.documents_complete_at or now
        checked.append((inv, match(_order_doc(order), _payment_doc(payment), _waybill_doc(waybill),
                                   _inventory_doc(inv), identity_verified=identity_verified)))
    # the lists that match: tax, quota and bonded stock of all of them decided together, in list order
    ready = dict(zip((id(inv) for inv, m in checked if not m),
                     _reserve_all(session, [inv for inv, m in checked if not m], now), strict=True))
    with events.collected(session):  # the declared lists' subscribers (risk queue, …) called once for the batch
        done = [inv for inv, mismatches in checked if _settle_match(session, inv, mismatches, ready, now)]
    return done


def _settle_match(session: Session, inv: Inventory, mismatches: list, ready: dict, now: datetime) -> bool:
    """What the three-document check found for one list: its mismatches stated, or its declaration finished;
    False when the list already stands mismatched for the same reasons (nothing new to say)."""
    if mismatches:
        stored = [stored_mismatch(m) for m in mismatches]
        if inv.mismatches == stored and inv.status == InventoryStatus.mismatch.value:
            return False
        inv.mismatches = stored
        detail = "；".join(f"{m['doc_a']}.{m['field_a']}={m['value_a']} ≠ {m['doc_b']}.{m['field_b']}={m['value_b']}"
                          for m in stored)[:900]
        _set_status(session, inv, InventoryStatus.mismatch, action="mismatch", info=detail,
                    extra={"mismatches": [m["field"] for m in stored]})
        _platform_receipt(session, inv, errors.MISMATCH, detail, now)
    else:
        inv.mismatches = None
        inv.matched_at = now
        _finish_declare(session, inv, ready[id(inv)], now)
    return True


def _documents_of(session: Session, lists: list[Inventory]):
    """The order, payment and waybill of each list: one query per document type for all of them."""
    from sqlalchemy.orm import selectinload

    order_keys = sorted({f"{inv.ebp_code}:{inv.order_no}" for inv in lists})
    waybill_keys = sorted({f"{inv.logistics_code}:{inv.logistics_no}" for inv in lists})
    order_nos = sorted({inv.order_no for inv in lists})
    # the match compares the documents' columns; their full stored records (large, encrypted) stay unread
    orders = {o.business_key: o for o in session.scalars(
        _live(ImportOrder, ImportOrder.business_key.in_(order_keys))
        .options(selectinload(ImportOrder.items), defer(ImportOrder.record)))}
    payments: dict[tuple[str, str], ImportPayment] = {}
    for p in session.scalars(_live(ImportPayment, ImportPayment.order_no.in_(order_nos))
                             .options(defer(ImportPayment.record)).order_by(ImportPayment.id.desc())):
        payments.setdefault((p.order_no, p.ebp_code), p)  # the newest, as before
    waybills = {w.business_key: w for w in session.scalars(
        _live(ImportWaybill, ImportWaybill.business_key.in_(waybill_keys)).options(defer(ImportWaybill.record)))}
    missing_items = [inv for inv in lists if "items" not in inv.__dict__]
    if missing_items:  # the lines of lists not loaded yet, in one query
        session.scalars(select(Inventory).where(Inventory.id.in_([inv.id for inv in missing_items]))
                        .options(selectinload(Inventory.items))).all()

    def found(inv: Inventory):
        return (orders.get(f"{inv.ebp_code}:{inv.order_no}"), payments.get((inv.order_no, inv.ebp_code)),
                waybills.get(f"{inv.logistics_code}:{inv.logistics_no}"))

    return found


def rematch(*, session: Session, limit: int = 500, now: datetime | None = None) -> int:
    """The job: match waiting lists whose order, payment and waybill are all stored (set-based find).

    Intake matches as each document arrives, but when the last two documents of a parcel commit at the
    same moment neither transaction sees the other; this sweep, run by every pipeline tick, closes that gap.
    """
    live = DocumentStatus.deleted.value
    has_order = select(ImportOrder.id).where(
        ImportOrder.business_key == Inventory.ebp_code + ":" + Inventory.order_no, ImportOrder.status != live).exists()
    has_payment = select(ImportPayment.id).where(
        ImportPayment.order_no == Inventory.order_no, ImportPayment.ebp_code == Inventory.ebp_code,
        ImportPayment.status != live).exists()
    has_waybill = select(ImportWaybill.id).where(
        ImportWaybill.business_key == Inventory.logistics_code + ":" + Inventory.logistics_no,
        ImportWaybill.status != live).exists()
    rows = session.execute(
        select(Inventory.order_no, Inventory.ebp_code)
        .where(Inventory.status == InventoryStatus.awaiting_documents.value, Inventory.app_status == "2",
               has_order, has_payment, has_waybill)
        .order_by(Inventory.id).limit(limit)
    ).all()
    if not rows:
        return 0
    from kuajing.db.session import is_retryable

    try:
        with session.begin_nested(), audit.deferred(session):
            return len(match_orders(session=session, orders=[(order_no, ebp_code) for order_no, ebp_code in rows],
                                    now=now))
    except Exception as exc:  # a deadlock with concurrent intake: nothing of the sweep is kept; the next tick retries
        if is_retryable(exc):
            log.info("rematch rolled back after a transient conflict: %s", exc)
            return 0
        # a list the match cannot handle must not hold back the others of the sweep: each on its own, logged
        log.exception("rematch failed as a batch; matching these lists one at a time")
    settled = 0
    for order_no, ebp_code in rows:
        try:
            with session.begin_nested(), audit.deferred(session):
                settled += len(match_orders(session=session, orders=[(order_no, ebp_code)], now=now))
        except Exception as exc:
            if is_retryable(exc):  # what is settled so far is kept; the next tick sweeps the rest
                log.info("rematch stopped after a transient conflict: %s", exc)
                break
            log.exception("match of list %s (platform %s) failed; left waiting", order_no, ebp_code)
    return settled


# --- tax, quota, stock ------------------------------------------------------------------------------


def _declared_on(inv: Inventory):
    from datetime import date

    try:
        return date(int(inv.decl_time[:4]), int(inv.decl_time[4:6]), int(inv.decl_time[6:8]))
    except (TypeError, ValueError):
        return utcnow().astimezone(SHANGHAI).date()


def _tax_quote(inv: Inventory):
    """The retail import tax of the list (kuajing.tax: lines, freight and insurance from the list)."""
    from pydantic import ValidationError

    from kuajing.errors import FieldIssue, validation_error
    from kuajing.tax import service as tax
    from kuajing.tax.calc import net_content_from_legal, pieces_of, round_fen
    from kuajing.tax.schemas import QuoteItemIn

    items = []
    for n, i in enumerate(inv.items, start=1):  # pieces from the declared quantity, content from the legal ones
        pieces = pieces_of(i.qty)
        try:
            items.append(QuoteItemIn(hs_code=i.gcode, goods_value=round_fen(i.total_price), quantity=pieces,
                                     net_content=net_content_from_legal(pieces, (i.qty1, i.unit1), (i.qty2, i.unit2))))
        except ValidationError as exc:  # a line the tax engine cannot take (e.g. beyond its amounts): a check failure
            raise validation_error([FieldIssue(f"tax_{e['type']}", f"InventoryList[{n}]/{'/'.join(map(str, e['loc']))}",
                                               "The tax engine cannot take this line: {reason}.", i.total_price,
                                               {"reason": e["msg"]}) for e in exc.errors()]) from None
    return tax.quote(declared_on=_declared_on(inv), items=items, freight=round_fen(inv.freight),
                     insured_fee=round_fen(inv.insured_fee), buyer_id_number=inv.buyer_id_number)


def _quota_request(inv: Inventory, amount: Decimal, full_rate: bool):
    """The list's claim on the buyer's annual quota (个人年度额度占用)."""
    from kuajing.quota import service as quota

    return quota.QuotaRequest(buyer_id_number=inv.buyer_id_number, buyer_name=inv.buyer_name,
                              declared_on=_declared_on(inv), amount=amount, reference=inv.quota_reference,
                              single_item_full_rate=full_rate)


def _stock_lines(inv: Inventory, stock_reference: str):
    """The list's lines in the one lock order of every list (by record line), with their claims on bonded
    stock (保税账册占用, 1210), so two lists of the same goods never deadlock."""
    from kuajing.bonded import service as bonded

    for line in sorted(inv.items, key=lambda li: (li.item_record_no or li.item_no or "", li.gnum)):
        item_no = line.item_record_no or line.item_no or ""
        yield line, bonded.StockClaim(warehouse_code=inv.ems_no or "", item_no=item_no, quantity=line.qty,
                                      reference=f"{stock_reference}/{line.gnum}",
                                      enterprise_id=inv.sender_enterprise_id)


def _stock_short(inv: Inventory, lines: list, outcome) -> str:
    """Why the list's stock could not be reserved (the line that stopped it)."""
    tried = len(outcome.decisions) if outcome.error is not None else len(outcome.decisions) - 1
    line, claim = lines[tried]
    if outcome.error is not None:
        return f"{inv.ems_no}/{claim.item_no}: {outcome.error.code}"
    return f"{inv.ems_no}/{claim.item_no}: {outcome.decisions[-1].available_before} < {line.qty}"


def _stock_reference(inv: Inventory) -> str:
    return f"{inv.business_key}#{len(inv.app_history or [])}"[:90]


@dataclass
class _Ready:
    """What the tax, quota and stock checks decided for one matched list (applied by :func:`_finish_declare`)."""

    outcome: str  # "declared" | "check_failed" | "tax_rejected" | "limit_rejected" | "stock_short"
    quote: object = None
    detail: str | None = None
    decision: object = None


def _reserve_all(session: Session, lists: list[Inventory], now: datetime) -> list[_Ready]:
    """Tax, quota and bonded stock of matched lists, set-based: the tax quotes first, then every buyer-year
    row (额度账户) locked in one statement and every stock row (保税库存) in one, then each list decided in
    list order exactly as one declaration at a time (quota, then its stock; a list short of stock frees its
    quota claim before the next list is decided), then all the ledger writes together."""
    if not lists:
        return []
    from kuajing.bonded import service as bonded
    from kuajing.quota import service as quota

    ready: list[_Ready | None] = [None] * len(lists)
    claiming: list[tuple[int, Inventory, object]] = []
    for n, inv in enumerate(lists):
        version = len(inv.app_history or [])
        try:
            result = _tax_quote(inv)
        except AppError as exc:
            ready[n] = _Ready("check_failed", detail="; ".join(f"{e.path}: {e.code}" for e in exc.errors) or exc.code)
            continue
        q = result.quote
        inv.tax_channel, inv.taxable_price = q.channel.value, q.taxable_price
        inv.duty, inv.vat, inv.consumption_tax, inv.tax_total = q.duty, q.vat, q.consumption_tax, q.total
        if q.channel.value == "rejected":
            ready[n] = _Ready("tax_rejected", quote=q)
            continue
        inv.quota_reference = f"{inv.business_key}#{version}"[:100]
        claiming.append((n, inv, q))
    if claiming:
        requests = [_quota_request(inv, q.taxable_price, q.channel.value == "cbec_full_rate") for _, inv, q in claiming]
        quotas = quota.QuotaBatch.for_requests(session, requests, ACTOR)
        lines = {id(inv): list(_stock_lines(inv, _stock_reference(inv))) for _, inv, _ in claiming
                 if inv.trade_mode == "1210"}
        stock = bonded.StockBatch.for_claims(session, [c for group in lines.values() for _, c in group], ACTOR)
        for (n, inv, q), request in zip(claiming, requests, strict=True):
            decision = quotas.reserve(request)
            if not decision.ok:
                inv.quota_reference = None
                ready[n] = _Ready("limit_rejected", quote=q, decision=decision)
                continue
            if inv.trade_mode == "1210":
                inv.stock_reference = _stock_reference(inv)
                group = lines[id(inv)]
                outcome = stock.reserve_group([c for _, c in group])
                if not outcome.ok:
                    inv.stock_reference = None
                    try:
                        quotas.release(inv.quota_reference)
                    except AppError as exc:  # as the single release call: logged, the list still moves
                        log.warning("quota release %s: %s", inv.quota_reference, exc)
                    ready[n] = _Ready("stock_short", quote=q, detail=_stock_short(inv, group, outcome))
                    continue
            ready[n] = _Ready("declared", quote=q)
        quotas.write()
        stock.write()
    return ready  # type: ignore[return-value]


def _finish_declare(session: Session, inv: Inventory, ready: _Ready, now: datetime) -> None:
    """The list's state, receipt and outbox row for what :func:`_reserve_all` decided."""
    q = ready.quote
    if ready.outcome == "check_failed":
        _set_status(session, inv, InventoryStatus.check_failed, action="check-fail", info=ready.detail)
        _platform_receipt(session, inv, errors.INVALID["CEB621"], ready.detail or "", now)
    elif ready.outcome == "tax_rejected":
        code = q.reason_code.value if q.reason_code else errors.SINGLE_LIMIT
        code = code if code.startswith("-") else errors.INVALID["CEB621"]
        _set_status(session, inv, InventoryStatus.limit_rejected, action="limit-reject", info=code,
                    extra={"reason_code": code})
        _platform_receipt(session, inv, code, f"{inv.order_no} {q.taxable_price}", now)
    elif ready.outcome == "limit_rejected":
        decision = ready.decision
        _set_status(session, inv, InventoryStatus.limit_rejected, action="limit-reject", info=decision.reason_code,
                    extra={"reason_code": decision.reason_code})
        _platform_receipt(session, inv, decision.reason_code or errors.ANNUAL_LIMIT,
                          f"{inv.order_no} {decision.total_after}/{decision.limit}", now)
    elif ready.outcome == "stock_short":
        _set_status(session, inv, InventoryStatus.stock_short, action="stock-short", info=ready.detail)
        _platform_receipt(session, inv, errors.STOCK_SHORT, ready.detail or "", now)
    else:
        enqueue(session=session, doc=inv, message_type="CEB621")
        inv.declared_at = now
        _set_status(session, inv, InventoryStatus.declared, action="declare",
                    extra={"tax_total": q.total, "taxable_price": q.taxable_price, "channel": q.channel.value})
        events.publish(session=session, name="import.inventory.declared", inventory=inv)


def declare(*, session: Session, inventory: Inventory, order: ImportOrder | None = None,
            now: datetime | None = None) -> Inventory:
    """A matched list: tax, quota, stock (1210), then the outbox; or the reason it cannot go (a batch of one
    of what :func:`match_orders` does for all its matching lists)."""
    now = now or utcnow()
    _finish_declare(session, inventory, _reserve_all(session, [inventory], now)[0], now)
    return inventory


def expire_incomplete(*, session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Time out lists whose order, payment or waybill did not arrive within ``older_than`` (a job)."""
    now = now or utcnow()
    rows = session.scalars(select(Inventory).where(Inventory.status == InventoryStatus.awaiting_documents.value,
                                                   Inventory.updated_at < now - older_than)).all()
    for inv in rows:
        order, payment, waybill = _documents(session, inv)
        missing = [name for name, doc in (("CEB311", order), ("CEB411", payment), ("CEB511", waybill)) if doc is None]
        detail = ",".join(missing)
        _set_status(session, inv, InventoryStatus.match_timeout, action="timeout", info=detail,
                    extra={"missing": missing})
        _platform_receipt(session, inv, errors.MATCH_TIMEOUT, detail, now)
    return len(rows)


# --- customs answers --------------------------------------------------------------------------------


class _Ledgers:
    """The quota and bonded changes of the customs receipts of one batch, collected while the receipts are
    applied and written together by :meth:`flush` (额度核销 / 释放, 账册核扣 / 取消占用): one lock round and
    a few multi-row statements per ledger instead of several statements per list and line. Each change
    is decided as the single call would decide it, in receipt order; a change the single call would
    refuse (unknown, already done) is logged and skipped, and the list's state still moves."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, Inventory]] = []  # ("release" | "reject", list) in receipt order

    def released(self, inv: Inventory) -> None:
        """Customs released the list (800): its quota claim is consumed, its stock deducted."""
        self.changes.append(("release", inv))

    def rejected(self, inv: Inventory) -> None:
        """Customs refused the list: its quota claim is released, its stock reservation cancelled."""
        self.changes.append(("reject", inv))

    def flush(self, session: Session) -> None:
        """Write the collected changes: quota first, then stock (the lock order of declarations)."""
        changes, self.changes = self.changes, []
        if not changes:
            return
        from kuajing.bonded import service as bonded
        from kuajing.quota import service as quota

        quota_work = [("consume" if how == "release" else "release", inv.quota_reference)
                      for how, inv in changes if inv.quota_reference]
        if quota_work:
            batch = quota.QuotaBatch.for_references(session, [ref for _, ref in quota_work], ACTOR)
            for name, reference in quota_work:
                try:
                    getattr(batch, name)(reference)
                except AppError as exc:  # already in the target state or unknown: logged, as one call at a time
                    log.warning("quota %s %s: %s", name, reference, exc)
            batch.write()
        bonded_lists = [(how, inv) for how, inv in changes if inv.stock_reference]
        if bonded_lists:
            gnums = _line_numbers(session, [inv for _, inv in bonded_lists])
            stock_work = [("deduct" if how == "release" else "cancel", inv, gnum)
                          for how, inv in bonded_lists for gnum in gnums[inv.id]]
            batch = bonded.StockBatch.for_references(
                session, [f"{inv.stock_reference}/{gnum}" for _, inv, gnum in stock_work], ACTOR)
            for name, inv, gnum in stock_work:
                try:
                    getattr(batch, name)(f"{inv.stock_reference}/{gnum}")
                except AppError as exc:
                    log.warning("bonded %s %s/%s: %s", "deduct" if name == "deduct" else "cancel_reservation",
                                inv.stock_reference, gnum, exc)
            batch.write()


def _line_numbers(session: Session, lists: list[Inventory]) -> dict[int, list[int]]:
    """The line numbers (商品序号) of each list, from its loaded lines or, for the others, one query."""
    from kuajing.imports.models import InventoryItem

    out = {inv.id: [line.gnum for line in inv.items] for inv in lists if "items" in inv.__dict__}
    missing = sorted({inv.id for inv in lists} - set(out))
    for inv_id in missing:
        out[inv_id] = []
    for start in range(0, len(missing), 500):
        for inv_id, gnum in session.execute(
                select(InventoryItem.inventory_id, InventoryItem.gnum)
                .where(InventoryItem.inventory_id.in_(missing[start:start + 500]))
                .order_by(InventoryItem.inventory_id, InventoryItem.gnum)):
            out[inv_id].append(gnum)
    return out


_RANK = {InventoryStatus.declared: 0, InventoryStatus.customs_accepted: 1, InventoryStatus.review: 2,
         InventoryStatus.inspection: 2, InventoryStatus.detained: 3, InventoryStatus.decided: 4,
         InventoryStatus.released: 5, InventoryStatus.closed: 6}


def _apply_list_receipt(session: Session, rec, when: datetime, found: _Found | None = None) -> Inventory | None:
    if found is None:  # on its own: the ledger changes are written at once
        found = _Found()
        inv = _apply_list_receipt(session, rec, when, found)
        found.ledgers.flush(session)
        return inv
    inv = None
    if rec.pre_no:
        inv = found.inventory(session, "pre_no", rec.pre_no)
    if inv is None and rec.invt_no:
        inv = found.inventory(session, "invt_no", rec.invt_no)
    if inv is None:
        return None
    code = str(rec.return_status)
    inv.customs_status = code
    if rec.invt_no and not inv.invt_no:
        inv.invt_no = rec.invt_no
    target = CUSTOMS_INVENTORY_STATUS.get(code)
    current = InventoryStatus(inv.status)
    if code.startswith("-") or target is InventoryStatus.customs_rejected:
        if current in _RANK and current not in (InventoryStatus.released, InventoryStatus.closed):
            found.ledgers.rejected(inv)
            if code == errors.ANNUAL_LIMIT:
                found.ledgers.flush(session)  # the buyer's quota: released first, then blocked, as before
                _customs_quota_block(session, inv)
            _set_status(session, inv, InventoryStatus.customs_rejected, action="customs-reject",
                        info=str(rec.return_info or ""), extra={"return_status": code})
            events.publish(session=session, name="import.inventory.rejected", inventory=inv)
        return inv
    if target is None or current not in _RANK or _RANK.get(target, -1) <= _RANK[current]:
        return inv  # a repeat or a late, older receipt: kept for the pull, the state does not go back
    if target is InventoryStatus.released:
        found.ledgers.released(inv)
        inv.released_at = when
    _set_status(session, inv, target, action=target.value.replace("_", "-"), info=str(rec.return_info or ""),
                extra={"return_status": code})
    if target is InventoryStatus.released:
        events.publish(session=session, name="import.inventory.released", inventory=inv)
    return inv


def _customs_quota_block(session: Session, inv: Inventory) -> None:
    from kuajing.quota import service as quota

    try:
        quota.record_customs_rejection(session=session, buyer_id_number=inv.buyer_id_number,
                                       buyer_name=inv.buyer_name, year=_declared_on(inv).year, actor=ACTOR,
                                       reference=inv.quota_reference)
    except AppError as exc:
        log.warning("quota customs block %s: %s", inv.business_key, exc)


def _tax_bill(session: Session, inv: Inventory | None, head, found: _Found | None = None) -> None:
    """Book an e-tax bill (CEB816) or its status (CEB818) on the declaring agent's tax guarantee (税款担保):
    at once, or with ``found`` kept for the batch's draws together (:meth:`_Found.book_bills`)."""
    from kuajing.tax import service as tax

    bill = tax.CustomsBill(head=head, agent_enterprise_id=None if inv is None else inv.sender_enterprise_id,
                           invt_no=None if inv is None else inv.invt_no)
    if found is None:
        tax.apply_tax_bills(session=session, bills=[bill])
    else:
        found.bills.append(bill)


@dataclass
class Applied:
    """What one customs message changed."""

    message_type: str
    records: int = 0
    matched: int = 0  # records that found their document


class _Found:
    """Documents of a batch of customs messages, looked up with one query per kind (set-based), then by key."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], object] = {}  # (declaration type, business key) → document
        self.lists: dict[tuple[str, str], Inventory] = {}  # ("pre_no" | "invt_no", value) → list
        self.known: set[tuple[str, str]] = set()  # keys looked up (found or not)
        self.ledgers = _Ledgers()  # quota and stock changes of the batch's list receipts, written at its end
        self.bills: list = []  # e-tax bills / statuses (CEB816/818) waiting to be booked together, in order
        self.receipts: list[dict] = []  # receipts for the senders to pull, written together, in order

    def store_receipts(self, session: Session) -> None:
        """Write the waiting receipts (one flush, one multi-row INSERT), in the order they were applied."""
        pending, self.receipts = self.receipts, []
        receipts.store_many(session=session, receipts=pending)

    def settle(self, session: Session) -> None:
        """Everything kept for the batch: events delivered, quota and stock changes written, e-tax bills booked,
        receipts written."""
        events.deliver(session)
        self.ledgers.flush(session)
        self.book_bills(session)
        self.store_receipts(session)

    def book_bills(self, session: Session) -> None:
        """Book the waiting e-tax bills on the tax guarantee, set-based (kuajing.tax.apply_tax_bills)."""
        if self.bills:
            from kuajing.tax import service as tax

            bills, self.bills = self.bills, []
            tax.apply_tax_bills(session=session, bills=bills)

    def prefetch(self, session: Session, messages: list[Message]) -> None:
        keys: dict[str, set[str]] = {}
        numbers: dict[str, set[str]] = {"pre_no": set(), "invt_no": set()}
        for msg in messages:
            if msg.message_type in RECEIPT_KEYS:
                decl_type, key_of = RECEIPT_KEYS[msg.message_type]
                keys.setdefault(decl_type, set()).update(key_of(rec) for rec in msg.records)
            elif msg.message_type == "CEB622":
                for rec in msg.records:
                    if rec.pre_no:
                        numbers["pre_no"].add(rec.pre_no)
                    if rec.invt_no:
                        numbers["invt_no"].add(rec.invt_no)
            elif msg.message_type in ("CEB816", "CEB818"):
                for rec in msg.records:
                    head = rec.head if hasattr(rec, "head") else rec
                    if head.invt_no:
                        numbers["invt_no"].add(head.invt_no)
        for decl_type, wanted in keys.items():
            model = DOC_TYPES[decl_type].model
            for chunk in _chunks(sorted(wanted)):
                for doc in session.scalars(select(model).where(model.business_key.in_(chunk))
                                           .options(*without_personal_data(model))):  # states only
                    self.docs.setdefault((decl_type, doc.business_key), doc)
            self.known.update((decl_type, k) for k in wanted)
        for column, wanted in numbers.items():
            attr = getattr(Inventory, column)
            for chunk in _chunks(sorted(wanted)):  # with their lines (release deducts stock per line)
                for inv in session.scalars(select(Inventory).where(attr.in_(chunk)).order_by(Inventory.id)
                                           .options(selectinload(Inventory.items),
                                                    *without_personal_data(Inventory))):
                    self.lists.setdefault((column, getattr(inv, column)), inv)
            self.known.update((column, v) for v in wanted)

    def document(self, session: Session, decl_type: str, key: str):
        if (decl_type, key) not in self.known:
            model = DOC_TYPES[decl_type].model
            return session.scalars(select(model).where(model.business_key == key)).first()
        return self.docs.get((decl_type, key))

    def inventory(self, session: Session, column: str, value: str) -> Inventory | None:
        if (column, value) not in self.known:
            return session.scalars(select(Inventory).where(getattr(Inventory, column) == value)).first()
        inv = self.lists.get((column, value))
        if inv is None and column == "invt_no":  # numbered by an earlier receipt of this batch
            inv = next((i for i in self.lists.values() if i.invt_no == value), None)
        return inv


def _chunks(items: list[str], size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply_customs_message(*, session: Session, data: bytes, now: datetime | None = None) -> Applied:
    """Apply a receipt or e-tax bill from customs: states, quota, stock, and a receipt for the sender to pull."""
    now = now or utcnow()
    load_plugins()
    msg = parse(bytes(data), validate=False)
    found = _Found()
    found.prefetch(session, [msg])
    with events.collected(session):
        out = _apply_message(session, msg, now, found)
        found.settle(session)
    session.flush()
    return out


def apply_customs_messages(*, session: Session, messages: list[bytes], now: datetime | None = None) -> list[Applied]:
    """Apply a batch of customs messages in order, as :func:`apply_customs_message` would one by one, with
    the documents they name looked up set-based (one query per kind for the whole batch)."""
    now = now or utcnow()
    load_plugins()
    parsed = [parse(bytes(data), validate=False) for data in messages]
    found = _Found()
    found.prefetch(session, parsed)
    with events.collected(session):  # released / rejected lists' subscribers called once per run of an event
        out = [_apply_message(session, msg, now, found) for msg in parsed]
        found.settle(session)
    session.flush()
    return out


#: customs messages whose application neither touches the tax guarantee nor writes receipts itself: the
#: e-tax bills and receipts before them may wait to be written together; any other message (a return's
#: answer may void a bill, an export type stores its own receipts) has them written first
_MAY_WAIT = frozenset({*RECEIPT_KEYS, "CEB622", "CEB816", "CEB818"})


def _apply_message(session: Session, msg: Message, now: datetime, found: _Found) -> Applied:
    out = Applied(message_type=msg.message_type)
    if msg.message_type not in _MAY_WAIT:  # returns and other domains see the batch as one message at a time would
        found.settle(session)
    for rec in msg.records:
        out.records += 1
        owner, key, decl_type = None, None, None
        if msg.message_type in RECEIPT_KEYS:
            decl_type, key_of = RECEIPT_KEYS[msg.message_type]
            key = key_of(rec)
            doc = found.document(session, decl_type, key)
            if doc is not None:
                code = str(rec.return_status)
                before = {"status": doc.status, "customs_status": doc.customs_status}
                doc.customs_status = code
                target = CUSTOMS_DOCUMENT_STATUS.get(code) or (DocumentStatus.rejected if code.startswith("-") else None)
                if target is not None and doc.status != DocumentStatus.deleted.value:
                    doc.status = target.value
                audit.record(session=session, action=f"import:{DOC_TYPES[decl_type].name.replace('_', '-')}:customs",
                             stream=audit.stream_name(f"import:{DOC_TYPES[decl_type].name}", key), actor=ACTOR, subject_id=key,
                             before=before, after={"status": doc.status, "customs_status": code})
                owner = doc.sender_enterprise_id
        elif msg.message_type == "CEB622":
            decl_type = "CEB621"
            inv = _apply_list_receipt(session, rec, now, found)
            if inv is not None:
                owner, key = inv.sender_enterprise_id, inv.business_key
        elif msg.message_type in ("CEB624", "CEB626"):
            decl_type = "CEB623" if msg.message_type == "CEB624" else "CEB625"
            model = InventoryCancel if decl_type == "CEB623" else InventoryRefund
            doc = session.scalars(select(model).where(model.invt_no == rec.invt_no)).first() if rec.invt_no else None
            if doc is not None:
                doc.customs_status = str(rec.return_status)
                owner, key = doc.sender_enterprise_id, doc.business_key
                from kuajing.imports.service import returns  # returns helper: quota, stock, tax, tracking

                returns.apply_customs_answer(session=session, doc=doc, message_type=decl_type,
                                             code=str(rec.return_status), info=str(rec.return_info or ""), when=now)
        elif msg.message_type in CUSTOMS_APPLY:  # receipts of types another domain registered (exports)
            applied = CUSTOMS_APPLY[msg.message_type](session=session, rec=rec, now=now)
            if applied is not None:
                owner, key, decl_type = applied
        elif msg.message_type in ("CEB816", "CEB818"):
            decl_type = "CEB621"
            head = rec.head if hasattr(rec, "head") else rec
            inv = found.inventory(session, "invt_no", head.invt_no) if head.invt_no else None
            _tax_bill(session, inv, head, found)
            if inv is not None:
                owner, key = inv.sender_enterprise_id, inv.business_key
        if owner is None:
            log.info("customs %s record for an unknown document ignored", msg.message_type)
            continue
        out.matched += 1
        single = Message(message_type=msg.message_type, guid=msg.guid, records=[rec])
        found.receipts.append({"enterprise_id": owner, "declaration_type": decl_type, "business_key": key,
                               "receipt_message": single, "when": now, "source": "customs"})
    return out


# --- the pump ---------------------------------------------------------------------------------------


@dataclass
class PumpResult:
    """What one pump run did."""

    sent: int = 0
    failed: int = 0
    applied: int = 0
    apply_failed: int = 0


MAX_ATTEMPTS = 10


#: Records per outbound message when the pump merges pending outbox rows of one type (the CEB maximum).
MAX_RECORDS_PER_MESSAGE = 100


def _batches(rows: list[OutboxMessage], per_message: int) -> list[list[OutboxMessage]]:
    """Outbox rows cut into messages: rows of one type and one transmitting enterprise (BaseTransfer) share
    a message (in id order), up to the type's record limit. Messages of the three documents go first, then
    the others, each in the order of their first row — so a list never leaves before its documents."""
    groups: dict[tuple, list[list[OutboxMessage]]] = {}
    order: list[tuple[int, int, list[OutboxMessage]]] = []
    for row in rows:
        limit = min(per_message, spec_of(row.message_type).records_max or 1)
        key = (row.message_type, _transfer_key(row))
        open_ = groups.setdefault(key, [])
        if open_ and len(open_[-1]) < limit:
            open_[-1].append(row)
        else:
            batch = [row]
            open_.append(batch)
            order.append((0 if row.message_type in FORWARDED else 1, row.id, batch))
    return [batch for _rank, _first, batch in sorted(order, key=lambda t: (t[0], t[1]))]


def _transfer_key(row: OutboxMessage) -> bytes:
    data = bytes(row.payload)
    start = data.find(b"<ceb:BaseTransfer")
    end = data.find(b"</ceb:BaseTransfer>", start)
    return data[start:end] if start >= 0 and end > start else b""


def _merged(rows: list[OutboxMessage]) -> bytes:
    """The message sent for ``rows``: the records of the stored single-record messages in one message, signed
    by the platform (its signature replaces a placeholder or an earlier signature)."""
    if len(rows) == 1:
        return _sign(bytes(rows[0].payload), rows[0].message_type)
    parsed = [parse(bytes(r.payload), validate=False) for r in rows]
    first = parsed[0]
    msg = Message(message_type=first.message_type, records=[rec for m in parsed for rec in m.records])
    msg.base_transfer = first.base_transfer
    msg.base_subscribes = first.base_subscribes
    if msg.spec.signature == "required":
        from kuajing.ceb.examples import placeholder_signature

        msg.signature = placeholder_signature()
    return _sign(build(msg, validate=False), msg.message_type)


def send_pending(*, session_factory: sessionmaker[Session], transport, limit: int = 1000,
                 per_message: int = MAX_RECORDS_PER_MESSAGE) -> tuple[int, int]:
    """Send pending outbox rows (oldest first), up to ``per_message`` records of one type per message;
    the rows of each message are marked sent in one committed transaction. Returns (rows sent, rows failed)."""
    sent = failed = 0
    with session_factory() as session:
        q = (select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        for rows in _batches(list(session.scalars(q).all()), max(1, per_message)):
            try:
                transport.send(message=_merged(rows), message_type=rows[0].message_type)
            except Exception as exc:  # transport down: keep them for the next run
                for row in rows:
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if row.attempts >= MAX_ATTEMPTS:
                        row.status = "failed"
                failed += len(rows)
            else:
                at = utcnow()
                for row in rows:
                    row.status, row.sent_at, row.attempts = "sent", at, row.attempts + 1
                sent += len(rows)
            session.commit()  # at least once: a crash between send and commit resends, customs dedupes
    return sent, failed


def pump(*, session_factory: sessionmaker[Session], transport, limit: int = 1000, send: bool = True,
         exchange: bool = True) -> PumpResult:
    """One pump run: send the outbox, then apply everything customs sent (ack / reject per message). ``send``
    or ``exchange`` False leaves that half to another process (``kuajing pump --steps``): sending takes its
    rows with SKIP LOCKED, the exchange must have one runner."""
    from kuajing.customs.jobs import exchange as exchange_with_customs

    result = PumpResult()
    if send:
        result.sent, result.failed = send_pending(session_factory=session_factory, transport=transport, limit=limit)
    if exchange:
        done = exchange_with_customs(
            session_factory=session_factory, transport=transport,
            apply=lambda session, data: apply_customs_message(session=session, data=data),
            apply_batch=lambda session, datas: apply_customs_messages(session=session, messages=datas))
        result.applied, result.apply_failed = done.applied, done.failed
    return result


def customs_receipt_types() -> tuple[str, ...]:
    """The customs message types :func:`apply_customs_message` understands."""
    load_plugins()
    return (*RECEIPT_KEYS, "CEB622", "CEB624", "CEB626", "CEB816", "CEB818", *CUSTOMS_APPLY)
