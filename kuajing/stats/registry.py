"""Survey estimates (企业调查口径) and the local brand registry (本土品牌名录): small registries with audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.enterprises.models import Enterprise
from kuajing.stats import errors
from kuajing.stats.choices import DIRECTIONS, SurveyChannel
from kuajing.stats.models import Brand, SurveyEstimate


def _amount(value: Any, path: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.bad_value(value, path) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e15"):
        raise errors.bad_value(value, path)
    return amount


def _enterprise(session: Session, enterprise_id: int, path: str) -> Enterprise:
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise errors.enterprise_unknown(enterprise_id, path)
    return ent


def report_survey(*, session: Session, enterprise_id: int, month: date, direction: str, channel: str,
                  value_cny: Any, parcels: int | None = None, note: str | None = None, actor: str) -> SurveyEstimate:
    """Record (or revise) one enterprise's survey figure for a month, direction and channel (audited).
    Channels are outside the CBEC customs codes, so the figure never repeats the customs scope."""
    if direction not in DIRECTIONS:
        raise errors.bad_filter(direction, "direction")
    try:
        channel = SurveyChannel(channel).value
    except ValueError:
        raise errors.bad_filter(channel, "channel") from None
    value = _amount(value_cny, "value_cny")
    if parcels is not None and parcels < 0:
        raise errors.bad_value(parcels, "parcels")
    ent = _enterprise(session, enterprise_id, "enterprise_id")
    row = session.scalars(select(SurveyEstimate).where(
        SurveyEstimate.enterprise_id == ent.id, SurveyEstimate.month == month, SurveyEstimate.direction == direction,
        SurveyEstimate.channel == channel)).first()
    before = None if row is None else {"value_cny": row.value_cny, "parcels": row.parcels, "note": row.note}
    if row is None:
        row = SurveyEstimate(enterprise_id=ent.id, month=month, direction=direction, channel=channel,
                             value_cny=value, parcels=parcels, note=note, reported_by=actor)
        session.add(row)
    else:
        row.value_cny, row.parcels, row.note, row.reported_by = value, parcels, note, actor
    session.flush()
    audit.record(session=session, action="stats:survey:report", stream=f"stats:survey:{ent.id}", actor=actor,
                 subject_id=f"{ent.id}:{month:%Y-%m}:{direction}:{channel}", before=before,
                 after={"value_cny": value, "parcels": parcels, "note": note})
    return row


def surveys(*, session: Session, start: date, end: date, enterprise_id: int | None = None) -> list[SurveyEstimate]:
    """Survey figures of the months ``start``..``end`` (one enterprise, or all)."""
    q = select(SurveyEstimate).where(SurveyEstimate.month >= start, SurveyEstimate.month <= end)
    if enterprise_id is not None:
        q = q.where(SurveyEstimate.enterprise_id == enterprise_id)
    return list(session.scalars(q.order_by(SurveyEstimate.month, SurveyEstimate.enterprise_id, SurveyEstimate.id)))


def survey_by_channel(*, session: Session, start: date, end: date, district: str | None = None) -> dict[str, Decimal]:
    """Survey value per channel over the months (optionally one district's enterprises)."""
    q = (select(SurveyEstimate.channel, func.sum(SurveyEstimate.value_cny))
         .where(SurveyEstimate.month >= start, SurveyEstimate.month <= end).group_by(SurveyEstimate.channel))
    if district:
        q = q.join(Enterprise, Enterprise.id == SurveyEstimate.enterprise_id).where(Enterprise.district == district)
    return {c: Decimal(v or 0) for c, v in session.execute(q).all()}


def register_brand(*, session: Session, name: str, owner_enterprise_id: int, markets: list[str], evidence: str,
                   registered_on: date, actor: str) -> Brand:
    """Register a local brand (audited); names are unique."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise errors.bad_value(name, "name")
    if not (evidence or "").strip():
        raise errors.bad_value(evidence, "evidence")
    if session.scalar(select(Brand.id).where(Brand.name == name)) is not None:
        raise errors.brand_exists(name)
    _enterprise(session, owner_enterprise_id, "owner_enterprise_id")
    clean = []
    for i, m in enumerate(markets or []):
        if not (isinstance(m, str) and len(m) == 3 and m.isdigit()):
            raise errors.bad_filter(m, f"markets[{i}]")
        clean.append(m)
    brand = Brand(name=name, owner_enterprise_id=owner_enterprise_id, markets=clean, evidence=evidence.strip(),
                  registered_on=registered_on, created_by=actor)
    session.add(brand)
    session.flush()
    audit.record(session=session, action="stats:brand:register", stream="stats:brands", actor=actor,
                 subject_id=str(brand.id), after={"name": name, "owner_enterprise_id": owner_enterprise_id,
                                                 "markets": clean, "evidence": brand.evidence,
                                                 "registered_on": registered_on.isoformat()})
    return brand


def brands(*, session: Session) -> list[Brand]:
    """Every registered brand."""
    return list(session.scalars(select(Brand).order_by(Brand.registered_on, Brand.id)))
