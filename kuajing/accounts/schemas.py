"""JSON shapes of accounts and access (snake_case)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kuajing.textmodel import TextModel


class MeRead(BaseModel):
    """The caller as the API sees it."""

    kind: str
    user_id: int | None
    api_key_id: int | None
    enterprise_id: int | None
    roles: list[str]
    display_name: str
    username: str | None = None
    is_zone_wide: bool
    is_sandbox: bool


class UserCreate(TextModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=100)
    roles: list[str] = Field(min_length=1, max_length=6)
    enterprise_id: int | None = None
    locale: str = "zh_Hans"


class UserRead(BaseModel):
    """A user (never the password hash)."""

    id: int
    username: str
    display_name: str
    enterprise_id: int | None
    roles: list[str]
    locale: str
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime


class ApiKeyCreate(TextModel):
    """A key to issue."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    enterprise_id: int | None = None  # defaults to the caller's enterprise
    roles: list[str] = Field(default_factory=lambda: ["enterprise_user"], min_length=1, max_length=2)
    sandbox: bool = True


class ApiKeyRead(BaseModel):
    """A key as listed (never the key or its hash)."""

    id: int
    enterprise_id: int
    name: str
    prefix: str
    hint: str
    roles: list[str]
    is_sandbox: bool
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyRead):
    """A freshly issued key: ``key`` is shown this once and never again."""

    key: str


def user_read(user) -> UserRead:
    """Serialise a user."""
    return UserRead(id=user.id, username=user.username, display_name=user.display_name,
                    enterprise_id=user.enterprise_id, roles=sorted(user.role_set), locale=user.locale,
                    is_active=user.is_active, last_login_at=user.last_login_at, created_at=user.created_at)


def api_key_read(key) -> ApiKeyRead:
    """Serialise a key."""
    return ApiKeyRead(id=key.id, enterprise_id=key.enterprise_id, name=key.name, prefix=key.prefix, hint=key.hint,
                      roles=sorted(key.role_set), is_sandbox=key.is_sandbox, created_by=key.created_by,
                      created_at=key.created_at, last_used_at=key.last_used_at, revoked_at=key.revoked_at)
