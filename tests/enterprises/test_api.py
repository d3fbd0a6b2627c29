"""The JSON API of enterprise filing: the whole lifecycle, errors as problems, visibility."""

from __future__ import annotations

import pytest

from tests.enterprises.helpers import full_data, login, make_enterprise, make_key, make_user

PROBLEM = "application/problem+json"


@pytest.fixture
def actors(db):
    """A zone operator and a commerce supervisor (sessions)."""
    op = make_user(db, username="operator", roles=["zone_operator"])
    sup = make_user(db, username="supervisor", roles=["commerce_supervisor"])
    db.commit()
    result = {name: login(db, user_id=uid) for name, uid in (("op", op), ("sup", sup))}
    db.commit()
    return result


def call(client, who, method, url, **kw):
    client.cookies.clear()
    return client.request(method, url, cookies=who.cookies, **kw)


def test_full_lifecycle_over_the_api(client, actors, db):
    op = actors["op"]
    data = full_data(1, contact_phone=None)
    # the operator opens the filing, then gives the enterprise its administrator
    r = call(client, op, "POST", "/api/v1/enterprises", json={k: v for k, v in data.items() if v is not None})
    assert r.status_code == 201, r.text
    ent = r.json()
    assert ent["status"] == "draft" and ent["contact_phone_masked"] == ""
    assert ent["allowed_actions"] == ["update"]
    eid = ent["id"]
    admin = login(db, user_id=make_user(db, username="admin-1", roles=["enterprise_admin"], enterprise_id=eid))
    db.commit()
    assert call(client, admin, "GET", f"/api/v1/enterprises/{eid}").json()["allowed_actions"] == ["update", "submit"]
    # an enterprise administrator cannot open another filing
    r = call(client, admin, "POST", "/api/v1/enterprises", json={"uscc": full_data(2)["uscc"], "name_zh": "二"})
    assert r.status_code == 403
    r = call(client, admin, "POST", f"/api/v1/enterprises/{eid}/submit")
    assert r.status_code == 422 and r.json()["code"] == "enterprise_incomplete"
    assert [e["path"] for e in r.json()["errors"]] == ["contact_phone"]
    r = call(client, admin, "PATCH", f"/api/v1/enterprises/{eid}", json={"contact_phone": "0472-5123456"})
    assert r.status_code == 200 and r.json()["contact_phone_masked"] == "047*****3456"
    assert call(client, admin, "POST", f"/api/v1/enterprises/{eid}/submit").json()["status"] == "submitted"
    # the admin may not approve; the operator returns with field reasons
    r = call(client, admin, "POST", f"/api/v1/enterprises/{eid}/approve")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = call(client, op, "POST", f"/api/v1/enterprises/{eid}/return",
             json={"field_reasons": [{"path": "address", "message": "请填写详细门牌号"}]})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert r.json()["review_issues"] == [{"path": "address", "message": "请填写详细门牌号"}]
    assert call(client, admin, "PATCH", f"/api/v1/enterprises/{eid}", json={"address": "包头市九原区建华南路1号院3栋"}).status_code == 200
    assert call(client, admin, "POST", f"/api/v1/enterprises/{eid}/submit").json()["status"] == "submitted"
    assert call(client, op, "POST", f"/api/v1/enterprises/{eid}/approve").json()["status"] == "approved"
    r = call(client, op, "POST", f"/api/v1/enterprises/{eid}/suspend", json={})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "return_reason_required"
    assert call(client, op, "POST", f"/api/v1/enterprises/{eid}/suspend", json={"reason": "待核查"}).json()["status"] == "suspended"
    assert call(client, op, "POST", f"/api/v1/enterprises/{eid}/reinstate").json()["status"] == "approved"
    assert call(client, op, "POST", f"/api/v1/enterprises/{eid}/revoke", json={"reason": "企业申请注销"}).json()["status"] == "revoked"
    # illegal transition: 409 problem with a stable code
    r = call(client, op, "POST", f"/api/v1/enterprises/{eid}/approve")
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "enterprise_transition_not_allowed" and r.json()["errors"][0]["path"] == "status"
    r = call(client, admin, "PATCH", f"/api/v1/enterprises/{eid}", json={"address": "x"})
    assert r.status_code == 409 and r.json()["code"] == "enterprise_not_editable"
    # the timeline tells the whole story, newest first
    r = call(client, admin, "GET", f"/api/v1/enterprises/{eid}/timeline")
    assert r.status_code == 200
    actions = [e["action"].split(":")[-1] for e in reversed(r.json()["items"])]
    assert actions == ["create", "update", "submit", "return", "update", "resubmit", "approve",
                       "suspend", "reinstate", "revoke"]
    assert all("0472" not in str(e["after"]) for e in r.json()["items"])


