"""Accounts and access (账户与权限): users, password checks with lockout, API keys, web sessions.

Services never commit; every state change records an audit event in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from kuajing.accounts.choices import API_KEY_ROLES, BANK_ROLES, ENTERPRISE_ROLES, ZONE_WIDE_ROLES, Role
from kuajing.accounts.errors import AccountLocked, AccountsError, ApiKeyRejected
from kuajing.accounts.models import ApiKey, User, WebSession, join_roles
from kuajing.audit import service as audit
from kuajing.db.base import Base, import_all_models, utcnow
from kuajing.errors import FieldIssue, NotFound, validation_error
from kuajing.settings import LOCALES

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_FAILED_LOGINS = 5  # consecutive failures before the account locks (连续失败锁定)
LOCKOUT_MINUTES = 15
API_KEY_SECRET_LENGTH = 32
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute per key
API_KEY_CACHE_SECONDS = 30.0  # an active key is trusted this long per process without a query (see docs/accounts.md)
API_KEY_CACHE_SIZE = 10_000  # keys remembered per process at most (the oldest entry goes first)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
API_KEY_RE = re.compile(rf"^kj_(test|live)_([A-Za-z0-9_-]{{{API_KEY_SECRET_LENGTH}}})$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None
_secret_key: bytes | None = None


# --- configuration (called once at each process boundary: app factory, CLI, tests) -----------------


def configure(*, secret_key: bytes) -> None:
    """Install the secret that keys the API-key hashes (``settings.secret("secret_key")``)."""
    global _secret_key
    _secret_key = secret_key
    _key_cache.clear()


def is_configured() -> bool:
    """Whether :func:`configure` has been called in this process."""
    return _secret_key is not None


def hash_api_key(key: str) -> str:
    """HMAC-SHA256(secret_key, key) as hex: the lookup column of an API key."""
    if _secret_key is None:
        raise RuntimeError("accounts not configured: call kuajing.accounts.service.configure() at start-up")
    return hmac.new(_secret_key, key.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_session_token(token: str) -> str:
    """SHA-256 of a session cookie token (the token has 256 bits of entropy; no key needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- passwords ------------------------------------------------------------------------------------


def hash_password(*, password: str) -> str:
    """An argon2id hash (PHC string) of ``password``."""
    return _hasher.hash(password)


def password_issues(*, password: str, username: str, path: str = "password") -> list[FieldIssue]:
    """What is wrong with ``password`` under the policy (≥ 10 characters, not containing the username)."""
    issues: list[FieldIssue] = []
    if not password:
        return [FieldIssue(AccountsError.password_required, path, "Enter a password.")]
    if len(password) < MIN_PASSWORD_LENGTH:
        issues.append(FieldIssue(AccountsError.password_too_short, path,
                                 "At least {min} characters.", None, {"min": MIN_PASSWORD_LENGTH}))
    if len(password) > MAX_PASSWORD_LENGTH:
        issues.append(FieldIssue(AccountsError.password_too_short, path,
                                 "At most {max} characters.", None, {"max": MAX_PASSWORD_LENGTH}))
    if username and username.strip().lower() in password.lower():
        issues.append(FieldIssue(AccountsError.password_contains_username, path,
                                 "The password must not contain the username."))
    return issues


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(*, user: User, password: str) -> bool:
    """Whether ``password`` is the user's current password (no lockout bookkeeping)."""
    return _verify(user.password_hash, password or "")


def _burn_time(password: str) -> None:
    """Verify against a dummy hash so an unknown username costs as much as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    _verify(_dummy_hash, password)


# --- users ----------------------------------------------------------------------------------------


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored trimmed and lower-case."""
    return (username or "").strip().lower()


def enterprise_exists(*, session: Session, enterprise_id: int) -> bool:
    """Whether an enterprise with this id exists (the enterprises table belongs to kuajing.enterprises)."""
    table = Base.metadata.tables.get("enterprises")
    if table is None:
        table = import_all_models().tables.get("enterprises")
    if table is None:
        return False
    return session.execute(select(table.c.id).where(table.c.id == enterprise_id)).first() is not None


def role_issues(*, session: Session, roles, enterprise_id: int | None, path: str = "roles",
                allowed: frozenset[str] | None = None) -> list[FieldIssue]:
    """What is wrong with a role set for a user or key of ``enterprise_id``."""
    issues: list[FieldIssue] = []
    roles = [str(r) for r in roles or []]
    if not roles:
        return [FieldIssue(AccountsError.role_required, path, "Choose at least one role.")]
    known = {r.value for r in Role}
    for index, role in enumerate(roles):
        if role not in known:
            issues.append(FieldIssue(AccountsError.role_unknown, f"{path}[{index + 1}]",
                                     "Unknown role; allowed: {expected}.", role, {"expected": ", ".join(sorted(known))}))
        elif allowed is not None and role not in allowed:
            issues.append(FieldIssue(AccountsError.role_not_allowed, f"{path}[{index + 1}]",
                                     "You may not grant this role.", role))
    if issues:
        return issues
    role_set = set(roles)
    if role_set & (ENTERPRISE_ROLES | BANK_ROLES) and role_set & ZONE_WIDE_ROLES:
        issues.append(FieldIssue(AccountsError.role_not_allowed, path,
                                 "Enterprise roles and zone-wide roles cannot be combined.", sorted(role_set)))
    elif role_set & (ENTERPRISE_ROLES | BANK_ROLES) and enterprise_id is None:
        issues.append(FieldIssue(AccountsError.enterprise_required, "enterprise_id",
                                 "An enterprise role needs an enterprise."))
    elif role_set <= ZONE_WIDE_ROLES and enterprise_id is not None:
        issues.append(FieldIssue(AccountsError.enterprise_not_allowed, "enterprise_id",
                                 "Zone-wide roles are not bound to an enterprise.", enterprise_id))
    if enterprise_id is not None and not issues and not enterprise_exists(session=session, enterprise_id=enterprise_id):
        issues.append(FieldIssue(AccountsError.enterprise_unknown, "enterprise_id", "No such enterprise.", enterprise_id))
    elif enterprise_id is not None and not issues and role_set & BANK_ROLES and not _is_financial(session, enterprise_id):
        # a bank / insurer user sees consented settlement data: only for an enterprise filed as financial (finance)
        issues.append(FieldIssue(AccountsError.bank_not_finance, "enterprise_id",
                                 "A bank or insurer user belongs to an enterprise filed with the role finance.",
                                 enterprise_id))
    return issues


def _is_financial(session: Session, enterprise_id: int) -> bool:
    """Whether the enterprise is filed with the registry role ``finance`` (金融机构)."""
    table = Base.metadata.tables.get("enterprise_roles")
    if table is None:
        table = import_all_models().tables.get("enterprise_roles")
    return table is not None and session.execute(
        select(table.c.id).where(table.c.enterprise_id == enterprise_id, table.c.role == "finance")).first() is not None


def _stream(enterprise_id: int | None) -> str:
    return f"accounts:enterprise:{enterprise_id}" if enterprise_id is not None else "accounts:zone"


def create_user(*, session: Session, username: str, password: str, display_name: str, roles,
                enterprise_id: int | None = None, actor: str, locale: str = "zh_Hans") -> User:
    """Create a user after checking username, password policy, roles and enterprise (raises 422/409)."""
    name = normalise_username(username)
    issues: list[FieldIssue] = []
    if not USERNAME_RE.match(name):
        issues.append(FieldIssue(AccountsError.username_invalid, "username",
                                 "3–64 characters: lower-case letters, digits, dot, dash, underscore.", username))
    elif session.scalar(select(User.id).where(User.username == name)) is not None:
        issues.append(FieldIssue(AccountsError.username_taken, "username", "This username is taken.", name))
    if not (display_name or "").strip():
        issues.append(FieldIssue(AccountsError.display_name_required, "display_name", "Enter a display name."))
    issues += password_issues(password=password, username=name)
    issues += role_issues(session=session, roles=roles, enterprise_id=enterprise_id)
    if locale not in LOCALES:
        issues.append(FieldIssue(AccountsError.locale_unknown, "locale", "Allowed values: {expected}.", locale,
                                 {"expected": ", ".join(LOCALES)}))
    if issues:
        raise validation_error(issues)
    now = utcnow()
    user = User(username=name, display_name=display_name.strip(), password_hash=hash_password(password=password),
                enterprise_id=enterprise_id, roles=join_roles(roles), locale=locale, is_active=True,
                failed_logins=0, password_changed_at=now, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session=session, action="accounts:user:create", stream=_stream(enterprise_id), actor=actor,
                 subject_id=f"user:{user.id}", before=None, after=user.snapshot())
    return user


def change_password(*, session: Session, user: User, new_password: str, actor: str) -> User:
    """Set a new password for ``user`` (policy checked; the hash is never audited)."""
    issues = password_issues(password=new_password, username=user.username, path="new_password")
    if issues:
        raise validation_error(issues)
    user.password_hash = hash_password(password=new_password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit.record(session=session, action="accounts:user:password_change", stream=_stream(user.enterprise_id),
                 actor=actor, subject_id=f"user:{user.id}", before=None, after={"password_changed": True})
    return user


def set_active(*, session: Session, user: User, active: bool, actor: str) -> User:
    """Deactivate or reactivate a user (a deactivated user cannot log in; their sessions end)."""
    before = user.snapshot()
    user.is_active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    audit.record(session=session, action="accounts:user:" + ("activate" if active else "deactivate"),
                 stream=_stream(user.enterprise_id), actor=actor, subject_id=f"user:{user.id}",
                 before=before, after=user.snapshot())
    return user


def authenticate(*, session: Session, username: str, password: str, now: datetime | None = None) -> User | None:
    """The user for these credentials, or None; raises AccountLocked while the account is locked."""
    now = now or utcnow()
    name = normalise_username(username)
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        _burn_time(password or "")
        audit.record(session=session, action="accounts:user:login_failed", stream="accounts:zone",
                     actor="anonymous", subject_id=None, before=None, after={"username": name[:64], "reason": "unknown_user"})
        return None
    if user.locked_until is not None:
        if user.locked_until > now:
            remaining = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise AccountLocked(min(remaining, LOCKOUT_MINUTES))
        user.locked_until = None
        user.failed_logins = 0
    ok = _verify(user.password_hash, password or "")
    if not ok or not user.is_active:
        reason = "inactive" if ok else "bad_password"
        if not ok:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                reason = "locked"
        session.flush()
        audit.record(session=session, action="accounts:user:login_failed", stream=_stream(user.enterprise_id),
                     actor="anonymous", subject_id=f"user:{user.id}", before=None,
                     after={"username": user.username, "reason": reason, "failed_logins": user.failed_logins})
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password=password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    audit.record(session=session, action="accounts:user:login", stream=_stream(user.enterprise_id),
                 actor=f"user:{user.username}", subject_id=f"user:{user.id}", before=None,
                 after={"username": user.username})
    return user


def get_user(*, session: Session, user_id: int) -> User:
    """A user by id (raises 404)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", path="user_id", value=user_id)
    return user


def list_users(*, session: Session, enterprise_id: int | None = None) -> list[User]:
    """Users, optionally of one enterprise, by username."""
    query = select(User).order_by(User.username)
    if enterprise_id is not None:
        query = query.where(User.enterprise_id == enterprise_id)
    return list(session.scalars(query))


# --- API keys -------------------------------------------------------------------------------------


def issue_api_key(*, session: Session, enterprise_id: int, name: str, roles=(Role.enterprise_user,), actor: str,
                  sandbox: bool = True) -> tuple[ApiKey, str]:
    """Issue a key for ``enterprise_id``; returns the row and the plain key (shown once, never stored)."""
    issues: list[FieldIssue] = []
    clean_name = (name or "").strip()
    if not clean_name:
        issues.append(FieldIssue(AccountsError.api_key_name_required, "name", "Give the key a name."))
    elif len(clean_name) > 100:
        issues.append(FieldIssue(AccountsError.api_key_name_required, "name", "At most {max_length} characters.",
                                 None, {"max_length": 100}))
    issues += role_issues(session=session, roles=list(roles or []), enterprise_id=enterprise_id,
                          allowed=frozenset(r.value for r in API_KEY_ROLES))
    if issues:
        raise validation_error(issues)
    secret = secrets.token_urlsafe(API_KEY_SECRET_LENGTH)[:API_KEY_SECRET_LENGTH]
    plain = f"kj_{'test' if sandbox else 'live'}_{secret}"
    key = ApiKey(enterprise_id=enterprise_id, name=clean_name, prefix=secret[:8], key_hash=hash_api_key(plain),
                 roles=join_roles(roles), is_sandbox=sandbox, created_by=actor, created_at=utcnow())
    session.add(key)
    session.flush()
    audit.record(session=session, action="accounts:api_key:issue", stream=_stream(enterprise_id), actor=actor,
                 subject_id=f"api_key:{key.id}", before=None, after=key.snapshot())
    return key, plain


def get_api_key(*, session: Session, api_key_id: int, enterprise_id: int | None = None) -> ApiKey:
    """A key by id, optionally only within one enterprise (raises 404 otherwise)."""
    key = session.get(ApiKey, api_key_id)
    if key is None or (enterprise_id is not None and key.enterprise_id != enterprise_id):
        raise NotFound("API key", path="api_key_id", value=api_key_id)
    return key


def revoke_api_key(*, session: Session, api_key_id: int, actor: str, enterprise_id: int | None = None) -> ApiKey:
    """Revoke a key (idempotent); with ``enterprise_id`` only a key of that enterprise is found."""
    key = get_api_key(session=session, api_key_id=api_key_id, enterprise_id=enterprise_id)
    if key.revoked_at is not None:
        return key
    before = key.snapshot()
    key.revoked_at = utcnow()
    key.revoked_by = actor
    session.flush()
    # this process stops trusting the key now, and again at commit (a request that looked it up meanwhile
    # may have cached it from the not yet committed state)
    _key_cache.drop(key.key_hash)
    event.listen(session, "after_commit", lambda _s, key_hash=key.key_hash: _key_cache.drop(key_hash), once=True)
    audit.record(session=session, action="accounts:api_key:revoke", stream=_stream(key.enterprise_id), actor=actor,
                 subject_id=f"api_key:{key.id}", before=before, after=key.snapshot())
    return key


def list_api_keys(*, session: Session, enterprise_id: int | None = None) -> list[ApiKey]:
    """Keys, optionally of one enterprise, newest first."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    if enterprise_id is not None:
        query = query.where(ApiKey.enterprise_id == enterprise_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class KeyIdentity:
    """What a request needs of an active API key (接口密钥身份): a plain copy, safe to keep between requests."""

    id: int
    enterprise_id: int
    name: str
    prefix: str
    role_set: frozenset[str]
    is_sandbox: bool
    last_used_at: datetime | None


class _KeyCache:
    """Active API keys of this process by their keyed hash, each for API_KEY_CACHE_SECONDS (bounded size).

    Only active keys are kept; a revocation in this process drops its key at once (and again when the
    revoking transaction commits); a revocation by another process is seen here within the TTL."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, KeyIdentity]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str, at: float) -> KeyIdentity | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if entry[0] <= at:
            self.drop(key_hash)
            return None
        return entry[1]

    def put(self, key_hash: str, identity: KeyIdentity, at: float) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)
            while len(self._entries) >= API_KEY_CACHE_SIZE:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key_hash] = (at + API_KEY_CACHE_SECONDS, identity)

    def drop(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_key_cache = _KeyCache()


def _identity(row: ApiKey) -> KeyIdentity:
    return KeyIdentity(id=row.id, enterprise_id=row.enterprise_id, name=row.name, prefix=row.prefix,
                       role_set=row.role_set, is_sandbox=row.is_sandbox, last_used_at=row.last_used_at)


def authenticate_api_key(*, session: Session, key: str, now: datetime | None = None,
                         monotonic: float | None = None) -> KeyIdentity:
    """The active key for a presented plain key, as :func:`lookup_api_key` decides, without a query when
    this process checked the same key less than API_KEY_CACHE_SECONDS ago (and its last_used_at is recent
    enough not to need a write); raises ApiKeyRejected (401) when unknown or revoked."""
    if not key or not API_KEY_RE.match(key):
        raise ApiKeyRejected(AccountsError.api_key_invalid)
    key_hash = hash_api_key(key)
    at = time.monotonic() if monotonic is None else monotonic
    now = now or utcnow()
    cached = _key_cache.get(key_hash, at)
    if cached is not None and cached.last_used_at is not None and now - cached.last_used_at < LAST_USED_RESOLUTION:
        return cached
    identity = _identity(lookup_api_key(session=session, key=key, now=now))
    _key_cache.put(key_hash, identity, at)
    return identity


def lookup_api_key(*, session: Session, key: str, now: datetime | None = None) -> ApiKey:
    """The active key for a presented plain key; raises ApiKeyRejected (401) when unknown or revoked."""
    if not key or not API_KEY_RE.match(key):
        raise ApiKeyRejected(AccountsError.api_key_invalid)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if row is None:
        raise ApiKeyRejected(AccountsError.api_key_invalid)
    if row.revoked_at is not None:
        raise ApiKeyRejected(AccountsError.api_key_revoked)
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return row


# --- web sessions ---------------------------------------------------------------------------------


def start_session(*, session: Session, user: User, max_age_seconds: int, now: datetime | None = None) -> tuple[WebSession, str]:
    """Open a web session for ``user``; returns the row and the cookie token (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    web = WebSession(id=hash_session_token(token), user_id=user.id, created_at=now,
                     expires_at=now + timedelta(seconds=max_age_seconds), csrf_secret=secrets.token_urlsafe(32))
    session.add(web)
    session.flush()
    return web, token


def session_user(*, session: Session, token: str, now: datetime | None = None) -> tuple[WebSession, User] | None:
    """The live session and active user for a cookie token, or None (unknown, expired, inactive)."""
    if not token or len(token) > 128:
        return None
    web = session.get(WebSession, hash_session_token(token))
    if web is None:
        return None
    if web.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, web.user_id)
    if user is None or not user.is_active:
        return None
    return web, user


def end_session(*, session: Session, token: str, actor: str | None = None) -> bool:
    """End the web session of ``token`` (logout); True when one was open."""
    if not token or len(token) > 128:
        return False
    web = session.get(WebSession, hash_session_token(token))
    if web is None:
        return False
    user = session.get(User, web.user_id)
    session.delete(web)
    session.flush()
    if user is not None:
        audit.record(session=session, action="accounts:user:logout", stream=_stream(user.enterprise_id),
                     actor=actor or f"user:{user.username}", subject_id=f"user:{user.id}", before=None, after=None)
    return True


def purge_expired_sessions(*, session: Session, now: datetime | None = None) -> int:
    """Delete expired web sessions; returns how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return result.rowcount or 0
