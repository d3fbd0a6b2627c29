"""/api/v1/audit: auditors and zone operators read the trail and verify it; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.accounts.fixtures import login, make_api_key, make_enterprise, make_user


def _as(db, client, role: str):
    """Log ``client`` in as a new user holding ``role`` (through the real login form)."""
    enterprise_id = make_enterprise(db).id if role.startswith("enterprise") else None
    user, password = make_user(db, roles=(role,), enterprise_id=enterprise_id)
    db.commit()
    login(client, user.username, password)


@pytest.fixture
def trail(write, checkpoint):
    write("enterprise:91150200MA0N123456", 3)
    write("system", 2, action="rules:parameter:publish")
    return checkpoint()


def test_anonymous_is_refused(client, trail):
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", ["enterprise_user", "enterprise_admin", "customs_officer", "commerce_supervisor"])
def test_other_roles_are_forbidden(db, client, trail, role):
    _as(db, client, role)
    for path in ("/api/v1/audit/events", "/api/v1/audit/verify", "/api/v1/audit/checkpoints"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "forbidden"


def test_enterprise_api_keys_are_forbidden(db, client, trail):
    key = make_api_key(db, make_enterprise(db).id, roles=("enterprise_admin",))
    db.commit()
    response = client.get("/api/v1/audit/events", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", ["auditor", "zone_operator"])
def test_auditor_reads_a_stream_timeline_with_paging(db, client, trail, role):
    _as(db, client, role)
    response = client.get("/api/v1/audit/events", params={"stream": "enterprise:91150200MA0N123456", "limit": 2})
    assert response.status_code == 200
    page = response.json()
    assert [e["seq"] for e in page["items"]] == [3, 2]
    first = page["items"][0]
    assert first["action"] == "enterprises:enterprise:update"
    assert first["after"] == {"credit_limit": "1003.00", "step": 2}
    assert first["before"] == {"credit_limit": "1002.00"}
    assert first["prev_hash"] == page["items"][1]["hash"]
    assert first["at"].startswith("2026-03-01T00:02:00")
    nxt = client.get("/api/v1/audit/events", params={"stream": "enterprise:91150200MA0N123456", "limit": 2,
                                                      "before_id": page["next_before_id"]}).json()
    assert [e["seq"] for e in nxt["items"]] == [1]
    assert nxt["next_before_id"] is None
    only = client.get("/api/v1/audit/events", params={"action_prefix": "rules:"}).json()["items"]
    assert {e["stream"] for e in only} == {"system"}


def test_bad_paging_is_a_problem_not_a_500(db, client, trail):
    _as(db, client, "auditor")
    response = client.get("/api/v1/audit/events", params={"limit": 5000}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["path"] == "limit"


def test_checkpoints_and_verify(db, client, trail, engine):
    _as(db, client, "auditor")
    cps = client.get("/api/v1/audit/checkpoints").json()
    assert [(c["number"], c["stream_count"], c["algorithm"]) for c in cps] == [(1, 2, "HMAC-SM3")]
    assert len(cps[0]["signature"]) == 64

    report = client.get("/api/v1/audit/verify").json()
    assert report["ok"] is True and report["problems"] == []
    with engine.connect() as conn:  # the trail's 5 events, plus the auditor's own creation and login
        assert report["events"] == conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one() > 5

    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET after_json = '{}' WHERE stream = 'system' AND seq = 1"))
    report = client.get("/api/v1/audit/verify", headers={"Accept-Language": "zh-CN"}).json()
    assert report["ok"] is False
    assert report["problems"][0]["kind"] == "hash_mismatch"
    assert (report["problems"][0]["stream"], report["problems"][0]["seq"]) == ("system", 1)
    assert report["problems"][0]["label"] == "哈希不符"
    assert report["first_problem"].startswith("审计流 system 第 1 号：哈希不符")
