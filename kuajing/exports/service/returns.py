"""Export returns (出口退货, CEB213 request / CEB215 tally) and their tax relief (policy-rules R2.5).

Goods exported under 1210/9610/9710/9810 that come back in their original state within 6 months of export
keep the relief (no import duty, VAT or consumption tax) in the windows ``export_returns.tax_free_window_months``
gives (exports 2023-01-30 → 2024-01-29 and 2026-01-01 → 2027-12-31; 2024-2025 is [U] and not modelled, so
no relief is claimed for them). The last day is :func:`kuajing.exports.service.checks.relief_window`. The
day that counts is the day the goods are back: the tally (CEB215) date; until the tally arrives the
request's filing date stands in (provisional).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from kuajing.audit import service as audit
from kuajing.ceb.receipt import SHANGHAI
from kuajing.exports.models import ExportInventory, ExportRefund, ExportRefundTally
from kuajing.exports.service import checks


def _exported_on(inv: ExportInventory) -> date | None:
    try:
        return date(int(inv.ie_date[:4]), int(inv.ie_date[4:6]), int(inv.ie_date[6:8]))
    except (TypeError, ValueError):
        return inv.released_at.astimezone(SHANGHAI).date() if inv.released_at else None


def assess(*, doc: ExportRefund, inventory: ExportInventory | None, back_on: date | None) -> None:
    """Set the request's export date, relief deadline and eligibility (goods back on ``back_on``, else today)."""
    session = object_session(doc)
    if inventory is None and session is not None:
        inventory = session.scalars(select(ExportInventory).where(ExportInventory.invt_no == doc.invt_no)).first()
    exported = _exported_on(inventory) if inventory is not None else None
    doc.exported_on = exported
    window = checks.relief_window(exported) if exported else None
    doc.relief_until = window.last_day if window else None
    doc.relief_citation = window.citation[:300] if window else None
    if back_on is None:
        back_on = (doc.tallied_at or doc.created_at or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()
    doc.relief_eligible = bool(exported and checks.relief_applies(exported, back_on))


def record_tally(*, session: Session, tally: ExportRefundTally, when: datetime) -> list[ExportRefund]:
    """The returned goods arrived (CEB215): the requests of that list/waybill are re-assessed on this day."""
    q = select(ExportRefund).where(ExportRefund.status != "deleted")
    q = q.where(ExportRefund.invt_no == tally.invt_no) if tally.invt_no else \
        q.where(ExportRefund.logistics_no == tally.logistics_no)
    found = list(session.scalars(q))
    for refund in found:
        before = {"relief_eligible": refund.relief_eligible, "tallied_at": None}
        refund.tallied_at = when
        assess(doc=refund, inventory=None, back_on=when.astimezone(SHANGHAI).date())
        session.flush()
        audit.record(session=session, action="export:refund:tally", stream=audit.stream_name("export:refund", refund.business_key),
                     actor="system:exports", subject_id=refund.business_key, before=before,
                     after={"relief_eligible": refund.relief_eligible, "tallied_at": when.isoformat(),
                            "relief_until": refund.relief_until.isoformat() if refund.relief_until else None})
    return found
