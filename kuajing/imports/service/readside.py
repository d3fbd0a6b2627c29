"""Shared read side of the declaration pages (申报跟踪查询), import and export alike.

Both the import pages (``kuajing.imports.service.timeline``) and the export pages
(``kuajing.exports.service.timeline``) show the same things the same way: who may see a consignment (a
:class:`Viewer`: zone-wide, or one enterprise with its customs code and USCC), a page of declaration
lists (申报清单) with counts per status, and a timeline of :class:`Event` built from the documents'
appType history and the receipts (回执) stored for them. What differs — which tables, which parties are
named on a list, which extra events (tax, returns, arrival / departure, register) — stays in each
domain's module; this one holds only the common part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kuajing.enterprises.models import Enterprise
from kuajing.imports.models import Receipt

PER_PAGE = 50
#: appType of a document (1 new, 2 change, 3 delete) → English msgid of its timeline line
APP_TYPE_TITLES = {"1": "Received (new)", "2": "Received (change)", "3": "Received (delete)"}
#: columns of a declaration list searched by the number box (order, waybill, list, pre-entry, company number)
NUMBER_COLUMNS = ("order_no", "logistics_no", "invt_no", "pre_no", "cop_no")


@dataclass(frozen=True)
class Viewer:
    """Whose eyes: every consignment (zone-wide) or those of one enterprise (its id and codes)."""

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


def visible(v: Viewer, model, named: Sequence[str]):
    """The rows of ``model`` the viewer may see: its own (sender) or naming one of its codes in ``named``
    columns; None for zone-wide viewers (everything)."""
    if v.zone_wide:
        return None
    conds = [model.sender_enterprise_id == (v.enterprise_id or -1)]
    if v.codes:
        conds += [getattr(model, column).in_(v.codes) for column in named]
    return or_(*conds)


@dataclass
class InventoryPage:
    """A page of declaration lists with counts per status."""

    rows: list[Any]
    counts: dict[str, int]
    total: int  # rows matching the filter
    page: int
    pages: int


def inventory_page(*, session: Session, model, base: list, status: str | None = None, q: str | None = None,
                   trade_mode: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> InventoryPage:
    """Lists of ``model`` matching ``base`` conditions, newest first, filtered by status / number / trade mode,
    with counts per status (counted before the status filter, so the tabs show every status)."""
    base = list(base)
    if q:
        base.append(or_(*(getattr(model, column) == q for column in NUMBER_COLUMNS)))
    if trade_mode:
        base.append(model.trade_mode == trade_mode)
    counts = dict(session.execute(select(model.status, func.count()).where(*base).group_by(model.status)).all())
    total = counts.get(status, 0) if status else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    where = [*base, model.status == status] if status else base
    rows = list(session.scalars(select(model).where(*where).order_by(model.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    return InventoryPage(rows=rows, counts=counts, total=total, page=page, pages=pages)


@dataclass
class Event:
    """One line of a timeline (``title`` is an English msgid filled with ``params`` by the template)."""

    at: datetime
    kind: str  # document / receipt, and the domain's own: tax / return (import), site / register (export)
    title: str
    message_type: str | None = None
    code: str | None = None  # returnStatus of a receipt
    info: str | None = None  # untranslated detail (customs text, numbers)
    source: str | None = None  # platform / customs
    params: dict[str, Any] = field(default_factory=dict)


def document_events(docs: dict[str, list[Any]], doc_types: dict[str, str], *,
                    without_history: Iterable[str] = ()) -> tuple[list[Event], list[tuple[str, str]]]:
    """A "received" event per appType step of every document, and the (message type, business key) of each
    document (to find its receipts). Kinds in ``without_history`` give keys but no events."""
    skip = set(without_history)
    events: list[Event] = []
    keys: list[tuple[str, str]] = []
    for kind, rows in docs.items():
        mt = doc_types[kind]
        for d in rows:
            keys.append((mt, d.business_key))
            if kind in skip:
                continue
            for step in d.app_history or []:
                try:
                    when = datetime.fromisoformat(step["at"])
                except (KeyError, TypeError, ValueError):
                    when = d.created_at
                events.append(Event(at=when, kind="document", message_type=mt, info=d.business_key,
                                    title=APP_TYPE_TITLES.get(str(step.get("app_type")), APP_TYPE_TITLES["1"])))
    return events, keys


def _receipt(r: Receipt) -> tuple[str, str]:
    return "receipt", "Receipt"


def receipt_events(session: Session, keys: Iterable[tuple[str, str]], *,
                   classify: Callable[[Receipt], tuple[str, str]] = _receipt) -> list[Event]:
    """Events of the receipts (ours and customs') stored for the documents ``keys``; ``classify`` gives each
    receipt's (kind, title)."""
    conds = [(Receipt.declaration_type == t) & (Receipt.business_key == k) for t, k in keys]
    if not conds:
        return []
    events = []
    for r in session.scalars(select(Receipt).where(or_(*conds)).order_by(Receipt.id)):
        kind, title = classify(r)
        events.append(Event(at=r.returned_at, kind=kind, title=title, message_type=r.message_type,
                            code=r.return_status, info=r.return_info, source=r.source))
    return events


def current_inventory(rows: list[Any]):
    """The list a consignment is shown with: the newest one not deleted, else the newest (None without any)."""
    return next((i for i in reversed(rows) if i.status != "deleted"), None) or (rows[-1] if rows else None)


def sort_events(events: list[Event], order: dict[str, int]) -> list[Event]:
    """Oldest first; at the same instant by the domain's order of kinds."""
    events.sort(key=lambda e: (e.at, order[e.kind]))
    return events


class AmbiguousParcel(LookupError):
    """Several platforms' parcels share the order number and the viewer may see more than one: the caller
    must say which platform (``ebp``); ``codes`` are the platforms' codes the viewer may see."""

    def __init__(self, codes: list[str]):
        super().__init__(", ".join(codes))
        self.codes = codes


def parcel_platform(*, session: Session, order_no: str, models: Sequence[Any],
                    may_see: Callable[[str], bool]) -> str | None:
    """The platform (电商平台代码 ebpCode) of the parcel ``order_no`` when the caller named none.

    Order numbers are unique per platform only, so two platforms' parcels may share one; a timeline asked for by
    order number alone must not merge them (a party of one would see the other's documents). Returns the only
    platform whose documents carry the number, else the only one of them the viewer ``may_see``; ``None``
    when no document names a platform; raises :class:`AmbiguousParcel` when the viewer may see several.
    """
    codes: set[str] = set()
    for model in models:
        codes.update(c for c in session.scalars(select(model.ebp_code).where(model.order_no == order_no).distinct())
                     if c)
    if len(codes) <= 1:
        return next(iter(codes), None)
    seen = sorted(c for c in codes if may_see(c))
    if len(seen) > 1:
        raise AmbiguousParcel(seen)
    return seen[0] if seen else sorted(codes)[0]  # none visible: the caller's own check refuses it


#: the parties a cancellation or return names that must be the list's own (申报企业, 电商企业, 电商平台)
LIST_PARTIES = (("agent_code", "agentCode"), ("ebc_code", "ebcCode"), ("ebp_code", "ebpCode"))


def foreign_party(inventory: Any, head: Any) -> str | None:
    """The first party a cancellation / return request (CEB623/625, CEB605/213) names that is not the list's
    own (its official field name), or None. The sender is already checked against the parties the request
    names; this checks that those are the list's, so nobody files for another enterprise's list."""
    for attr, name in LIST_PARTIES:
        asked = getattr(head, attr, None)
        if asked is not None and hasattr(inventory, attr) and asked != getattr(inventory, attr):
            return name
    return None
