"""Tables of the enterprise registry (企业库)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.db.base import Base, utcnow
from kuajing.db.types import EncryptedStr, UTCDateTime


class Enterprise(Base):
    """An enterprise filed with the zone (备案企业)."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    customs_code: Mapped[str | None] = mapped_column(String(10), unique=True)  # 海关注册编码
    dxp_id: Mapped[str | None] = mapped_column(String(16), unique=True)  # DXP 传输节点 id
    customs_office: Mapped[str | None] = mapped_column(String(4))  # 主管海关 (关区代码)
    name_zh: Mapped[str] = mapped_column(String(200), index=True)  # 企业中文名称
    name_en: Mapped[str | None] = mapped_column(String(200))  # 英文名称
    district: Mapped[str | None] = mapped_column(String(12), index=True)  # 旗县区
    park: Mapped[str | None] = mapped_column(String(40), index=True)  # 园区
    industry: Mapped[str | None] = mapped_column(String(40), index=True)  # 主营产业
    contact_name: Mapped[str | None] = mapped_column(String(50))  # 联系人
    contact_phone: Mapped[str | None] = mapped_column(EncryptedStr)  # 联系电话 (个人信息, 加密)
    address: Mapped[str | None] = mapped_column(String(300))  # 地址
    status: Mapped[str] = mapped_column(String(16), index=True, default="draft")  # 备案状态
    review_note: Mapped[str | None] = mapped_column(Text)  # 审核意见 / 退回原因
    review_issues: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # 逐字段退回原因
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 首次备案通过
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    role_links: Mapped[list[EnterpriseRoleLink]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", lazy="selectin", order_by="EnterpriseRoleLink.role")

    @property
    def roles(self) -> list[str]:
        """The enterprise's roles (企业类型) as codes."""
        return [link.role for link in self.role_links]

    @property
    def stream(self) -> str:
        """The audit stream of this enterprise."""
        return f"enterprise:{self.uscc}"


class EnterpriseRoleLink(Base):
    """One role an enterprise plays (电商平台, 物流企业 …)."""

    __tablename__ = "enterprise_roles"
    __table_args__ = (UniqueConstraint("enterprise_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), index=True)  # 企业类型

    enterprise: Mapped[Enterprise] = relationship(back_populates="role_links")
