"""The bank view (凭交易电子信息结汇, R6.1): an enterprise consents (grant / revoke, audited) to one bank or
insurer seeing the electronic transaction data behind its settlements; the bank gets one verifiable bundle per
receipt — receipt, orders, lists, payment receipts, departures — as canonical JSON with its SM3 digest and the
platform's signature. Without a live consent a bank sees nothing (404, as for a record that does not exist)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.audit.service import canonical_json, sm3_hex
from kuajing.db.base import utcnow
from kuajing.enterprises.models import Enterprise, EnterpriseRoleLink
from kuajing.exports.models import (
    ExportDeparture,
    ExportDepartureItem,
    ExportInventory,
    ExportOrder,
    ExportPaymentReceipt,
)
from kuajing.fx import errors
from kuajing.fx.models import FxConsent, FxProceeds
from kuajing.fx.service.proceeds import export_date, list_of_order, list_value, masked_person, stream

BUNDLE_FORMAT = "kuajing-fx-bundle/1"


def grant(*, session: Session, enterprise_id: int, bank_enterprise_id: int, proceeds_id: int | None, purpose: str,
          actor: str) -> FxConsent:
    """The enterprise lets a bank / insurer of the registry see its settlement data (one receipt or all)."""
    bank = session.get(Enterprise, bank_enterprise_id)
    is_finance = bank is not None and session.scalar(select(EnterpriseRoleLink.id).where(
        EnterpriseRoleLink.enterprise_id == bank_enterprise_id, EnterpriseRoleLink.role == "finance")) is not None
    if not is_finance or bank_enterprise_id == enterprise_id:
        raise errors.bank_unknown(bank_enterprise_id)
    if proceeds_id is not None:
        row = session.get(FxProceeds, proceeds_id)
        if row is None or row.enterprise_id != enterprise_id:
            raise errors.proceeds_not_found(proceeds_id)
    consent = FxConsent(enterprise_id=enterprise_id, bank_enterprise_id=bank_enterprise_id, proceeds_id=proceeds_id,
                        purpose=purpose, granted_by=actor)
    session.add(consent)
    session.flush()
    audit.record(session=session, action="fx:consent:grant", stream=stream(enterprise_id), actor=actor,
                 subject_id=f"consent:{consent.id}",
                 after={"bank_enterprise_id": bank_enterprise_id, "proceeds_id": proceeds_id, "purpose": purpose})
    return consent


def get_consent(*, session: Session, consent_id: int, enterprise_id: int | None) -> FxConsent:
    """A consent the enterprise granted."""
    row = session.get(FxConsent, consent_id)
    if row is None or (enterprise_id is not None and row.enterprise_id != enterprise_id):
        raise errors.consent_not_found(consent_id)
    return row


def revoke(*, session: Session, consent: FxConsent, actor: str) -> FxConsent:
    """Withdraw a consent: the bank's access stops with this transaction (audited)."""
    if consent.revoked_at is not None:
        raise errors.consent_revoked(consent.id)
    consent.revoked_at = utcnow()
    consent.revoked_by = actor
    session.flush()
    audit.record(session=session, action="fx:consent:revoke", stream=stream(consent.enterprise_id), actor=actor,
                 subject_id=f"consent:{consent.id}", after={"revoked_at": consent.revoked_at.isoformat()})
    return consent


def consents(*, session: Session, enterprise_id: int | None) -> list[FxConsent]:
    """Consents granted by the enterprise (None: all), newest first."""
    q = select(FxConsent).order_by(FxConsent.id.desc())
    if enterprise_id is not None:
        q = q.where(FxConsent.enterprise_id == enterprise_id)
    return list(session.scalars(q))


def _live(bank_enterprise_id: int):
    return select(FxConsent).where(FxConsent.bank_enterprise_id == bank_enterprise_id, FxConsent.revoked_at.is_(None))


def visible_to_bank(*, session: Session, bank_enterprise_id: int) -> list[FxProceeds]:
    """Receipts a bank may see: covered by a live consent (one receipt, or all of an enterprise's)."""
    live = list(session.scalars(_live(bank_enterprise_id)))
    if not live:
        return []
    whole = {c.enterprise_id for c in live if c.proceeds_id is None}
    single = {c.proceeds_id for c in live if c.proceeds_id is not None}
    conds = []
    if whole:
        conds.append(FxProceeds.enterprise_id.in_(whole))
    if single:
        conds.append(FxProceeds.id.in_(single))
    return list(session.scalars(select(FxProceeds).where(or_(*conds)).order_by(FxProceeds.received_on.desc())))


def consented(*, session: Session, bank_enterprise_id: int, proceeds_id: int) -> FxProceeds:
    """The receipt, if a live consent covers it for this bank; else 404 (the bank learns nothing)."""
    row = session.get(FxProceeds, proceeds_id)
    if row is not None:
        ok = session.scalar(_live(bank_enterprise_id).where(FxConsent.enterprise_id == row.enterprise_id).where(
            or_(FxConsent.proceeds_id.is_(None), FxConsent.proceeds_id == row.id)).limit(1))
        if ok is not None:
            return row
    raise errors.proceeds_not_found(proceeds_id)


def _order_json(o: ExportOrder) -> dict[str, Any]:
    return {"order_type": o.order_type, "order_no": o.order_no, "ebp_code": o.ebp_code, "ebp_name": o.ebp_name,
            "ebc_code": o.ebc_code, "ebc_name": o.ebc_name, "goods_value": str(o.goods_value), "freight": str(o.freight),
            "currency": o.currency, "status": o.status,
            "items": [{"gnum": i.gnum, "item_no": i.item_no, "item_name": i.item_name, "unit": i.unit,
                       "qty": str(i.qty), "price": str(i.price), "total_price": str(i.total_price),
                       "currency": i.currency} for i in o.items]}