def test_errors_are_problems_in_the_callers_language(client, actors):
    op = actors["op"]
    bad = {"uscc": "91150207MA0000001M", "name_zh": "甲", "customs_code": "0703960123", "district": "1"}
    r = call(client, op, "POST", "/api/v1/enterprises", json=bad, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    issues = {e["path"]: e for e in r.json()["errors"]}
    assert set(issues) == {"uscc", "customs_code", "district"}
    assert issues["uscc"]["code"] == "uscc_invalid" and "统一社会信用代码" in issues["uscc"]["message"]
    r = call(client, op, "POST", "/api/v1/enterprises", json=bad, headers={"Accept-Language": "en"})
    assert "unified social credit code" in {e["path"]: e for e in r.json()["errors"]}["uscc"]["message"]
    # malformed JSON and wrong types never become a 500
    r = call(client, op, "POST", "/api/v1/enterprises", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
    r = call(client, op, "POST", "/api/v1/enterprises", json={"uscc": 5, "name_zh": ["x"], "roles": "platform"})
    assert r.status_code == 422
    assert {e["path"] for e in r.json()["errors"]} == {"uscc", "name_zh", "roles"}
    r = call(client, op, "POST", "/api/v1/enterprises", json={"uscc": full_data(3)["uscc"], "name_zh": "甲", "extra": 1})
    assert r.status_code == 422 and r.json()["errors"][0] == {**r.json()["errors"][0], "code": "field_unknown", "path": "extra"}
    r = call(client, op, "POST", "/api/v1/enterprises", json=[1, 2])
    assert r.status_code == 422
    r = call(client, op, "GET", "/api/v1/enterprises/abc")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "enterprise_id"
    r = call(client, op, "GET", "/api/v1/enterprises/99999999999999999999")
    assert r.status_code == 422
    r = call(client, op, "GET", "/api/v1/enterprises/424242")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = call(client, op, "GET", "/api/v1/enterprises?status=unknown&per_page=1000")
    assert r.status_code == 422 and {e["path"] for e in r.json()["errors"]} == {"status", "per_page"}
    r = call(client, op, "POST", "/api/v1/enterprises/1/return", json={"field_reasons": "x"})
    assert r.status_code in (404, 422)


def test_duplicates_answer_409(client, actors, db):
    existing = make_enterprise(db, n=50)
    db.commit()
    r = call(client, actors["op"], "POST", "/api/v1/enterprises", json={"uscc": existing.uscc, "name_zh": "重复"})
    assert r.status_code == 409 and r.json()["code"] == "uscc_taken" and r.json()["errors"][0]["path"] == "uscc"
    r = call(client, actors["op"], "POST", "/api/v1/enterprises",
             json={"uscc": full_data(51)["uscc"], "name_zh": "重复", "customs_code": existing.customs_code})
    assert r.status_code == 409 and r.json()["code"] == "customs_code_taken"


def test_visibility(client, actors, db):
    a = make_enterprise(db, status="approved", n=60)
    b = make_enterprise(db, status="draft", n=61)
    user_a = make_user(db, username="clerk-a", roles=["enterprise_user"], enterprise_id=a.id)
    db.commit()
    clerk = login(db, user_id=user_a)
    key_a = make_key(db, enterprise_id=a.id, roles=["enterprise_user"])
    db.commit()
    # zone-wide roles see everything, with counts per status
    r = call(client, actors["sup"], "GET", "/api/v1/enterprises")
    assert r.json()["total"] == 2 and r.json()["counts"]["draft"] == 1
    assert call(client, actors["sup"], "POST", f"/api/v1/enterprises/{a.id}/suspend", json={"reason": "x"}).status_code == 403
    # an enterprise's clerk and key see only their own, and cannot act
    for who in ({"cookies": clerk.cookies}, {"headers": key_a}):
        client.cookies.clear()
        r = client.get("/api/v1/enterprises", **who)
        assert [e["id"] for e in r.json()["items"]] == [a.id]
        assert client.get(f"/api/v1/enterprises/{b.id}", **who).status_code == 404
        assert client.get(f"/api/v1/enterprises/{a.id}", **who).json()["allowed_actions"] == []
        assert client.patch(f"/api/v1/enterprises/{a.id}", json={"address": "x"}, **who).status_code == 403
    client.cookies.clear()
    assert client.get("/api/v1/enterprises").status_code == 401


def test_zone_reference_lists(client):
    r = client.get("/api/v1/zone", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    body = r.json()
    assert len(body["districts"]) == 10 and {"code": "150207", "name": "Jiuyuan District"} in body["districts"]
    assert any(p["code"] == "bonded-b" for p in body["parks"])
    assert {"platform", "payment", "declaring_agent"} <= {r["code"] for r in body["roles"]}
