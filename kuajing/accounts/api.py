"""JSON API of accounts and access: /api/v1/me, /api/v1/api-keys, /api/v1/users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from kuajing.accounts import service
from kuajing.accounts.choices import ENTERPRISE_ROLES, Role
from kuajing.accounts.deps import Principal, current_principal, require_roles
from kuajing.accounts.errors import AccountsError
from kuajing.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRead,
    MeRead,
    UserCreate,
    UserRead,
    api_key_read,
    user_read,
)
from kuajing.errors import FieldIssue, Forbidden, validation_error
from kuajing.i18n import lazy
from kuajing.web.deps import get_session

router = APIRouter(prefix="/api/v1", tags=["accounts"])

_admins = require_roles(Role.enterprise_admin, Role.zone_operator)


def scope_enterprise(principal: Principal, enterprise_id: int | None, *, required: bool) -> int | None:
    """The enterprise an admin acts on: zone operators choose any; enterprise admins only their own."""
    if principal.has_role(Role.zone_operator):
        if required and enterprise_id is None:
            raise validation_error([FieldIssue(AccountsError.enterprise_required, "enterprise_id",
                                               "Choose the enterprise.")])
        return enterprise_id
    if principal.enterprise_id is None:
        raise Forbidden(lazy("Your role does not allow this."))
    if enterprise_id is not None and enterprise_id != principal.enterprise_id:
        raise Forbidden(lazy("You may only manage your own enterprise."))
    return principal.enterprise_id


@router.get("/me", response_model=MeRead, summary="Who am I")
def me(principal: Principal = Depends(current_principal)) -> MeRead:
    """The caller's identity, enterprise and roles."""
    return MeRead(kind=principal.kind, user_id=principal.user_id, api_key_id=principal.api_key_id,
                  enterprise_id=principal.enterprise_id, roles=sorted(principal.roles),
                  display_name=principal.display_name, username=principal.username,
                  is_zone_wide=principal.is_zone_wide, is_sandbox=principal.is_sandbox)


@router.get("/api-keys", response_model=list[ApiKeyRead], summary="List API keys")
def list_keys(enterprise_id: int | None = Query(None), principal: Principal = Depends(_admins),
              session: Session = Depends(get_session, scope="function")) -> list[ApiKeyRead]:
    """Keys of the caller's enterprise (zone operators: all, or one enterprise)."""
    scope = scope_enterprise(principal, enterprise_id, required=False)
    return [api_key_read(k) for k in service.list_api_keys(session=session, enterprise_id=scope)]


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=201, summary="Issue an API key")
def issue_key(body: ApiKeyCreate, principal: Principal = Depends(_admins),
              session: Session = Depends(get_session, scope="function")) -> ApiKeyIssued:
    """Issue a key for an enterprise; the plain key is in the answer once and never again."""
    scope = scope_enterprise(principal, body.enterprise_id, required=True)
    key, plain = service.issue_api_key(session=session, enterprise_id=scope, name=body.name, roles=body.roles,
                                       actor=principal.actor, sandbox=body.sandbox)
    return ApiKeyIssued(**api_key_read(key).model_dump(), key=plain)


@router.delete("/api-keys/{api_key_id}", response_model=ApiKeyRead, summary="Revoke an API key")
def revoke_key(api_key_id: int, principal: Principal = Depends(_admins),
               session: Session = Depends(get_session, scope="function")) -> ApiKeyRead:
    """Revoke a key of the caller's enterprise (zone operators: any key)."""
    scope = None if principal.has_role(Role.zone_operator) else scope_enterprise(principal, None, required=False)
    key = service.revoke_api_key(session=session, api_key_id=api_key_id, actor=principal.actor, enterprise_id=scope)
    return api_key_read(key)


@router.get("/users", response_model=list[UserRead], summary="List users")
def list_users(enterprise_id: int | None = Query(None), principal: Principal = Depends(_admins),
               session: Session = Depends(get_session, scope="function")) -> list[UserRead]:
    """Users of the caller's enterprise (zone operators: all, or one enterprise)."""
    scope = scope_enterprise(principal, enterprise_id, required=False)
    return [user_read(u) for u in service.list_users(session=session, enterprise_id=scope)]


@router.post("/users", response_model=UserRead, status_code=201, summary="Create a user")
def create_user(body: UserCreate, principal: Principal = Depends(_admins),
                session: Session = Depends(get_session, scope="function")) -> UserRead:
    """Create a user: enterprise admins only enterprise roles in their own enterprise."""
    if principal.has_role(Role.zone_operator):
        enterprise_id = body.enterprise_id
    else:
        enterprise_id = scope_enterprise(principal, body.enterprise_id, required=False)
        allowed = {r.value for r in ENTERPRISE_ROLES}
        bad = [FieldIssue(AccountsError.role_not_allowed, f"roles[{i + 1}]", "You may not grant this role.", r)
               for i, r in enumerate(body.roles) if r not in allowed]
        if bad:
            raise validation_error(bad)
    user = service.create_user(session=session, username=body.username, password=body.password,
                               display_name=body.display_name, roles=body.roles, enterprise_id=enterprise_id,
                               actor=principal.actor, locale=body.locale)
    return user_read(user)
