"""Tables of the scale-out pipeline (Celery mode): what the relay published and what customs sent, applied once.

* :class:`RelayMark` — a committed customs-outbox row (``import_outbox``) handed to the broker: the relay
  publishes only rows it finds committed and pending, and marks them here in the same transaction that
  holds their row locks, so a second relay skips them and a row is published again only when its task did
  not finish within ``redispatch_after_seconds``.
* :class:`InboxMessage` — a message from customs (回执 / 电子税单) dispatched to a worker and applied at most
  once: the apply task locks its row and does nothing when ``applied_at`` is already set (a redelivered task,
  or a message polled again because the acknowledgement to the transport was lost).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import UTCDateTime


class RelayMark(Base):
    """An outbox row published to the broker (发布记录)."""

    __tablename__ = "pipeline_relay"

    outbox_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # import_outbox.id
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    publications: Mapped[int] = mapped_column(Integer, default=1)


class InboxMessage(Base):
    """A message from customs, dispatched to a worker and applied exactly once (收件记录)."""

    __tablename__ = "pipeline_inbox"
    __table_args__ = (UniqueConstraint("source", "message_id"),
                      Index("ix_pipeline_inbox_open", "applied_at", "subject"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # the customs transport: sandbox / file
    message_id: Mapped[str] = mapped_column(String(200))  # the transport's id of the message
    subject: Mapped[str] = mapped_column(String(200))  # what it is about (list number …): applied in order per subject
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatches: Mapped[int] = mapped_column(Integer, default=1)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
