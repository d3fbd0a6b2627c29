"""Returns (退货, CEB625) and cancellations (撤单, CEB623) of retail import declaration lists.

Rules (policy-rules §2, R1.14/R1.15; GACC 2020 No.45 and 2021 No.70):

* Days count from the day after release, in Asia/Shanghai dates: a list released on 03-01 has day 1 on
  03-02 and day 30 on 03-31. A return (CEB625) may be filed up to day 30 (``cbec.return_apply_days``);
  the goods must be back at the original supervision site by day 45 (``cbec.return_arrive_days``).
  Both numbers come from :mod:`kuajing.rules`, looked up on the release date.
* A return levies no tax (the bill is not collected, R1.15) and gives the buyer's annual quota back
  (:func:`kuajing.quota.service.restore`, partially for a partial return); for 1210 goods the bonded
  stock is restored (:func:`kuajing.bonded.service.restore`) once the goods are back on the shelf.
* The return-centre warehouse path (退货中心仓, R2.3, 1210 goods in a special zone): the parcel goes to
  the zone's return centre, is sorted, then either goes back on the shelf (stock restored) or is
  shipped out of the zone (no stock restored).
* A cancellation (CEB623) names the invtNo of a list customs has accepted — including a released list
  whose goods have not left the supervised site (not closed, 899): quota restored, tax bill voided.
  Any other state is refused with −623005.

The date windows are pure functions over plain dates (tested by hand-computed examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kuajing.errors import AppError
from kuajing.imports.errors import RETURN_LATE  # -4006 (ours): filed after day 30; customs has no code
from kuajing.rules import rule

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- pure date windows ----------------------------------------------------------------------------------


def release_date(released_at: datetime, *, tz: ZoneInfo = SHANGHAI) -> date:
    """The business (Asia/Shanghai) date of a release timestamp (UTC-aware)."""
    return released_at.astimezone(tz).date()


def day_after_release(release: date, on: date) -> int:
    """Which day after release ``on`` is: the release date itself is day 0, the next day is day 1."""
    return (on - release).days


def apply_days(release: date) -> int:
    """Days after release within which a return may be filed (``cbec.return_apply_days``, 30)."""
    return int(rule("cbec.return_apply_days", release).value)


def arrive_days(release: date) -> int | None:
    """Days after release within which returned goods must be back (``cbec.return_arrive_days``, 45).

    None for releases before the rule took effect (GACC 2020 No.45): no arrival deadline is tracked.
    """
    try:
        return int(rule("cbec.return_arrive_days", release).value)
    except AppError:
        return None


def return_deadline(release: date) -> date:
    """The last day a return (CEB625) may be filed: day 30 after release (released 03-01 → 03-31)."""
    return release + timedelta(days=apply_days(release))


def arrival_deadline(release: date) -> date | None:
    """The last day the returned goods may arrive back: day 45 after release (None before the rule)."""
    days = arrive_days(release)
    return None if days is None else release + timedelta(days=days)


def may_file_return(release: date, on: date) -> bool:
    """Whether a return filed on ``on`` is in time (from the release day up to and including day 30)."""
    return release <= on <= return_deadline(release)


def arrival_overdue(release: date, on: date) -> bool:
    """Whether goods not yet back on ``on`` are overdue (``on`` is past day 45)."""
    deadline = arrival_deadline(release)
    return deadline is not None and on > deadline


@dataclass(frozen=True)
class ReturnWindow:
    """A released list's return windows as shown to the enterprise."""

    released_on: date
    apply_by: date  # 退货申请截止 (day 30)
    arrive_by: date | None  # 退货入区截止 (day 45)
    day: int  # today's day number after release
    may_apply: bool
    overdue: bool  # goods not back and past arrive_by (meaningful only while goods are awaited)


def window(release: date, on: date) -> ReturnWindow:
    """The return windows of a list released on ``release``, seen on ``on``."""
    return ReturnWindow(released_on=release, apply_by=return_deadline(release), arrive_by=arrival_deadline(release),
                        day=day_after_release(release, on), may_apply=may_file_return(release, on),
                        overdue=arrival_overdue(release, on))


