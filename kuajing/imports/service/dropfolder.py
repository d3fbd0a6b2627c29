"""Drop folder (文件交换目录): enterprises that exchange DxpMsg files instead of calling the API.

Each enterprise has a folder under the drop-folder root (``KUAJING_DROPFOLDER_ROOT``, default
``<var_dir>/dropfolder``), named by its DXP id, or placed elsewhere by the mapping
``KUAJING_DROPFOLDER_DIRS`` (JSON: DXP id → folder). Inside::

    inbox/       the enterprise writes DxpMsg files here (*.xml; write under another name, then rename)
    outbox/      the platform writes the answers here (DxpMsg, SenderId = the platform's DXP id)
    processed/   inbox files once answered
    error/       inbox files that could not be taken, each with <name>.reason.txt

:func:`scan_dropfolder` (job; ``kuajing dropfolder scan``) takes every inbox file, oldest name first:
the envelope's SenderId must be the folder's DXP id and belong to a filed, approved enterprise; the CEB
message goes through the SAME pipeline as ``POST /ceb`` (:func:`~kuajing.imports.service.intake.accept`,
channel ``folder``) acting as that enterprise; the transaction commits; the receipt message is written to
outbox/ as ``<input name>.receipt.xml`` (a name too long for the file system keeps its start and gains a hash:
:func:`derived_name`); the input moves to processed/. A file that cannot be read at
all gets a CEB900 receipt in outbox/ and goes to error/.

Exactly once: the name of the answer derives from the input's name, and the pipeline replays the stored
answer for the same bytes from the same enterprise — a file processed again after a crash (between the
commit and the move) stores nothing new and rewrites the same answer file. Later receipts (customs 120,
399, 800 …, and the platform's match verdicts) are written to outbox/ as ``receipt_<cursor>.xml``; the
last cursor delivered is kept in ``outbox/.cursor`` (written after the files, so a crash resends, never
loses, and resending rewrites the same file names).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kuajing.ceb import CebError, Message, build, parse, spec_of, to_ceb900, validate
from kuajing.ceb.dxp import DxpError, UnsafeXmlError, unwrap, wrap
from kuajing.ceb.signing.xmlsafe import DEFAULT_MAX_BYTES as DXP_MAX_BYTES

log = logging.getLogger(__name__)
PLATFORM_DXP_ID = "DXPENT0000000001"


@dataclass
class FolderResult:
    """What one scan did."""

    processed: int = 0  # inbox files answered (accepted or rejected records)
    replayed: int = 0  # of them: seen before (nothing stored again)
    errors: int = 0  # inbox files moved to error/
    receipts: int = 0  # later receipts written to outboxes
    folders: list[str] = field(default_factory=list)


def folders(*, root: Path, mapping: dict[str, str | Path] | None = None) -> dict[str, Path]:
    """DXP id → folder: every sub-folder of ``root`` (named by a DXP id) plus the mapped ones."""
    found: dict[str, Path] = {}
    root = Path(root)
    if root.is_dir():
        for child in sorted(root.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                found[child.name] = child
    for dxp_id, folder in (mapping or {}).items():
        path = Path(folder)
        found[dxp_id] = path if path.is_absolute() else root / path
    return found


def ensure_folder(folder: Path) -> None:
    """Create inbox/, outbox/, processed/ and error/ under ``folder``."""
    for name in ("inbox", "outbox", "processed", "error"):
        (folder / name).mkdir(parents=True, exist_ok=True)


#: the longest file name the usual file systems take, in bytes (ext4, XFS, NTFS over SMB …)
NAME_MAX = 255
#: what a derived name leaves free: the ".<name>.tmp" of an atomic write and a ".<n>" of a name taken twice
_NAME_ROOM = NAME_MAX - len("..tmp") - len(".9999")


def derived_name(name: str, suffix: str) -> str:
    """``name`` + ``suffix`` (``order-1.xml`` → ``order-1.receipt.xml``), shortened when it would not fit a file name:
    the start of ``name`` is kept and 12 hex characters of its SHA-256 are added, so the answer of a long
    inbox name is written (once, not retried on every scan) and two long names never share one."""
    import hashlib

    full = name + suffix
    if len(full.encode()) <= _NAME_ROOM:
        return full
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    budget = _NAME_ROOM - len(suffix.encode()) - len(digest) - 1
    head = name.encode()[:max(budget, 0)].decode("utf-8", "ignore")
    return f"{head}~{digest}{suffix}"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _move(path: Path, target_dir: Path) -> Path:
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / derived_name(path.stem, f".{n}{path.suffix}")
        n += 1
    os.replace(path, target)
    return target


def _to_error(path: Path, folder: Path, reason: str) -> None:
    target = _move(path, folder / "error")
    _write_atomic(target.with_name(derived_name(target.name, ".reason.txt")),
                  f"{datetime.now(UTC).isoformat()} {reason}\n".encode())


def _envelope(data: bytes, *, message_type: str, sender_id: str, receiver_id: str, name: str,
              when: datetime) -> bytes:
    return wrap(data, sender_id=sender_id, receiver_ids=[receiver_id], msg_type=f"{message_type}Message",
                created=when, file_name=name)


def _record_issues(data: bytes) -> tuple[Message | None, dict[int, list] | None, list]:
    """Parse like ``POST /ceb``: (message, issues by record or None, issues of an unreadable message)."""
    try:
        return parse(data), None, []
    except CebError as exc:
        try:
            probe = parse(data, validate=False)
        except CebError:
            return None, None, exc.issues
        name = spec_of(probe.message_type).record.name
        found: dict[int, list] = {}
        for issue in exc.issues:
            path = issue.path or ""
            if not path.startswith(f"{name}[") or not probe.records:
                return None, None, exc.issues
            found.setdefault(int(path[len(name) + 1:].split("]", 1)[0]), []).append(issue)
        for n, record in enumerate(probe.records, start=1):
            if n not in found:
                single = Message(message_type=probe.message_type, records=[record],
                                 base_transfer=probe.base_transfer, signature=probe.signature)
                issues = [i for i in validate(single) if (i.path or "").startswith(f"{name}[")]
                if issues:
                    found[n] = issues
        return probe, found, []


def _principal(ent):
    from kuajing.accounts.deps import Principal

    return Principal(kind="api_key", user_id=None, api_key_id=None, enterprise_id=ent.id,
                     roles=frozenset({"enterprise_user"}), display_name=ent.name_zh,
                     key_prefix=f"dropfolder:{ent.dxp_id}")


def _enterprise(session: Session, dxp_id: str):
    from kuajing.enterprises.models import Enterprise

    return session.scalars(select(Enterprise).where(Enterprise.dxp_id == dxp_id)).first()


#: the largest inbox file read (the envelope's own limit: ``unwrap`` refuses a larger one anyway)
MAX_FILE_BYTES = DXP_MAX_BYTES


class _NotTaken(Exception):
    """An inbox entry the scan does not read: a symbolic link, not a regular file, or too large."""


def _read_inbox_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of an inbox file, read without following a symbolic link (an enterprise's link to a file of
    the platform or of another enterprise is never read) and never more than ``limit`` bytes."""
    limit = MAX_FILE_BYTES if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            raise _NotTaken("a symbolic link is not read: write the file itself into inbox/") from None
        raise exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _NotTaken("not a regular file")
        if info.st_size > limit:
            raise _NotTaken(f"the file is {info.st_size} bytes, above the limit of {limit}")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _NotTaken(f"the file is larger than the limit of {limit} bytes")
    return data


