"""HTML pages of accounts and access: /login, /logout, /account (keys and users of one's enterprise)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from kuajing.accounts import service
from kuajing.accounts.choices import (
    API_KEY_MODE_COLOURS,
    ENTERPRISE_ROLES,
    ROLE_COLOURS,
    ROLE_LABELS,
    ApiKeyMode,
    Role,
)
from kuajing.accounts.deps import SESSION_COOKIE, Principal, current_principal, require_csrf
from kuajing.accounts.errors import AccountLocked, AccountsError
from kuajing.errors import AppError, FieldIssue, Forbidden
from kuajing.i18n import gettext, lazy
from kuajing.web.deps import get_locale, get_session, get_settings
from kuajing.web.render import render

router = APIRouter()

LOGIN_TEMPLATE = "accounts/templates/login.html"
ACCOUNT_TEMPLATE = "accounts/templates/account.html"
NO_STORE = {"Cache-Control": "no-store"}


def safe_next(target: str | None) -> str:
    """``next`` only ever points back into this site: a local absolute path, else ``/``."""
    if not target or len(target) > 2000:
        return "/"
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def demo_logins(settings) -> list[dict]:
    """The demo logins written by the demo loader (development only)."""
    if settings.env != "development" or not settings.demo_logins:
        return []
    path = settings.var_dir / "demo-credentials.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    rows = data.get("logins", data) if isinstance(data, dict) else data
    return [row for row in rows if isinstance(row, dict) and row.get("username")] if isinstance(rows, list) else []


def issue_map(error: AppError, locale: str) -> dict[str, str]:
    """Field path → translated message, for showing errors beside each field."""
    found: dict[str, str] = {}
    for issue in error.errors:
        rendered = issue.render(locale)
        key = rendered["path"].split("[")[0] or "_form"
        found.setdefault(key, rendered["message"])
    if not found:
        found["_form"] = error.to_problem(locale).get("detail") or error.to_problem(locale)["title"]
    return found


def _login_page(request: Request, *, next_url: str, username: str = "", errors: dict | None = None,
                status_code: int = 200):
    settings = get_settings(request)
    return render(request, LOGIN_TEMPLATE, {
        "next_url": next_url, "username": username, "errors": errors or {},
        "csrf_token": request.state.csrf_token, "demo_logins": demo_logins(settings),
    }, status_code=status_code, headers=NO_STORE)


@router.get("/login", name="login")
def login_form(request: Request, next: str = "/"):
    """The login form."""
    return _login_page(request, next_url=safe_next(next))


@router.post("/login", dependencies=[Depends(require_csrf)])
def login_submit(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
                 session: Session = Depends(get_session, scope="function"), locale: str = Depends(get_locale)):
    """Check the credentials, open a session, go to ``next`` (a local path only)."""
    target = safe_next(next)
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = gettext("Enter your username.", locale)
    if not password:
        errors["password"] = gettext("Enter your password.", locale)
    if errors:
        return _login_page(request, next_url=target, username=username, errors=errors, status_code=400)
    try:
        user = service.authenticate(session=session, username=username, password=password)
    except AccountLocked as exc:
        return _login_page(request, next_url=target, username=username, errors=issue_map(exc, locale),
                           status_code=429)
    if user is None:
        errors["_form"] = gettext("Wrong username or password.", locale)
        errors["code"] = AccountsError.invalid_credentials.value
        return _login_page(request, next_url=target, username=username, errors=errors, status_code=400)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(session=session, token=old)
    settings = get_settings(request)
    _web, token = service.start_session(session=session, user=user, max_age_seconds=settings.session_max_age_seconds)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_max_age_seconds, httponly=True,
                        samesite="lax", secure=settings.env != "development", path="/")
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, session: Session = Depends(get_session, scope="function")):
    """End the session and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(session=session, token=token)
    response = RedirectResponse("/", status_code=303)
    settings = get_settings(request)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=settings.env != "development")
    return response


# --- the account page -----------------------------------------------------------------------------


def _user_principal(principal: Principal = Depends(current_principal)) -> Principal:
    if principal.kind != "user":
        raise Forbidden(lazy("This page is for people who log in, not for API keys."))
    return principal


def _managed_enterprise(principal: Principal, enterprise_id: int | None) -> int | None:
    """The enterprise whose keys and users this principal may manage on the page (None: none)."""
    if principal.has_role(Role.zone_operator):
        return enterprise_id
    if principal.has_role(Role.enterprise_admin) and principal.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != principal.enterprise_id:
            raise Forbidden(lazy("You may only manage your own enterprise."))
        return principal.enterprise_id
    if enterprise_id is not None:
        raise Forbidden(lazy("Your role does not allow this."))
    return None


def _account_page(request: Request, session: Session, principal: Principal, *, enterprise_id: int | None,
                  issued: tuple | None = None, errors: dict | None = None, flash: str | None = None,
                  form: dict | None = None, status_code: int = 200):
    user = service.get_user(session=session, user_id=principal.user_id)
    managed = _managed_enterprise(principal, enterprise_id)
    keys = service.list_api_keys(session=session, enterprise_id=managed) if managed is not None else []
    users = service.list_users(session=session, enterprise_id=managed) if managed is not None else []
    return render(request, ACCOUNT_TEMPLATE, {
        "user": user, "managed_enterprise_id": managed, "keys": keys, "users": users, "issued": issued,
        "errors": errors or {}, "flash": flash, "form": form or {}, "csrf_token": request.state.csrf_token,
        "role_labels": ROLE_LABELS, "role_colours": ROLE_COLOURS,
        "mode_colours": API_KEY_MODE_COLOURS, "ApiKeyMode": ApiKeyMode,
        "grantable_roles": [r for r in Role if r in ENTERPRISE_ROLES],
    }, status_code=status_code, headers=NO_STORE)