# --- intake checks (called by the pipeline for CEB623 / CEB625) -----------------------------------------

#: Official: returned line not found in the original list (gnum / gcode).
LINE_UNKNOWN = "-625209"
#: Official: return request check failed (used for a returned quantity above the listed one).
REFUND_INVALID = "-625001"


def _inventory(session, invt_no: str | None):
    from sqlalchemy import select

    from kuajing.imports.models import Inventory

    if not invt_no:
        return None
    return session.scalars(select(Inventory).where(Inventory.invt_no == invt_no)).first()


def check_request(*, session, message_type: str, record, when: datetime) -> tuple[str, str] | None:
    """What the pipeline must refuse in a CEB625 on top of its state check: (code, detail) or None.

    Filed after day 30 → ``-4006``; a line whose gnum/gcode the list does not have → −625209; more than
    the listed quantity, or a line named twice → −625001. CEB623 needs nothing beyond the state check (−623005).
    """
    if message_type != "CEB625":
        return None
    head = record.head
    inv = _inventory(session, head.invt_no)
    if inv is None or inv.released_at is None:
        return None  # the pipeline's state check answers these
    released = release_date(inv.released_at)
    on = when.astimezone(SHANGHAI).date()
    if not may_file_return(released, on):
        return RETURN_LATE, f"{head.invt_no} {released.isoformat()}+{apply_days(released)} < {on.isoformat()}"
    lines = {line.gnum: line for line in inv.items}
    seen: set[int] = set()
    for item in record.items:
        if int(item.gnum) in seen:  # one line of the list is returned once per request, with its whole quantity
            return REFUND_INVALID, f"gnum {item.gnum} repeated"
        seen.add(int(item.gnum))
        line = lines.get(int(item.gnum))
        if line is None or (item.gcode and item.gcode != line.gcode):
            return LINE_UNKNOWN, f"{head.invt_no},{item.gnum},{item.gcode}"
        if item.qty is None or item.qty <= 0 or item.qty > line.qty:
            return REFUND_INVALID, f"gnum {item.gnum}: qty {item.qty} > {line.qty}"
    return None


# --- after intake: forward to customs, start tracking ---------------------------------------------------


def _audit(session, action: str, subject: str, before: dict | None, after: dict, actor: str) -> None:
    from kuajing.audit import service as audit

    audit.record(session=session, action=f"import:{action}", stream=audit.stream_name("import:return", subject), actor=actor,
                 subject_id=subject, before=before, after=after)


def after_accept(*, session, doc, message_type: str, when: datetime, actor: str = "system:imports") -> None:
    """An accepted CEB623/625 (declared, appStatus 2): send it to customs; a return starts its tracking."""
    from kuajing.imports.choices import ReturnRoute, ReturnStage
    from kuajing.imports.models import ReturnTracking
    from kuajing.imports.service.flow import enqueue

    if doc.app_status != "2" or doc.status == "deleted":
        return
    enqueue(session=session, doc=doc, message_type=message_type)
    if message_type != "CEB625":
        return
    inv = _inventory(session, doc.invt_no)
    if inv is None or inv.released_at is None:
        return
    from sqlalchemy import select

    tracking = session.scalars(select(ReturnTracking).where(ReturnTracking.refund_id == doc.id)).first()
    released = release_date(inv.released_at)
    if tracking is None:
        tracking = ReturnTracking(refund_id=doc.id, inventory_id=inv.id, enterprise_id=doc.sender_enterprise_id,
                                  invt_no=doc.invt_no, route=ReturnRoute.direct.value,
                                  stage=ReturnStage.filed.value, released_on=released,
                                  apply_by=return_deadline(released), arrive_by=arrival_deadline(released))
        session.add(tracking)
        session.flush()
        _audit(session, "return:file", doc.invt_no, None,
               {"stage": tracking.stage, "apply_by": tracking.apply_by, "arrive_by": tracking.arrive_by,
                "filed_on": when.astimezone(SHANGHAI).date()}, actor)


# --- customs answers (CEB624 / CEB626) ------------------------------------------------------------------


