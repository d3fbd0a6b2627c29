"""Login, sessions, logout, open redirects, CSRF and the account page, through the real app."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kuajing.accounts.deps import CSRF_COOKIE, SESSION_COOKIE
from kuajing.accounts.models import ApiKey, User, WebSession
from kuajing.db.base import utcnow
from tests.accounts.fixtures import (
    csrf_token,
    form_post,
    login,
    make_enterprise,
    make_enterprise_user,
    make_zone_user,
)


def test_login_sets_a_hardened_session_cookie_and_everyone_sees_the_user(db, client):
    user, password = make_zone_user(db, display_name="张审计", role="auditor")
    db.commit()
    response = login(client, user.username, password, next="/account")
    assert response.headers["location"] == "/account"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered and "path=/" in lowered
    token = cookie.split(";")[0].split("=", 1)[1]
    assert db.get(WebSession, token) is None  # only the hash of the token is stored
    home = client.get("/")
    assert "张审计" in home.text and 'action="/logout"' in home.text
    me = client.get("/api/v1/me").json()
    assert me["kind"] == "user" and me["roles"] == ["auditor"] and me["is_zone_wide"] is True


def test_login_failure_shows_errors_on_the_form(db, client):
    user, _ = make_zone_user(db)
    db.commit()
    token = csrf_token(client)
    wrong = client.post("/login", data={"username": user.username, "password": "nope-nope-nope", "csrf_token": token})
    assert wrong.status_code == 400 and 'data-code="invalid_credentials"' in wrong.text
    assert SESSION_COOKIE not in wrong.cookies
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert empty.status_code == 400
    assert 'id="username-error"' in empty.text and 'id="password-error"' in empty.text


def test_login_lockout_on_the_page(db, client):
    user, password = make_zone_user(db)
    db.commit()
    token = csrf_token(client)
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "bad-password-x", "csrf_token": token})
    locked = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token},
                         headers={"Accept-Language": "en"}, follow_redirects=False)
    assert locked.status_code == 429 and SESSION_COOKIE not in locked.cookies
    assert "Too many failed logins" in locked.text


def test_expired_session_is_anonymous(db, client):
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    assert client.get("/api/v1/me").status_code == 200
    db.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert client.get("/api/v1/me").json()["code"] == "unauthenticated"
    page = client.get("/account", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/account"


def test_logout_ends_the_session(db, client):
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    old = client.cookies.get(SESSION_COOKIE)
    token = csrf_token(client, "/")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert any(c.startswith(SESSION_COOKIE + '=""') or "max-age=0" in c.lower()
               for c in response.headers.get_list("set-cookie"))
    assert db.scalar(select(WebSession.id)) is None
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, old)  # replaying the old cookie does not help: the session is gone
    assert client.get("/api/v1/me").json()["code"] == "unauthenticated"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "http:/evil.example", "/ok\r\nSet-Cookie: x=1"])
def test_open_redirect_rejected(db, client, target):
    user, password = make_zone_user(db)
    db.commit()
    assert login(client, user.username, password, next=target).headers["location"] == "/"


def test_local_next_is_kept_and_shown_in_the_form(client):
    page = client.get("/login", params={"next": "/registry?q=羊绒"})
    assert 'name="next" value="/registry?q=羊绒"' in page.text
    assert 'name="next" value="/"' in client.get("/login", params={"next": "https://evil.example"}).text


def test_csrf_required_on_form_posts(db, client):
    ent = make_enterprise(db)
    admin, password = make_enterprise_user(db, ent.id, roles=("enterprise_admin",))
    db.commit()
    client.get("/login")
    no_token = client.post("/login", data={"username": admin.username, "password": password})
    assert no_token.status_code == 403 and no_token.json()["code"] == "csrf_failed"
    forged = client.post("/login", data={"username": admin.username, "password": password, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    login(client, admin.username, password)
    for path, data in [("/account/api-keys", {"name": "ERP"}), ("/logout", {}),
                       ("/account/users", {"username": "newone", "display_name": "N", "password": "long-enough-pw-1"})]:
        assert client.post(path, data=data).status_code == 403, path
    # a token from before login (the anonymous double-submit cookie) is not valid for the session
    anonymous = client.cookies.get(CSRF_COOKIE)
    assert client.post("/account/api-keys", data={"name": "ERP", "csrf_token": anonymous}).status_code == 403
    assert db.scalar(select(ApiKey.id)) is None
    assert client.get("/api/v1/me").status_code == 200  # still logged in


def test_account_page_issues_a_key_shown_once_and_revokes_it(db, client):
    ent = make_enterprise(db)
    admin, password = make_enterprise_user(db, ent.id, roles=("enterprise_admin",))
    db.commit()
    login(client, admin.username, password)
    issued = form_post(client, "/account/api-keys", {"name": "WMS 对接"})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    plain = re.search(r'class="plain-key">([^<]+)<', issued.text).group(1)
    assert client.get("/api/v1/me", headers={"X-API-Key": plain}).json()["enterprise_id"] == ent.id
    assert plain not in client.get("/account").text  # shown once
    key_id = db.scalar(select(ApiKey.id))
    revoked = form_post(client, f"/account/api-keys/{key_id}/revoke", {})
    assert revoked.status_code == 200
    assert client.get("/api/v1/me", headers={"X-API-Key": plain}).json()["code"] == "api_key_revoked"


def test_account_page_field_errors_and_user_creation(db, client):
    ent = make_enterprise(db)
    admin, password = make_enterprise_user(db, ent.id, roles=("enterprise_admin",))
    db.commit()
    login(client, admin.username, password)
    bad = form_post(client, "/account/users", {"username": "clerk1", "display_name": "", "password": "clerk1-pw",
                                               "role": "zone_operator"})
    assert bad.status_code == 422 and 'id="role-error"' in bad.text
    bad = form_post(client, "/account/users", {"username": "clerk1", "display_name": "", "password": "clerk1-pw",
                                               "role": "enterprise_user"})
    assert bad.status_code == 422
    assert 'id="password-error"' in bad.text and 'id="display_name-error"' in bad.text
    ok = form_post(client, "/account/users", {"username": "clerk1", "display_name": "小李",
                                              "password": "Warehouse-Ledger-8", "role": "enterprise_user"})
    assert ok.status_code == 201
    clerk = db.scalar(select(User).where(User.username == "clerk1"))
    assert clerk.enterprise_id == ent.id and clerk.roles == "enterprise_user"


def test_plain_enterprise_user_cannot_manage_keys_on_the_page(db, client):
    ent = make_enterprise(db)
    clerk, password = make_enterprise_user(db, ent.id)
    db.commit()
    login(client, clerk.username, password)
    page = client.get("/account")
    assert page.status_code == 200 and 'action="/account/api-keys"' not in page.text
    assert form_post(client, "/account/api-keys", {"name": "x"}).status_code == 403


def test_change_own_password(db, client):
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    wrong = form_post(client, "/account/password", {"current_password": "nope", "new_password": "New-Password-99"})
    assert wrong.status_code == 400 and 'id="current_password-error"' in wrong.text
    ok = form_post(client, "/account/password", {"current_password": password, "new_password": "New-Password-99"})
    assert ok.status_code == 200
    client.cookies.clear()
    login(client, user.username, "New-Password-99")


def test_demo_logins_listed_in_development_only(app, settings, client, tmp_path):
    (settings.var_dir / "demo-credentials.json").write_text(json.dumps(
        {"logins": [{"username": "demo-admin", "password": "Demo-Pass-2023", "role": "enterprise_admin",
                     "display_name": "演示企业管理员"}]}), encoding="utf-8")
    try:
        assert "demo-admin" not in client.get("/login").text  # env=test
        app.state.settings = settings.model_copy(update={"env": "development"})
        page = client.get("/login").text
        assert "demo-admin" in page and "Demo-Pass-2023" in page
    finally:
        (settings.var_dir / "demo-credentials.json").unlink()
