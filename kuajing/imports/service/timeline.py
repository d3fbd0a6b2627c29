"""Read side of the import pages (进口页面查询): parcel search, a parcel's timeline, the declaration list.

Who sees what: zone-wide roles see every parcel; an enterprise sees a parcel when it transmitted one of
its documents or is named on its order or list (platform, seller, payment company, carrier, declaring
agent) — then it sees the parcel's whole timeline, with personal data masked. Anyone else gets nothing
(the pages answer 404, so a parcel's existence does not leak).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kuajing.db.types import mask, mask_name
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
from kuajing.imports.service.readside import (
    PER_PAGE,
    AmbiguousParcel,
    Event,
    InventoryPage,
    Viewer,
    current_inventory,
    document_events,
    inventory_page,
    parcel_platform,
    receipt_events,
    sort_events,
    viewer,
    visible,
)

__all__ = ["PER_PAGE", "Event", "InventoryPage", "ParcelHit", "Timeline", "Viewer", "inventories", "may_see",
           "returns_of", "search", "timeline", "viewer"]


def _inventory_visible(v: Viewer):
    return visible(v, Inventory, ("agent_code", "ebc_code", "ebp_code", "logistics_code"))


# --- declaration list -----------------------------------------------------------------------------------


def inventories(*, session: Session, viewer: Viewer, status: str | None = None, q: str | None = None,
                trade_mode: str | None = None, page: int = 1) -> InventoryPage:
    """The viewer's declaration lists, newest first, filtered by status / number / trade mode, with counts."""
    base = [c for c in (_inventory_visible(viewer),) if c is not None]
    return inventory_page(session=session, model=Inventory, base=base, status=status, q=q, trade_mode=trade_mode,
                          page=page)


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
        if not any(k[0] == w.order_no for k in keys):  # a waybill names no platform: the parcels of its order
            try:
                code = parcel_platform(session=session, order_no=w.order_no, models=_PLATFORM_DOCS,
                                       may_see=lambda c, o=w.order_no: may_see(session, viewer, o, c))
                codes = [code]
            except AmbiguousParcel as exc:
                codes = list(exc.codes)
            for code in codes:
                keys[(w.order_no, code)] = ParcelHit(w.order_no, code, None, w.logistics_no)
    return [hit for (order_no, ebp), hit in keys.items() if may_see(session, viewer, order_no, ebp)][:limit]


# --- timeline -------------------------------------------------------------------------------------------


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


def _other_platforms(session: Session, order_no: str, ebp_code: str) -> bool:
    """Whether a platform other than ``ebp_code`` has documents of the order number ``order_no``."""
    return any(session.scalars(select(model.id).where(model.order_no == order_no, model.ebp_code != ebp_code)
                               .limit(1)).first() is not None for model in _PLATFORM_DOCS)


#: the documents that name the parcel's platform (a waybill does not)
_PLATFORM_DOCS = (ImportOrder, ImportPayment, Inventory, InventoryCancel, InventoryRefund)


def _documents(session: Session, order_no: str, ebp_code: str | None) -> dict[str, list[Any]]:
    def by_order(model):
        q = select(model).where(model.order_no == order_no)
        if ebp_code and hasattr(model, "ebp_code"):
            q = q.where(model.ebp_code == ebp_code)
        return list(session.scalars(q.order_by(model.id)))

    inventories = by_order(Inventory)
    waybills = by_order(ImportWaybill)  # a waybill names no platform: the list's own, when the platform has a list
    if ebp_code and inventories:
        named = {i.logistics_no for i in inventories}
        waybills = [w for w in waybills if w.logistics_no in named]
    elif ebp_code and waybills and _other_platforms(session, order_no, ebp_code):
        waybills = []  # no list says whose it is, and another platform's parcel has this number: shown to neither
    numbers = {w.logistics_no for w in waybills}
    statuses = list(session.scalars(select(ImportWaybillStatus).where(
        ImportWaybillStatus.logistics_no.in_(numbers)).order_by(ImportWaybillStatus.id))) if numbers else []
    return {"order": by_order(ImportOrder), "payment": by_order(ImportPayment), "waybill": waybills,
            "waybill_status": statuses, "inventory": inventories, "cancel": by_order(InventoryCancel),
            "refund": by_order(InventoryRefund)}


_DOC_TYPE = {"order": "CEB311", "payment": "CEB411", "waybill": "CEB511", "waybill_status": "CEB513",
             "inventory": "CEB621", "cancel": "CEB623", "refund": "CEB625"}


def _classify(r: Receipt) -> tuple[str, str]:
    if r.message_type == "CEB816":
        return "tax", "E-tax bill"
    if r.message_type == "CEB818":
        return "tax", "Tax status"
    return "receipt", "Receipt"


def timeline(*, session: Session, viewer: Viewer, order_no: str, ebp_code: str | None = None) -> Timeline | None:
    """The parcel's documents and events, or None when there is none the viewer may see (without ``ebp_code``:
    the one platform's parcel of that number the viewer may see; :class:`AmbiguousParcel` if several)."""
    if ebp_code is None:
        ebp_code = parcel_platform(session=session, order_no=order_no, models=_PLATFORM_DOCS,
                                   may_see=lambda code: may_see(session, viewer, order_no, code))
    docs = _documents(session, order_no, ebp_code)
    if not any(docs.values()) or not may_see(session, viewer, order_no, ebp_code):
        return None
    events, keys = document_events(docs, _DOC_TYPE)
    events += receipt_events(session, keys, classify=_classify)
    inventory = current_inventory(docs["inventory"])
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
            if bill.status == "1" and not bill.covered:  # customs issued it; the guarantee could not cover it yet
                title = "Tax bill {tax_no} of {amount} issued, waiting for the guarantee to cover it"
            elif bill.status == "2" and bill.paid_on is not None:
                title = "Tax bill {tax_no} of {amount} paid"
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
    sort_events(events, {"document": 0, "tax": 1, "receipt": 2, "return": 3})
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
