"""Read side of the tax-guarantee page (税款担保页面查询): the guarantees of the zone, a month's e-tax bills and a
guarantee's movements, each a page of rows with the total count.

Reads only; the balance, the alerts and the monthly summary come from :mod:`kuajing.tax.service`
(:func:`~kuajing.tax.service.guarantee`, :func:`~kuajing.tax.service.monthly_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.enterprises.models import Enterprise
from kuajing.tax.models import TaxBill, TaxGuarantee, TaxGuaranteeAlert, TaxGuaranteeMovement

T = TypeVar("T")

#: the most rows one page of bills or movements shows
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class AgentRow:
    """A withholding agent's guarantee in the zone-wide list."""

    agent_enterprise_id: int
    name_zh: str
    name_en: str | None
    guarantee_no: str | None
    balance: Decimal
    alert_threshold: Decimal
    open_alerts: int


@dataclass(frozen=True)
class BillRow:
    """An e-tax bill (CEB816) as listed."""

    tax_no: str
    invt_no: str | None
    amount: Decimal
    status: str  # TaxBillStatus value
    ent_duty_no: str | None
    bill_date: date
    covered: bool = True  # False: issued when the balance could not cover it, waiting for cover
    paid_on: date | None = None  # its payment form's payment date


@dataclass(frozen=True)
class MovementRow:
    """A change of the guarantee as listed."""

    kind: str  # GuaranteeMovementKind value
    amount: Decimal
    balance_after: Decimal
    reference: str
    business_date: date  # Asia/Shanghai
    at: datetime  # UTC


@dataclass(frozen=True)
class Found(Generic[T]):
    """One page of rows and how many rows there are in all."""

    rows: tuple[T, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def _page(page: int, per_page: int) -> tuple[int, int]:
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    return max(page, 1), per_page


def agents(*, session: Session) -> list[AgentRow]:
    """Every guarantee of the zone with its agent's name and how many alerts are open, by agent name."""
    open_alerts = (select(TaxGuaranteeAlert.guarantee_id, func.count().label("n"))
                   .where(TaxGuaranteeAlert.resolved_at.is_(None))
                   .group_by(TaxGuaranteeAlert.guarantee_id).subquery())
    query = (select(TaxGuarantee.agent_enterprise_id, Enterprise.name_zh, Enterprise.name_en, TaxGuarantee.guarantee_no,
                    TaxGuarantee.balance, TaxGuarantee.alert_threshold, func.coalesce(open_alerts.c.n, 0))
             .join(Enterprise, Enterprise.id == TaxGuarantee.agent_enterprise_id)
             .outerjoin(open_alerts, open_alerts.c.guarantee_id == TaxGuarantee.id)
             .order_by(Enterprise.name_zh, TaxGuarantee.agent_enterprise_id))
    return [AgentRow(*row) for row in session.execute(query)]


def agent_name(*, session: Session, agent_enterprise_id: int) -> tuple[str, str | None] | None:
    """The agent enterprise's Chinese and English names (None: no such enterprise)."""
    row = session.execute(select(Enterprise.name_zh, Enterprise.name_en)
                          .where(Enterprise.id == agent_enterprise_id)).first()
    return None if row is None else (row[0], row[1])


def has_guarantee(*, session: Session, agent_enterprise_id: int) -> bool:
    """Whether the zone operator has opened the agent's guarantee."""
    return session.scalar(select(TaxGuarantee.id).where(TaxGuarantee.agent_enterprise_id == agent_enterprise_id)) \
        is not None


def bills(*, session: Session, agent_enterprise_id: int, month: date, page: int = 1,
          per_page: int = 50) -> Found[BillRow]:
    """The agent's e-tax bills of ``month`` (any day of it), every status, newest first."""
    page, per_page = _page(page, per_page)
    where = (TaxBill.agent_enterprise_id == agent_enterprise_id, TaxBill.month == month.replace(day=1))
    total = session.scalar(select(func.count()).select_from(TaxBill).where(*where)) or 0
    rows = session.execute(
        select(TaxBill.tax_no, TaxBill.invt_no, TaxBill.amount, TaxBill.status, TaxBill.ent_duty_no, TaxBill.bill_date,
               TaxBill.covered, TaxBill.paid_on)
        .where(*where).order_by(TaxBill.bill_date.desc(), TaxBill.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    return Found(rows=tuple(BillRow(*r) for r in rows), total=total, page=page, per_page=per_page)


def movements(*, session: Session, agent_enterprise_id: int, page: int = 1, per_page: int = 50) -> Found[MovementRow]:
    """The guarantee's movements (top-ups, draws, voids, payments), latest first."""
    page, per_page = _page(page, per_page)
    gid = select(TaxGuarantee.id).where(TaxGuarantee.agent_enterprise_id == agent_enterprise_id).scalar_subquery()
    where = TaxGuaranteeMovement.guarantee_id == gid
    total = session.scalar(select(func.count()).select_from(TaxGuaranteeMovement).where(where)) or 0
    rows = session.execute(
        select(TaxGuaranteeMovement.kind, TaxGuaranteeMovement.amount, TaxGuaranteeMovement.balance_after,
               TaxGuaranteeMovement.reference, TaxGuaranteeMovement.business_date, TaxGuaranteeMovement.at)
        .where(where).order_by(TaxGuaranteeMovement.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    return Found(rows=tuple(MovementRow(*r) for r in rows), total=total, page=page, per_page=per_page)
