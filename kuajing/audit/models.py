"""Tables of the audit trail (审计追踪): events chained per stream, stream heads, signed checkpoints."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, BigIntPK
from kuajing.db.types import UTCDateTime


class AuditEvent(Base):
    """One recorded state change (审计事件), link ``seq`` of its stream's hash chain."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("stream", "seq"),
        Index("ix_audit_event_subject_id_id", "subject_id", "id"),
        Index("ix_audit_event_action_id", "action", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    stream: Mapped[str] = mapped_column(String(200))  # 审计流, e.g. "enterprise:91150200MA0N123456"
    seq: Mapped[int] = mapped_column(BigInteger)  # 1, 2, 3 … within the stream
    action: Mapped[str] = mapped_column(String(120))  # "source:subject:action"
    actor: Mapped[str] = mapped_column(String(200))  # 操作人, e.g. "user:42", "system"
    subject_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # 操作对象
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # 发生时间 (UTC)
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # 变更前快照 (canonical JSON)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # 变更后快照 (canonical JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))  # hash of seq-1 (64 zeros for seq 1)
    hash: Mapped[str] = mapped_column(String(64))  # SM3 over the canonical record

    @property
    def before(self) -> Any:
        """The snapshot before the change (parsed JSON, or None)."""
        return None if self.before_json is None else json.loads(self.before_json)

    @property
    def after(self) -> Any:
        """The snapshot after the change (parsed JSON, or None)."""
        return None if self.after_json is None else json.loads(self.after_json)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<AuditEvent {self.stream}#{self.seq} {self.action}>"


class AuditStreamHead(Base):
    """The head of one stream (审计流链头): last seq and hash; locked by every writer of the stream."""

    __tablename__ = "audit_stream_head"

    stream: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed checkpoint (签名检查点) sealing every stream head; checkpoints chain by signature."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)  # 1, 2, 3 …
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stream_count: Mapped[int] = mapped_column(Integer)  # streams sealed as of this checkpoint
    entry_count: Mapped[int] = mapped_column(Integer)  # heads that moved since the previous checkpoint
    algorithm: Mapped[str] = mapped_column(String(20))  # "HMAC-SM3" (an SM2 signer may replace it)
    key_id: Mapped[str] = mapped_column(String(16))  # fingerprint of the signing key
    prev_signature: Mapped[str] = mapped_column(String(200))
    signature: Mapped[str] = mapped_column(String(200))

    entries: Mapped[list[AuditCheckpointEntry]] = relationship(
        back_populates="checkpoint", order_by="AuditCheckpointEntry.stream", cascade="all, delete-orphan"
    )


class AuditCheckpointEntry(Base):
    """One sealed head (检查点条目): stream → (seq, hash) as of its checkpoint."""

    __tablename__ = "audit_checkpoint_entry"
    __table_args__ = (
        UniqueConstraint("checkpoint_id", "stream"),
        Index("ix_audit_checkpoint_entry_stream_seq", "stream", "seq"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("audit_checkpoint.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))

    checkpoint: Mapped[AuditCheckpoint] = relationship(back_populates="entries")
