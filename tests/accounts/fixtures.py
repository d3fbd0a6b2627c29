"""Reusable account helpers for every domain's tests (loaded by tests/conftest.py as a plugin).

Plain functions (call them with a session; they flush, the caller commits) and a few fixtures::

    ent = make_enterprise(db)                                   # a filed, approved enterprise
    user, password = make_enterprise_user(db, ent.id, roles=("enterprise_admin",))
    key = make_api_key(db, ent.id)                               # plain "kj_test_…" key
    db.commit()
    login(client, user.username, password)                      # the client now carries the session cookie
    client.get("/api/v1/me", headers={"X-API-Key": key})
"""

from __future__ import annotations

import itertools
import random
import re

import pytest

from kuajing.accounts import service
from kuajing.accounts.choices import Role

DEFAULT_PASSWORD = "Correct-Horse-Battery-9"
_counter = itertools.count(1)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{random.randint(1000, 9999)}"


def random_uscc() -> str:
    """A valid, random unified social credit code (统一社会信用代码) in Baotou (150200)."""
    from stdnum.cn import uscc

    while True:
        body = "91150200" + "".join(random.choice(_USCC_CHARS) for _ in range(9))
        candidate = body + uscc.calc_check_digit(body)
        if uscc.is_valid(candidate):
            return candidate


def make_enterprise(session, **overrides):
    """An approved enterprise row (needs kuajing.enterprises.models.Enterprise)."""
    from kuajing.enterprises.models import Enterprise

    values = {"uscc": random_uscc(), "name_zh": _unique("测试企业"), "status": "approved",
              "created_by": "test:fixtures"}
    values.update(overrides)
    enterprise = Enterprise(**values)
    session.add(enterprise)
    session.flush()
    return enterprise


def make_user(session, *, roles=(Role.zone_operator,), enterprise_id=None, password: str | None = None,
              username: str | None = None, display_name: str | None = None, locale: str = "zh_Hans"):
    """A user with ``roles``; returns (user, password)."""
    password = password or DEFAULT_PASSWORD
    username = username or _unique("user")
    user = service.create_user(session=session, username=username, password=password,
                               display_name=display_name or username.title(), roles=[str(r) for r in roles],
                               enterprise_id=enterprise_id, actor="test:fixtures", locale=locale)
    return user, password


def make_enterprise_user(session, enterprise_id: int, roles=(Role.enterprise_user,), **kwargs):
    """A user of one enterprise; returns (user, password)."""
    return make_user(session, roles=roles, enterprise_id=enterprise_id, **kwargs)


def make_zone_user(session, role=Role.zone_operator, **kwargs):
    """A zone-wide user (zone_operator, commerce_supervisor, customs_officer or auditor); returns (user, password)."""
    return make_user(session, roles=(role,), enterprise_id=None, **kwargs)


def make_api_key(session, enterprise_id: int, *, roles=(Role.enterprise_user,), sandbox: bool = True,
                 name: str = "test key") -> str:
    """Issue an API key for ``enterprise_id``; returns the plain key."""
    _key, plain = service.issue_api_key(session=session, enterprise_id=enterprise_id, name=name,
                                        roles=[str(r) for r in roles], actor="test:fixtures", sandbox=sandbox)
    return plain


_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The anti-forgery token the page at ``path`` hands out to this client."""
    page = client.get(path)
    found = _CSRF_RE.search(page.text)
    assert found, f"no csrf_token on {path} (status {page.status_code})"
    return found.group(1)


def login(client, username: str, password: str, *, next: str = "/"):
    """Log ``client`` in through the real form; asserts success and returns the redirect response."""
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": password, "next": next,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return response


def form_post(client, path: str, data: dict, *, page: str | None = None, **kwargs):
    """POST an HTML form with the CSRF token of ``page`` (default: ``path``'s own page, else /account)."""
    token = csrf_token(client, page or "/account")
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)


@pytest.fixture
def enterprise(db):
    """A committed, approved enterprise."""
    ent = make_enterprise(db)
    db.commit()
    return ent


@pytest.fixture
def other_enterprise(db):
    """A second committed enterprise (for isolation tests)."""
    ent = make_enterprise(db)
    db.commit()
    return ent
