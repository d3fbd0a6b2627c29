"""Content snapshots of the quota and bonded ledgers (no ids, no times), to compare a batch with one call at a time."""

from __future__ import annotations

from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.bonded.models import BondedItem, BondedMovement, BondedReservation, BondedStock
from kuajing.quota.models import QuotaAccount, QuotaMovement, QuotaReservation


def quota_ledger(db) -> dict:
    """Accounts, reservations and movements (in id order) of the quota ledger, by content."""
    db.flush()
    owner = {a.id: (a.buyer_index, a.year) for a in db.scalars(select(QuotaAccount))}
    return {
        "accounts": sorted((a.buyer_index, a.year, a.used, a.reserved, a.customs_blocked)
                           for a in db.execute(select(QuotaAccount.buyer_index, QuotaAccount.year, QuotaAccount.used,
                                                      QuotaAccount.reserved, QuotaAccount.customs_blocked))),
        "reservations": [(r.reference, owner[r.account_id], r.amount, r.status, r.reason_code, r.limit_amount,
                          r.used_before, r.reserved_before, r.total_after, r.restored, r.single_item_full_rate)
                         for r in db.scalars(select(QuotaReservation).order_by(QuotaReservation.id)
                                             .execution_options(populate_existing=True))],
        "movements": [(owner[m.account_id], m.kind, m.amount, m.reference, m.movement_key)
                      for m in db.scalars(select(QuotaMovement).order_by(QuotaMovement.id))],
    }


def bonded_ledger(db) -> dict:
    """Stock rows, reservations and movements (in id order) of the bonded ledger, by content."""
    db.flush()
    item = {i.id: i.item_no for i in db.scalars(select(BondedItem))}
    stock = {s.id: (item[s.item_id], s.customs_status) for s in db.scalars(select(BondedStock))}
    return {
        "stock": sorted((item[s.item_id], s.customs_status, s.on_hand, s.reserved)
                        for s in db.scalars(select(BondedStock).execution_options(populate_existing=True))),
        "reservations": [(r.reference, stock[r.stock_id], r.quantity, r.restored, r.status, r.enterprise_id)
                         for r in db.scalars(select(BondedReservation).order_by(BondedReservation.id)
                                             .execution_options(populate_existing=True))],
        "movements": [(stock[m.stock_id], m.kind, m.quantity, m.reference, m.movement_key, m.document_no)
                      for m in db.scalars(select(BondedMovement).order_by(BondedMovement.id))],
    }


def audit_streams(db, *prefixes: str) -> dict[str, list[tuple]]:
    """The events of the streams starting with ``prefixes``, per stream in chain order, by content (no times)."""
    db.flush()
    out: dict[str, list[tuple]] = {}
    for e in db.scalars(select(AuditEvent).order_by(AuditEvent.stream, AuditEvent.seq)):
        if e.stream.startswith(prefixes):
            out.setdefault(e.stream, []).append((e.seq, e.action, e.subject_id, e.before_json, e.after_json))
    return out


def in_savepoint(db, run):
    """``run()`` inside a savepoint; returns its result and the ledgers as it left them, then undoes it."""
    sp = db.begin_nested()
    try:
        result = run()
        snap = {"quota": quota_ledger(db), "bonded": bonded_ledger(db), "audit": audit_streams(db, "quota:", "bonded:")}
    finally:
        sp.rollback()
    return result, snap
