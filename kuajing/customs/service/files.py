"""The file transport (文件交换): DxpMsg files in an outbox for a real customs client (the e-port's client
software, 智能传输客户端 …) to send, receipts read from the inbox it fills.

* ``send`` wraps the CEB message in a DxpMsg (terminal-node envelope, ceb-messages §1.4/§2.8) with our
  DXP sender id and the customs receiver id, writes it to ``outbox/.<name>.tmp`` and renames it to
  ``outbox/<name>.xml`` (atomic on one file system: the client never sees a half-written file). The
  name is unique: ``<message type>_<UTC yyyyMMddHHmmssSSS>_<CopMsgId>.xml``; the CopMsgId is the answer.
* ``poll`` lists ``inbox/*.xml`` (oldest first by name), unwraps each DxpMsg (a bare CEB message is
  taken as is), and hands out the CEB bytes. A file that cannot be read goes to ``inbox/error/`` at
  once, with ``<name>.reason.txt`` beside it.
* ``ack`` moves the file to ``inbox/processed/``; ``reject`` moves it to ``inbox/error/`` with the reason.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kuajing.ceb import dxp
from kuajing.ceb.signing.xmlsafe import UnsafeXmlError, parse_xml
from kuajing.customs.service.ports import InboundMessage

_CEB_NS = "http://www.chinaport.gov.cn/ceb"


class FileTransport:
    """CustomsTransport over an outbox and an inbox directory of DxpMsg files."""

    def __init__(self, *, outbox: Path, inbox: Path, sender_id: str, receiver_id: str,
                 clock=None):
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.clock = clock or (lambda: datetime.now(UTC))
        for folder in (self.outbox, self.inbox, self.processed_dir, self.error_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, settings) -> FileTransport:
        """The transport at the configured folders (default ``<var_dir>/customs/outbox`` and ``/inbox``)."""
        base = Path(settings.var_dir) / "customs"
        return cls(outbox=settings.customs_outbox_dir or base / "outbox",
                   inbox=settings.customs_inbox_dir or base / "inbox",
                   sender_id=settings.customs_dxp_sender_id, receiver_id=settings.customs_dxp_receiver_id)

    @property
    def processed_dir(self) -> Path:
        """Where applied inbox files go."""
        return self.inbox / "processed"

    @property
    def error_dir(self) -> Path:
        """Where unreadable or failed inbox files go (each with a .reason.txt)."""
        return self.inbox / "error"

    def send(self, *, message: bytes, message_type: str) -> str:
        """Write ``message`` wrapped in a DxpMsg to the outbox, atomically; returns its CopMsgId."""
        now = self.clock()
        cop_msg_id = str(uuid.uuid4()).upper()
        msg_type = message_type if message_type.endswith("Message") else f"{message_type}Message"
        envelope = dxp.wrap(message, sender_id=self.sender_id, receiver_ids=[self.receiver_id], msg_type=msg_type,
                            cop_msg_id=cop_msg_id, created=now)
        stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        name = f"{message_type}_{stamp}_{cop_msg_id}.xml"
        tmp = self.outbox / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(envelope)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.outbox / name)
        return cop_msg_id

    def poll(self, *, limit: int = 500) -> list[bytes]:
        """The CEB messages of up to ``limit`` inbox files; unreadable files are moved to the error folder."""
        out: list[bytes] = []
        for path in sorted(p for p in self.inbox.iterdir() if p.is_file() and p.suffix.lower() == ".xml"):
            if len(out) >= limit:
                break
            try:
                data = self._read(path)
            except (OSError, ValueError, UnsafeXmlError) as exc:
                self._to_error(path, f"unreadable: {exc}")
                continue
            out.append(InboundMessage(data, message_id=path.name))
        return out

    def _read(self, path: Path) -> bytes:
        raw = path.read_bytes()
        root = parse_xml(raw).getroot()
        tag = root.tag
        if tag in (f"{{{dxp.DXP_NS}}}DxpMsg", f"{{{dxp.DXP_NS}}}DxpMsgSv"):
            data = dxp.unwrap(raw).data
            inner = parse_xml(data).getroot()
            if not inner.tag.startswith(f"{{{_CEB_NS}}}"):
                raise ValueError(f"DxpMsg Data is not a CEB message (root {inner.tag})")
            return data
        if tag.startswith(f"{{{_CEB_NS}}}"):
            return raw
        raise ValueError(f"neither a DxpMsg nor a CEB message (root {tag})")

    def ack(self, *, message_id: str) -> None:
        """Move the applied file to ``inbox/processed``."""
        path = self.inbox / Path(message_id).name
        if path.exists():
            os.replace(path, _unique(self.processed_dir / path.name))

    def reject(self, *, message_id: str, reason: str) -> None:
        """Move the file to ``inbox/error`` with a reason file."""
        path = self.inbox / Path(message_id).name
        if path.exists():
            self._to_error(path, reason)

    def _to_error(self, path: Path, reason: str) -> None:
        target = _unique(self.error_dir / path.name)
        reason_file = target.with_name(target.name + ".reason.txt")
        reason_file.write_text(f"{datetime.now(UTC).isoformat()} {reason}\n", encoding="utf-8")
        os.replace(path, target)


def _unique(target: Path) -> Path:
    """``target``, or ``name.<n>.xml`` when a file of that name is already there."""
    if not target.exists():
        return target
    n = 1
    while True:
        candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
        if not candidate.exists():
            return candidate
        n += 1
