"""JSON shapes of import intake (进口申报) — snake_case; amounts as decimal strings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ORDER_EXAMPLE = {
    "records": [{
        "app_type": "1", "app_time": "20240601120000", "app_status": "2", "order_type": "I", "order_no": "ORD1",
        "ebp_code": "1502900001", "ebp_name": "包头示例平台", "ebc_code": "1502900001", "ebc_name": "包头示例平台",
        "goods_value": "280", "freight": "20", "discount": "0", "tax_total": "0", "actural_paid": "300",
        "currency": "142", "buyer_reg_no": "u1", "buyer_name": "张三", "buyer_telephone": "13800001234",
        "buyer_id_type": "1", "buyer_id_number": "150203199001051234", "pay_code": "1502900002",
        "pay_transaction_id": "PAY1", "consignee": "李四", "consignee_telephone": "13900005678",
        "consignee_address": "内蒙古包头市昆都仑区钢铁大街1号",
        "items": [{"gnum": 1, "item_name": "婴儿奶粉", "gmodel": "900g", "unit": "007", "qty": "1", "price": "280",
                   "total_price": "280", "currency": "142", "country": "502"}],
    }],
    "base_transfer": {"cop_code": "1502900001", "cop_name": "包头示例平台", "dxp_id": "DXPENT0000000001"},
}


class IntakeIn(BaseModel):
    """Records of one message: the official fields in snake_case (``items`` holds the lines)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ORDER_EXAMPLE]})

    records: list[dict[str, Any]] = Field(..., min_length=1, max_length=100,
                                          description="1 to 100 records; head fields plus `items` for the lines")
    base_transfer: dict[str, Any] | None = Field(None, description="transmitting company (BaseTransfer)")
    guid: str | None = Field(None, min_length=36, max_length=36, description="message guid (generated if absent)")


class VerdictOut(BaseModel):
    """The verdict on one record."""

    business_key: str
    status: str = Field(..., description="accepted | rejected")
    code: str = Field(..., description="receipt returnStatus: 2, or the negative (official) code")
    info: str
    replayed: bool = Field(False, description="the original receipt of an identical earlier record")
    cursor: int | None = Field(None, description="the receipt's position in GET /ceb/receipts")


class IntakeOut(BaseModel):
    """The answer to one message."""

    message_type: str
    receipt_type: str
    replayed: bool = Field(False, description="the whole message was a retry; nothing was stored")
    accepted: int
    rejected: int
    records: list[VerdictOut]


class ReceiptOut(BaseModel):
    """One receipt to pull."""

    cursor: int
    message_type: str
    declaration_type: str
    business_key: str
    return_status: str
    return_info: str
    return_time: str
    source: str = Field(..., description="platform (our verdict) or customs")
    receipt_xml: str


class ReceiptPageOut(BaseModel):
    """A page of receipts; continue with ``after=next_cursor``."""

    items: list[ReceiptOut]
    next_cursor: int
    more: bool


class DelegationIn(BaseModel):
    """Authorise another enterprise to transmit messages for yours (委托传输)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"agent_code": "1502900004", "message_types": ["CEB621"], "note": "报关行代理申报清单"}]})

    agent_code: str = Field(..., min_length=10, max_length=18, description="agent's customs code or USCC")
    message_types: list[str] = Field(..., min_length=1, max_length=7)
    valid_from: Any = Field(None, description="ISO timestamp; now if absent")
    valid_to: Any = Field(None, description="ISO timestamp; open-ended if absent")
    note: str | None = Field(None, max_length=500)


class DelegationOut(BaseModel):
    """A delegation."""

    id: int
    principal_enterprise_id: int
    agent_enterprise_id: int
    message_types: list[str]
    valid_from: str
    valid_to: str | None
    note: str | None
    created_by: str
    revoked_at: str | None


class DocumentOut(BaseModel):
    """An import document as shown (personal data masked)."""

    business_key: str
    message_type: str
    status: str
    status_label: str
    customs_status: str | None
    app_type: str
    app_history: list[dict[str, Any]]
    message_guid: str
    created_at: str
    updated_at: str
    fields: dict[str, Any] = Field(default_factory=dict, description="key columns, personal data masked")
    mismatches: list[dict[str, Any]] | None = None


class DocumentPageOut(BaseModel):
    """Documents of the caller's enterprise with counts per status."""

    items: list[DocumentOut]
    counts: dict[str, int]
    total: int