def _take(path: Path, folder: Path, dxp_id: str, *, session_factory: sessionmaker[Session], sender_id: str,
          now: datetime, result: FolderResult) -> None:
    from kuajing.imports.service.intake import accept

    try:
        raw = _read_inbox_file(path)
    except _NotTaken as exc:
        _to_error(path, folder, str(exc))
        result.errors += 1
        return
    answer_name = derived_name(path.stem, ".receipt.xml")
    try:
        envelope = unwrap(raw)
    except (DxpError, UnsafeXmlError, ValueError) as exc:
        _to_error(path, folder, f"not a DxpMsg: {exc}")
        result.errors += 1
        return
    if envelope.sender_id != dxp_id:
        _to_error(path, folder, f"SenderId {envelope.sender_id} is not this folder's DXP id {dxp_id}")
        result.errors += 1
        return
    msg, record_issues, unreadable = _record_issues(envelope.data)
    if msg is None:
        receipt = to_ceb900(unreadable, original=envelope.data, when=now, ori_cop_msg_id=envelope.cop_msg_id)
        _write_atomic(folder / "outbox" / answer_name,
                      _envelope(build(receipt, validate=False), message_type="CEB900", sender_id=sender_id, receiver_id=dxp_id,
                                name=answer_name, when=now))
        _to_error(path, folder, "message unreadable: " + "; ".join(
            " ".join(part for part in (i.path, i.code, i.message_en) if part) for i in unreadable[:20]))
        result.errors += 1
        return
    with session_factory() as session:
        ent = _enterprise(session, dxp_id)
        if ent is None or ent.status != "approved":
            _to_error(path, folder, f"DXP id {dxp_id} is not a filed, approved enterprise")
            result.errors += 1
            return
        from kuajing.errors import AppError

        try:
            outcome = accept(session=session, message=msg, principal=_principal(ent), received_at=now, raw=raw,
                             channel="folder", record_issues=record_issues)
            session.commit()
        except AppError as exc:  # e.g. a readable CEB message that intake does not take
            session.rollback()
            _to_error(path, folder, f"{exc.code}: {exc.detail or exc.title}")
            result.errors += 1
            return
    data = build(outcome.receipt_message(), validate=False)
    _write_atomic(folder / "outbox" / answer_name,
                  _envelope(data, message_type=outcome.receipt_type, sender_id=sender_id, receiver_id=dxp_id, name=answer_name, when=now))
    _move(path, folder / "processed")
    result.processed += 1
    result.replayed += int(outcome.replayed)


