"""The dispatcher of the celery mode (调度): the outbox relay, the customs poll and the periodic schedule.

It runs as a thread in every ``kuajing worker`` process; one of them leads (a PostgreSQL session advisory
lock, released by the database when the leader's connection dies, so a surviving or restarted worker takes
over within a second). The leader loops:

1. **relay** — committed customs-outbox rows still ``pending`` and not yet published (or published more than
   ``redispatch_after_seconds`` ago and still pending) are published as ``send`` tasks, then marked
   (:class:`~kuajing.pipeline.models.RelayMark`) in one commit. Only committed rows are visible to it, so a
   rolled-back intake never produces a message. A list waits until the older documents of its own parcel
   (same order number) are sent — customs matches the three documents when the list arrives — (a list
   without an order number: every older document); cancellations and returns until every older list is.
2. **poll** — the customs transport is polled (the sandbox advances first); every message not yet applied is
   recorded (:class:`~kuajing.pipeline.models.InboxMessage`, committed) and then published as an ``apply``
   task, grouped by subject (one list, one document; a message answering many records links their
   subjects into one group) so a list's receipts are applied in the order customs sent them; a message
   sharing a subject with a message still in flight waits. Messages applied whose acknowledgement was
   lost are acknowledged.
3. **schedule** — a ``housekeeping`` task every ``pipeline_interval_seconds`` (expiring if not run in time),
   and, while parcels wait in the match queue (setting ``match_in`` = "pipeline"), a ``match`` task at most
   every ``pipeline_interval_seconds`` (match tasks take disjoint queue rows, so several may run at once).

On SQLite there is no advisory lock: run one worker process.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from datetime import timedelta

from sqlalchemy import func, or_, select, text

from kuajing.db.base import utcnow

log = logging.getLogger("kuajing.pipeline")

#: Outbox ordering: a list goes after every older document, a request (cancel, return, summary) after every
#: older list (customs checks what it already received).
RANK = {"CEB621": 1, "CEB603": 1, "CEB623": 2, "CEB625": 2, "CEB605": 2, "CEB213": 2, "CEB701": 2}
_SUBJECT = [(name, re.compile(rb"<(?:[\w-]+:)?" + name + rb">\s*([^<\s]+)\s*<")) for name in
            (b"invtNo", b"preNo", b"orderNo", b"logisticsNo", b"copNo")]


def subject_of(data: bytes, message_id: str) -> str:
    """What a customs message is about (its list number, else pre-entry number, order, waybill …)."""
    for name, pattern in _SUBJECT:
        found = pattern.search(data)
        if found:
            return f"{name.decode()}:{found.group(1).decode(errors='replace')}"[:200]
    return f"message:{message_id}"[:200]


def subjects_of(data: bytes, message_id: str) -> list[str]:
    """Everything a customs message is about: the first subject (:func:`subject_of`), then every list
    number, pre-entry number, order, waybill … of every record (a message may answer many records, and a
    list's receipts name it by pre-entry number before customs gives it a list number)."""
    found = [subject_of(data, message_id)]
    for name, pattern in _SUBJECT:
        found.extend(f"{name.decode()}:{m.decode(errors='replace')}"[:200] for m in pattern.findall(data))
    return list(dict.fromkeys(found))


class _Groups:
    """Messages grouped so that two messages sharing any subject are in the same group, in poll order."""

    def __init__(self) -> None:
        self.owner: dict[str, int] = {}  # subject → group id (possibly merged away: see _root)
        self.merged: dict[int, int] = {}
        self.items: dict[int, list[tuple[int, list[str]]]] = {}

    def _root(self, gid: int) -> int:
        while gid in self.merged:
            gid = self.merged[gid]
        return gid

    def add(self, position: int, subjects: list[str], item: list[str]) -> None:
        gids = sorted({self._root(self.owner[s]) for s in subjects if s in self.owner})
        gid = gids[0] if gids else len(self.items) + len(self.merged)
        bucket = self.items.setdefault(gid, [])
        for other in gids[1:]:  # this message links groups: they become one
            bucket.extend(self.items.pop(other))
            self.merged[other] = gid
        bucket.append((position, item))
        for subject in subjects:
            self.owner[subject] = gid

    def groups(self) -> list[list[list[str]]]:
        return [[item for _pos, item in sorted(bucket, key=lambda t: t[0])] for bucket in self.items.values()]


class Dispatcher:
    """Relay + poll + schedule (see the module docstring); ``step()`` is one leader pass."""

    def __init__(self, *, celery_app, runtime, idle_seconds: float = 0.1, poll_limit: int = 500,
                 poll_seconds: float = 0.5):
        self.app = celery_app
        self.runtime = runtime
        self.settings = runtime.settings
        self.idle_seconds = idle_seconds
        self.poll_limit = poll_limit
        self.poll_seconds = poll_seconds  # poll at least this often; at once again after a poll that dispatched
        self._next_poll = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_conn = None
        self._next_housekeeping = 0.0
        self._next_match = 0.0
        self.leading = False
        self.published = {"send": 0, "apply": 0, "housekeeping": 0, "match": 0}

    # --- lifecycle ---

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="kuajing-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current pass and release the leadership."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._lead():
                    self._stop.wait(1.0)
                    continue
                moved = self.step()
            except Exception:  # database or broker away: drop the leadership, retry shortly
                log.exception("dispatcher pass failed")
                self._release()
                self._stop.wait(1.0)
                continue
            if not moved:
                self._stop.wait(self.idle_seconds)

    def _lead(self) -> bool:
        if not self.runtime.postgres:
            self.leading = True
            return True
        if self._lock_conn is not None:
            self._lock_conn.execute(text("SELECT 1"))  # the lock lives as long as this connection
            self._lock_conn.commit()
            return True
        conn = self.runtime.session_factory.kw["bind"].connect()
        if conn.scalar(select(func.pg_try_advisory_lock(_leader_key()))):
            conn.commit()
            self._lock_conn, self.leading = conn, True
            log.info("dispatcher: leading")
            return True
        conn.rollback()
        conn.close()
        return False

    def _release(self) -> None:
        conn, self._lock_conn, self.leading = self._lock_conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):  # the connection is gone: so is the lock
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
                conn.commit()
            with contextlib.suppress(Exception):
                conn.close()

    # --- one pass ---

    def step(self) -> int:
        """One pass: relay, poll, schedule; returns how much moved (0: idle)."""
        from kuajing.pipeline import metrics

        t0 = time.perf_counter()
        relayed = self.relay()
        t1 = time.perf_counter()
        dispatched = 0
        if time.monotonic() >= self._next_poll:  # polling re-reads what is in flight: not on every pass
            dispatched = self.poll()
            self._next_poll = time.monotonic() + (0 if dispatched else self.poll_seconds)
        t2 = time.perf_counter()
        if relayed:
            metrics.observe_stage("relay", t1 - t0)
        if dispatched:
            metrics.observe_stage("poll", t2 - t1)
        now = time.monotonic()
        if now >= self._next_housekeeping:
            from kuajing.pipeline.celery_app import HOUSEKEEPING

            interval = max(0.2, self.settings.pipeline_interval_seconds)
            self.app.send_task(HOUSEKEEPING, queue=self.settings.pipeline_queue, expires=10 * interval + 30)
            self.published["housekeeping"] += 1
            self._next_housekeeping = now + interval
        self.schedule_match()
        return relayed + dispatched

    def schedule_match(self) -> int:
        """Publish a ``match`` task when parcels wait in the match queue, at most one per
        ``pipeline_interval_seconds``; returns the tasks published (0 or 1)."""
        from kuajing.imports.models import MatchQueueItem
        from kuajing.pipeline.celery_app import MATCH

        now = time.monotonic()
        if now < self._next_match:
            return 0
        interval = max(0.2, self.settings.pipeline_interval_seconds)
        self._next_match = now + interval
        with self.runtime.session_factory() as session:
            if session.scalar(select(MatchQueueItem.id).limit(1)) is None:
                return 0
        self.app.send_task(MATCH, queue=self.settings.pipeline_queue, expires=10 * interval + 30)
        self.published["match"] += 1
        return 1

    def relay(self) -> int:
        """Publish committed pending outbox rows as ``send`` tasks (see the module docstring)."""
        from kuajing.imports.models import OutboxMessage as O
        from kuajing.pipeline.celery_app import SEND
        from kuajing.pipeline.models import RelayMark

        batch = max(1, self.settings.relay_batch)
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.redispatch_after_seconds)
        with self.runtime.session_factory() as session:
            ranked = list(RANK)
            rank2 = [t for t, r in RANK.items() if r == 2]
            first_doc = session.scalar(select(func.min(O.id)).where(O.status == "pending", O.message_type.not_in(ranked)))
            first_list = session.scalar(select(func.min(O.id)).where(O.status == "pending", O.message_type.not_in(rank2)))
            rows = session.execute(
                select(O.id, O.message_type, RelayMark.outbox_id, O.order_no)
                .outerjoin(RelayMark, RelayMark.outbox_id == O.id)
                .where(O.status == "pending", or_(RelayMark.outbox_id.is_(None), RelayMark.published_at < stale))
                .order_by(O.id).limit(batch * 10)
            ).all()
            # a list naming its order waits only for its own parcel's older documents (under a sustained
            # backlog of other parcels' documents it would otherwise never go); one without, for every older one
            list_orders = sorted({order_no for _i, t, _m, order_no in rows if RANK.get(t) == 1 and order_no})
            own_docs: dict[str, int] = {}
            for start in range(0, len(list_orders), 500):
                own_docs.update(session.execute(
                    select(O.order_no, func.min(O.id)).where(O.status == "pending", O.message_type.not_in(ranked),
                                                              O.order_no.in_(list_orders[start:start + 500]))
                    .group_by(O.order_no)).tuples().all())
            ready = []
            for outbox_id, message_type, marked, order_no in rows:
                rank = RANK.get(message_type, 0)
                if rank == 1 and order_no:
                    if own_docs.get(order_no, outbox_id) < outbox_id:
                        continue
                elif rank == 1 and first_doc is not None and first_doc < outbox_id:
                    continue
                if rank == 2 and first_list is not None and first_list < outbox_id:
                    continue
                ready.append((outbox_id, marked is not None))
            if not ready:
                return 0
            with self.app.producer_or_acquire() as producer:
                for i in range(0, len(ready), batch):
                    ids = [outbox_id for outbox_id, _ in ready[i:i + batch]]
                    self.app.send_task(SEND, args=[ids], queue=self.settings.pipeline_queue, producer=producer)
            fresh = [outbox_id for outbox_id, marked in ready if not marked]
            again = [outbox_id for outbox_id, marked in ready if marked]
            if fresh:
                session.add_all([RelayMark(outbox_id=i, published_at=now, publications=1) for i in fresh])
            if again:
                session.query(RelayMark).filter(RelayMark.outbox_id.in_(again)).update(
                    {RelayMark.published_at: now, RelayMark.publications: RelayMark.publications + 1},
                    synchronize_session=False)
            session.commit()
        self.published["send"] += len(ready)
        return len(ready)

    def poll(self) -> int:
        """Poll customs; record and publish what is not applied yet, grouped by subject (module docstring)."""
        from kuajing.pipeline.celery_app import APPLY
        from kuajing.pipeline.models import InboxMessage
        from kuajing.pipeline.tasks import encode

        runtime = self.runtime
        messages = runtime.transport.poll(limit=self.poll_limit)
        if not messages:
            return 0
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.redispatch_after_seconds)
        source = runtime.source
        with runtime.session_factory() as session:
            ids = [m.message_id for m in messages]
            existing: dict[str, InboxMessage] = {}
            for i in range(0, len(ids), 500):
                for row in session.scalars(select(InboxMessage).where(InboxMessage.source == source,
                                                                      InboxMessage.message_id.in_(ids[i:i + 500]))):
                    existing[row.message_id] = row
            subjects = {m.message_id: subjects_of(bytes(m), m.message_id) for m in messages}
            busy: set[str] = set()
            wanted = sorted({s for subs in subjects.values() for s in subs})
            for i in range(0, len(wanted), 500):
                busy.update(session.scalars(select(InboxMessage.subject).where(
                    InboxMessage.source == source, InboxMessage.applied_at.is_(None),
                    InboxMessage.dispatched_at >= stale, InboxMessage.subject.in_(wanted[i:i + 500]))))
            for m in messages:  # every subject of a message in flight is busy (the poll returns those too)
                row = existing.get(m.message_id)
                if row is not None and row.applied_at is None and row.dispatched_at >= stale:
                    busy.update(subjects[m.message_id])
            applied_unacked: list[str] = []
            grouped = _Groups()
            for position, m in enumerate(messages):
                row = existing.get(m.message_id)
                if row is not None and row.applied_at is not None:
                    applied_unacked.append(m.message_id)
                    continue
                subs = subjects[m.message_id]
                if row is not None and row.dispatched_at >= stale:
                    continue  # in flight (its task may have applied it since we read the row)
                if busy.intersection(subs):
                    busy.update(subs)  # it goes after the message in flight, and so does what shares its subjects
                    continue
                if row is None:
                    session.add(InboxMessage(source=source, message_id=m.message_id, subject=subs[0],
                                             dispatched_at=now))
                else:
                    row.dispatched_at, row.dispatches = now, row.dispatches + 1
                grouped.add(position, subs, [m.message_id, subs[0], encode(m)])
            groups = {i: group for i, group in enumerate(grouped.groups())}
            session.commit()
        for message_id in applied_unacked:
            from kuajing.pipeline.tasks import _ack

            _ack(runtime, message_id)
        if not groups:
            return 0
        batch = max(1, self.settings.relay_batch // 4)
        chunk: list[list[list[str]]] = []
        size = 0
        try:
            with self.app.producer_or_acquire() as producer:
                for group in groups.values():
                    chunk.append(group)
                    size += len(group)
                    if size >= batch:
                        self.app.send_task(APPLY, args=[chunk], queue=self.settings.pipeline_queue,
                                           producer=producer)
                        chunk, size = [], 0
                if chunk:
                    self.app.send_task(APPLY, args=[chunk], queue=self.settings.pipeline_queue, producer=producer)
        except Exception:  # the broker failed us: make the recorded rows due again soon, then give up the pass
            self._due_again_soon([item[0] for group in groups.values() for item in group])
            raise
        count = sum(len(g) for g in groups.values())
        self.published["apply"] += count
        return count

    def _due_again_soon(self, message_ids: list[str]) -> None:
        """Mark dispatched-but-unpublished inbox rows due for the next dispatch in a few seconds."""
        from sqlalchemy import update

        from kuajing.pipeline.models import InboxMessage
        from kuajing.pipeline.tasks import RETRY_FAILED_AFTER_SECONDS

        soon = utcnow() - timedelta(seconds=max(0.0, self.settings.redispatch_after_seconds - RETRY_FAILED_AFTER_SECONDS))
        with contextlib.suppress(Exception), self.runtime.session_factory() as session:
            session.execute(update(InboxMessage).where(InboxMessage.source == self.runtime.source,
                                                       InboxMessage.message_id.in_(message_ids),
                                                       InboxMessage.applied_at.is_(None)).values(dispatched_at=soon))
            session.commit()


def _leader_key() -> int:
    from kuajing.pipeline.tasks import LEADER_LOCK

    return LEADER_LOCK
