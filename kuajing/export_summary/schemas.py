"""JSON shapes of the monthly summary and the no-invoice register (snake_case; amounts as decimal strings)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MONTH = r"^\d{4}-\d{2}$"
MAX_AMOUNT = Decimal("9999999999999")


class ConfirmIn(BaseModel):
    """Confirm a month's summary in the wizard (确认汇总)."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: int | None = Field(None, ge=1, le=2_147_483_647, description="zone-wide callers: whose summary")
    month: str = Field(..., pattern=MONTH, description="release month, YYYY-MM (Asia/Shanghai)", examples=["2026-01"])


class ModeIn(BaseModel):
    """Choose summary declaration or summary statistics from the first day of a month on."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: int | None = Field(None, ge=1, le=2_147_483_647)
    mode: Literal["declaration", "statistics"]
    effective_from: date = Field(..., description="first day of a month")


class CorrectionIn(BaseModel):
    """A correction of a register entry (更正登记): a new entry referring to the original; omitted fields keep
    the original's value. ``reference`` makes retries safe."""

    model_config = ConfigDict(extra="forbid")

    original_entry_id: int = Field(..., ge=1, le=2**53)
    reference: str = Field(..., min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:\-]+$")
    reason: str = Field(..., min_length=1, max_length=500)
    export_date: date | None = None
    goods_name: str | None = Field(None, min_length=1, max_length=250)
    unit: str | None = Field(None, pattern=r"^\d{3}$")
    quantity: Decimal | None = Field(None, gt=0, le=MAX_AMOUNT, decimal_places=5)
    unit_price: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, decimal_places=5)
    amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, decimal_places=5)


class EligibilityIn(BaseModel):
    """A line to check against the three conditions of 财税〔2018〕103号."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: int | None = Field(None, ge=1, le=2_147_483_647)
    hs_code: str = Field(..., pattern=r"^\d{10}$")
    declare_customs: str = Field(..., pattern=r"^\d{4}$")
    exit_customs: str = Field("", pattern=r"^(\d{4})?$")
    export_date: date
