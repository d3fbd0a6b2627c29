"""API shapes of the customs sandbox desk (``/api/v1/customs``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class LineRead(BaseModel):
    """One line of a declaration list (清单表体) as customs received it."""

    gnum: int
    gcode: str | None = None
    gname: str | None = None
    qty: str | None = None
    total_price: str | None = None


class ReceiptRead(BaseModel):
    """One message customs queued about a declaration (回执 / 电子税单)."""

    id: int
    message_type: str
    return_status: str | None
    created_at: datetime
    delivered: bool
    failed: bool
    attempts: int
    last_error: str | None = None


class DeclarationRead(BaseModel):
    """What customs knows about one received document (海关已接收单证)."""

    id: int
    message_type: str = Field(description="CEB311 order, CEB411 payment, CEB511 waybill, CEB621 list, …")
    business_key: str
    order_no: str | None
    logistics_no: str | None
    cop_no: str | None
    pre_no: str | None
    invt_no: str | None = Field(None, description="customs list number (清单编号), assigned on acceptance")
    ref_invt_no: str | None = Field(None, description="the list a cancellation or return names")
    enterprise_code: str | None
    customs_code: str | None
    status: str = Field(description="customs returnStatus (2, 120, 300, 500, 399, 800, 899, 100) or an error code")
    status_label: str
    status_info: str | None
    next_status: str | None
    due_at: datetime | None
    inspection: bool
    buyer_id_masked: str | None
    buyer_name_masked: str | None
    amount: Decimal | None = Field(None, description="value counted in the buyer's annual quota (CNY)")
    left_site: bool
    cancelled: bool
    returned: bool
    received_at: datetime
    released_at: datetime | None
    lines: list[LineRead] = []
    allowed_actions: list[str] = []
    receipts: list[ReceiptRead] | None = None


class DeclarationPage(BaseModel):
    """A page of received declarations, with the counts per status of the filtered set."""

    items: list[DeclarationRead]
    total: int
    counts: dict[str, int]


class ActionRequest(BaseModel):
    """An officer action; a rejection needs its reason (退单原因)."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=1000)


class AdvanceResult(BaseModel):
    """How many customs steps became due and were taken."""

    steps: int


class NationalPurchase(BaseModel):
    """A purchase on another platform, recorded in customs' national quota ledger (sandbox only)."""

    model_config = ConfigDict(extra="forbid")

    buyer_id_number: str = Field(..., pattern=r"^\d{17}[\dXx]$", description="buyer's 18-character ID number")
    year: int = Field(..., ge=2016, le=2100)
    amount: Decimal = Field(..., gt=0, le=Decimal("1000000"), decimal_places=2)


class NationalTotal(BaseModel):
    """The buyer's annual total at customs after the purchase (masked ID)."""

    buyer_id_masked: str
    year: int
    total: Decimal