def _cursor(folder: Path) -> int:
    try:
        return int(json.loads((folder / "outbox" / ".cursor").read_text())["after"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def deliver_receipts(*, session: Session, folder: Path, enterprise_id: int, dxp_id: str, sender_id: str,
                     now: datetime, limit: int = 1000) -> int:
    """Write the enterprise's later receipts (not the immediate answers) after the folder's cursor to outbox/."""
    from kuajing.imports.models import Receipt

    after = _cursor(folder)
    rows = session.execute(
        select(Receipt.id, Receipt.message_type, Receipt.receipt_xml)
        .where(Receipt.enterprise_id == enterprise_id, Receipt.id > after, Receipt.received_message_id.is_(None))
        .order_by(Receipt.id).limit(limit)).all()
    for row in rows:
        name = f"receipt_{row.id:012d}_{row.message_type}.xml"
        _write_atomic(folder / "outbox" / name,
                      _envelope(bytes(row.receipt_xml), message_type=row.message_type, sender_id=sender_id, receiver_id=dxp_id, name=name, when=now))
    if rows:
        _write_atomic(folder / "outbox" / ".cursor", json.dumps({"after": rows[-1].id}).encode())
    return len(rows)


def scan_dropfolder(*, session_factory: sessionmaker[Session], root: Path,
                    mapping: dict[str, str | Path] | None = None, sender_id: str = PLATFORM_DXP_ID,
                    now: datetime | None = None, limit: int = 1000) -> FolderResult:
    """The job: answer every inbox file of every enterprise folder, then deliver later receipts."""
    result = FolderResult()
    for dxp_id, folder in folders(root=root, mapping=mapping).items():
        ensure_folder(folder)
        result.folders.append(dxp_id)
        inbox = sorted(p for p in (folder / "inbox").iterdir()
                       if (p.is_file() or p.is_symlink()) and p.suffix.lower() == ".xml" and not p.name.startswith("."))
        for path in inbox[:limit]:
            try:
                _take(path, folder, dxp_id, session_factory=session_factory, sender_id=sender_id,
                      now=now or datetime.now(UTC), result=result)
            except Exception:  # database or disk trouble: the file stays in inbox/ for the next run
                log.exception("drop folder %s: left in the inbox for the next run", path)
        with session_factory() as session:
            ent = _enterprise(session, dxp_id)
            if ent is not None and ent.status == "approved":
                result.receipts += deliver_receipts(session=session, folder=folder, enterprise_id=ent.id,
                                                    dxp_id=dxp_id, sender_id=sender_id, now=now or datetime.now(UTC))
    return result
