"""JSON shapes of the export API (出口) — snake_case; amounts as decimal strings.

Declarations reuse the import intake's shapes (``IntakeIn`` / ``IntakeOut`` / ``DocumentOut``): the
records run through the same ``accept`` pipeline.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXPORT_ORDER_EXAMPLE = {
    "records": [{
        "app_type": "1", "app_time": "20260301120000", "app_status": "2", "order_type": "E", "order_no": "EXO1",
        "ebp_code": "1502900001", "ebp_name": "包头示例平台", "ebc_code": "1502900001", "ebc_name": "包头示例平台",
        "goods_value": "200", "freight": "10", "currency": "142",
        "items": [{"gnum": 1, "item_no": "SKU1", "item_name": "羊绒衫", "unit": "011", "currency": "142",
                   "qty": "2", "price": "100", "total_price": "200"}],
    }],
}


class WarehouseIn(BaseModel):
    """An overseas warehouse (海外仓) to register."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "包头羊绒德国仓", "country": "304", "address": "Hamburg, Beispielstraße 1", "area_m2": "2500.00",
        "operator_name": "包头示例海外仓有限公司", "operator_code": "1502900009", "ownership_share": "100",
        "services": ["storage", "fulfilment", "returns"], "public_certified": False}]})

    name: str = Field(..., max_length=100, description="海外仓名称 (the ebpName of its booking notes)")
    country: str = Field(..., max_length=3, description="customs country code (所在国家/地区)")
    address: str = Field(..., max_length=500)
    area_m2: Any = Field(..., description="面积 m², decimal string")
    operator_name: str = Field(..., max_length=200, description="运营企业")
    operator_code: str | None = Field(None, max_length=18)
    ownership_share: Any = Field(..., description="持股/自有比例 % (0–100)")
    services: list[str] = Field(default_factory=list, description="storage, fulfilment, returns, relabelling, "
                                                                   "after_sales, customs_clearance")
    public_certified: bool = Field(False, description="公共海外仓 / 认定: readable by anyone; set by the zone "
                                                      "platform operator only (policy-rules §8)")
    enterprise_id: int | None = Field(None, description="zone operators register for an enterprise")


class WarehousePatch(BaseModel):
    """Fields of an overseas warehouse to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=3)
    address: str | None = Field(None, max_length=500)
    area_m2: Any = None
    operator_name: str | None = Field(None, max_length=200)
    operator_code: str | None = Field(None, max_length=18)
    ownership_share: Any = None
    services: list[str] | None = None
    public_certified: bool | None = Field(None, description="公共海外仓认定: the zone platform operator only")
    status: str | None = Field(None, description="active | inactive")


class WarehouseOut(BaseModel):
    """An overseas warehouse."""

    id: int
    enterprise_id: int | None = Field(None, description="omitted in the public listing")
    name: str
    country: str
    country_name: str | None
    address: str
    area_m2: str
    operator_name: str
    operator_code: str | None
    ownership_share: str
    services: list[str]
    public_certified: bool
    status: str
    booking_notes: int = Field(0, description="booking notes (orderType W) linked to it")


class WarehousePageOut(BaseModel):
    """Overseas warehouses."""

    items: list[WarehouseOut]
    total: int


class DeclarationIn(BaseModel):
    """Prepare the customs declaration (报关单数据包) of a 9710/9810 order that may not go on a list."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"order_business_key": "1502900001:EXO1", "licence": False}]})

    order_business_key: str = Field(..., max_length=160, description="the order's business key ebpCode:orderNo")
    licence: bool = Field(False, description="涉证")
    inspection: bool = Field(False, description="涉检")
    tax: bool = Field(False, description="涉税")


class DeclarationMoveIn(BaseModel):
    """Track the declaration in the other customs system."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(..., description="filed | released | rejected | cancelled")
    entry_id: str | None = Field(None, max_length=18, description="报关单号 (when filed)")
    note: str | None = Field(None, max_length=500)


class DeclarationOut(BaseModel):
    """A prepared customs declaration with its data package."""

    id: int
    order_no: str
    ebp_code: str
    order_type: str
    trade_mode: str
    attachment_type: str
    attachment_no: str
    value_cny: str
    reasons: list[str]
    status: str
    status_label: str
    entry_id: str | None
    note: str | None
    package: dict[str, Any]
    created_at: str
    updated_at: str


class DeclarationPageOut(BaseModel):
    """Customs declarations with counts per status."""

    items: list[DeclarationOut]
    counts: dict[str, int]
    total: int
