"""Tables of accounts and access: users (用户), API keys (接口密钥), web sessions (登录会话)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.db.base import Base, BigIntPK, utcnow
from kuajing.db.types import UTCDateTime


def split_roles(value: str | None) -> frozenset[str]:
    """The role set stored as a comma list."""
    return frozenset(part for part in (value or "").split(",") if part)


def join_roles(roles) -> str:
    """A role set as a sorted comma list (stable for audit snapshots)."""
    return ",".join(sorted({str(r) for r in roles}))


class User(Base):
    """A person who logs in (用户): an enterprise clerk or administrator, or a zone-wide official."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)  # 所属企业
    roles: Mapped[str] = mapped_column(String(255), default="")  # comma list of Role values
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failures (连续失败次数)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 锁定至
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        """The user's roles."""
        return split_roles(self.roles)

    def snapshot(self) -> dict:
        """Audit snapshot (never the password hash)."""
        return {
            "username": self.username, "display_name": self.display_name, "enterprise_id": self.enterprise_id,
            "roles": sorted(self.role_set), "locale": self.locale, "is_active": self.is_active,
        }


class ApiKey(Base):
    """A system credential bound to one enterprise (接口密钥); only its keyed hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(8))  # first 8 characters of the secret part, shown to users
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256(secret_key, key), hex
    roles: Mapped[str] = mapped_column(String(255), default="enterprise_user")
    is_sandbox: Mapped[bool] = mapped_column(Boolean, default=True)  # 沙箱 (kj_test_) or live (kj_live_)
    created_by: Mapped[str] = mapped_column(String(100))  # actor that issued it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 吊销时间
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    @property
    def role_set(self) -> frozenset[str]:
        """The key's roles."""
        return split_roles(self.roles)

    @property
    def hint(self) -> str:
        """What users see of the key: ``kj_test_AbCdEfGh…``."""
        return f"kj_{'test' if self.is_sandbox else 'live'}_{self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        """Whether the key has been revoked."""
        return self.revoked_at is not None

    def snapshot(self) -> dict:
        """Audit snapshot (never the key or its hash)."""
        return {
            "enterprise_id": self.enterprise_id, "name": self.name, "prefix": self.prefix,
            "roles": sorted(self.role_set), "is_sandbox": self.is_sandbox,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


class WebSession(Base):
    """A logged-in browser (登录会话); ``id`` is the SHA-256 of the cookie token, never the token."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    csrf_secret: Mapped[str] = mapped_column(String(64))  # the anti-forgery token of this session's forms
