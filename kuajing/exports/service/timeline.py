"""Read side of the export pages (出口页面查询): the declaration lists with counts and a parcel's timeline.

Who sees what (as for import): zone-wide roles see every consignment; an enterprise sees one when it
transmitted one of its documents or is named on its order or list (platform, e-commerce enterprise,
producer, carrier, declaring agent) — then the whole timeline. Anyone else gets nothing (404).
Events: documents received (appType history), receipts (ours and customs'), arrival at the supervised
site (CEB507) and departure (CEB509) naming the waybill, no-invoice register entries of the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuajing.exports.models import (
    ExportArrival,
    ExportArrivalItem,
    ExportDeparture,
    ExportDepartureItem,
    ExportInventory,
    ExportInventoryCancel,
    ExportOrder,
    ExportPaymentReceipt,
    ExportRefund,
    ExportWaybill,
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

__all__ = ["DOC_TYPE", "PER_PAGE", "AmbiguousParcel", "Event", "InventoryPage", "Timeline", "Viewer", "inventories", "timeline",
           "viewer"]

DOC_TYPE = {"order": "CEB303", "receipt": "CEB403", "waybill": "CEB505", "inventory": "CEB603",
            "cancel": "CEB605", "refund": "CEB213", "arrival": "CEB507", "departure": "CEB509"}
#: parties named on an export list who see it (platform, e-commerce enterprise, producer, carrier, agent)
NAMED = ("agent_code", "ebc_code", "ebp_code", "owner_code", "logistics_code")


def _visible(v: Viewer):
    return visible(v, ExportInventory, NAMED)


def inventories(*, session: Session, viewer: Viewer, status: str | None = None, q: str | None = None,
                trade_mode: str | None = None, page: int = 1, where: list | None = None) -> InventoryPage:
    """The viewer's export lists, newest first, filtered by status / number / trade mode (and ``where``,
    further conditions on ExportInventory), with counts per status."""
    base = [c for c in (_visible(viewer),) if c is not None] + list(where or [])
    return inventory_page(session=session, model=ExportInventory, base=base, status=status, q=q,
                          trade_mode=trade_mode, page=page)


@dataclass
class Timeline:
    """A consignment's documents and events."""

    order_no: str
    documents: dict[str, list[Any]]
    inventory: ExportInventory | None
    register: list[Any]
    events: list[Event]


def _documents(session: Session, order_no: str, ebp_code: str | None) -> dict[str, list[Any]]:
    def by_order(model):
        q = select(model).where(model.order_no == order_no)
        if ebp_code:
            q = q.where(model.ebp_code == ebp_code)
        return list(session.scalars(q.order_by(model.id)))

    docs: dict[str, list[Any]] = {"order": by_order(ExportOrder), "receipt": by_order(ExportPaymentReceipt),
                                  "inventory": by_order(ExportInventory)}
    numbers = {i.logistics_no for i in docs["inventory"]}
    invt_nos = [i.invt_no for i in docs["inventory"] if i.invt_no]
    codes = {(i.logistics_code, i.logistics_no) for i in docs["inventory"]}
    docs["waybill"] = list(session.scalars(select(ExportWaybill).where(
        ExportWaybill.business_key.in_(sorted(f"{c}:{n}" for c, n in codes))))) if codes else []
    docs["cancel"] = list(session.scalars(select(ExportInventoryCancel).where(
        ExportInventoryCancel.invt_no.in_(invt_nos)))) if invt_nos else []
    docs["refund"] = list(session.scalars(select(ExportRefund).where(ExportRefund.invt_no.in_(invt_nos)))) \
        if invt_nos else []
    arrivals = select(ExportArrivalItem.arrival_id).where(ExportArrivalItem.logistics_no.in_(sorted(numbers)))
    departures = select(ExportDepartureItem.departure_id).where(
        ExportDepartureItem.logistics_no.in_(sorted(numbers)))
    docs["arrival"] = list(session.scalars(select(ExportArrival).where(ExportArrival.id.in_(arrivals))
                                           .order_by(ExportArrival.id))) if numbers else []
    docs["departure"] = list(session.scalars(select(ExportDeparture).where(ExportDeparture.id.in_(departures))
                                             .order_by(ExportDeparture.id))) if numbers else []
    return docs


def _may_see(v: Viewer, docs: dict[str, list[Any]]) -> bool:
    if v.zone_wide:
        return True
    for kind in ("order", "receipt", "waybill", "inventory"):
        for d in docs[kind]:
            if d.sender_enterprise_id == v.enterprise_id:
                return True
            named = {getattr(d, c, None) for c in NAMED}
            if named & v.codes:
                return True
    return False


def timeline(*, session: Session, viewer: Viewer, order_no: str, ebp_code: str | None = None) -> Timeline | None:
    """The consignment's documents and events, or None when there is none the viewer may see (without
    ``ebp_code``: the one platform's consignment of that number the viewer may see; :class:`AmbiguousParcel` if
    several)."""
    if ebp_code is None:
        ebp_code = parcel_platform(session=session, order_no=order_no,
                                   models=(ExportOrder, ExportPaymentReceipt, ExportInventory),
                                   may_see=lambda code: _may_see(viewer, _documents(session, order_no, code)))
    docs = _documents(session, order_no, ebp_code)
    if not any(docs[k] for k in ("order", "receipt", "inventory")) or not _may_see(viewer, docs):
        return None
    events, keys = document_events(docs, DOC_TYPE, without_history=("arrival", "departure"))
    for kind, title in (("arrival", "Arrived at the supervised site"), ("departure", "Left the country")):
        for d in docs[kind]:
            events.append(Event(at=d.created_at, kind="site", title=title, message_type=DOC_TYPE[kind],
                                info=d.business_key))
    events += receipt_events(session, [(t, k) for t, k in keys if t not in ("CEB507", "CEB509")])
    inventory = current_inventory(docs["inventory"])
    register: list[Any] = []
    if inventory is not None and inventory.invt_no:
        from kuajing.export_summary.models import RegisterEntry

        register = list(session.scalars(select(RegisterEntry).where(RegisterEntry.list_no == inventory.invt_no)
                                        .order_by(RegisterEntry.id)))
        for e in register:
            events.append(Event(at=e.recorded_at, kind="register", title="Entered in the no-invoice register (line {gnum})",
                                params={"gnum": e.gnum}, info=e.goods_name))
    sort_events(events, {"document": 0, "site": 1, "receipt": 2, "register": 3})
    return Timeline(order_no=order_no, documents=docs, inventory=inventory, register=register, events=events)
