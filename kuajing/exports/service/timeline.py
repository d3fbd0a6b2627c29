"""Read side of the export pages (出口页面查询): the declaration lists with counts and a parcel's timeline.

Who sees what (as for import): zone-wide roles see every consignment; an enterprise sees one when it
transmitted one of its documents or is named on its order or list (platform, e-commerce enterprise,
producer, carrier, declaring agent) — then the whole timeline. Anyone else gets nothing (404).
Events: documents received (appType history), receipts (ours and customs'), arrival at the supervised
site (CEB507) and departure (CEB509) naming the waybill, no-invoice register entries of the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kuajing.enterprises.models import Enterprise
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
from kuajing.imports.models import Receipt

PER_PAGE = 50
DOC_TYPE = {"order": "CEB303", "receipt": "CEB403", "waybill": "CEB505", "inventory": "CEB603",
            "cancel": "CEB605", "refund": "CEB213", "arrival": "CEB507", "departure": "CEB509"}
_APP_TYPE = {"1": "Received (new)", "2": "Received (change)", "3": "Received (delete)"}


@dataclass(frozen=True)
class Viewer:
    """Every consignment (zone-wide) or those of one enterprise (its id and codes)."""

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


def _visible(v: Viewer):
    if v.zone_wide:
        return None
    conds = [ExportInventory.sender_enterprise_id == (v.enterprise_id or -1)]
    if v.codes:
        conds += [ExportInventory.agent_code.in_(v.codes), ExportInventory.ebc_code.in_(v.codes),
                  ExportInventory.ebp_code.in_(v.codes), ExportInventory.owner_code.in_(v.codes),
                  ExportInventory.logistics_code.in_(v.codes)]
    return or_(*conds)


@dataclass
class InventoryPage:
    """A page of export lists with counts per status."""

    rows: list[ExportInventory]
    counts: dict[str, int]
    total: int
    page: int
    pages: int


def inventories(*, session: Session, viewer: Viewer, status: str | None = None, q: str | None = None,
                trade_mode: str | None = None, page: int = 1) -> InventoryPage:
    """The viewer's export lists, newest first, filtered by status / number / trade mode, with counts."""
    base = [c for c in (_visible(viewer),) if c is not None]
    if q:
        base.append(or_(ExportInventory.order_no == q, ExportInventory.logistics_no == q,
                        ExportInventory.invt_no == q, ExportInventory.pre_no == q, ExportInventory.cop_no == q))
    if trade_mode:
        base.append(ExportInventory.trade_mode == trade_mode)
    counts = dict(session.execute(select(ExportInventory.status, func.count()).where(*base)
                                  .group_by(ExportInventory.status)).all())
    total = counts.get(status, 0) if status else sum(counts.values())
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    where = [*base, ExportInventory.status == status] if status else base
    rows = list(session.scalars(select(ExportInventory).where(*where).order_by(ExportInventory.id.desc())
                                .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return InventoryPage(rows=rows, counts=counts, total=total, page=page, pages=pages)


@dataclass
class Event:
    """One line of the timeline (title is an English msgid with ``params``)."""

    at: datetime
    kind: str  # document / receipt / site / register
    title: str
    message_type: str | None = None
    code: str | None = None
    info: str | None = None
    source: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


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
            named = {getattr(d, c, None) for c in ("ebp_code", "ebc_code", "agent_code", "owner_code",
                                                   "logistics_code")}
            if named & v.codes:
                return True
    return False


def timeline(*, session: Session, viewer: Viewer, order_no: str, ebp_code: str | None = None) -> Timeline | None:
    """The consignment's documents and events, or None when there is none the viewer may see."""
    docs = _documents(session, order_no, ebp_code)
    if not any(docs[k] for k in ("order", "receipt", "inventory")) or not _may_see(viewer, docs):
        return None
    events: list[Event] = []
    keys: list[tuple[str, str]] = []
    for kind, rows in docs.items():
        mt = DOC_TYPE[kind]
        for d in rows:
            keys.append((mt, d.business_key))
            if kind in ("arrival", "departure"):
                continue
            for step in d.app_history or []:
                try:
                    when = datetime.fromisoformat(step["at"])
                except (KeyError, TypeError, ValueError):
                    when = d.created_at
                events.append(Event(at=when, kind="document", message_type=mt, info=d.business_key,
                                    title=_APP_TYPE.get(str(step.get("app_type")), "Received (new)")))
    for kind, title in (("arrival", "Arrived at the supervised site"), ("departure", "Left the country")):
        for d in docs[kind]:
            events.append(Event(at=d.created_at, kind="site", title=title, message_type=DOC_TYPE[kind],
                                info=d.business_key))
    if keys:
        conds = [(Receipt.declaration_type == t) & (Receipt.business_key == k) for t, k in keys
                 if t not in ("CEB507", "CEB509")]
        for r in session.scalars(select(Receipt).where(or_(*conds)).order_by(Receipt.id)) if conds else []:
            events.append(Event(at=r.returned_at, kind="receipt", title="Receipt", message_type=r.message_type,
                                code=r.return_status, info=r.return_info, source=r.source))
    inventory = next((i for i in reversed(docs["inventory"]) if i.status != "deleted"), None) \
        or (docs["inventory"][-1] if docs["inventory"] else None)
    register: list[Any] = []
    if inventory is not None and inventory.invt_no:
        from kuajing.export_summary.models import RegisterEntry

        register = list(session.scalars(select(RegisterEntry).where(RegisterEntry.list_no == inventory.invt_no)
                                        .order_by(RegisterEntry.id)))
        for e in register:
            events.append(Event(at=e.recorded_at, kind="register", title="Entered in the no-invoice register (line {gnum})",
                                params={"gnum": e.gnum}, info=e.goods_name))
    order = {"document": 0, "site": 1, "receipt": 2, "register": 3}
    events.sort(key=lambda e: (e.at, order[e.kind]))
    return Timeline(order_no=order_no, documents=docs, inventory=inventory, register=register, events=events)
