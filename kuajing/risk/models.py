"""Tables of risk prevention (风险防控), credit grades (信用等级) and the personal-data export log (数据出境记录).

* :class:`RiskQueueItem` — what the event subscribers append (cheap, in the pipeline's transaction); the
  risk job reads it, writes one :class:`ParcelFact` per list (keyed hashes only, never personal data in
  clear) and its :class:`PriceSample` lines, then runs the rules.
* :class:`Alert` — one per (rule, subject, window) (unique), with its workflow steps (:class:`AlertStep`).
* :class:`BlacklistEntry` — a blacklisted enterprise or buyer ID, with its reason; removal is a new state,
  never a deletion.
* :class:`CreditGradeRecord` — a grade as computed on a day, with its explanation.
* :class:`DataTransfer` / :class:`DataTransferSubject` — every transfer of personal data abroad and the
  individuals it concerned (blind index), for the yearly counts of CAC Order 16.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import BlindIndex, ExactDecimal, UTCDateTime

Price = ExactDecimal(18, 5)  # CEB N19,5 unit prices


class RiskQueueItem(Base):
    """A declaration list waiting for the risk rules (风险待评估队列), appended by a subscriber."""

    __tablename__ = "risk_queue"
    __table_args__ = (UniqueConstraint("direction", "inventory_id", "event"),
                      Index("ix_risk_queue_pending", "processed_at", "id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6))  # import / export
    inventory_id: Mapped[int] = mapped_column(BigIntPK)  # import_inventories.id / export_inventories.id
    event: Mapped[str] = mapped_column(String(40))  # the domain event, e.g. import.inventory.declared
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ParcelFact(Base):
    """What the rules need of one declaration list (清单风险要素): keyed hashes, goods, prices, enterprise."""

    __tablename__ = "risk_parcel_facts"
    __table_args__ = (UniqueConstraint("direction", "inventory_id"),
                      Index("ix_risk_parcel_facts_buyer_at", "buyer_index", "declared_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    direction: Mapped[str] = mapped_column(String(6))  # import / export
    inventory_id: Mapped[int] = mapped_column(BigIntPK)
    reference: Mapped[str] = mapped_column(String(160))  # the list's business key (no personal data)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 电商企业
    district: Mapped[str | None] = mapped_column(String(12), index=True)  # the enterprise's 旗县区
    buyer_index: Mapped[str | None] = mapped_column(BlindIndex)  # 订购人证件号码 keyed hash (imports)
    buyer_masked: Mapped[str | None] = mapped_column(String(40))  # 1502**********1234
    consignee_index: Mapped[str | None] = mapped_column(BlindIndex)  # keyed hash of consignee name + address
    phone_index: Mapped[str | None] = mapped_column(BlindIndex)  # keyed hash of the consignee's phone
    goods_key: Mapped[str] = mapped_column(String(64))  # SHA-256 of the sorted (HS code, item no / name) lines
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PriceSample(Base):
    """One line's declared unit price (申报单价样本) under its HS heading, for the median rule."""

    __tablename__ = "risk_price_samples"
    __table_args__ = (UniqueConstraint("fact_id", "gnum"),
                      Index("ix_risk_price_samples_heading_on", "heading", "currency", "declared_on"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    fact_id: Mapped[int] = mapped_column(ForeignKey("risk_parcel_facts.id", ondelete="CASCADE"))
    gnum: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(4))  # HS 品目 (first four digits)
    currency: Mapped[str] = mapped_column(String(3))  # customs currency code (142 = CNY)
    unit_price: Mapped[Decimal] = mapped_column(Price)
    declared_on: Mapped[date] = mapped_column(Date)  # Asia/Shanghai


class Alert(Base):
    """A risk alert (风险预警): raised once per (rule, subject, window)."""

    __tablename__ = "risk_alerts"
    __table_args__ = (UniqueConstraint("rule", "subject_key", "window_key"),
                      Index("ix_risk_alerts_status_opened", "status", "opened_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32), index=True)  # RuleCode
    subject_kind: Mapped[str] = mapped_column(String(12))  # SubjectKind
    subject_key: Mapped[str] = mapped_column(String(120))  # blind index / enterprise id / list#gnum / year
    subject_display: Mapped[str] = mapped_column(String(200))  # masked for display (never an ID in clear)
    window_key: Mapped[str] = mapped_column(String(60))  # e.g. 2026, 2026-03-01, 2026-03
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    district: Mapped[str | None] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(16))  # AlertStatus
    outcome: Mapped[str | None] = mapped_column(String(12))  # AlertOutcome, when closed
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # the figures the rule fired on
    references: Mapped[list[str]] = mapped_column(JSON, default=list)  # the lists behind it
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # the closing note


class AlertStep(Base):
    """One step of an alert's workflow (处置记录): who moved it, from what to what, with what note."""

    __tablename__ = "risk_alert_steps"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("risk_alerts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # open / investigate / close
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlacklistEntry(Base):
    """A blacklisted enterprise or buyer ID (黑名单), with its reason; removed entries stay, marked."""

    __tablename__ = "risk_blacklist"
    __table_args__ = (Index("ix_risk_blacklist_subject", "subject_kind", "subject_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(12))  # enterprise / buyer
    subject_key: Mapped[str] = mapped_column(String(120))  # enterprise id, or the ID number's blind index
    subject_display: Mapped[str] = mapped_column(String(200))  # enterprise name, or the masked ID number
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(120))
    removal_reason: Mapped[str | None] = mapped_column(Text)


class CreditGradeRecord(Base):
    """An enterprise's credit grade as computed on a day (信用等级评定), with the explanation."""

    __tablename__ = "risk_credit_grades"
    __table_args__ = (UniqueConstraint("enterprise_id", "graded_on"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    graded_on: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    grade: Mapped[str] = mapped_column(String(3))
    score: Mapped[Decimal] = mapped_column(ExactDecimal(6, 2))
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    capped_by: Mapped[str | None] = mapped_column(String(12))
    graded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataTransfer(Base):
    """One transfer of personal data abroad (个人信息出境记录) with its legal basis; kept ≥ 3 years (PIPL Art. 56)."""

    __tablename__ = "risk_data_transfers"
    __table_args__ = (UniqueConstraint("reference"), Index("ix_risk_data_transfers_year", "year", "exempt"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100))  # the caller's idempotency key (e.g. order no + purpose)
    transferred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    year: Mapped[int] = mapped_column(Integer)  # calendar year (Asia/Shanghai) the transfer counts in
    recipient: Mapped[str] = mapped_column(String(200))  # 境外接收方
    country: Mapped[str] = mapped_column(String(3))  # customs country code of the recipient
    categories: Mapped[list[str]] = mapped_column(JSON)  # 数据类别
    sensitive: Mapped[bool] = mapped_column(Boolean)  # 含敏感个人信息
    legal_basis: Mapped[str] = mapped_column(String(24))  # LegalBasis
    exempt: Mapped[bool] = mapped_column(Boolean)  # derived from the basis (CAC Order 16 Art. 5)
    purpose: Mapped[str] = mapped_column(String(300))
    individuals: Mapped[int] = mapped_column(Integer)  # how many people this transfer concerned
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DataTransferSubject(Base):
    """One individual of a transfer (blind index of the ID number or phone), for the distinct counts."""

    __tablename__ = "risk_data_transfer_subjects"
    __table_args__ = (UniqueConstraint("transfer_id", "person_index"),
                      Index("ix_risk_data_transfer_subjects_count", "year", "exempt", "sensitive", "person_index"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("risk_data_transfers.id", ondelete="CASCADE"))
    person_index: Mapped[str] = mapped_column(BlindIndex)
    year: Mapped[int] = mapped_column(Integer)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    exempt: Mapped[bool] = mapped_column(Boolean)
