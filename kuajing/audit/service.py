"""The tamper-evident audit trail (审计追踪): record, checkpoint, verify, read.

Every state change is one :class:`AuditEvent` in a *stream* (``enterprise:<USCC>``, ``system`` …).
Events of a stream form a hash chain: ``hash = SM3(canonical(stream, seq, action, actor, subject_id,
at, before, after, prev_hash))``. Writers of one stream queue on its head row (``SELECT … FOR
UPDATE`` on PostgreSQL); writers of different streams never wait for each other. Periodic checkpoints
seal every head with an HMAC-SM3 signature, so rewriting or truncating a stream is caught as well.
See ``docs/audit.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hmac
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from gmssl_pyx import sm3_hash
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.orm import Session

from kuajing.audit.choices import ProblemKind
from kuajing.audit.errors import AuditErrorCode
from kuajing.audit.models import AuditCheckpoint, AuditCheckpointEntry, AuditEvent, AuditStreamHead
from kuajing.db.base import utcnow
from kuajing.errors import FieldIssue, validation_error
from kuajing.i18n import gettext, lazy

GENESIS = "0" * 64  # prev_hash of seq 1, and prev_signature of checkpoint 1
EVENT_DOMAIN = "kuajing-audit-event-v1"
CHECKPOINT_DOMAIN = "kuajing-audit-checkpoint-v1"
ALGORITHM = "HMAC-SM3"
SYSTEM_STREAM = "system"

_PART = r"[a-z][a-z0-9_\-]{0,39}"
ACTION_RE = re.compile(rf"^{_PART}:{_PART}:{_PART}$")
STREAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-:/@%~]{0,199}$")
_STREAM_KEY_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:/@")
_MAX_PROBLEMS = 100


# --- canonical encoding ---------------------------------------------------------------------------


class SnapshotError(ValueError):
    """A snapshot value has no deterministic JSON form."""

    def __init__(self, path: str, value: Any):
        super().__init__(f"{path}: {type(value).__name__} has no JSON form")
        self.path = path
        self.value = value


def to_plain(value: Any, path: str = "") -> Any:
    """Turn a snapshot into plain JSON data, deterministically (Decimal → "12.50", date → ISO, UTC instants)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SnapshotError(path, value)
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise SnapshotError(path, value)
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_plain(value.value, path)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): to_plain(v, f"{path}/{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, f"{path}[{i + 1}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((to_plain(v, path) for v in value), key=canonical_json)
    if hasattr(value, "model_dump"):
        return to_plain(value.model_dump(mode="json"), path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_plain(dataclasses.asdict(value), path)
    raise SnapshotError(path, value)


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def iso_utc(at: datetime) -> str:
    """An instant as ``2026-03-01T08:00:00.000000Z`` (always UTC, always microseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sm3_hex(data: bytes) -> str:
    """SM3 digest (GB/T 32905) as hex (the native GmSSL implementation; same digest as any other)."""
    return sm3_hash(data).hex()


def event_hash(*, stream: str, seq: int, action: str, actor: str, subject_id: str | None, at: datetime,
               before: Any, after: Any, prev_hash: str) -> str:
    """The SM3 hash of one event's canonical record (``before``/``after`` as plain JSON data)."""
    record_ = [EVENT_DOMAIN, stream, seq, action, actor, subject_id, iso_utc(at), before, after, prev_hash]
    return sm3_hex(canonical_json(record_).encode("utf-8"))


def _load_snapshot(text_: str | None) -> Any:
    return None if text_ is None else json.loads(text_)


# --- recording ------------------------------------------------------------------------------------


def _validate(action: str, stream: str, actor: str, subject_id: Any, at: Any) -> None:
    issues: list[FieldIssue] = []
    if not isinstance(action, str) or not ACTION_RE.match(action):
        issues.append(FieldIssue(AuditErrorCode.bad_action, "action",
                                 "An audit action has the form source:subject:action in lower case.", action))
    if not isinstance(stream, str) or not STREAM_RE.match(stream):
        issues.append(FieldIssue(AuditErrorCode.bad_stream, "stream",
                                 "An audit stream name has 1 to 200 letters, digits or . _ - : / @.", stream))
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        issues.append(FieldIssue(AuditErrorCode.bad_actor, "actor",
                                 "The actor must be named (1 to 200 characters).", actor))
    if subject_id is not None and len(str(subject_id)) > 200:
        issues.append(FieldIssue(AuditErrorCode.bad_subject, "subject_id",
                                 "A subject id has at most 200 characters.", subject_id))
    if at is not None and (not isinstance(at, datetime) or at.tzinfo is None):
        issues.append(FieldIssue(AuditErrorCode.naive_timestamp, "at",
                                 "The time of an audit event must be a timezone-aware instant.", at))
    if issues:
        raise validation_error(issues)


def _plain_snapshot(name: str, snapshot: Any) -> Any:
    try:
        return to_plain(snapshot, "")
    except SnapshotError as exc:
        path = f"{name}/{exc.path}" if exc.path else name
        raise validation_error([FieldIssue(AuditErrorCode.bad_snapshot, path,
                                           "This value cannot be recorded in an audit snapshot.",
                                           repr(exc.value))]) from exc


def _ensure_head(session: Session, stream: str) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        if session.get(AuditStreamHead, stream) is None:
            session.add(AuditStreamHead(stream=stream, seq=0, last_hash=GENESIS))
            session.flush()
        return
    session.execute(
        insert(AuditStreamHead).values(stream=stream, seq=0, last_hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["stream"])
    )


def _prepare(action: str, stream: str, actor: str, subject_id: Any, before: Any, after: Any, at) -> dict[str, Any]:
    """Validate one event, turn its snapshots into plain data and precompute its canonical JSON around the
    two values only known when it is chained (seq, prev_hash), so writing it serialises nothing again."""
    _validate(action, stream, actor, subject_id, at)
    before_plain = _plain_snapshot("before", before)
    after_plain = _plain_snapshot("after", after)
    subject = None if subject_id is None else str(subject_id)
    when = (at or utcnow()).astimezone(UTC)
    before_json = canonical_json(before_plain)
    after_json = canonical_json(after_plain)
    # canonical_json([EVENT_DOMAIN, stream, seq, action, actor, subject_id, at, before, after, prev_hash]) is
    # exactly head + str(seq) + body + canonical_json(prev_hash) + "]" (no spaces, the items in order)
    head = f"[{canonical_json(EVENT_DOMAIN)},{canonical_json(stream)},"
    body = (f",{canonical_json(action)},{canonical_json(actor)},{canonical_json(subject)},"
            f"{canonical_json(iso_utc(when))},{before_json},{after_json},")
    return {"stream": stream, "action": action, "actor": actor, "subject_id": subject, "at": when,
            "before": before_plain, "after": after_plain, "has_before": before is not None,
            "has_after": after is not None, "before_json": before_json if before is not None else None,
            "after_json": after_json if after is not None else None, "canonical": (head, body)}


def _chained_hash(p: dict[str, Any], seq: int, prev_hash: str) -> str:
    """:func:`event_hash` of a prepared event from its precomputed canonical pieces (same bytes, same hash)."""
    head, body = p["canonical"]
    return sm3_hash(f"{head}{seq}{body}{canonical_json(prev_hash)}]".encode()).hex()


_LOCK_HEADS_PG = text(
    # one constant statement (compiled and prepared once): create the missing heads and lock every head
    # of the batch, in the order given (sorted by the caller); DO UPDATE to the same value locks an
    # existing head and returns it
    "INSERT INTO audit_stream_head (stream, seq, last_hash) "
    "SELECT s.stream, 0, :genesis FROM unnest(CAST(:streams AS VARCHAR[])) WITH ORDINALITY AS s(stream, n) "
    "ORDER BY s.n "
    "ON CONFLICT (stream) DO UPDATE SET seq = audit_stream_head.seq "
    "RETURNING audit_stream_head.stream, audit_stream_head.seq, audit_stream_head.last_hash"
)
_MOVE_HEADS_PG = text(
    "UPDATE audit_stream_head SET seq = moved.seq, last_hash = moved.last_hash "
    "FROM unnest(CAST(:streams AS VARCHAR[]), CAST(:seqs AS BIGINT[]), CAST(:hashes AS VARCHAR[])) "
    "AS moved(stream, seq, last_hash) WHERE audit_stream_head.stream = moved.stream"
)


def _lock_heads_pg(session: Session, streams: list[str]) -> dict[str, tuple[int, str]]:
    """PostgreSQL: create missing heads and lock every head of ``streams`` in ONE statement (sorted, so two
    writers of overlapping streams lock in the same order); returns stream → (seq, last_hash)."""
    rows = session.connection().execute(_LOCK_HEADS_PG, {"streams": sorted(set(streams)), "genesis": GENESIS})
    return {stream: (seq, last_hash) for stream, seq, last_hash in rows}


def _lock_heads(session: Session, streams: list[str]) -> dict[str, tuple[int, str]]:
    if session.get_bind().dialect.name == "postgresql":
        return _lock_heads_pg(session, streams)
    heads = {}
    for stream in sorted(set(streams)):
        # The write comes first: on SQLite it takes the database's write lock before we read the head.
        _ensure_head(session, stream)
        head = session.execute(
            select(AuditStreamHead.seq, AuditStreamHead.last_hash)
            .where(AuditStreamHead.stream == stream)
            .with_for_update()
        ).one()
        heads[stream] = (head.seq, head.last_hash)
    return heads


_EVENT_COLUMNS = ("stream", "seq", "action", "actor", "subject_id", "at", "before_json", "after_json",
                  "prev_hash", "hash")


def _write_events(session: Session, prepared: list[dict[str, Any]], *, returning: bool = True) -> list[AuditEvent]:
    """Chain ``prepared`` events onto their streams' heads and write them with Core statements: heads locked
    once per stream, the events in one INSERT, the heads moved in one UPDATE (PostgreSQL; one per stream on
    SQLite). With ``returning`` the events come back as plain objects with their ids; without, the INSERT
    is a plain executemany (nothing read back) and the answer is empty."""
    heads = _lock_heads(session, [p["stream"] for p in prepared])
    rows: list[dict[str, Any]] = []
    for p in prepared:
        seq, prev = heads[p["stream"]]
        seq += 1
        digest = _chained_hash(p, seq, prev)
        heads[p["stream"]] = (seq, digest)
        rows.append({"stream": p["stream"], "seq": seq, "action": p["action"], "actor": p["actor"],
                     "subject_id": p["subject_id"], "at": p["at"], "before_json": p["before_json"],
                     "after_json": p["after_json"], "prev_hash": prev, "hash": digest})
    moved = sorted({p["stream"] for p in prepared})
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # every head in one UPDATE … FROM unnest(…): one constant statement
        conn.execute(_MOVE_HEADS_PG, {"streams": moved, "seqs": [heads[s][0] for s in moved],
                                      "hashes": [heads[s][1] for s in moved]})
    else:
        table = AuditStreamHead.__table__
        for stream in moved:
            seq, digest = heads[stream]
            conn.execute(update(table).where(table.c.stream == stream).values(seq=seq, last_hash=digest))
    table = AuditEvent.__table__
    if not returning:
        conn.execute(insert(table), rows)
        return []
    ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    events = []
    for row, id_ in zip(rows, ids, strict=True):
        event = AuditEvent(**row)
        event.id = id_
        events.append(event)
    return events


def record(*, session: Session, action: str, stream: str, actor: str, subject_id: str | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, at=None) -> AuditEvent | None:
    """Record a state change ``action`` ("source:subject:action") in ``stream`` in the session's transaction.

    Returns the event as written (a plain object with its id, seq and hash; not tracked by the session).
    Inside :func:`deferred` the event is validated now and written when the scope ends (returns None).
    """
    prepared = _prepare(action, stream, actor, subject_id, before, after, at)
    buffer = session.info.get(_DEFERRED)
    if buffer is not None:
        buffer.events.append(prepared)
        return None
    session.flush()  # the caller's pending changes go first, as they always did
    return _write_events(session, [prepared])[0]


# --- deferred (batched) recording -----------------------------------------------------------------

_DEFERRED = "kuajing.audit.deferred"


@dataclass
class _Buffer:
    events: list[dict[str, Any]] = field(default_factory=list)
    marks: dict[int, int] = field(default_factory=dict)  # id(savepoint transaction) → events before it


@contextlib.contextmanager
def deferred(session: Session):
    """Batch the events recorded in this block: each is validated (and timed) when recorded, and all are
    written together when the block ends — every stream head locked once, in stream order, after the
    business rows, one multi-row INSERT. Events recorded inside a SAVEPOINT that is rolled back are
    dropped with it; if the block raises, nothing is written. Nested blocks join the outer one. The
    chain is exactly the one :func:`record` would have written event by event."""
    if session.info.get(_DEFERRED) is not None:
        yield
        return
    buffer = _Buffer()
    session.info[_DEFERRED] = buffer
    try:
        yield
    except BaseException:
        session.info.pop(_DEFERRED, None)
        raise
    session.info.pop(_DEFERRED, None)
    if buffer.events:
        session.flush()
        _write_events(session, buffer.events, returning=False)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    buffer = session.info.get(_DEFERRED)
    if buffer is not None and transaction.nested:
        buffer.marks[id(transaction)] = len(buffer.events)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    """Drop the events of what the database rolled back. A rollback reaches the nearest SAVEPOINT (or the
    whole transaction) even when it starts in an inner unit: a flush that fails inside a savepoint rolls
    the savepoint back through the flush's own sub-transaction, and the savepoint itself may never report
    a rollback of its own — so walk up from the transaction that rolled back to the first savepoint or the
    root, and drop what was recorded since it began."""
    buffer = session.info.get(_DEFERRED)
    if buffer is None:
        return
    transaction = previous_transaction
    while transaction is not None:
        if transaction.nested:
            mark = buffer.marks.pop(id(transaction), None)
            if mark is not None:
                del buffer.events[mark:]
            return
        if transaction.parent is None:
            buffer.events.clear()  # the whole transaction rolled back
            buffer.marks.clear()
            return
        transaction = transaction.parent


def record_many(*, session: Session, events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Record a batch of events (each a dict of :func:`record`'s keyword arguments) in the session's
    transaction: in list order within each stream, every stream head locked once (in stream order), one
    multi-row INSERT. The chain is the same as recording them one by one."""
    prepared = [_prepare(e["action"], e["stream"], e["actor"], e.get("subject_id"), e.get("before"),
                         e.get("after"), e.get("at")) for e in events]
    if not prepared:
        return []
    session.flush()
    return _write_events(session, prepared)


def stream_name(kind: str, key: Any) -> str:
    """The stream of one record, e.g. ``stream_name("enterprise", uscc)`` → ``enterprise:<uscc>``.

    ``key`` is whatever the record is known by — a business key from a message may hold Chinese, spaces or
    ``#`` (CEB C..60 fields allow them) — so each character outside the stream alphabet is written as
    ``%XX`` per UTF-8 byte (``订单 1`` → ``%E8%AE%A2%E5%8D%95%201``); a name longer than 200 characters keeps its
    first 167 and the SM3 digest's first 32 hex digits of the whole, so distinct keys keep distinct streams.
    """
    text_ = str(key)
    if not all(ch in _STREAM_KEY_SAFE for ch in text_):
        text_ = "".join(ch if ch in _STREAM_KEY_SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
                        for ch in text_)
    name = f"{kind}:{text_}"
    if len(name) > 200:
        name = f"{name[:167]}~{sm3_hex(name.encode('utf-8'))[:32]}"
    return name


# --- reading --------------------------------------------------------------------------------------


def timeline(*, session: Session, stream: str | None = None, subject_id: str | None = None,
             action_prefix: str | None = None, limit: int = 100, before_id: int | None = None) -> list[AuditEvent]:
    """Events newest first, filtered by stream / subject / action prefix; page with ``before_id``."""
    if not 1 <= limit <= 1000:
        raise validation_error([FieldIssue(AuditErrorCode.bad_cursor, "limit", "Between 1 and 1000.", limit)])
    query = select(AuditEvent)
    if stream is not None:
        query = query.where(AuditEvent.stream == stream)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == str(subject_id))
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.action.like(f"{escaped}%", escape="\\"))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


# --- checkpoints ----------------------------------------------------------------------------------


def key_id(key: bytes) -> str:
    """A short public fingerprint of a signing key (tells which key signed a checkpoint)."""
    return _hmac_sm3(key, b"kuajing-audit-key-id")[:16]


def _hmac_sm3(key: bytes, data: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def checkpoint_payload(*, number: int, created_at: datetime, algorithm: str, key_id_: str, stream_count: int,
                       prev_signature: str, entries: list[tuple[str, int, str]]) -> bytes:
    """The canonical bytes a checkpoint signature covers."""
    body = [CHECKPOINT_DOMAIN, number, iso_utc(created_at), algorithm, key_id_, stream_count, prev_signature,
            [list(e) for e in sorted(entries)]]
    return canonical_json(body).encode("utf-8")


def sign_checkpoint(key: bytes, payload: bytes) -> str:
    """HMAC-SM3 of ``payload`` (a production signer may be an SM2 key behind the ceb Signer port)."""
    return _hmac_sm3(key, payload)


def _sealed_heads(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(AuditCheckpointEntry.stream, func.max(AuditCheckpointEntry.seq)).group_by(AuditCheckpointEntry.stream)
    )
    return {stream: seq for stream, seq in rows}


def write_checkpoint(*, session: Session, key: bytes, at: datetime | None = None) -> AuditCheckpoint:
    """Seal every stream head that moved since the last checkpoint with a signed, chained checkpoint."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('kuajing.audit.checkpoint'))"))
    previous = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(1)).first()
    heads = session.execute(
        select(AuditStreamHead.stream, AuditStreamHead.seq, AuditStreamHead.last_hash).where(AuditStreamHead.seq > 0)
    ).all()
    sealed = _sealed_heads(session)
    entries = sorted((h.stream, h.seq, h.last_hash) for h in heads if sealed.get(h.stream) != h.seq)
    created_at = (at or utcnow()).astimezone(UTC)
    number = (previous.number + 1) if previous else 1
    prev_signature = previous.signature if previous else GENESIS
    stream_count = len(set(sealed) | {h.stream for h in heads})
    kid = key_id(key)
    payload = checkpoint_payload(number=number, created_at=created_at, algorithm=ALGORITHM, key_id_=kid,
                                 stream_count=stream_count, prev_signature=prev_signature, entries=entries)
    checkpoint = AuditCheckpoint(
        number=number, created_at=created_at, stream_count=stream_count, entry_count=len(entries),
        algorithm=ALGORITHM, key_id=kid, prev_signature=prev_signature, signature=sign_checkpoint(key, payload),
        entries=[AuditCheckpointEntry(stream=s, seq=q, hash=h) for s, q, h in entries],
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the trail: where (stream, seq or checkpoint) and what."""

    kind: ProblemKind
    message: str  # English msgid with {placeholders}
    params: dict[str, Any] = field(default_factory=dict)
    stream: str | None = None
    seq: int | None = None
    checkpoint: int | None = None

    def render(self, locale: str = "en") -> str:
        """Human-readable, in ``locale``."""
        return gettext(self.message, locale, **self.params)

    def __str__(self) -> str:
        return self.render("en")


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_all`."""

    ok: bool
    problems: list[Problem]
    problem_count: int
    streams: int
    events: int
    checkpoints: int
    locale: str = "en"

    @property
    def first_problem(self) -> str | None:
        """The first problem found, human-readable (None when the trail is intact)."""
        return self.problems[0].render(self.locale) if self.problems else None

    @property
    def summary(self) -> str:
        """One line: what was checked and how many problems."""
        return gettext(_SUMMARY, self.locale, events=self.events, streams=self.streams,
                       checkpoints=self.checkpoints, problems=self.problem_count)


_SUMMARY = lazy("{events} events in {streams} streams and {checkpoints} checkpoints checked; {problems} problem(s)")
_MSG = {
    ProblemKind.hash_mismatch: lazy("stream {stream}, seq {seq}: hash mismatch (the event was changed after it was "
                                    "recorded; stored {stored}, recomputed {computed})"),
    ProblemKind.broken_link: lazy("stream {stream}, seq {seq}: broken link (prev_hash {found} is not the hash of "
                                  "seq {previous}, {expected})"),
    ProblemKind.gap: lazy("stream {stream}, seq {seq}: missing event (gap; the next event present is seq {found})"),
    ProblemKind.head_mismatch: lazy("stream {stream}: stream head says seq {head_seq} but the last event is seq "
                                    "{last_seq} (events beyond seq {last_seq} missing, or the head was edited)"),
    ProblemKind.truncated: lazy("stream {stream}, seq {seq}: missing event sealed by checkpoint {checkpoint} "
                                "(head beyond the checkpoint missing; the stream now ends at seq {last_seq})"),
    ProblemKind.sealed_mismatch: lazy("stream {stream}, seq {seq}: event differs from checkpoint {checkpoint} "
                                      "(sealed {sealed}, found {found}; the stream was rewritten)"),
    ProblemKind.checkpoint_signature_invalid: lazy("checkpoint {checkpoint}: checkpoint signature invalid "
                                                   "(forged or altered checkpoint)"),
    ProblemKind.checkpoint_chain_broken: lazy("checkpoint {checkpoint}: checkpoint chain broken (the checkpoint "
                                              "before it was removed or altered)"),
}
_MSG_OTHER_KEY = lazy("checkpoint {checkpoint}: signed with another key (key id {key_id}); cannot check its "
                      "signature with this key")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0

    def add(self, kind: ProblemKind, *, message: str | None = None, **params: Any) -> None:
        self.count += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(Problem(kind, message or _MSG[kind], params, params.get("stream"),
                                         params.get("seq"), params.get("checkpoint")))


def _short(digest: str | None) -> str:
    return (digest or "")[:12] + "…"


def _verify_checkpoints(session: Session, key: bytes, found: _Collector, progress,
                        locale: str) -> tuple[dict[str, dict[int, tuple[str, int]]], int]:
    """Check every checkpoint's signature and chain; return the trusted sealed heads per stream."""
    sealed: dict[str, dict[int, tuple[str, int]]] = {}
    entries_by_cp: dict[int, list[tuple[str, int, str]]] = {}
    for cp_id, stream, seq, digest in session.execute(
        select(AuditCheckpointEntry.checkpoint_id, AuditCheckpointEntry.stream, AuditCheckpointEntry.seq,
               AuditCheckpointEntry.hash)
    ):
        entries_by_cp.setdefault(cp_id, []).append((stream, seq, digest))
    checkpoints = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)).all()
    task = progress.add_task(gettext("Checking checkpoints", locale), total=len(checkpoints)) if progress else None
    expected_prev, expected_number = GENESIS, 1
    kid = key_id(key)
    for cp in checkpoints:
        entries = entries_by_cp.get(cp.id, [])
        if cp.number != expected_number or not hmac.compare_digest(cp.prev_signature, expected_prev):
            found.add(ProblemKind.checkpoint_chain_broken, checkpoint=cp.number)
        payload = checkpoint_payload(number=cp.number, created_at=cp.created_at, algorithm=cp.algorithm,
                                     key_id_=cp.key_id, stream_count=cp.stream_count,
                                     prev_signature=cp.prev_signature, entries=entries)
        if cp.key_id != kid and cp.algorithm == ALGORITHM:
            found.add(ProblemKind.checkpoint_signature_invalid, message=_MSG_OTHER_KEY, checkpoint=cp.number,
                      key_id=cp.key_id)
        elif cp.algorithm != ALGORITHM or len(entries) != cp.entry_count or not hmac.compare_digest(
            cp.signature, sign_checkpoint(key, payload)
        ):
            found.add(ProblemKind.checkpoint_signature_invalid, checkpoint=cp.number)
        else:
            for stream, seq, digest in entries:
                sealed.setdefault(stream, {})[seq] = (digest, cp.number)
        expected_prev, expected_number = cp.signature, cp.number + 1
        if progress:
            progress.advance(task)
    return sealed, len(checkpoints)


def _verify_stream_end(found: _Collector, stream: str, last_seq: int, heads: dict[str, tuple[int, str]],
                       last_hash: str, sealed: dict[int, tuple[str, int]]) -> None:
    head_seq, head_hash = heads.get(stream, (0, GENESIS))
    if head_seq != last_seq or (last_seq and head_hash != last_hash):
        found.add(ProblemKind.head_mismatch, stream=stream, head_seq=head_seq, last_seq=last_seq)
    beyond = sorted(seq for seq in sealed if seq > last_seq)
    if beyond:
        seq = beyond[-1]
        found.add(ProblemKind.truncated, stream=stream, seq=seq, checkpoint=sealed[seq][1], last_seq=last_seq)


def verify_all(*, session: Session, key: bytes, console=None, locale: str = "en") -> VerifyReport:
    """Verify every stream's hash chain, its head and the signed checkpoints; report what is broken."""
    found = _Collector()
    progress = None
    if console is not None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=console, transient=False)
        progress.start()
    try:
        sealed, checkpoint_count = _verify_checkpoints(session, key, found, progress, locale)
        heads = {s: (q, h) for s, q, h in session.execute(
            select(AuditStreamHead.stream, AuditStreamHead.seq, AuditStreamHead.last_hash))}
        total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        task = progress.add_task(gettext("Checking events", locale), total=total) if progress else None

        seen_streams: set[str] = set()
        events = 0
        current: str | None = None
        expected_seq, prev_hash, last_seq = 1, GENESIS, 0
        stream_sealed: dict[int, tuple[str, int]] = {}
        rows = session.execute(
            select(AuditEvent.stream, AuditEvent.seq, AuditEvent.action, AuditEvent.actor, AuditEvent.subject_id,
                   AuditEvent.at, AuditEvent.before_json, AuditEvent.after_json, AuditEvent.prev_hash, AuditEvent.hash)
            .order_by(AuditEvent.stream, AuditEvent.seq)
            .execution_options(yield_per=2000)
        )
        for row in rows:
            if row.stream != current:
                if current is not None:
                    _verify_stream_end(found, current, last_seq, heads, prev_hash, stream_sealed)
                current = row.stream
                seen_streams.add(current)
                expected_seq, prev_hash, last_seq = 1, GENESIS, 0
                stream_sealed = sealed.get(current, {})
            events += 1
            if row.seq != expected_seq:
                found.add(ProblemKind.gap, stream=row.stream, seq=expected_seq, found=row.seq)
            elif row.prev_hash != prev_hash:
                found.add(ProblemKind.broken_link, stream=row.stream, seq=row.seq, found=_short(row.prev_hash),
                          previous=row.seq - 1, expected=_short(prev_hash))
            try:
                computed = event_hash(stream=row.stream, seq=row.seq, action=row.action, actor=row.actor,
                                      subject_id=row.subject_id, at=row.at, before=_load_snapshot(row.before_json),
                                      after=_load_snapshot(row.after_json), prev_hash=row.prev_hash)
            except ValueError:  # the snapshot is no longer valid JSON
                computed = "(unreadable snapshot)"
            if computed != row.hash:
                found.add(ProblemKind.hash_mismatch, stream=row.stream, seq=row.seq, stored=_short(row.hash),
                          computed=_short(computed))
            if row.seq in stream_sealed and stream_sealed[row.seq][0] != row.hash:
                found.add(ProblemKind.sealed_mismatch, stream=row.stream, seq=row.seq,
                          checkpoint=stream_sealed[row.seq][1], sealed=_short(stream_sealed[row.seq][0]),
                          found=_short(row.hash))
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
            if progress:
                progress.advance(task)
        if current is not None:
            _verify_stream_end(found, current, last_seq, heads, prev_hash, stream_sealed)
        # streams whose every event is gone: a head or a checkpoint still remembers them
        for stream in sorted((set(heads) | set(sealed)) - seen_streams):
            if heads.get(stream, (0, GENESIS))[0] == 0 and not sealed.get(stream):
                continue
            _verify_stream_end(found, stream, 0, heads, GENESIS, sealed.get(stream, {}))
            seen_streams.add(stream)
    finally:
        if progress:
            progress.stop()
    return VerifyReport(ok=found.count == 0, problems=found.problems, problem_count=found.count,
                        streams=len(seen_streams), events=events, checkpoints=checkpoint_count, locale=locale)
