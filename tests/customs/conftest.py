"""Helpers of the customs tests: drive the sandbox in a test session and read what it queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from kuajing import ceb
from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service.sandbox import SandboxConfig, advance, receive


@dataclass
class Out:
    """One queued message, parsed."""

    message_type: str
    status: str | None
    record: object
    xml: bytes


class Customs:
    """The sandbox in the test's session, with time given by the test."""

    def __init__(self, db, config: SandboxConfig):
        self.db = db
        self.config = config
        self.seen: list[bytes] = []

    def send(self, data: bytes, message_type: str, now: datetime) -> str:
        return receive(session=self.db, message=data, message_type=message_type, now=now, config=self.config)

    def advance(self, now: datetime) -> int:
        return advance(session=self.db, now=now, config=self.config)

    def drain(self) -> list[Out]:
        """Every record of the messages queued since the last drain, oldest first (marked delivered); a
        message answering several records (one per status step) gives one Out per record, in order."""
        self.db.flush()
        rows = self.db.execute(select(SandboxReceipt).where(SandboxReceipt.delivered_at.is_(None))
                               .order_by(SandboxReceipt.id)).scalars().all()
        out = []
        for row in rows:
            msg = ceb.parse(bytes(row.xml))
            for rec in msg.records:
                status = getattr(rec, "return_status", None)
                out.append(Out(msg.message_type, status, rec, bytes(row.xml)))
            self.seen.append(bytes(row.xml))
            row.delivered_at = datetime.now().astimezone()
        self.db.flush()
        return out

    def statuses(self, message_type: str | None = None) -> list[tuple[str, str | None]]:
        return [(o.message_type, o.status) for o in self.drain() if message_type in (None, o.message_type)]


@pytest.fixture
def customs(db):
    return Customs(db, SandboxConfig())
