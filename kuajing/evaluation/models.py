"""Tables of the district and park evaluation (综合考评).

The indicator catalogue (指标库) is data: ``indicators.json`` beside this module (code, category, unit,
source, default weight).

* :class:`IndicatorWeight` — effective-dated weights set by the commerce bureau (权重); the weight in force
  on a period's last day counts, else the catalogue's default.
* :class:`Entry` — a value entered by hand for (period, unit, indicator) with its evidence (佐证材料).
* :class:`Snapshot` — a published evaluation (考评结果): weights, values, scores and ranking as they were;
  never updated or deleted (guarded at the model layer, like the no-invoice register); a correction is a
  new revision.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import ExactDecimal, UTCDateTime
from kuajing.evaluation.errors import ImmutableSnapshotError

Value = ExactDecimal(18, 2)


class IndicatorWeight(Base):
    """The weight of an indicator from ``valid_from`` to ``valid_to`` (inclusive; None = open)."""

    __tablename__ = "evaluation_weights"
    __table_args__ = (UniqueConstraint("indicator_code", "valid_from"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(40), index=True)
    weight: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))  # 0–100
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(120))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entry(Base):
    """A value entered for a period, a unit and an indicator, with its evidence (填报值及佐证)."""

    __tablename__ = "evaluation_entries"
    __table_args__ = (UniqueConstraint("period", "unit_kind", "unit_code", "indicator_code"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), index=True)  # 2026, 2026-H1, 2026-Q2, 2026-03
    unit_kind: Mapped[str] = mapped_column(String(10))  # district / park
    unit_code: Mapped[str] = mapped_column(String(40))
    indicator_code: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Value)
    evidence: Mapped[str] = mapped_column(Text)  # 佐证: document number, title, link
    entered_by: Mapped[str] = mapped_column(String(120))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Snapshot(Base):
    """A published evaluation of one period and unit kind (考评结果快照): never changed once written."""

    __tablename__ = "evaluation_snapshots"
    __table_args__ = (UniqueConstraint("period", "unit_kind", "revision"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    unit_kind: Mapped[str] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer)  # 1, 2 … (a correction is a new revision)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(40))  # normalisation method, e.g. min-max-0-100
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # indicators, weights, values, scores, ranking
    sha256: Mapped[str] = mapped_column(String(64))  # of the canonical payload
    reason: Mapped[str | None] = mapped_column(Text)  # why a new revision was published
    published_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- immutability of published snapshots (model layer) -----------------------------------------------


@event.listens_for(Snapshot, "before_update")
def _guard_update(mapper, connection, target) -> None:
    raise ImmutableSnapshotError("evaluation snapshots are never updated; publish a new revision instead")


@event.listens_for(Snapshot, "before_delete")
def _guard_delete(mapper, connection, target) -> None:
    raise ImmutableSnapshotError("evaluation snapshots are never deleted; publish a new revision instead")


@event.listens_for(Session, "do_orm_execute")
def _guard_bulk(state) -> None:
    """Refuse ``update(Snapshot)`` / ``delete(Snapshot)`` statements run through a session."""
    if (state.is_update or state.is_delete) and any(
            getattr(m, "class_", None) is Snapshot for m in state.all_mappers):
        raise ImmutableSnapshotError("evaluation snapshots are never updated or deleted")