@router.get("/account", name="account")
def account(request: Request, enterprise_id: int | None = None, principal: Principal = Depends(_user_principal),
            session: Session = Depends(get_session, scope="function")):
    """The caller's account; enterprise admins also manage their enterprise's API keys and users."""
    return _account_page(request, session, principal, enterprise_id=enterprise_id)


@router.post("/account/api-keys", dependencies=[Depends(require_csrf)])
def account_issue_key(request: Request, name: str = Form(""), mode: str = Form("test"),
                      enterprise_id: int | None = Form(None), principal: Principal = Depends(_user_principal),
                      session: Session = Depends(get_session, scope="function"), locale: str = Depends(get_locale)):
    """Issue a key for the managed enterprise and show it once."""
    managed = _managed_enterprise(principal, enterprise_id)
    if managed is None:
        raise Forbidden(lazy("Your role does not allow this."))
    try:
        key, plain = service.issue_api_key(session=session, enterprise_id=managed, name=name,
                                           roles=[Role.enterprise_user], actor=principal.actor,
                                           sandbox=mode != ApiKeyMode.live.value)
    except AppError as exc:
        if exc.status >= 500:
            raise
        return _account_page(request, session, principal, enterprise_id=managed, errors=issue_map(exc, locale),
                             form={"name": name}, status_code=exc.status)
    return _account_page(request, session, principal, enterprise_id=managed, issued=(key, plain), status_code=201)


@router.post("/account/api-keys/{api_key_id}/revoke", dependencies=[Depends(require_csrf)])
def account_revoke_key(request: Request, api_key_id: int, enterprise_id: int | None = Form(None),
                       principal: Principal = Depends(_user_principal), session: Session = Depends(get_session, scope="function"),
                       locale: str = Depends(get_locale)):
    """Revoke a key of the managed enterprise."""
    managed = _managed_enterprise(principal, enterprise_id)
    if managed is None:
        raise Forbidden(lazy("Your role does not allow this."))
    key = service.revoke_api_key(session=session, api_key_id=api_key_id, actor=principal.actor, enterprise_id=managed)
    return _account_page(request, session, principal, enterprise_id=managed,
                         flash=gettext("Key {hint} revoked.", locale, hint=key.hint))


@router.post("/account/users", dependencies=[Depends(require_csrf)])
def account_create_user(request: Request, username: str = Form(""), display_name: str = Form(""),
                        password: str = Form(""), role: str = Form(Role.enterprise_user.value),
                        enterprise_id: int | None = Form(None), principal: Principal = Depends(_user_principal),
                        session: Session = Depends(get_session, scope="function"), locale: str = Depends(get_locale)):
    """Create a user of the managed enterprise (enterprise roles only)."""
    managed = _managed_enterprise(principal, enterprise_id)
    if managed is None:
        raise Forbidden(lazy("Your role does not allow this."))
    form = {"username": username, "display_name": display_name, "role": role}
    try:
        if role not in {r.value for r in ENTERPRISE_ROLES}:
            raise AppError(AccountsError.role_not_allowed.value, "The request has invalid fields", status=422,
                           errors=[FieldIssue(AccountsError.role_not_allowed.value, "role",
                                              "You may not grant this role.", role)])
        created = service.create_user(session=session, username=username, password=password,
                                      display_name=display_name, roles=[role], enterprise_id=managed,
                                      actor=principal.actor, locale=locale)
    except AppError as exc:
        if exc.status >= 500:
            raise
        return _account_page(request, session, principal, enterprise_id=managed, errors=issue_map(exc, locale),
                             form=form, status_code=exc.status)
    return _account_page(request, session, principal, enterprise_id=managed, status_code=201,
                         flash=gettext("User {username} created.", locale, username=created.username))


@router.post("/account/password", dependencies=[Depends(require_csrf)])
def account_change_password(request: Request, current_password: str = Form(""), new_password: str = Form(""),
                            principal: Principal = Depends(_user_principal), session: Session = Depends(get_session, scope="function"),
                            locale: str = Depends(get_locale)):
    """Change one's own password (the current one is checked first)."""
    user = service.get_user(session=session, user_id=principal.user_id)
    if not service.check_password(user=user, password=current_password):
        return _account_page(request, session, principal, enterprise_id=None, status_code=400,
                             errors={"current_password": gettext("The current password is wrong.", locale)})
    try:
        service.change_password(session=session, user=user, new_password=new_password, actor=principal.actor)
    except AppError as exc:
        if exc.status >= 500:
            raise
        return _account_page(request, session, principal, enterprise_id=None, errors=issue_map(exc, locale),
                             status_code=exc.status)
    return _account_page(request, session, principal, enterprise_id=None, flash=gettext("Password changed.", locale))
