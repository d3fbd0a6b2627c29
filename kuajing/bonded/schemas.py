"""Request and response shapes of the bonded ledger API (quantities as decimal strings)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from kuajing.textmodel import TextModel


class WarehouseCreate(TextModel):
    """Open an account book (账册)."""

    code: str = Field(min_length=1, max_length=32, description="账册编号")
    site_code: str = Field(min_length=1, max_length=32, description="监管场所代码")
    name: str = Field(min_length=1, max_length=200)
    customs_office: str | None = Field(default=None, max_length=4)
    operator_enterprise_id: int | None = Field(default=None, description="zone operators only; default: your enterprise")


class EntryLineIn(TextModel):
    """One first-line entry line."""

    document_no: str = Field(min_length=1, max_length=64, description="核注清单编号")
    line_no: int = Field(default=1, ge=1)
    item_no: str = Field(min_length=1, max_length=40)
    record_seq: str | None = Field(default=None, max_length=20)
    goods_name: str = Field(min_length=1, max_length=250)
    hs_code: str = Field(pattern=r"^\d{10}$")
    unit: str = Field(pattern=r"^\d{3}$")
    declared_unit: str = Field(pattern=r"^\d{3}$")
    quantity: Decimal = Field(gt=0)
    customs_status: Literal["bonded", "non_bonded", "pending_conversion"] = "bonded"


class EntriesIn(TextModel):
    """First-line entries, all or nothing."""

    lines: list[EntryLineIn] = Field(min_length=1, max_length=5000)


class ReserveIn(TextModel):
    """Reserve bonded stock for a declaration."""

    warehouse_code: str = Field(min_length=1, max_length=32)
    item_no: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0)
    reference: str = Field(min_length=1, max_length=100)


class RestoreIn(TextModel):
    """Put deducted goods back (approved return or cancellation after release)."""

    quantity: Decimal | None = Field(default=None, gt=0)
    restore_reference: str | None = Field(default=None, max_length=80)
    document_no: str | None = Field(default=None, max_length=64)


class ConvertIn(TextModel):
    """Convert stock between customs statuses."""

    item_no: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0)
    from_status: Literal["bonded", "non_bonded", "pending_conversion"]
    to_status: Literal["bonded", "non_bonded", "pending_conversion"]
    document_no: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=100)


class CustomsLineIn(TextModel):
    """A customs 核注清单 line for the reconciliation."""

    document_no: str = Field(min_length=1, max_length=64)
    item_no: str = Field(min_length=1, max_length=40)
    quantity: Decimal = Field(gt=0)
    direction: Literal["in", "out"]


class DocumentIn(TextModel):
    """A 核注清单 consolidating released lists' deductions (``deduct``) or their returns (``restore``)."""

    document_no: str = Field(min_length=1, max_length=64, description="核注清单编号")
    references: list[str] = Field(min_length=1, max_length=1000,
                                  description="the lists' reservation references (kuajing.imports: stock_reference/gnum)")
    kind: Literal["deduct", "restore"] = "deduct"


class ReconcileIn(TextModel):
    """The day and the customs lines of it."""

    business_date: date
    lines: list[CustomsLineIn] = Field(default_factory=list, max_length=20000)