def _void_tax_bills(session, invt_no: str, actor: str) -> int:
    """Void every e-tax bill of the list (kuajing.tax: the amount goes back to the guarantee); idempotent."""
    from sqlalchemy import select

    from kuajing.tax import service as tax
    from kuajing.tax.models import TaxBill

    bills = session.scalars(select(TaxBill).where(TaxBill.invt_no == invt_no, TaxBill.status != "3")).all()
    for bill in bills:
        tax.record_payment_status(session=session, tax_no=bill.tax_no, status="3", actor=actor)
    return len(bills)


def _restore_quota(session, inv, *, amount=None, restore_reference: str, actor: str) -> None:
    from kuajing.quota import service as quota

    if inv.quota_reference:
        quota.restore(session=session, reference=inv.quota_reference, actor=actor, amount=amount,
                      restore_reference=restore_reference)


def _refund_value(inv, refund) -> tuple[bool, object]:
    """(full return?, value of the returned goods rounded to the fen) — line total × returned/listed qty."""
    from decimal import Decimal

    from kuajing.tax.calc import round_fen

    lines = {line.gnum: line for line in inv.items}
    full = len(refund.items) == len(lines)
    value = Decimal(0)
    for item in refund.items:
        line = lines[item.gnum]
        full = full and item.qty == line.qty
        value += line.total_price * item.qty / line.qty
    return full, round_fen(value)


def apply_customs_answer(*, session, doc, message_type: str, code: str, info: str, when: datetime,
                         actor: str = "system:imports") -> None:
    """Customs answered a cancellation (CEB624) or return (CEB626): 399 approves, 100 / negative refuses.

    Approved cancellation: quota restored (or freed before release), bonded stock restored (or the
    reservation cancelled), e-tax bills voided, the list ``cancelled``. Approved return: quota restored by
    the returned goods' value (all of it for a full return, whose bills are voided and list ``returned``);
    the goods are then awaited (day 45) — bonded stock comes back when they are back on the shelf.
    """
    from sqlalchemy import select

    from kuajing import events
    from kuajing.imports.choices import DocumentStatus, InventoryStatus, ReturnStage
    from kuajing.imports.models import ReturnTracking

    target = {"120": DocumentStatus.stored, "399": DocumentStatus.decided}.get(code)
    if target is None and (code == "100" or code.startswith("-")):
        target = DocumentStatus.rejected
    if target is None or doc.status == DocumentStatus.decided.value:
        return  # an interim or repeated answer: nothing more happens
    before = {"status": doc.status}
    doc.status = target.value
    session.flush()
    inv = _inventory(session, doc.invt_no)
    tracking = (session.scalars(select(ReturnTracking).where(ReturnTracking.refund_id == doc.id)).first()
                if message_type == "CEB625" else None)
    if target is DocumentStatus.rejected:
        if tracking is not None:
            tracking.stage = ReturnStage.refused.value
            tracking.note = (info or "")[:500]
        _audit(session, f"{'cancel' if message_type == 'CEB623' else 'return'}:refused", doc.invt_no, before,
               {"status": doc.status, "code": code}, actor)
        return
    if target is not DocumentStatus.decided or inv is None:
        return
    inv_before = {"status": inv.status}
    was_released = inv.released_at is not None
    if message_type == "CEB623":
        _restore_quota(session, inv, restore_reference=f"cancel:{doc.invt_no}", actor=actor)
        _stock(session, inv, None, restore_reference=f"cancel:{doc.invt_no}", actor=actor)
        voided = _void_tax_bills(session, doc.invt_no, actor) if doc.invt_no else 0
        _set_status(session, inv, InventoryStatus.cancelled, action="cancel", info=info or None,
                    extra={"quota_restored": True, "tax_bills_voided": voided})
        _audit(session, "cancel:approve", doc.invt_no, inv_before,
               {"status": inv.status, "quota_restored": True, "tax_bills_voided": voided}, actor)
        events.publish(session=session, name="import.inventory.cancelled", inventory=inv, was_released=was_released)
        return
    full, value = _refund_value(inv, doc)
    _restore_quota(session, inv, amount=None if full else value, restore_reference=f"refund:{doc.business_key}",
                   actor=actor)
    voided = 0
    if full:
        voided = _void_tax_bills(session, doc.invt_no, actor) if doc.invt_no else 0
        _set_status(session, inv, InventoryStatus.returned, action="return", info=info or None,
                    extra={"quota_restored": "all", "tax_bills_voided": voided})
        events.publish(session=session, name="import.inventory.returned", inventory=inv)
    else:
        inv.last_info = info or inv.last_info
    if tracking is not None and tracking.stage == ReturnStage.filed.value:
        tracking.stage = ReturnStage.awaiting_goods.value
    session.flush()
    _audit(session, "return:approve", doc.invt_no, inv_before,
           {"status": inv.status, "full": full, "quota_restored": "all" if full else value,
            "tax_bills_voided": voided}, actor)
    if tracking is not None:
        _restore_stock_if_back(session, tracking, doc, inv, actor)