def _list_json(inv: ExportInventory) -> dict[str, Any]:
    value, currency = list_value(inv)
    ex = export_date(inv)
    return {"invt_no": inv.invt_no, "pre_no": inv.pre_no, "order_no": inv.order_no, "ebp_code": inv.ebp_code,
            "trade_mode": inv.trade_mode, "status": inv.status, "ie_date": ex.isoformat() if ex else None,
            "released_at": inv.released_at.isoformat() if inv.released_at else None, "logistics_no": inv.logistics_no,
            "ebc_code": inv.ebc_code, "ebc_name": inv.ebc_name, "country": inv.country, "port_code": inv.port_code,
            "declared_value": str(value), "currency": currency,
            "items": [{"gnum": i.gnum, "gcode": i.gcode, "gname": i.gname, "qty": str(i.qty), "unit": i.unit,
                       "total_price": str(i.total_price), "currency": i.currency} for i in inv.items]}


def _departures(session: Session, inv: ExportInventory) -> list[dict[str, Any]]:
    ids = select(ExportDepartureItem.departure_id).where(ExportDepartureItem.logistics_no == inv.logistics_no)
    rows = session.scalars(select(ExportDeparture).where(ExportDeparture.id.in_(ids)).order_by(ExportDeparture.id))
    return [{"cop_no": d.cop_no, "logistics_code": d.logistics_code, "traf_mode": d.traf_mode, "traf_name": d.traf_name,
             "voyage_no": d.voyage_no, "bill_no": d.bill_no, "leave_time": d.leave_time,
             "logistics_nos": [i.logistics_no for i in d.items]} for d in rows]


def bundle_body(*, session: Session, row: FxProceeds) -> dict[str, Any]:
    """The electronic transaction data behind a receipt, as plain JSON data."""
    orders: dict[int, ExportOrder] = {}
    lists: dict[int, ExportInventory] = {}
    for a in row.allocations:
        if a.order_id:
            orders[a.order_id] = session.get(ExportOrder, a.order_id)
        if a.inventory_id:
            lists[a.inventory_id] = session.get(ExportInventory, a.inventory_id)
    for o in list(orders.values()):
        inv = list_of_order(session, o)
        if inv is not None:
            lists.setdefault(inv.id, inv)
    for inv in list(lists.values()):
        o = session.scalars(select(ExportOrder).where(ExportOrder.ebp_code == inv.ebp_code,
                                                      ExportOrder.order_no == inv.order_no)).first()
        if o is not None:
            orders.setdefault(o.id, o)
    receipts = []
    for o in orders.values():
        for pr in session.scalars(select(ExportPaymentReceipt).where(ExportPaymentReceipt.ebp_code == o.ebp_code,
                                                                     ExportPaymentReceipt.order_no == o.order_no)):
            receipts.append({"order_no": pr.order_no, "pay_code": pr.pay_code, "pay_name": pr.pay_name,
                             "pay_no": pr.pay_no, "charge": str(pr.charge), "currency": pr.currency,
                             "accounting_date": pr.accounting_date})
    ent = session.get(Enterprise, row.enterprise_id)
    return {
        "format": BUNDLE_FORMAT,
        "enterprise": {"id": ent.id, "name": ent.name_zh, "uscc": ent.uscc, "customs_code": ent.customs_code},
        "proceeds": {"id": row.id, "bank_name": row.bank_name, "bank_reference": row.bank_reference,
                     "received_on": row.received_on.isoformat(), "currency": row.currency,
                     "actual": str(row.actual_amount), "export_receipt": str(row.export_amount),
                     "service_payments": str(row.service_amount), "tax_payments": str(row.tax_amount),
                     "fees": row.fees, "payer_name": row.payer_name, "payer_country": row.payer_country,
                     "evidence_ref": row.evidence_ref, "payee_kind": row.payee_kind, "person": masked_person(row),
                     "quota_exempt": row.quota_exempt,
                     "allocations": [{"reference": a.reference, "amount": str(a.amount)} for a in row.allocations]},
        "orders": [_order_json(o) for o in sorted(orders.values(), key=lambda x: x.id)],
        "lists": [_list_json(i) for i in sorted(lists.values(), key=lambda x: x.id)],
        "payment_receipts": receipts,
        "departures": [d for inv in sorted(lists.values(), key=lambda x: x.id) for d in _departures(session, inv)],
    }


def bundle(*, session: Session, row: FxProceeds, bank_enterprise_id: int, actor: str, at: datetime | None = None
           ) -> dict[str, Any]:
    """The verifiable bundle: ``body`` (canonical JSON), its SM3 digest, and the platform's signature over the
    canonical bytes (base64) with the certificate to check it. Each delivery is audited in the enterprise's stream."""
    from kuajing.certificates.service import platform_certificate_pem, policy

    at = at or utcnow()
    body = bundle_body(session=session, row=row)
    body["issued_at"] = at.isoformat()
    body["issued_to"] = bank_enterprise_id
    data = canonical_json(body).encode("utf-8")
    signer = policy().signer
    signature = None
    if signer is not None:
        signature = {"algorithm": signer.algorithm.value, "value": base64.b64encode(signer.sign(data)).decode(),
                     "certificate_pem": (platform_certificate_pem() or b"").decode()}
    audit.record(session=session, action="fx:bundle:deliver", stream=stream(row.enterprise_id), actor=actor,
                 subject_id=f"proceeds:{row.id}", after={"bank_enterprise_id": bank_enterprise_id,
                                                         "sm3": sm3_hex(data)})
    return {"body": body, "canonical": data.decode("utf-8"), "sm3": sm3_hex(data), "signature": signature}
