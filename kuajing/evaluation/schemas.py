"""JSON shapes of the evaluation (snake_case; values and weights as decimal strings)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PERIOD = r"^\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"


class EntryIn(BaseModel):
    """A value of an entered indicator for a period and a unit, with its evidence (填报)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(..., pattern=PERIOD, examples=["2026", "2026-H1", "2026-Q2", "2026-03"])
    unit_kind: Literal["district", "park"]
    unit_code: str = Field(..., min_length=1, max_length=40)
    indicator: str = Field(..., min_length=1, max_length=40)
    value: str = Field(..., max_length=20, description="decimal, at least 0, at most two places")
    evidence: str = Field(..., min_length=1, max_length=2000, description="document number, title or link")


class WeightIn(BaseModel):
    """An indicator's weight from a date on (effective-dated)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(..., min_length=1, max_length=40)
    weight: str = Field(..., max_length=10, description="0–100, at most two places")
    valid_from: date


class PublishIn(BaseModel):
    """Publish a period's evaluation as an immutable snapshot."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(..., pattern=PERIOD)
    unit_kind: Literal["district", "park"]
    reason: str | None = Field(None, max_length=2000, description="required for a second or later revision")