def _set_status(session, inv, status, *, action: str, info: str | None, extra: dict) -> None:
    """The list's state change, audited in its own stream like every other (the pipeline's helper)."""
    from kuajing.imports.service.flow import _set_status as set_status

    set_status(session, inv, status, action=action, info=info, extra=extra)


def _stock(session, inv, quantities: dict[int, object] | None, *, restore_reference: str, actor: str) -> None:
    """Bonded stock (1210) back for the list's lines: all of each line, or ``quantities`` by gnum."""
    if inv.trade_mode != "1210" or not inv.stock_reference:
        return
    from kuajing.bonded import service as bonded

    for line in inv.items:
        if quantities is not None and line.gnum not in quantities:
            continue
        qty = None if quantities is None else quantities[line.gnum]
        bonded.restore(session=session, reference=f"{inv.stock_reference}/{line.gnum}", actor=actor, quantity=qty,
                       restore_reference=restore_reference)


def _restore_stock_if_back(session, tracking, refund, inv, actor: str) -> None:
    """Once customs approved the return AND the goods are back on the shelf: restore the bonded stock."""
    from kuajing.imports.choices import DocumentStatus, ReturnStage

    if tracking.stage != ReturnStage.restocked.value or refund.status != DocumentStatus.decided.value:
        return
    _stock(session, inv, {item.gnum: item.qty for item in refund.items},
           restore_reference=f"refund:{refund.business_key}", actor=actor)


# --- the goods coming back ------------------------------------------------------------------------------


def _tracking_for(session, *, invt_no: str, enterprise_id: int | None):
    """The tracking of a return by the original invtNo, seen by ``enterprise_id`` (None: zone-wide)."""
    from sqlalchemy import select

    from kuajing.errors import NotFound
    from kuajing.imports.models import ReturnTracking

    row = session.scalars(select(ReturnTracking).where(ReturnTracking.invt_no == invt_no)).first()
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise NotFound("return", path="invt_no", value=invt_no)
    return row


def _stage_error(invt_no: str, stage: str, action: str) -> AppError:
    from kuajing.errors import FieldIssue

    return AppError("imports_return_stage", "The return cannot do this now", status=409,
                    detail="The return of {invt_no} is at stage {stage}; {action} is not possible.",
                    errors=[FieldIssue("imports_return_stage", "stage", "Not possible at this stage.", stage)],
                    invt_no=invt_no, stage=stage, action=action)


def set_route(*, session, invt_no: str, route: str, enterprise_id: int | None, actor: str):
    """Send the goods to the zone's return-centre warehouse (1210 only) or back to the original site."""
    from kuajing.errors import FieldIssue, validation_error
    from kuajing.imports.choices import RETURN_AWAITING, ReturnRoute
    from kuajing.imports.models import Inventory

    row = _tracking_for(session, invt_no=invt_no, enterprise_id=enterprise_id)
    if route not in ReturnRoute.__members__:
        raise validation_error([FieldIssue("imports_return_route", "route", "Choose direct or return_centre.",
                                           route)])
    inv = session.get(Inventory, row.inventory_id)
    if route == ReturnRoute.return_centre and inv.trade_mode != "1210":
        raise validation_error([FieldIssue("imports_return_route", "route",
                                           "The return-centre warehouse takes bonded (1210) goods only.", route)])
    if row.stage not in RETURN_AWAITING:
        raise _stage_error(invt_no, row.stage, "route")
    before = {"route": row.route}
    row.route = route
    session.flush()
    _audit(session, "return:route", invt_no, before, {"route": row.route}, actor)
    return row


