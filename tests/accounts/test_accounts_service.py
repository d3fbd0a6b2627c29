"""Accounts service: argon2id passwords, policy, authentication with lockout, API keys, web sessions."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, select, text

from kuajing.accounts import service
from kuajing.accounts.errors import AccountLocked, ApiKeyRejected
from kuajing.accounts.models import ApiKey, User, WebSession
from kuajing.audit.models import AuditEvent
from kuajing.db.base import utcnow
from kuajing.errors import AppError
from tests.accounts.fixtures import make_api_key, make_enterprise, make_enterprise_user, make_zone_user


def codes(err: AppError) -> dict[str, str]:
    return {issue.path: issue.code for issue in err.errors}


def test_password_is_stored_as_argon2id_never_in_plain(db, settings):
    ent = make_enterprise(db)
    user, _password = make_enterprise_user(db, ent.id, password="Grassland-Cashmere-42")
    db.commit()
    assert user.password_hash.startswith("$argon2id$")
    assert "Grassland-Cashmere-42" not in user.password_hash
    raw = db.execute(text("SELECT * FROM users")).all()
    assert all("Grassland-Cashmere-42" not in str(value) for row in raw for value in row)
    assert PasswordHasher().verify(user.password_hash, "Grassland-Cashmere-42")


@pytest.mark.parametrize(
    ("password", "code"),
    [("short1!", "password_too_short"), ("my-wangfang-secret", "password_contains_username"), ("", "password_required")],
)
def test_password_policy(db, password, code):
    with pytest.raises(AppError) as caught:
        service.create_user(session=db, username="WangFang", password=password, display_name="王芳",
                            roles=["zone_operator"], actor="test")
    assert caught.value.status == 422
    assert codes(caught.value)["password"] == code


def test_username_rules_and_uniqueness(db):
    make_zone_user(db, username="liming")
    with pytest.raises(AppError) as caught:
        service.create_user(session=db, username=" LiMing ", password="a-long-password-1", display_name="x",
                            roles=["auditor"], actor="test")
    assert codes(caught.value)["username"] == "username_taken"
    with pytest.raises(AppError) as caught:
        service.create_user(session=db, username="a b", password="a-long-password-1", display_name="",
                            roles=["auditor"], actor="test")
    assert codes(caught.value) == {"username": "username_invalid", "display_name": "display_name_required"}


def test_role_rules(db):
    ent = make_enterprise(db)
    cases = [
        ({"roles": ["king"]}, {"roles[1]": "role_unknown"}),
        ({"roles": []}, {"roles": "role_required"}),
        ({"roles": ["enterprise_user"]}, {"enterprise_id": "enterprise_required"}),
        ({"roles": ["auditor"], "enterprise_id": ent.id}, {"enterprise_id": "enterprise_not_allowed"}),
        ({"roles": ["enterprise_user", "zone_operator"], "enterprise_id": ent.id}, {"roles": "role_not_allowed"}),
        ({"roles": ["enterprise_admin"], "enterprise_id": ent.id + 999}, {"enterprise_id": "enterprise_unknown"}),
    ]
    for kwargs, expected in cases:
        with pytest.raises(AppError) as caught:
            service.create_user(session=db, username="someone", password="a-long-password-1", display_name="X",
                                actor="test", **kwargs)
        assert codes(caught.value) == expected, kwargs


def test_authenticate_success_failure_and_audit(db):
    user, password = make_zone_user(db, username="zhaolei")
    db.commit()
    assert service.authenticate(session=db, username="ZhaoLei ", password=password).id == user.id
    assert user.last_login_at is not None
    assert service.authenticate(session=db, username="zhaolei", password="wrong-password-1") is None
    assert service.authenticate(session=db, username="nobody", password=password) is None
    db.commit()
    actions = [a for a in db.scalars(select(AuditEvent.action).order_by(AuditEvent.id))]
    assert actions == ["accounts:user:create", "accounts:user:login", "accounts:user:login_failed",
                       "accounts:user:login_failed"]
    snapshots = " ".join(str(e.after_json) + str(e.before_json) for e in db.scalars(select(AuditEvent)))
    assert password not in snapshots and user.password_hash not in snapshots


def test_lockout_after_repeated_failures_then_release(db):
    user, password = make_zone_user(db, username="locked1")
    db.commit()
    now = utcnow()
    for _ in range(service.MAX_FAILED_LOGINS):
        assert service.authenticate(session=db, username="locked1", password="not-the-password", now=now) is None
    db.commit()
    with pytest.raises(AccountLocked) as caught:  # even the right password is refused while locked
        service.authenticate(session=db, username="locked1", password=password, now=now + timedelta(minutes=1))
    assert caught.value.code == "account_locked" and caught.value.status == 429
    later = now + timedelta(minutes=service.LOCKOUT_MINUTES, seconds=1)
    assert service.authenticate(session=db, username="locked1", password=password, now=later).id == user.id
    assert user.failed_logins == 0 and user.locked_until is None


def test_inactive_user_cannot_log_in(db):
    user, password = make_zone_user(db)
    service.set_active(session=db, user=user, active=False, actor="test")
    assert service.authenticate(session=db, username=user.username, password=password) is None


def test_rehash_when_parameters_change(db, monkeypatch):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    monkeypatch.setattr(service, "_hasher", weak)
    user, password = make_zone_user(db)
    old_hash = user.password_hash
    assert "m=8192" in old_hash
    monkeypatch.setattr(service, "_hasher", PasswordHasher())
    assert service.authenticate(session=db, username=user.username, password=password) is not None
    assert user.password_hash != old_hash and "m=8192" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


def test_change_password(db):
    user, password = make_zone_user(db)
    with pytest.raises(AppError) as caught:
        service.change_password(session=db, user=user, new_password="short", actor="test")
    assert codes(caught.value) == {"new_password": "password_too_short"}
    service.change_password(session=db, user=user, new_password="Another-Good-Pass-7", actor="test")
    assert service.authenticate(session=db, username=user.username, password=password) is None
    assert service.authenticate(session=db, username=user.username, password="Another-Good-Pass-7") is not None


def test_api_key_is_stored_as_keyed_hash_only(db, settings):
    ent = make_enterprise(db)
    key_row, plain = service.issue_api_key(session=db, enterprise_id=ent.id, name="ERP", roles=["enterprise_user"],
                                           actor="test", sandbox=True)
    db.commit()
    assert service.API_KEY_RE.match(plain) and plain.startswith("kj_test_")
    assert key_row.prefix == plain[len("kj_test_"):][:8] and key_row.hint.startswith(f"kj_test_{key_row.prefix}")
    expected = hmac.new(settings.secret("secret_key"), plain.encode(), hashlib.sha256).hexdigest()
    assert key_row.key_hash == expected
    raw = db.execute(text("SELECT * FROM api_keys")).all()
    assert all(plain not in str(value) for row in raw for value in row)
    live_row, live = service.issue_api_key(session=db, enterprise_id=ent.id, name="live", actor="test", sandbox=False)
    assert live.startswith("kj_live_") and not live_row.is_sandbox


def test_api_key_lookup_valid_wrong_revoked(db):
    ent = make_enterprise(db)
    plain = make_api_key(db, ent.id)
    row = service.lookup_api_key(session=db, key=plain)
    assert row.enterprise_id == ent.id and row.last_used_at is not None
    for wrong in ("", "kj_test_short", plain[:-1] + ("A" if plain[-1] != "A" else "B"), "x" * 500):
        with pytest.raises(ApiKeyRejected) as caught:
            service.lookup_api_key(session=db, key=wrong)
        assert caught.value.code == "api_key_invalid"
    service.revoke_api_key(session=db, api_key_id=row.id, actor="test")
    with pytest.raises(ApiKeyRejected) as caught:
        service.lookup_api_key(session=db, key=plain)
    assert caught.value.code == "api_key_revoked" and caught.value.status == 401


def test_api_key_roles_and_enterprise_checked(db):
    ent = make_enterprise(db)
    with pytest.raises(AppError) as caught:
        service.issue_api_key(session=db, enterprise_id=ent.id, name="x", roles=["zone_operator"], actor="test")
    assert codes(caught.value) == {"roles[1]": "role_not_allowed"}
    with pytest.raises(AppError) as caught:
        service.issue_api_key(session=db, enterprise_id=ent.id + 1000, name=" ", actor="test")
    assert codes(caught.value) == {"name": "api_key_name_required", "enterprise_id": "enterprise_unknown"}
    assert db.scalar(select(ApiKey.id)) is None


def test_web_session_expiry_and_end(db):
    user, _ = make_zone_user(db)
    now = utcnow()
    web, token = service.start_session(session=db, user=user, max_age_seconds=3600, now=now)
    assert web.id != token and len(web.csrf_secret) >= 32
    assert service.session_user(session=db, token=token, now=now + timedelta(minutes=59))[1].id == user.id
    assert service.session_user(session=db, token=token, now=now + timedelta(hours=1)) is None
    assert service.session_user(session=db, token="forged", now=now) is None
    assert service.end_session(session=db, token=token) is True
    assert db.get(WebSession, web.id) is None
    assert service.end_session(session=db, token=token) is False


def test_deactivating_a_user_ends_their_sessions(db):
    user, _ = make_zone_user(db)
    _web, token = service.start_session(session=db, user=user, max_age_seconds=3600)
    service.set_active(session=db, user=user, active=False, actor="test")
    assert service.session_user(session=db, token=token) is None
    assert db.scalar(select(WebSession.id).where(WebSession.user_id == user.id)) is None
    assert db.get(User, user.id).is_active is False


def test_api_key_cache_trusts_an_active_key_without_a_query_and_revocation_here_is_immediate(db):
    ent = make_enterprise(db)
    plain = make_api_key(db, ent.id)
    db.commit()
    first = service.authenticate_api_key(session=db, key=plain, monotonic=1000.0)
    assert first.enterprise_id == ent.id and first.last_used_at is not None
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        again = service.authenticate_api_key(session=db, key=plain, monotonic=1010.0)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert again == first and statements == []  # answered from this process's cache
    service.revoke_api_key(session=db, api_key_id=first.id, actor="test")  # revoked in this process
    with pytest.raises(ApiKeyRejected) as caught:
        service.authenticate_api_key(session=db, key=plain, monotonic=1011.0)
    assert caught.value.code == "api_key_revoked"
    db.commit()
    with pytest.raises(ApiKeyRejected) as caught:
        service.authenticate_api_key(session=db, key=plain, monotonic=1012.0)
    assert caught.value.code == "api_key_revoked"


def test_api_key_revoked_by_another_process_is_refused_once_the_cache_entry_expires(db):
    ent = make_enterprise(db)
    plain = make_api_key(db, ent.id)
    db.commit()
    service.authenticate_api_key(session=db, key=plain, monotonic=2000.0)
    # another process revokes the key: this process's cache does not know
    db.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP, revoked_by = 'other'"))
    db.commit()
    within = 2000.0 + service.API_KEY_CACHE_SECONDS - 1
    assert service.authenticate_api_key(session=db, key=plain, monotonic=within).enterprise_id == ent.id
    with pytest.raises(ApiKeyRejected) as caught:
        service.authenticate_api_key(session=db, key=plain, monotonic=2000.0 + service.API_KEY_CACHE_SECONDS)
    assert caught.value.code == "api_key_revoked"
    with pytest.raises(ApiKeyRejected) as caught:  # unknown keys are never cached
        service.authenticate_api_key(session=db, key="kj_test_" + "Z" * 32, monotonic=2001.0)
    assert caught.value.code == "api_key_invalid"


def test_api_key_cache_is_bounded(db, monkeypatch):
    monkeypatch.setattr(service, "API_KEY_CACHE_SIZE", 2)
    cache = service._KeyCache()
    ident = service.KeyIdentity(id=1, enterprise_id=1, name="k", prefix="p", role_set=frozenset(), is_sandbox=True,
                                last_used_at=None)
    for n in range(3):
        cache.put(f"h{n}", ident, at=0.0)
    assert cache.get("h0", 1.0) is None and cache.get("h1", 1.0) == ident and cache.get("h2", 1.0) == ident
    assert cache.get("h2", service.API_KEY_CACHE_SECONDS) is None  # expired


def test_a_bank_user_belongs_to_a_financial_enterprise(db):
    # a QA pass created a bank_insurer user on an e-commerce platform, which then read the platform's records
    from kuajing.enterprises.models import EnterpriseRoleLink

    shop, bank = make_enterprise(db), make_enterprise(db)
    db.add(EnterpriseRoleLink(enterprise_id=bank.id, role="finance"))
    db.flush()
    with pytest.raises(AppError) as caught:
        service.create_user(session=db, username="banker1", password="a-long-password-1", display_name="银行",
                            roles=["bank_insurer"], enterprise_id=shop.id, actor="test")
    assert codes(caught.value) == {"enterprise_id": "bank_not_finance"}
    user = service.create_user(session=db, username="banker2", password="a-long-password-1", display_name="银行",
                               roles=["bank_insurer"], enterprise_id=bank.id, actor="test")
    assert user.enterprise_id == bank.id
