"""Request bodies of the rebate API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kuajing.rebate.choices import BusinessType, ClaimStatus, RebateClass

EnterpriseId = Annotated[int | None, Field(None, ge=1, le=2_147_483_647,
                                           description="zone-wide roles: the enterprise acted for")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClassIn(_In):
    """An enterprise's rebate class from a date (the tax office's yearly rating)."""

    enterprise_id: EnterpriseId = None
    rebate_class: RebateClass
    valid_from: date
    basis: str | None = Field(None, max_length=200, description="the tax office's decision reference")


class ClaimCreate(_In):
    """A claim the tax office accepted (受理)."""

    enterprise_id: EnterpriseId = None
    claim_no: str = Field(min_length=1, max_length=40)
    accepted_on: date = Field(description="acceptance date: the statutory clock starts (Asia/Shanghai)")
    amount: Decimal = Field(max_digits=18, decimal_places=2, gt=0, description="rebate claimed, CNY")
    business_type: BusinessType = BusinessType.normal
    booking_note: str | None = Field(None, max_length=60, description="HWC-YT: the 9810 booking note number")
    note: str | None = Field(None, max_length=500)


class DecisionIn(_In):
    """The tax office's decision."""

    status: ClaimStatus = Field(description="refunded or rejected")
    decided_on: date


class SaleIn(_In):
    """Goods of a pre-refund sold from the overseas warehouse."""

    sold_on: date
    value: Decimal = Field(max_digits=18, decimal_places=2, gt=0, description="declared value of the goods sold, CNY")
    reference: str | None = Field(None, max_length=60)
