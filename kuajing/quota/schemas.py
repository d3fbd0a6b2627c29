"""Request and response shapes of the quota lookup API (amounts as decimal strings, ID numbers masked)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class QuotaLookupRequest(BaseModel):
    """A buyer asks for their annual quota: the ID number AND the name must match."""

    buyer_id_number: str = Field(min_length=1, max_length=40, description="resident ID card number (18 characters)")
    buyer_name: str = Field(min_length=1, max_length=60, description="name as on the ID card")
    year: int = Field(ge=2016, le=2100, description="calendar year")


class QuotaMovementOut(BaseModel):
    """One movement of the ledger."""

    kind: str
    kind_label: str
    amount: str
    reference: str
    at: datetime


class QuotaLookupResponse(BaseModel):
    """The buyer's year, masked."""

    found: bool
    buyer_id_number: str  # masked 1502**********1234
    buyer_name: str  # masked 张*
    year: int
    limit: str
    used: str
    reserved: str
    remaining: str
    customs_blocked: bool
    movements: list[QuotaMovementOut]


class QuotaBlockReset(BaseModel):
    """A zone operator lifts a customs block on a buyer-year."""

    buyer_id_number: str = Field(min_length=1, max_length=40)
    year: int = Field(ge=2016, le=2100)
