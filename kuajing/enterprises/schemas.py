"""Pydantic shapes of the enterprises API (snake_case fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kuajing.textmodel import TextModel


class _In(TextModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnterpriseBase(_In):
    """Fields an enterprise files (企业备案信息); formats are checked by the service with field paths."""

    customs_code: str | None = Field(None, max_length=40, description="海关注册编码, 10 characters")
    dxp_id: str | None = Field(None, max_length=40, description="DXP node id, e.g. DXPENT0000012345")
    customs_office: str | None = Field(None, max_length=10, description="主管海关, 4-digit customs office code")
    name_zh: str | None = Field(None, max_length=200, description="企业中文名称")
    name_en: str | None = Field(None, max_length=200, description="English name")
    roles: list[str] | None = Field(None, max_length=8, description="企业类型: platform, ecommerce, logistics …")
    district: str | None = Field(None, max_length=12, description="旗县区 code of the zone")
    park: str | None = Field(None, max_length=40, description="园区 code of the zone")
    industry: str | None = Field(None, max_length=40, description="主营产业 code")
    contact_name: str | None = Field(None, max_length=50, description="联系人")
    contact_phone: str | None = Field(None, max_length=30, description="联系电话 (stored encrypted, shown masked)")
    address: str | None = Field(None, max_length=300, description="地址")


class EnterpriseCreate(EnterpriseBase):
    """A new draft filing: the USCC and the Chinese name are needed from the start."""

    uscc: str = Field(..., max_length=40, description="统一社会信用代码, 18 characters")
    name_zh: str = Field(..., max_length=200, description="企业中文名称")


class EnterpriseUpdate(EnterpriseBase):
    """Changes to a draft or returned filing (the USCC, key of the audit stream, cannot change)."""


class FieldReason(_In):
    """A reviewer's reason about one field (逐字段退回原因)."""

    path: str = Field(..., max_length=60)
    message: str = Field(..., min_length=1, max_length=500)


class ReviewRequest(_In):
    """The body of a review action; ``field_reasons`` only for ``return``."""

    reason: str | None = Field(None, max_length=2000)
    field_reasons: list[FieldReason] = Field(default_factory=list, max_length=30)


class EnterpriseRead(BaseModel):
    """A filing as its enterprise and the zone's staff see it (phone masked)."""

    id: int
    uscc: str
    customs_code: str | None
    dxp_id: str | None
    customs_office: str | None
    name_zh: str
    name_en: str | None
    roles: list[str]
    district: str | None
    park: str | None
    industry: str | None
    contact_name: str | None
    contact_phone_masked: str
    address: str | None
    status: str
    status_label: str
    review_note: str | None
    review_issues: list[dict[str, Any]]
    submitted_at: datetime | None
    approved_at: datetime | None
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str]


class EnterprisePublic(BaseModel):
    """The public fields of an approved enterprise (公示信息)."""

    id: int
    name_zh: str
    name_en: str | None
    roles: list[str]
    district: str | None
    park: str | None
    industry: str | None
    status: str
    status_label: str


class EnterprisePage(BaseModel):
    """One page of the registry, with counts per status for the same filters."""

    items: list[EnterpriseRead]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


class TimelineEvent(BaseModel):
    """One audit event of the enterprise's stream (全程跟踪)."""

    id: int
    seq: int
    action: str
    label: str
    actor: str
    at: datetime
    before: Any = None
    after: Any = None


class Timeline(BaseModel):
    """Events newest first; pass ``next_before_id`` as ``before_id`` for the next page."""

    items: list[TimelineEvent]
    next_before_id: int | None
