"""Who is calling (调用方): the request principal, its FastAPI dependencies and the CSRF check.

Systems send ``X-API-Key: <key>`` (or ``Authorization: Bearer <key>``); people carry the session
cookie set by ``/login``. :mod:`kuajing.accounts.middleware` resolves the principal once per request
into ``request.state.principal``; the dependencies below reuse it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from kuajing.accounts import service
from kuajing.accounts.choices import ZONE_WIDE_ROLES
from kuajing.accounts.errors import ApiKeyRejected, CsrfFailed
from kuajing.errors import AppError, Forbidden, Unauthenticated
from kuajing.i18n import lazy
from kuajing.web.deps import get_session

SESSION_COOKIE = "kj_session"
CSRF_COOKIE = "kj_csrf"  # double-submit token for forms shown before login
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_HEADER = "X-API-Key"

_ZONE_WIDE = frozenset(r.value for r in ZONE_WIDE_ROLES)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user (person) or an API key (system)."""

    kind: Literal["user", "api_key"]
    user_id: int | None
    api_key_id: int | None
    enterprise_id: int | None
    roles: frozenset[str]
    display_name: str
    username: str | None = None  # users only
    key_prefix: str | None = None  # API keys only
    is_sandbox: bool = False  # API keys: sandbox (kj_test_) or live
    locale: str | None = None  # users: preferred locale

    def has_role(self, *roles: str) -> bool:
        """Whether the principal holds any of ``roles``."""
        return any(str(role) in self.roles for role in roles)

    @property
    def is_zone_wide(self) -> bool:
        """Whether a zone-wide role lets it see every enterprise."""
        return bool(self.roles & _ZONE_WIDE)

    def can_see_enterprise(self, enterprise_id: int | None) -> bool:
        """Zone-wide roles see any enterprise; everyone else only their own."""
        if self.is_zone_wide:
            return True
        return enterprise_id is not None and self.enterprise_id is not None and enterprise_id == self.enterprise_id

    @property
    def actor(self) -> str:
        """The audit actor: ``user:<username>`` or ``api_key:<prefix>``."""
        if self.kind == "user":
            return f"user:{self.username}"
        return f"api_key:{self.key_prefix}"


@dataclass
class Resolution:
    """What the credentials of one request resolved to."""

    principal: Principal | None = None
    failure: AppError | None = None  # a presented but rejected credential
    csrf_token: str | None = None  # the token forms of this request must carry back
    set_csrf_cookie: bool = False  # a new double-submit cookie must be sent


def principal_for_user(user, *, locale: str | None = None) -> Principal:
    """The principal of a logged-in user."""
    return Principal(kind="user", user_id=user.id, api_key_id=None, enterprise_id=user.enterprise_id,
                     roles=user.role_set, display_name=user.display_name, username=user.username,
                     locale=locale or user.locale)


def principal_for_key(key) -> Principal:
    """The principal of an API key (an ApiKey row or the cached service.KeyIdentity)."""
    return Principal(kind="api_key", user_id=None, api_key_id=key.id, enterprise_id=key.enterprise_id,
                     roles=key.role_set, display_name=key.name, key_prefix=key.prefix, is_sandbox=key.is_sandbox)


def presented_api_key(request: Request) -> str | None:
    """The API key of the request (``X-API-Key`` or ``Authorization: Bearer``), if any."""
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def resolve(request: Request, session: Session) -> Resolution:
    """Resolve the request's credentials (an API key wins over the cookie)."""
    result = Resolution()
    key = presented_api_key(request)
    if key is not None:
        try:
            result.principal = principal_for_key(service.authenticate_api_key(session=session, key=key))
        except ApiKeyRejected as exc:
            result.failure = exc
        return result
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = service.session_user(session=session, token=token)
        if found is not None:
            web, user = found
            result.principal = principal_for_user(user)
            result.csrf_token = web.csrf_secret
            return result
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and 20 <= len(cookie) <= 128:
        result.csrf_token = cookie
    else:
        result.csrf_token = secrets.token_urlsafe(32)
        result.set_csrf_cookie = True
    return result


def _resolution(request: Request, session: Session) -> Resolution:
    found = getattr(request.state, "auth_resolution", None)
    if found is None:
        found = resolve(request, session)
        request.state.auth_resolution = found
        request.state.principal = found.principal
        request.state.csrf_token = found.csrf_token
    return found


def optional_principal(request: Request, session: Session = Depends(get_session, scope="function")) -> Principal | None:
    """The caller, or None when anonymous (a rejected key also counts as anonymous here)."""
    return _resolution(request, session).principal


def current_principal(request: Request, session: Session = Depends(get_session, scope="function")) -> Principal:
    """The caller; 401 problem (``unauthenticated``, ``api_key_invalid``, ``api_key_revoked``) otherwise."""
    found = _resolution(request, session)
    if found.failure is not None:
        raise found.failure
    if found.principal is None:
        raise Unauthenticated()
    return found.principal


def require_roles(*roles: str):
    """Dependency factory: the caller must hold one of ``roles`` (403 ``forbidden`` otherwise)."""
    wanted = tuple(str(r) for r in roles)

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.has_role(*wanted):
            raise Forbidden(lazy("Your role does not allow this."))
        return principal

    dependency.__name__ = "require_" + "_or_".join(wanted)
    return dependency


async def require_csrf(request: Request) -> None:
    """HTML form posts must carry the page's ``csrf_token`` field (or the ``X-CSRF-Token`` header)."""
    expected = getattr(request.state, "csrf_token", None)
    if expected is None:
        raise CsrfFailed()
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()
