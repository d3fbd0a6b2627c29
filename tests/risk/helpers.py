"""Helpers of the risk tests: hand-built facts (the rules' inputs) and logged-in government users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kuajing.db.types import blind_index, mask
from kuajing.risk.models import ParcelFact, PriceSample
from kuajing.risk.service import goods_key, local_date
from tests.enterprises.helpers import login, make_user

BUYER = "150203199001051234"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
_seq = iter(range(1, 10**6))


def fact(db, *, at: datetime = T0, buyer: str | None = BUYER, consignee: str = "李四|包头", phone: str = "13900005678",
         goods: str = "奶粉", enterprise_id: int | None = None, district: str | None = None,
         prices: tuple[tuple[str, str], ...] = (), direction: str = "import") -> ParcelFact:
    """A list's fact as the risk job would write it (``prices``: (HS code, unit price) per line)."""
    n = next(_seq)
    row = ParcelFact(direction=direction, inventory_id=n, reference=f"EBP:ORD{n}", enterprise_id=enterprise_id,
                     district=district, buyer_index=blind_index(buyer) if buyer else None,
                     buyer_masked=mask(buyer) if buyer else None, consignee_index=blind_index(consignee),
                     phone_index=blind_index(phone), goods_key=goods_key([("1901101000", goods)]), declared_at=at)
    db.add(row)
    db.flush()
    for gnum, (code, price) in enumerate(prices, start=1):
        db.add(PriceSample(fact_id=row.id, gnum=gnum, heading=code[:4], currency="142", unit_price=Decimal(price),
                           declared_on=local_date(at)))
    db.flush()
    return row


def hours(h: float) -> datetime:
    """T0 + ``h`` hours."""
    return T0 + timedelta(hours=h)


def gov(db, role: str = "commerce_supervisor", username: str = "supervisor"):
    """A logged-in government user (committed): cookies and CSRF header for the client."""
    uid = make_user(db, username=username, roles=[role])
    db.commit()
    session = login(db, user_id=uid)
    db.commit()
    return session
