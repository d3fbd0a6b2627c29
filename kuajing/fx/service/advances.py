"""Advances (代垫): a logistics firm, platform or postal operator advancing overseas storage, logistics or tax
costs for a client. Non-affiliated advances and advances longer than ``fx.advance_max_months`` (12, [U])
must be reported to the local SAFE branch; the platform generates the report (zone plan 内政字〔2023〕99号)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.data import service as data
from kuajing.db.base import utcnow
from kuajing.enterprises.models import Enterprise
from kuajing.fx import calc, errors
from kuajing.fx.choices import AdvancerKind, FeeKind
from kuajing.fx.models import FxAdvance
from kuajing.fx.service.proceeds import stream
from kuajing.rules import rule


@dataclass
class AdvanceIn:
    """An advance as entered."""

    advancer_kind: AdvancerKind
    client_name: str
    affiliated: bool
    purpose: FeeKind
    currency: str
    amount: Decimal
    advanced_on: date
    client_code: str | None = None
    repaid_on: date | None = None
    note: str | None = None


def duty(*, advance: FxAdvance, today: date) -> tuple[calc.AdvanceDuty, Any]:
    """The report duty of an advance and the rule (``fx.advance_max_months`` on the advance date) it used."""
    max_months = rule("fx.advance_max_months", advance.advanced_on)
    return calc.advance_duty(advanced_on=advance.advanced_on, repaid_on=advance.repaid_on, today=today,
                             affiliated=advance.affiliated, max_months=max_months.value), max_months


def _snap(row: FxAdvance) -> dict[str, Any]:
    return {"client": row.client_name, "affiliated": row.affiliated, "purpose": row.purpose, "currency": row.currency,
            "amount": str(row.amount), "advanced_on": row.advanced_on.isoformat(),
            "repaid_on": row.repaid_on.isoformat() if row.repaid_on else None}


def create(*, session: Session, enterprise_id: int, values: AdvanceIn, actor: str) -> FxAdvance:
    """Record an advance (audited)."""
    if values.repaid_on and values.repaid_on < values.advanced_on:
        raise errors.dates_inverted(values.repaid_on)
    row = FxAdvance(enterprise_id=enterprise_id, advancer_kind=AdvancerKind(values.advancer_kind).value,
                    client_name=values.client_name, client_code=values.client_code, affiliated=values.affiliated,
                    purpose=FeeKind(values.purpose).value, currency=data.customs_currency(values.currency),
                    amount=calc.cents(values.amount), advanced_on=values.advanced_on, repaid_on=values.repaid_on,
                    note=values.note, created_by=actor)
    session.add(row)
    session.flush()
    audit.record(session=session, action="fx:advance:create", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"advance:{row.id}", after=_snap(row))
    return row


def get(*, session: Session, advance_id: int, enterprise_id: int | None) -> FxAdvance:
    """One advance visible to ``enterprise_id`` (None: zone-wide)."""
    row = session.get(FxAdvance, advance_id)
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise errors.advance_not_found(advance_id)
    return row


def listing(*, session: Session, enterprise_id: int | None) -> list[FxAdvance]:
    """Advances, newest first."""
    q = select(FxAdvance).order_by(FxAdvance.advanced_on.desc(), FxAdvance.id.desc())
    if enterprise_id is not None:
        q = q.where(FxAdvance.enterprise_id == enterprise_id)
    return list(session.scalars(q.limit(1000)))


def repay(*, session: Session, row: FxAdvance, repaid_on: date, actor: str) -> FxAdvance:
    """Record the repayment date (audited)."""
    if repaid_on < row.advanced_on:
        raise errors.dates_inverted(repaid_on)
    before = _snap(row)
    row.repaid_on = repaid_on
    session.flush()
    audit.record(session=session, action="fx:advance:repay", stream=stream(row.enterprise_id), actor=actor,
                 subject_id=f"advance:{row.id}", before=before, after=_snap(row))
    return row


def generate_report(*, session: Session, row: FxAdvance, today: date, actor: str) -> dict[str, Any]:
    """Build (and keep) the report of an advance with a report duty (报备材料), for the local SAFE branch.
    Without a duty the answer says so and nothing is stored."""
    found, max_rule = duty(advance=row, today=today)
    ent = session.get(Enterprise, row.enterprise_id)
    report = {
        "title": "跨境电商代垫业务报备 (advance report to the local SAFE branch)",
        "recipient": "所在地外汇管理局 (local SAFE branch)",
        "generated_on": today.isoformat(),
        "advancer": {"name": ent.name_zh if ent else None, "uscc": ent.uscc if ent else None,
                     "customs_code": ent.customs_code if ent else None, "kind": row.advancer_kind},
        "client": {"name": row.client_name, "code": row.client_code, "affiliated": row.affiliated},
        "purpose": row.purpose, "currency": row.currency, "amount": str(row.amount),
        "advanced_on": row.advanced_on.isoformat(), "repaid_on": row.repaid_on.isoformat() if row.repaid_on else None,
        "term_end": found.term_end.isoformat(), "max_months": found.months,
        "reasons": [r.value for r in found.reasons], "report_required": found.report,
        "basis": {"rule": max_rule.name, "value": max_rule.value, "citation": max_rule.citation,
                  "confidence": max_rule.confidence,
                  "plan": "内政字〔2023〕99号: 涉及非关联企业代垫或代垫期限超过12个月的，按规定向所在地外汇管理局报备"},
    }
    if found.report:
        row.report = report
        row.reported_at = utcnow()
        session.flush()
        audit.record(session=session, action="fx:advance:report", stream=stream(row.enterprise_id), actor=actor,
                     subject_id=f"advance:{row.id}", after={"reasons": report["reasons"], "generated_on": today.isoformat()})
    return report
