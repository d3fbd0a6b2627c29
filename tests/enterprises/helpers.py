"""Helpers for enterprise tests: valid fictitious identifiers, filings, users, sessions and API keys."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from stdnum.cn import uscc as stdnum_uscc

from kuajing.accounts import service as accounts
from kuajing.accounts.deps import SESSION_COOKIE
from kuajing.enterprises import service
from kuajing.enterprises.choices import ReviewAction

_serial = itertools.count(1)


def make_uscc(n: int | None = None) -> str:
    """A fictitious USCC of a Baotou company (region 150207) with a correct check character."""
    n = next(_serial) if n is None else n
    body = f"91150207MA0{n:06d}"
    return body + stdnum_uscc.calc_check_digit(body)


def make_customs_code(n: int | None = None) -> str:
    """A fictitious 10-character customs registration code of a Baotou private enterprise."""
    n = next(_serial) if n is None else n
    return f"150296{n % 10000:04d}"


def full_data(n: int | None = None, **overrides) -> dict:
    """Everything a submission needs."""
    n = next(_serial) if n is None else n
    data = {
        "uscc": make_uscc(n), "name_zh": f"包头测试商贸有限公司{n}", "name_en": f"Baotou Test Trading Co. {n}",
        "roles": ["ecommerce", "logistics"], "customs_code": make_customs_code(n), "customs_office": "0703",
        "dxp_id": f"DXPENT{n:010d}", "district": "150207", "park": "jiuyuan-digital", "industry": "cashmere",
        "contact_name": "王测试", "contact_phone": "13800001234", "address": "包头市九原区建华南路1号",
    }
    data.update(overrides)
    return data


def make_enterprise(session, *, status: str = "draft", n: int | None = None, **overrides):
    """A filing moved (through the real transitions) to ``status``."""
    zone = service.zone_config()
    ent = service.create_draft(session=session, data=full_data(n, **overrides), actor="test", zone=zone)
    path = {
        "draft": [], "submitted": ["submit"], "approved": ["submit", "approve"],
        "returned": ["submit", "return"], "suspended": ["submit", "approve", "suspend"],
        "revoked": ["submit", "approve", "revoke"],
    }[status]
    for action in path:
        service.transition(session=session, enterprise=ent, action=ReviewAction(action), actor="test",
                           reason="test reason")
    session.flush()
    return ent


@dataclass
class Login:
    """A logged-in user: the cookie to send and the CSRF token its forms carry."""

    user_id: int
    username: str
    cookies: dict
    csrf: str


def make_user(session, *, username: str, roles, enterprise_id: int | None = None) -> int:
    """A user with a throw-away password; returns its id."""
    user = accounts.create_user(session=session, username=username, password="Test-password-123!",
                                display_name=username, roles=list(roles), enterprise_id=enterprise_id, actor="test")
    return user.id


def login(session, *, user_id: int, max_age: int = 3600) -> Login:
    """Open a web session directly (no password round trip) and return its cookie and CSRF token."""
    user = accounts.get_user(session=session, user_id=user_id)
    web, token = accounts.start_session(session=session, user=user, max_age_seconds=max_age)
    return Login(user_id=user.id, username=user.username, cookies={SESSION_COOKIE: token}, csrf=web.csrf_secret)


def make_key(session, *, enterprise_id: int, roles=("enterprise_admin",), name: str = "test key") -> dict:
    """An API key of ``enterprise_id``; returns the headers to send."""
    _key, plain = accounts.issue_api_key(session=session, enterprise_id=enterprise_id, name=name, roles=list(roles),
                                         actor="test")
    return {"X-API-Key": plain}
