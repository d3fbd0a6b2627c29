"""JSON shapes of the tax quote API (税款试算): rates as fractions, amounts as decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

MAX_AMOUNT = Decimal(1000000000)


class QuoteItemIn(BaseModel):
    """One goods line (商品项): its total value, the number of pieces, optional rates overriding the table."""

    model_config = ConfigDict(extra="forbid")

    hs_code: str | None = Field(None, pattern=r"^\d{10}$", description="10-digit HS code (商品编码)",
                                examples=["1901101000"])
    goods_value: Decimal = Field(..., ge=0, le=MAX_AMOUNT, decimal_places=2,
                                 description="line total in CNY: unit price × quantity (商品总价); 0 for a gift (赠品)")
    quantity: int = Field(..., ge=1, le=1_000_000, description="pieces (件数; the smallest indivisible unit)")
    vat_rate: Decimal | None = Field(None, ge=0, le=1, decimal_places=6, description="VAT rate, e.g. 0.13")
    consumption_tax_rate: Decimal | None = Field(None, ge=0, lt=1, decimal_places=6,
                                                 description="ad-valorem consumption-tax rate, e.g. 0.15")
    tariff_rate: Decimal | None = Field(None, ge=0, le=5, decimal_places=6,
                                        description="tariff (MFN) rate, used at full rate only")
    net_content: Decimal | None = Field(None, gt=0, le=1_000_000, decimal_places=3,
                                        description="ml or g per piece (净含量), for the cosmetics threshold")


class QuoteRequest(BaseModel):
    """A tax quote request (税款试算请求)."""

    model_config = ConfigDict(extra="forbid")

    declared_on: date = Field(..., description="declaration date (申报日期), Asia/Shanghai")
    buyer_id_number: str | None = Field(None, pattern=r"^\d{17}[\dXx]$",
                                        description="buyer's resident ID number (订购人身份证号); never echoed")
    prior_annual_total: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, decimal_places=2,
                                               description="what-if: the buyer's usage this calendar year before "
                                                           "this order; 0 when omitted (no ledger yet)")
    freight: Decimal = Field(Decimal(0), ge=0, le=MAX_AMOUNT, decimal_places=2, description="运费")
    insured_fee: Decimal = Field(Decimal(0), ge=0, le=MAX_AMOUNT, decimal_places=2, description="保费")
    items: list[QuoteItemIn] = Field(..., min_length=1, max_length=100)

    @field_validator("buyer_id_number")
    @classmethod
    def _resident_id(cls, value: str | None) -> str | None:
        """A number no ID card carries (kuajing.identity) is refused, as the quota lookup does."""
        from kuajing.identity import ID_NUMBER_MESSAGE, is_resident_id

        if value is not None and not is_resident_id(value):
            raise PydanticCustomError("quota_id_number_invalid", ID_NUMBER_MESSAGE)
        return value


class QuoteLine(BaseModel):
    """One line of the explanation (计税说明)."""

    text: str
    amount: str | None
    rule: str
    citation: str


class QuoteItemOut(BaseModel):
    """The taxes of one item."""

    index: int
    hs_code: str | None
    goods_value: str
    freight_share: str
    insurance_share: str
    taxable_price: str
    consumption_tax_rate: str
    duty: str
    consumption_tax: str
    vat: str
    total: str


class QuoteResponse(BaseModel):
    """The quote (税款试算结果): channel, reason, amounts and the line-by-line explanation."""

    declared_on: date
    channel: str  # cbec | cbec_full_rate | rejected
    reason_code: str | None = None
    reason: str | None = None
    taxable_price: str
    prior_annual_total: str
    annual_total_after: str
    duty: str
    vat: str
    consumption_tax: str
    total: str
    items: list[QuoteItemOut]
    lines: list[QuoteLine]


class HsRateOut(BaseModel):
    """An HS code's rates on a date (商品税率)."""

    hs_code: str
    name_zh: str
    name_en: str
    on: date
    vat_rate: str
    consumption_tax_rate: str
    ct_category: str
    ct_threshold: str | None
    ct_threshold_unit: str | None
    mfn_rate: str
    positive_list: bool
    remarks: str
    certainty: str
    source: str


# --- tax guarantee (税款担保) ------------------------------------------------------------------------


class GuaranteeOpen(BaseModel):
    """Open a withholding agent's guarantee (zone operator)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored

    agent_enterprise_id: int = Field(ge=1)
    guarantee_no: str | None = Field(default=None, max_length=64)
    alert_threshold: Decimal = Field(default=Decimal("0.00"), ge=0)
    cover_days: int = Field(default=7, ge=1, le=365)
    rate_window_days: int = Field(default=7, ge=1, le=365)


class GuaranteeSettings(BaseModel):
    """Change a guarantee's alert settings (unknown fields ignored: whether the caller may change this guarantee
    is decided first, in the handler, so another enterprise learns nothing from a 422)."""

    alert_threshold: Decimal | None = Field(default=None, ge=0)
    cover_days: int | None = Field(default=None, ge=1, le=365)
    rate_window_days: int | None = Field(default=None, ge=1, le=365)
    guarantee_no: str | None = Field(default=None, max_length=64)


class GuaranteeTopUp(BaseModel):
    """A top-up of the guarantee."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored

    amount: Decimal = Field(gt=0)
    reference: str = Field(min_length=1, max_length=64)


class GuaranteePayment(BaseModel):
    """The payment of a payment form (缴款书) of summarised e-tax bills."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored

    ent_duty_no: str = Field(min_length=1, max_length=50, description="the payment form number (缴款书编号, CEB818 entDutyNo)")
    amount: Decimal = Field(gt=0, description="the tax paid, CNY: the form's valid bills to the fen")
    paid_on: date = Field(description="the payment date (Asia/Shanghai), from the day the form was summarised to today")
    reference: str = Field(min_length=1, max_length=64, description="the bank's or e-payment's reference (支付凭证号)")