def record_arrival(*, session, invt_no: str, enterprise_id: int | None, actor: str, at: datetime,
                   warehouse_code: str | None = None):
    """The returned goods are back in the zone: to sorting (return centre) or straight back (direct)."""
    from kuajing.imports.choices import RETURN_AWAITING, ReturnRoute, ReturnStage
    from kuajing.imports.models import Inventory, InventoryRefund

    row = _tracking_for(session, invt_no=invt_no, enterprise_id=enterprise_id)
    if row.stage not in RETURN_AWAITING:
        raise _stage_error(invt_no, row.stage, "arrival")
    inv = session.get(Inventory, row.inventory_id)
    before = {"stage": row.stage}
    row.arrived_at, row.warehouse_code = at, (warehouse_code or row.warehouse_code)
    if row.route == ReturnRoute.return_centre:
        row.stage = ReturnStage.sorting.value
    elif inv.trade_mode == "1210":
        row.stage, row.finished_at = ReturnStage.restocked.value, at
    else:
        row.stage, row.finished_at = ReturnStage.received.value, at
    session.flush()
    late = row.arrive_by is not None and at.astimezone(SHANGHAI).date() > row.arrive_by
    _audit(session, "return:arrive", invt_no, before,
           {"stage": row.stage, "warehouse_code": row.warehouse_code, "late": late}, actor)
    _restore_stock_if_back(session, row, session.get(InventoryRefund, row.refund_id), inv, actor)
    return row


def finish_sorting(*, session, invt_no: str, outcome: str, enterprise_id: int | None, actor: str, at: datetime):
    """Return centre: the sorted parcel goes back on the shelf (restocked) or out of the zone (shipped_out)."""
    from kuajing.errors import FieldIssue, validation_error
    from kuajing.imports.choices import ReturnStage
    from kuajing.imports.models import Inventory, InventoryRefund

    row = _tracking_for(session, invt_no=invt_no, enterprise_id=enterprise_id)
    if outcome not in (ReturnStage.restocked, ReturnStage.shipped_out):
        raise validation_error([FieldIssue("imports_return_outcome", "outcome",
                                           "Choose restocked or shipped_out.", outcome)])
    if row.stage != ReturnStage.sorting.value:
        raise _stage_error(invt_no, row.stage, "sorting")
    before = {"stage": row.stage}
    row.stage, row.sorted_at, row.finished_at = outcome, at, at
    session.flush()
    _audit(session, "return:sort", invt_no, before, {"stage": row.stage}, actor)
    _restore_stock_if_back(session, row, session.get(InventoryRefund, row.refund_id),
                           session.get(Inventory, row.inventory_id), actor)
    return row


def flag_overdue(*, session, today: date, actor: str = "system:imports") -> int:
    """The job: flag every return whose goods are not back after day 45 (set-based; returns how many)."""
    from sqlalchemy import select, update

    from kuajing.db.base import utcnow
    from kuajing.imports.choices import RETURN_AWAITING
    from kuajing.imports.models import ReturnTracking

    due = select(ReturnTracking.id, ReturnTracking.invt_no).where(
        ReturnTracking.stage.in_([s.value for s in RETURN_AWAITING]), ReturnTracking.arrive_by.is_not(None),
        ReturnTracking.arrive_by < today, ReturnTracking.overdue_at.is_(None))
    rows = session.execute(due).all()
    if not rows:
        return 0
    now = utcnow()
    session.execute(update(ReturnTracking).where(ReturnTracking.id.in_([r.id for r in rows]))
                    .values(overdue_at=now, updated_at=now).execution_options(synchronize_session=False))
    for r in rows:
        _audit(session, "return:overdue", r.invt_no, None, {"overdue_on": today}, actor)
    session.flush()
    return len(rows)
