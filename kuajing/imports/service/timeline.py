"""Read side of the import pages (进口页面查询): parcel search, a parcel's timeline, the declaration list.

Who sees what: zone-wide roles see every parcel; an enterprise sees a parcel when it transmitted one of
its documents or is named on its order or list (platform, seller, payment company, carrier, declaring
agent) — then it sees the parcel's whole timeline, with personal data masked. Anyone else gets nothing
(the pages answer 404, so a parcel's existence does not leak).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kuajing.db.types import mask, mask_name
from kuajing.enterprises.models import Enterprise
from kuajing.imports.models import (
    ImportOrder,
    ImportPayment,
    ImportWaybill,
    ImportWaybillStatus,
    Inventory,
    InventoryCancel,
    InventoryRefund,
    Receipt,
    ReturnTracking,
)

PER_PAGE = 50


@dataclass(frozen=True)
class Viewer:
    """Whose eyes: every parcel (zone-wide) or the parcels of one enterprise (its codes)."""

    enterprise_id: int | None
    codes: frozenset[str]
    zone_wide: bool


def viewer(*, session: Session, principal) -> Viewer:
    """The viewer of ``principal`` (an enterprise's codes are its customs code and USCC)."""
    if principal.is_zone_wide:
        return Viewer(enterprise_id=None, codes=frozenset(), zone_wide=True)
    codes: set[str] = set()
    if principal.enterprise_id is not None:
        ent = session.get(Enterprise, principal.enterprise_id)
        if ent is not None:
            codes = {c for c in (ent.customs_code, ent.uscc) if c}
    return Viewer(enterprise_id=principal.enterprise_id, codes=frozenset(codes), zone_wide=False)


def _inventory_visible(v: Viewer):
    if v.zone_wide:
        return None
    conds = [Inventory.sender_enterprise_id == (v.enterprise_id or -1)]
    if v.codes:
        conds += [Inventory.agent_code.in_(v.codes), Inventory.ebc_code.in_(v.codes), Inventory.ebp_code.in_(v.codes),
                  Inventory.logistics_code.in_(v.codes)]
    return or_(*conds)


# --- declaration list -----------------------------------------------------------------------------------


@dataclass
class InventoryPage:
    """A page of the declaration list with counts per status."""

    rows: list[Inventory]
    counts: dict[str, int]
    total: int  # rows matching the filter
    page: int
    pages: int


def inventories(*, session: Session, viewer: Viewer, status: str | None = None, q: str | None = None,
                trade_mode: str | None = None, page: int = 1) -> InventoryPage:
    """The viewer's declaration lists, newest first, filtered by status / number / trade mode, with counts."""
    base = []
    visible = _inventory_visible(viewer)
    if visible is not None:
        base.append(visible)
    if q:
        base.append(or_(Inventory.order_no == q, Inventory.logistics_no == q, Inventory.invt_no == q,
                        Inventory.pre_no == q, Inventory.cop_no == q))
    if trade_mode:
        base.append(Inventory.trade_mode == trade_mode)
    counts = dict(session.execute(select(Inventory.status, func.count()).where(*base)
                                  .group_by(Inventory.status)).all())
    where = [*base, Inventory.status == status] if status else base
    total = counts.get(status, 0) if status else sum(counts.values())
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(session.scalars(select(Inventory).where(*where).order_by(Inventory.id.desc())
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return InventoryPage(rows=rows, counts=counts, total=total, page=page, pages=pages)


# --- parcel search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelHit:
    """A parcel found by number."""

    order_no: str
    ebp_code: str | None
    status: str | None  # the list's status, when there is a list
    logistics_no: str | None


def _parcel_parties(session: Session, order_no: str, ebp_code: str | None) -> tuple[set[int], set[str]]:
    """Senders (enterprise ids) and named codes of every document of the parcel."""
    senders: set[int] = set()
    codes: set[str] = set()
    docs = _documents(session, order_no, ebp_code)
    for kind, rows in docs.items():
        for d in rows:
            senders.add(d.sender_enterprise_id)
            for name in ("ebp_code", "ebc_code", "agent_code", "logistics_code", "pay_code"):
                value = getattr(d, name, None)
                if value and kind in ("order", "inventory"):
                    codes.add(value)
    return senders, codes


def may_see(session: Session, v: Viewer, order_no: str, ebp_code: str | None) -> bool:
    """Whether the viewer is a party of the parcel (or zone-wide)."""
    if v.zone_wide:
        return True
    senders, codes = _parcel_parties(session, order_no, ebp_code)
    return (v.enterprise_id in senders) or bool(v.codes & codes)


def search(*, session: Session, viewer: Viewer, q: str, limit: int = 50) -> list[ParcelHit]:
    """Parcels whose order number, waybill number or list number is ``q`` (only those the viewer may see)."""
    q = q.strip()
    if not q:
        return []
    keys: dict[tuple[str, str | None], ParcelHit] = {}
    for inv in session.scalars(select(Inventory).where(or_(Inventory.order_no == q, Inventory.logistics_no == q,
                                                           Inventory.invt_no == q)).limit(limit)):
        keys[(inv.order_no, inv.ebp_code)] = ParcelHit(inv.order_no, inv.ebp_code, inv.status, inv.logistics_no)
    for o in session.scalars(select(ImportOrder).where(ImportOrder.order_no == q).limit(limit)):
        keys.setdefault((o.order_no, o.ebp_code), ParcelHit(o.order_no, o.ebp_code, None, None))
    for w in session.scalars(select(ImportWaybill).where(ImportWaybill.logistics_no == q).limit(limit)):
        if not any(k[0] == w.order_no for k in keys):
            keys[(w.order_no, None)] = ParcelHit(w.order_no, None, None, w.logistics_no)
    return [hit for (order_no, ebp), hit in keys.items() if may_see(session, viewer, order_no, ebp)][:limit]


# --- timeline -------------------------------------------------------------------------------------------


@dataclass
class Event:
    """One line of a parcel's timeline."""

    at: datetime
    kind: str  # document / receipt / tax / return
    title: str  # English msgid (translated by the template)
    message_type: str | None = None
    code: str | None = None  # returnStatus of a receipt
    info: str | None = None  # untranslated detail (customs text, numbers)
    source: str | None = None  # platform / customs
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Timeline:
    """A parcel: its documents (masked summaries) and every event, oldest first."""

    order_no: str
    ebp_code: str | None
    documents: dict[str, list[Any]]
    inventory: Inventory | None
    tracking: ReturnTracking | None
    buyer: dict[str, str]  # masked
    events: list[Event]


def _documents(session: Session, order_no: str, ebp_code: str | None) -> dict[str, list[Any]]:
    def by_order(model):
        q = select(model).where(model.order_no == order_no)
        if ebp_code and hasattr(model, "ebp_code"):
            q = q.where(model.ebp_code == ebp_code)
        return list(session.scalars(q.order_by(model.id)))

    waybills = by_order(ImportWaybill)
    numbers = {w.logistics_no for w in waybills}
    statuses = list(session.scalars(select(ImportWaybillStatus).where(
        ImportWaybillStatus.logistics_no.in_(numbers)).order_by(ImportWaybillStatus.id))) if numbers else []
    return {"order": by_order(ImportOrder), "payment": by_order(ImportPayment), "waybill": waybills,
            "waybill_status": statuses, "inventory": by_order(Inventory), "cancel": by_order(InventoryCancel),
            "refund": by_order(InventoryRefund)}


_DOC_TYPE = {"order": "CEB311", "payment": "CEB411", "waybill": "CEB511", "waybill_status": "CEB513",
             "inventory": "CEB621", "cancel": "CEB623", "refund": "CEB625"}
_APP_TYPE = {"1": "Received (new)", "2": "Received (change)", "3": "Received (delete)"}


def timeline(*, session: Session, viewer: Viewer, order_no: str, ebp_code: str | None = None) -> Timeline | None:
    """The parcel's documents and events, or None when there is none the viewer may see."""
    docs = _documents(session, order_no, ebp_code)
    if not any(docs.values()) or not may_see(session, viewer, order_no, ebp_code):
        return None
    events: list[Event] = []
    keys: list[tuple[str, str]] = []
    for kind, rows in docs.items():
        mt = _DOC_TYPE[kind]
        for d in rows:
            keys.append((mt, d.business_key))
            for step in d.app_history or []:
                try:
                    when = datetime.fromisoformat(step["at"])
                except (KeyError, TypeError, ValueError):
                    when = d.created_at
                events.append(Event(at=when, kind="document", title=_APP_TYPE.get(str(step.get("app_type")),
                                                                                  "Received (new)"),
                                    message_type=mt, info=d.business_key))
    if keys:
        conds = [(Receipt.declaration_type == t) & (Receipt.business_key == k) for t, k in keys]
        for r in session.scalars(select(Receipt).where(or_(*conds)).order_by(Receipt.id)):
            title = ("E-tax bill" if r.message_type == "CEB816" else "Tax status" if r.message_type == "CEB818"
                     else "Receipt")
            kind = "tax" if r.message_type in ("CEB816", "CEB818") else "receipt"
            events.append(Event(at=r.returned_at, kind=kind, title=title, message_type=r.message_type,
                                code=r.return_status, info=r.return_info, source=r.source))
    inventory = next((i for i in reversed(docs["inventory"]) if i.status != "deleted"), None) \
        or (docs["inventory"][-1] if docs["inventory"] else None)
    if inventory is not None and inventory.tax_total is not None and inventory.declared_at is not None:
        events.append(Event(at=inventory.declared_at, kind="tax", title="Tax computed on declaration",
                            info=f"{inventory.tax_channel}",
                            params={"total": _money(inventory.tax_total), "duty": _money(inventory.duty),
                                    "vat": _money(inventory.vat), "ct": _money(inventory.consumption_tax)}))
    if inventory is not None and inventory.invt_no:
        from kuajing.tax.models import TaxBill

        for bill in session.scalars(select(TaxBill).where(TaxBill.invt_no == inventory.invt_no)):
            title = {"2": "Tax bill {tax_no} of {amount} summarised for payment",
                     "3": "Tax bill {tax_no} of {amount} void"}.get(bill.status, "Tax bill {tax_no} of {amount} drawn")
            events.append(Event(at=bill.status_at or bill.created_at, kind="tax", title=title,
                                params={"tax_no": bill.tax_no, "amount": _money(bill.amount)}))
    tracking = None
    if docs["refund"]:
        tracking = session.scalars(select(ReturnTracking).where(
            ReturnTracking.refund_id.in_([r.id for r in docs["refund"]]))).first()
    if tracking is not None:
        for when, title in ((tracking.created_at, "Return filed"), (tracking.arrived_at, "Returned goods arrived"),
                            (tracking.sorted_at, "Sorted in the return centre"),
                            (tracking.finished_at, "Return finished"), (tracking.overdue_at, "Return overdue")):
            if when is not None:
                events.append(Event(at=when, kind="return", title=title, info=tracking.stage))
    events.sort(key=lambda e: (e.at, {"document": 0, "tax": 1, "receipt": 2, "return": 3}[e.kind]))
    source = inventory or (docs["order"][-1] if docs["order"] else None)
    buyer = {}
    if source is not None:
        buyer = {"name": mask_name(source.buyer_name), "id": mask(source.buyer_id_number)}
    return Timeline(order_no=order_no, ebp_code=ebp_code, documents=docs, inventory=inventory, tracking=tracking,
                    buyer=buyer, events=events)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def returns_of(*, session: Session, viewer: Viewer, overdue_only: bool = False, limit: int = 200) -> list[ReturnTracking]:
    """The viewer's tracked returns (overdue first)."""
    q = select(ReturnTracking)
    if not viewer.zone_wide:
        q = q.where(ReturnTracking.enterprise_id == (viewer.enterprise_id or -1))
    if overdue_only:
        q = q.where(ReturnTracking.overdue_at.is_not(None))
    return list(session.scalars(q.order_by(ReturnTracking.overdue_at.is_(None), ReturnTracking.arrive_by,
                                           ReturnTracking.id).limit(limit)))
