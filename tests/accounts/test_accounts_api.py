"""JSON API: API-key authentication, role checks and the isolation of enterprises in /api/v1/api-keys|users."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kuajing.accounts import service
from kuajing.accounts.models import ApiKey
from tests.accounts.fixtures import (
    login,
    make_api_key,
    make_enterprise,
    make_enterprise_user,
    make_zone_user,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def two_enterprises(db):
    a, b = make_enterprise(db), make_enterprise(db)
    admin_a, pw_a = make_enterprise_user(db, a.id, roles=("enterprise_admin",))
    clerk_a, _ = make_enterprise_user(db, a.id)
    admin_b, _ = make_enterprise_user(db, b.id, roles=("enterprise_admin",))
    key_b = make_api_key(db, b.id, name="B's ERP")
    db.commit()
    return {"a": a, "b": b, "admin_a": admin_a, "pw_a": pw_a, "clerk_a": clerk_a, "admin_b": admin_b, "key_b": key_b}


def test_api_key_valid_in_either_header(db, client):
    ent = make_enterprise(db)
    key = make_api_key(db, ent.id)
    db.commit()
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        me = client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200
        body = me.json()
        assert body["kind"] == "api_key" and body["enterprise_id"] == ent.id and body["is_sandbox"] is True


@pytest.mark.parametrize(("case", "code"), [("missing", "unauthenticated"), ("wrong", "api_key_invalid"),
                                             ("garbage", "api_key_invalid"), ("revoked", "api_key_revoked")])
def test_api_key_rejections_are_401_problems_with_a_code(db, client, case, code):
    ent = make_enterprise(db)
    key = make_api_key(db, ent.id)
    if case == "revoked":
        service.revoke_api_key(session=db, api_key_id=db.scalar(select(ApiKey.id)), actor="test")
    db.commit()
    headers = {"missing": {}, "wrong": {"X-API-Key": "kj_test_" + "A" * 32},
               "garbage": {"X-API-Key": "' OR 1=1 --" + "x" * 600},
               "revoked": {"X-API-Key": key}}[case]
    response = client.get("/api/v1/me", headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"].startswith("ApiKey")
    body = response.json()
    assert body["code"] == code and body["status"] == 401 and body["title"] == "Authentication required"


def test_api_key_problem_translated(db, client):
    response = client.get("/api/v1/me", headers={"X-API-Key": "kj_live_" + "B" * 32, "Accept-Language": "zh-CN"})
    assert response.json()["detail"] == "该 API 密钥无效。"


def test_role_checks_are_403_problems(db, client):
    ent = make_enterprise(db)
    clerk_key = make_api_key(db, ent.id)
    supervisor, pw = make_zone_user(db, role="commerce_supervisor")
    db.commit()
    response = client.get("/api/v1/api-keys", headers={"X-API-Key": clerk_key})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert response.headers["content-type"].startswith(PROBLEM)
    login(client, supervisor.username, pw)
    assert client.get("/api/v1/users").status_code == 403
    assert client.post("/api/v1/users", json={"username": "x1x", "password": "long-password-1", "display_name": "X",
                                              "roles": ["zone_operator"]}).status_code == 403


def test_enterprise_admin_is_confined_to_their_enterprise(db, client, two_enterprises):
    t = two_enterprises
    login(client, t["admin_a"].username, t["pw_a"])
    # issue for another enterprise: refused, nothing written
    other = client.post("/api/v1/api-keys", json={"name": "sneaky", "enterprise_id": t["b"].id})
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    assert db.scalar(select(ApiKey).where(ApiKey.name == "sneaky")) is None
    # list users / keys of another enterprise: refused
    assert client.get("/api/v1/users", params={"enterprise_id": t["b"].id}).status_code == 403
    assert client.get("/api/v1/api-keys", params={"enterprise_id": t["b"].id}).status_code == 403
    # own lists contain only their enterprise
    users = client.get("/api/v1/users").json()
    assert {u["username"] for u in users} == {t["admin_a"].username, t["clerk_a"].username}
    assert client.get("/api/v1/api-keys").json() == []
    # revoking another enterprise's key: not found, and the key still works
    b_key_id = db.scalar(select(ApiKey.id).where(ApiKey.enterprise_id == t["b"].id))
    assert client.delete(f"/api/v1/api-keys/{b_key_id}").status_code == 404
    assert client.get("/api/v1/me", headers={"X-API-Key": t["key_b"]}).status_code == 200
    # creating a user in another enterprise or with a zone role: refused
    assert client.post("/api/v1/users", json={"username": "intruder", "password": "long-password-1",
                                              "display_name": "I", "roles": ["enterprise_user"],
                                              "enterprise_id": t["b"].id}).status_code == 403
    zone = client.post("/api/v1/users", json={"username": "intruder", "password": "long-password-1",
                                              "display_name": "I", "roles": ["zone_operator"]})
    assert zone.status_code == 422 and zone.json()["errors"][0]["code"] == "role_not_allowed"
    # the account page refuses the other enterprise too
    assert client.get("/account", params={"enterprise_id": t["b"].id}).status_code == 403


def test_enterprise_admin_issues_lists_and_revokes_own_keys(db, client, two_enterprises):
    t = two_enterprises
    login(client, t["admin_a"].username, t["pw_a"])
    issued = client.post("/api/v1/api-keys", json={"name": "ERP 接口", "sandbox": False})
    assert issued.status_code == 201
    body = issued.json()
    assert body["key"].startswith("kj_live_") and body["enterprise_id"] == t["a"].id
    listed = client.get("/api/v1/api-keys").json()
    assert [k["id"] for k in listed] == [body["id"]] and "key" not in listed[0] and "key_hash" not in listed[0]
    me = client.get("/api/v1/me", headers={"X-API-Key": body["key"]}).json()
    assert me["enterprise_id"] == t["a"].id and me["is_sandbox"] is False
    revoked = client.delete(f"/api/v1/api-keys/{body['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/me", headers={"X-API-Key": body["key"]}).json()["code"] == "api_key_revoked"


def test_an_api_key_cannot_grant_itself_more(db, client):
    ent = make_enterprise(db)
    admin_key = make_api_key(db, ent.id, roles=("enterprise_admin",))
    db.commit()
    issued = client.post("/api/v1/api-keys", headers={"X-API-Key": admin_key},
                         json={"name": "x", "roles": ["zone_operator"]})
    assert issued.status_code == 422 and issued.json()["errors"][0]["code"] == "role_not_allowed"


def test_zone_operator_sees_and_manages_every_enterprise(db, client, two_enterprises):
    t = two_enterprises
    operator, pw = make_zone_user(db)
    db.commit()
    login(client, operator.username, pw)
    assert len(client.get("/api/v1/users").json()) == 4
    assert {u["enterprise_id"] for u in client.get("/api/v1/users", params={"enterprise_id": t["b"].id}).json()} \
        == {t["b"].id}
    missing = client.post("/api/v1/api-keys", json={"name": "x"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["path"] == "enterprise_id"
    assert client.post("/api/v1/api-keys", json={"name": "for B", "enterprise_id": t["b"].id}).status_code == 201
    created = client.post("/api/v1/users", json={"username": "supervisor1", "password": "Bureau-Watch-2025",
                                                 "display_name": "商务局", "roles": ["commerce_supervisor"]})
    assert created.status_code == 201 and created.json()["enterprise_id"] is None
    assert "password" not in created.text and "$argon2" not in created.text


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{not json", 400, "malformed_json"),
    (b'{"name": "x", "enterprise_id": "abc"}', 422, "validation_failed"),
    (b'{"name": "x", "roles": "enterprise_user"}', 422, "validation_failed"),
    (b'{"name": "x", "colour": "red"}', 422, "validation_failed"),
    (b'[]', 422, "validation_failed"),
])
def test_bad_input_is_never_a_500(db, client, body, status, code):
    ent = make_enterprise(db)
    key = make_api_key(db, ent.id, roles=("enterprise_admin",))
    db.commit()
    response = client.post("/api/v1/api-keys", content=body,
                           headers={"X-API-Key": key, "Content-Type": "application/json"})
    assert response.status_code == status and response.json()["code"] == code


def test_unknown_ids_are_404_problems(db, client):
    operator, pw = make_zone_user(db)
    db.commit()
    login(client, operator.username, pw)
    response = client.delete("/api/v1/api-keys/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.delete("/api/v1/api-keys/abc").status_code == 422
