"""JSON shapes of the read-only rules API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel


class RuleValueRead(BaseModel):
    """A rule's value on a date with its citation."""

    name: str
    value: Any
    unit: str
    citation: str
    valid_from: date
    valid_to: date | None
    section: str
    confidence: str


class RuleRead(BaseModel):
    """A rule with every period."""

    name: str
    description: str
    unit: str
    section: str
    periods: list[RuleValueRead]
