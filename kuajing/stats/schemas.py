"""Request bodies of the statistics API (pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class SurveyIn(BaseModel):
    """One survey figure (企业调查填报): CBEC sales through a channel outside the CBEC customs codes."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: int | None = Field(None, ge=1, le=2**31 - 1, description="the reporting enterprise (enterprise "
                                      "callers: their own, may be omitted)")
    month: str = Field(..., pattern=MONTH, description="YYYY-MM")
    direction: str = Field(..., pattern="^(import|export)$")
    channel: str = Field(..., description="general_trade_0110 / express / postal / other")
    value_cny: str = Field(..., max_length=20, description="sales in CNY (estimate), decimal string")
    parcels: int | None = Field(None, ge=0, le=10**9)
    note: str | None = Field(None, max_length=1000)


class BrandIn(BaseModel):
    """A local brand (本土跨境电商品牌)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100)
    owner_enterprise_id: int = Field(..., ge=1, le=2**31 - 1)
    markets: list[str] = Field(default_factory=list, max_length=50, description="customs country codes")
    evidence: str = Field(..., min_length=1, max_length=2000, description="trademark no., store URL …")
    registered_on: str = Field(..., pattern=r"^\d{4}-\d{2}-\d{2}$")
