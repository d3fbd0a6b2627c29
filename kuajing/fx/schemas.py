"""Request bodies of the FX API (pydantic; snake_case; amounts as decimal strings or numbers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kuajing.fx.choices import AdvancerKind, FeeKind, PayeeKind

Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=2, ge=0)]
PositiveAmount = Annotated[Decimal, Field(max_digits=18, decimal_places=2, gt=0)]
EnterpriseId = Annotated[int | None, Field(None, ge=1, le=2_147_483_647,
                                           description="zone-wide roles: the enterprise acted for")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FeeIn(_In):
    """A fee netted against the proceeds abroad (轧差费用)."""

    kind: FeeKind = Field(description="storage / logistics / other_service (service payments) or tax (tax payments)")
    amount: Amount


class AllocationBody(_In):
    """The part of the export receipt that settles one order / list."""

    reference: str = Field(min_length=1, max_length=60, description="export order / booking note no. or list no.")
    amount: PositiveAmount


class ProceedsCreate(_In):
    """A receipt of export proceeds (收汇)."""

    enterprise_id: EnterpriseId = None
    bank_name: str = Field(min_length=1, max_length=100, description="receiving bank (收款银行)")
    bank_reference: str = Field(min_length=1, max_length=60, description="the bank's reference (银行业务编号), unique")
    received_on: date = Field(description="value date (Asia/Shanghai)")
    currency: str = Field(min_length=3, max_length=3, description="customs code (502) or ISO code (USD)")
    actual_amount: PositiveAmount = Field(description="amount actually received (实际收汇)")
    fees: list[FeeIn] = Field(default_factory=list, max_length=20, description="fees netted abroad (轧差)")
    export_amount: Amount | None = Field(None, description="optional check: actual + fees (还原出口收入)")
    payer_name: str = Field(min_length=1, max_length=200)
    payer_country: str | None = Field(None, min_length=3, max_length=3)
    evidence_ref: str | None = Field(None, max_length=200, description="transaction evidence (交易证明) reference")
    payee_kind: PayeeKind = PayeeKind.enterprise
    person_name: str | None = Field(None, max_length=50, description="individuals: name (stored encrypted)")
    person_id_number: str | None = Field(None, max_length=30, description="individuals: ID number (encrypted)")
    allocations: list[AllocationBody] = Field(default_factory=list, max_length=500)
    note: str | None = Field(None, max_length=500)


class AdvanceCreate(_In):
    """An advance (代垫) of overseas costs for a client."""

    enterprise_id: EnterpriseId = None
    advancer_kind: AdvancerKind
    client_name: str = Field(min_length=1, max_length=200)
    client_code: str | None = Field(None, max_length=18)
    affiliated: bool = Field(description="whether the client is an affiliated enterprise (关联企业)")
    purpose: FeeKind
    currency: str = Field(min_length=3, max_length=3)
    amount: PositiveAmount
    advanced_on: date
    repaid_on: date | None = None
    note: str | None = Field(None, max_length=500)


class RepayIn(_In):
    """The repayment date of an advance."""

    repaid_on: date


class ConsentCreate(_In):
    """Consent for a bank / insurer to see the data behind one receipt (``proceeds_id``) or all of them."""

    enterprise_id: EnterpriseId = None
    bank_enterprise_id: int = Field(ge=1, le=2_147_483_647, description="the bank's registry id (role finance)")
    proceeds_id: int | None = Field(None, ge=1, le=2**53)
    purpose: str = Field("凭交易电子信息办理结汇", min_length=1, max_length=200)


class QuotaQuery(_In):
    """Whose facilitation quota to show (the ID number is never put in a URL)."""

    id_number: str = Field(min_length=6, max_length=30)
    year: int = Field(ge=2016, le=2100)
