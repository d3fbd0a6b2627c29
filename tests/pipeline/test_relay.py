"""The celery mode's handlers and relay on the suite's database, without a broker (a recording double stands
in for the Celery app): only committed rows are relayed, a list waits for its documents, a redelivered send
or apply task does nothing twice, customs messages are grouped by list."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import func, select

from kuajing.imports.models import OutboxMessage, Receipt
from kuajing.pipeline.dispatcher import Dispatcher, subject_of
from kuajing.pipeline.models import InboxMessage, RelayMark
from kuajing.pipeline.tasks import Runtime, apply_groups, apply_one, encode, send_rows
from tests.imports import parcels
from tests.imports.conftest import zone  # noqa: F401  (fixture)
from tests.imports.parcels import xml
from tests.imports.test_intake import post


class RecordingApp:
    """Stands in for the Celery app: records what would be published."""

    def __init__(self):
        self.sent: list[tuple[str, list]] = []

    @contextmanager
    def producer_or_acquire(self):
        yield None

    def send_task(self, name, args=None, **_options):
        self.sent.append((name, args[0] if args else None))


def _row(db, message_type: str, key: str, order_no: str | None = None) -> OutboxMessage:
    row = OutboxMessage(message_type=message_type, business_key=key, order_no=order_no, payload=b"<x/>",
                        status="pending", attempts=0)
    db.add(row)
    db.flush()
    return row


def _posted_parcels(client, zone, settings, session_factory, count: int) -> Runtime:  # noqa: F811
    """Parcels 1…count, each document POSTed by its sender; the runtime of a sandbox that answers at once."""
    for n in range(1, count + 1):
        for party, doc in ((zone.platform, parcels.order(zone.parties, n)), (zone.pay, parcels.payment(zone.parties, n)),
                           (zone.logistics, parcels.waybill(zone.parties, n)),
                           (zone.agent, parcels.inventory(zone.parties, n))):
            post(client, party, xml(doc))
    return Runtime(settings.model_copy(update={"customs_sandbox_delay_seconds": 0.0,
                                               "customs_sandbox_inspection_rate": 0.0}),
                   session_factory=session_factory)


def test_only_committed_rows_are_relayed_and_a_list_waits_for_its_documents(settings, db, session_factory):
    app = RecordingApp()
    dispatcher = Dispatcher(celery_app=app, runtime=Runtime(settings, session_factory=session_factory))
    order = _row(db, "CEB311", "A:ORD1")
    listed = _row(db, "CEB621", "A:ORD1")
    assert dispatcher.relay() == 0  # nothing committed yet: nothing published
    db.commit()
    postgres = db.get_bind().dialect.name == "postgresql"
    if postgres:  # a transaction still open beside the relay (SQLite has one writer at a time)
        uncommitted = _row(db, "CEB311", "A:ORD2")
    assert dispatcher.relay() == 1
    assert app.sent == [("kuajing.pipeline.send", [order.id])]  # the list waits for the older document
    assert dispatcher.relay() == 0  # marked: not published again
    if not postgres:
        uncommitted = _row(db, "CEB311", "A:ORD2")
    db.rollback()  # the transaction rolls back: its row never existed, nothing is ever published for it
    assert dispatcher.relay() == 0 and len(app.sent) == 1  # the rolled-back row was never published
    assert uncommitted.id is not None

    db.get(OutboxMessage, order.id).status = "sent"
    db.commit()
    assert dispatcher.relay() == 1
    assert app.sent[-1] == ("kuajing.pipeline.send", [listed.id])
    assert db.scalar(select(func.count()).select_from(RelayMark)) == 2


def test_a_redelivered_send_or_apply_does_nothing_twice(settings, client, db, session_factory, zone):  # noqa: F811
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    runtime = Runtime(settings.model_copy(update={"customs_sandbox_delay_seconds": 0.0,
                                                  "customs_sandbox_inspection_rate": 0.0}),
                      session_factory=session_factory)
    ids = list(db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    assert send_rows(runtime=runtime, outbox_ids=ids).sent == 4
    again = send_rows(runtime=runtime, outbox_ids=ids)  # the broker delivers the task again
    assert (again.sent, again.skipped) == (0, 4)

    messages = runtime.transport.poll(limit=100)
    assert messages
    outcomes = [apply_one(runtime=runtime, message_id=m.message_id, subject=subject_of(bytes(m), m.message_id),
                          data=bytes(m)) for m in messages]
    assert set(outcomes) == {"applied"}
    customs_receipts = db.scalar(select(func.count()).select_from(Receipt).where(Receipt.source == "customs"))
    assert customs_receipts == len(messages)
    repeat = [apply_one(runtime=runtime, message_id=m.message_id, subject="x", data=bytes(m)) for m in messages]
    assert set(repeat) == {"duplicate"}
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Receipt).where(Receipt.source == "customs")) == customs_receipts
    assert db.scalar(select(func.count()).select_from(InboxMessage).where(InboxMessage.applied_at.is_(None))) == 0
    assert runtime.transport.poll(limit=100) == []  # acknowledged with the application


def test_customs_messages_are_grouped_by_list_number():
    receipt = b"<ceb:CEB622Message><ceb:preNo>B20240601000000001</ceb:preNo><ceb:invtNo>0100I1</ceb:invtNo>"
    bill = b"<ceb:CEB816Message><ceb:invtNo>0100I1</ceb:invtNo></ceb:CEB816Message>"
    assert subject_of(receipt, "1") == subject_of(bill, "2") == "invtNo:0100I1"
    assert subject_of(b"<ceb:orderNo>ORD1</ceb:orderNo>", "3") == "orderNo:ORD1"
    assert subject_of(b"<x/>", "4") == "message:4"


def test_a_task_sends_its_rows_as_merged_messages_and_applies_its_messages_in_one_transaction(
        settings, client, db, session_factory, zone):  # noqa: F811
    """Three parcels' twelve outbox rows go to customs as four messages (one per type and sender, as the
    in-process pump merges them); an apply task of every customs message is applied in one transaction, a
    message that cannot be applied holds back only the rest of its own group, and a redelivered task only
    acknowledges."""
    runtime = _posted_parcels(client, zone, settings, session_factory, 3)
    ids = list(db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    assert len(ids) == 12
    sent: list[tuple[str, int]] = []
    from kuajing.customs.service import sandbox as sandbox_module

    real_receive = sandbox_module.receive

    def counting_receive(*, session, message, message_type, now, config):
        sent.append((message_type, 1))
        return real_receive(session=session, message=message, message_type=message_type, now=now, config=config)

    sandbox_module.receive = counting_receive
    try:
        done = send_rows(runtime=runtime, outbox_ids=ids)
    finally:
        sandbox_module.receive = real_receive
    assert (done.sent, done.skipped, done.failed) == (12, 0, 0)
    assert sorted(t for t, _ in sent) == ["CEB311", "CEB411", "CEB511", "CEB621"]  # four messages, not twelve

    messages = runtime.transport.poll(limit=500)
    groups: dict[str, list[list[str]]] = {}
    for m in messages:
        subject = subject_of(bytes(m), m.message_id)
        groups.setdefault(subject, []).append([m.message_id, subject, encode(bytes(m))])
    broken = [["999999", "orderNo:BROKEN", encode(b"<not a customs message/>")],
              *groups.pop(next(iter(groups)))]  # a bad message first: its group is held, the others go on
    held = len(broken) - 1
    outcome = apply_groups(runtime=runtime, groups=[broken, *groups.values()])
    assert (outcome.failed, outcome.held) == (1, held)
    assert outcome.applied == len(messages) - held
    assert db.scalar(select(func.count()).select_from(InboxMessage)
                     .where(InboxMessage.applied_at.is_not(None))) == len(messages) - held
    again = apply_groups(runtime=runtime, groups=list(groups.values()))  # the broker delivers it again
    assert (again.applied, again.duplicates, again.failed) == (0, len(messages) - held, 0)


def test_messages_answering_many_records_are_grouped_by_every_subject_they_share():
    """Customs may answer many lists in one message: two messages sharing any list are applied in order in
    one group (a 2 names a list by its pre-entry number, the 120 by both numbers, the 800 and the e-tax
    bill by its list number), messages about other lists go in other groups."""
    from kuajing.pipeline.dispatcher import _Groups, subjects_of

    two = b"<ceb:preNo>P1</ceb:preNo><ceb:preNo>P2</ceb:preNo>"
    accepted = b"<ceb:preNo>P1</ceb:preNo><ceb:invtNo>I1</ceb:invtNo><ceb:preNo>P2</ceb:preNo><ceb:invtNo>I2</ceb:invtNo>"
    bill = b"<ceb:invtNo>I2</ceb:invtNo>"
    other = b"<ceb:preNo>P9</ceb:preNo>"
    assert subjects_of(accepted, "2") == ["invtNo:I1", "invtNo:I2", "preNo:P1", "preNo:P2"]
    grouped = _Groups()
    for position, (mid, data) in enumerate((("1", two), ("9", other), ("2", accepted), ("3", bill))):
        grouped.add(position, subjects_of(data, mid), [mid])
    assert sorted(grouped.groups()) == [[["1"], ["2"], ["3"]], [["9"]]]
    late = _Groups()  # a message linking two groups already formed merges them, keeping the poll order
    for position, (mid, data) in enumerate((("1", b"<ceb:invtNo>A</ceb:invtNo>"), ("2", b"<ceb:invtNo>B</ceb:invtNo>"),
                                            ("3", b"<ceb:invtNo>A</ceb:invtNo><ceb:invtNo>B</ceb:invtNo>"))):
        late.add(position, subjects_of(data, mid), [mid])
    assert late.groups() == [[["1"], ["2"], ["3"]]]


def test_queued_matches_are_published_as_match_tasks_and_a_task_declares_them(settings, client, db,
                                                                            session_factory, zone):  # noqa: F811
    from kuajing.db.session import make_sessionmaker
    from kuajing.imports.models import Inventory, MatchQueueItem
    from kuajing.pipeline.tasks import run_match

    app = RecordingApp()
    dispatcher = Dispatcher(celery_app=app, runtime=Runtime(settings, session_factory=session_factory))
    assert dispatcher.schedule_match() == 0  # nothing queued: nothing published
    client.app.state.sessionmaker = make_sessionmaker(
        session_factory.kw["bind"], settings=settings.model_copy(update={"match_in": "pipeline"}))
    for party, doc in ((zone.platform, parcels.order(zone.parties)), (zone.pay, parcels.payment(zone.parties)),
                       (zone.logistics, parcels.waybill(zone.parties)), (zone.agent, parcels.inventory(zone.parties))):
        post(client, party, xml(doc))
    assert db.scalar(select(Inventory.status)) == "awaiting_documents"
    dispatcher._next_match = 0.0
    assert dispatcher.schedule_match() == 1
    assert app.sent[-1] == ("kuajing.pipeline.match", None)
    assert dispatcher.schedule_match() == 0  # at most one per pipeline interval
    assert run_match(runtime=Runtime(settings, session_factory=session_factory)) == (4, 1)
    db.expire_all()
    assert db.scalar(select(Inventory.status)) == "declared"
    assert db.scalar(select(func.count()).select_from(MatchQueueItem)) == 0
    assert run_match(runtime=Runtime(settings, session_factory=session_factory)) == (0, 0)  # a redelivery: nothing


def test_a_list_waits_for_its_own_documents_not_for_every_older_parcel(settings, db, session_factory):
    # a backlog of other parcels' documents (a Double-11 peak the senders outrun) must not hold back a list
    # whose own order, payment and waybill are already sent
    app = RecordingApp()
    dispatcher = Dispatcher(celery_app=app, runtime=Runtime(settings, session_factory=session_factory))
    other = _row(db, "CEB311", "A:ORD9", "ORD9")  # older, another parcel, still pending
    own = [_row(db, t, f"K{t}", "ORD1") for t in ("CEB311", "CEB411", "CEB511")]
    listed = _row(db, "CEB621", "A:ORD1", "ORD1")
    legacy = _row(db, "CEB621", "A:ORD5", None)  # a list row without its order number: the old rule
    db.commit()
    dispatcher.relay()
    published = {i for _name, ids in app.sent for i in ids}
    assert published == {other.id, *(r.id for r in own)}  # documents go; both lists wait for now
    for row in own:  # the list's own documents are sent; the other parcel's order is still pending
        db.get(OutboxMessage, row.id).status = "sent"
    db.commit()
    app.sent.clear()
    dispatcher.relay()
    assert [i for _name, ids in app.sent for i in ids] == [listed.id]  # not blocked by ORD9
    db.get(OutboxMessage, other.id).status = "sent"
    db.commit()
    app.sent.clear()
    dispatcher.relay()
    assert [i for _name, ids in app.sent for i in ids] == [legacy.id]  # once every older document is sent


def test_a_message_whose_flush_fails_in_its_savepoint_is_audited_once_when_applied_again(
        settings, client, db, session_factory, zone, monkeypatch):  # noqa: F811
    """A message of a batch whose application fails on the database inside its SAVEPOINT (a deadlock, a
    unique violation: here a flush that breaks a unique key after the message's documents were changed and
    audited) leaves nothing behind — not its audit events either — and applied again later it is audited
    exactly once. (The crash test once found 78 payment events twice: a failed flush kept its events.)"""
    from kuajing.audit.models import AuditEvent
    from kuajing.imports.service import flow

    runtime = _posted_parcels(client, zone, settings, session_factory, 2)
    ids = list(db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
    assert send_rows(runtime=runtime, outbox_ids=ids).sent == len(ids)
    messages = runtime.transport.poll(limit=500)
    payments = [m for m in messages if b"CEB412Message" in bytes(m)]
    assert payments, "customs answered the payments"
    victim = payments[0].message_id
    groups = [[[m.message_id, f"message:{m.message_id}", encode(bytes(m))]] for m in messages]

    real_apply = flow.apply_customs_message
    failed = []

    def apply_then_break_a_unique_key(*, session, data, now=None):
        out = real_apply(session=session, data=data, now=now)
        if data == bytes(payments[0]) and not failed:  # after its documents were changed and audited
            failed.append(victim)
            session.add(InboxMessage(source=runtime.source, message_id=victim, subject="again"))
            session.flush()  # IntegrityError inside the message's savepoint
        return out

    monkeypatch.setattr(flow, "apply_customs_message", apply_then_break_a_unique_key)
    first = apply_groups(runtime=runtime, groups=groups)
    assert failed == [victim] and first.failed == 1 and first.applied == len(messages) - 1
    assert db.scalar(select(InboxMessage.applied_at).where(InboxMessage.message_id == victim)) is None
    again = apply_groups(runtime=runtime, groups=[[[victim, "again", encode(bytes(payments[0]))]]])
    assert again.applied == 1

    db.expire_all()
    payment_events = db.scalar(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "import:payment:customs"))
    payment_receipts = db.scalar(select(func.count()).select_from(Receipt)
                                 .where(Receipt.source == "customs", Receipt.message_type == "CEB412"))
    assert payment_receipts >= 2 and payment_events == payment_receipts  # one event per receipt customs sent
    twice = db.scalar(select(func.count()).select_from(
        select(AuditEvent.stream).where(AuditEvent.action.like("import:%"))
        .group_by(AuditEvent.stream, AuditEvent.action, AuditEvent.after_json)
        .having(func.count() > 1).subquery()))
    assert twice == 0
