"""JSON shapes of risk prevention and the data-export log (snake_case)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AlertActionIn(BaseModel):
    """A workflow step: investigate, or close with a note (outcome confirmed or dismissed)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000, description="required to close")
    outcome: Literal["confirmed", "dismissed"] | None = Field(None, description="closing: confirmed (default) or dismissed")


class BlacklistIn(BaseModel):
    """Blacklist an enterprise or a buyer ID number (exactly one), with the reason."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: int | None = Field(None, ge=1, le=2_147_483_647)
    buyer_id_number: str | None = Field(None, min_length=6, max_length=30,
                                        description="stored only as a keyed hash and a masked form")
    reason: str = Field(..., min_length=1, max_length=2000)


class BlacklistRemoveIn(BaseModel):
    """Take an entry off the blacklist, with the reason."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., min_length=1, max_length=2000)


class TransferIn(BaseModel):
    """A transfer of personal data abroad (个人信息出境), logged with its legal basis."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(..., min_length=1, max_length=100, description="idempotency key, e.g. order no + purpose")
    recipient: str = Field(..., min_length=1, max_length=200, description="overseas recipient (境外接收方)")
    country: str = Field(..., min_length=3, max_length=3, description="customs country code, e.g. 304 Germany")
    categories: list[str] = Field(..., min_length=1, max_length=10,
                                  description="name, phone, address, id_number, order, payment, email")
    legal_basis: str = Field(..., max_length=24, description="contract_necessity, hr_management, emergency "
                             "(exempt), standard_contract, certification, security_assessment")
    purpose: str = Field(..., min_length=1, max_length=300)
    individuals: list[str] = Field(..., min_length=1, max_length=10000,
                                   description="ID numbers or phones of the people concerned (hashed, never stored)")
    sensitive: bool | None = Field(None, description="sensitive personal information (also implied by id_number, payment)")
    transferred_at: datetime | None = None
    enterprise_id: int | None = Field(None, ge=1, le=2_147_483_647)
