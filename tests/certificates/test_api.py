"""The certificate registry over HTTP: the enterprise admin registers (PEM JSON or file upload) and revokes its
own certificates; clerks read; other enterprises see nothing; zone operators act for any enterprise; audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kuajing.accounts.choices import Role
from kuajing.audit.models import AuditEvent
from kuajing.ceb.signing import generate_demo_keypair
from kuajing.ceb.signing.certs import certificate_der
from tests.accounts.fixtures import login, make_api_key, make_enterprise, make_enterprise_user, make_zone_user


def _keys(db):
    a, b = make_enterprise(db), make_enterprise(db)
    keys = {"a_admin": make_api_key(db, a.id, roles=(Role.enterprise_admin,)),
            "a_clerk": make_api_key(db, a.id, roles=(Role.enterprise_user,)),
            "b_admin": make_api_key(db, b.id, roles=(Role.enterprise_admin,))}
    db.commit()
    return a, b, {k: {"X-API-Key": v} for k, v in keys.items()}


def test_admin_registers_lists_and_revokes_its_certificate(client, db, agent_keys):
    a, _b, h = _keys(db)
    _key, cert, signer = agent_keys
    r = client.post("/api/v1/certificates", json={"certificate": cert.decode()}, headers=h["a_admin"])
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["serial"] == signer.key_name and out["algorithm"] == "sm2-sm3" and out["status"] == "active"
    assert out["enterprise_id"] == a.id and len(out["fingerprint"]) == 64
    listed = client.get("/api/v1/certificates", headers=h["a_clerk"]).json()
    assert [c["id"] for c in listed["items"]] == [out["id"]]
    assert client.post(f"/api/v1/certificates/{out['id']}/revoke", json={"reason": "x"},
                       headers=h["a_clerk"]).status_code == 403  # clerks read, admins act
    r = client.post(f"/api/v1/certificates/{out['id']}/revoke", json={"reason": "钥匙遗失"}, headers=h["a_admin"])
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    again = client.post(f"/api/v1/certificates/{out['id']}/revoke", json={}, headers=h["a_admin"])
    assert again.status_code == 409 and again.json()["code"] == "certificate_already_revoked"
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.stream == f"certificates:enterprise:{a.id}")
                         .order_by(AuditEvent.id)).all()
    assert actions == ["certificates:certificate:register", "certificates:certificate:revoke"]


def test_der_file_upload_and_duplicates(client, db):
    _a, _b, h = _keys(db)
    _key, cert = generate_demo_keypair("rsa-sha1", "上传测试")
    der = certificate_der(cert)
    r = client.post("/api/v1/certificates/upload", files={"file": ("device.cer", der, "application/pkix-cert")},
                    headers=h["a_admin"])
    assert r.status_code == 201, r.text
    assert r.json()["algorithm"] == "rsa-sha1"
    dup = client.post("/api/v1/certificates", json={"certificate": cert.decode()}, headers=h["a_admin"])
    assert dup.status_code == 409 and dup.json()["code"] == "certificate_duplicate"


def test_unreadable_and_expired_certificates_are_refused_with_field_codes(client, db):
    _a, _b, h = _keys(db)
    r = client.post("/api/v1/certificates", json={"certificate": "not a certificate"}, headers=h["a_admin"])
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "certificate_unreadable"
    _key, old = generate_demo_keypair("sm2-sm3", "过期证书", days=30, now=datetime.now(UTC) - timedelta(days=60))
    r = client.post("/api/v1/certificates", json={"certificate": old.decode()}, headers=h["a_admin"])
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "certificate_expired"


def test_other_enterprises_neither_see_nor_revoke(client, db, agent_keys):
    a, b, h = _keys(db)
    cert = agent_keys[1]
    made = client.post("/api/v1/certificates", json={"certificate": cert.decode()}, headers=h["a_admin"]).json()
    assert client.get(f"/api/v1/certificates/{made['id']}", headers=h["b_admin"]).status_code == 404
    assert client.post(f"/api/v1/certificates/{made['id']}/revoke", json={}, headers=h["b_admin"]).status_code == 404
    assert client.get("/api/v1/certificates", headers=h["b_admin"]).json()["items"] == []
    assert client.get(f"/api/v1/certificates?enterprise_id={a.id}", headers=h["b_admin"]).status_code == 403
    r = client.post("/api/v1/certificates", json={"certificate": cert.decode(), "enterprise_id": a.id},
                    headers=h["b_admin"])
    assert r.status_code == 403


def test_zone_operator_registers_for_an_enterprise_and_sees_all(client, db, agent_keys):
    a, _b, _h = _keys(db)
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    from tests.accounts.fixtures import csrf_token

    token = csrf_token(client, "/certificates")
    headers = {"X-CSRF-Token": token}
    r = client.post("/api/v1/certificates", json={"certificate": agent_keys[1].decode()}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "certificate_enterprise_required"
    r = client.post("/api/v1/certificates", json={"certificate": agent_keys[1].decode(), "enterprise_id": a.id},
                    headers=headers)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/certificates").json()["total"] == 1


def test_the_page_lists_uploads_and_revokes(client, db, agent_keys):
    a = make_enterprise(db)
    user, password = make_enterprise_user(db, a.id, roles=(Role.enterprise_admin,))
    db.commit()
    login(client, user.username, password)
    page = client.get("/certificates")
    assert page.status_code == 200 and "-----BEGIN CERTIFICATE-----" in page.text  # the platform's certificate
    from tests.accounts.fixtures import csrf_token

    token = csrf_token(client, "/certificates")
    r = client.post("/certificates", data={"csrf_token": token},
                    files={"file": ("key.pem", agent_keys[1], "application/x-pem-file")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/certificates")
    assert agent_keys[2].key_name in page.text
    bad = client.post("/certificates", data={"csrf_token": token}, files={"file": ("x.pem", b"junk", "text/plain")})
    assert bad.status_code == 422 and "X.509" in bad.text
    cert_id = client.get("/api/v1/certificates").json()["items"][0]["id"]
    r = client.post(f"/certificates/{cert_id}/revoke", data={"csrf_token": token, "reason": "换证"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/certificates").json()["items"][0]["status"] == "revoked"


def test_platform_certificate_is_served(client, db):
    _a, _b, h = _keys(db)
    r = client.get("/api/v1/certificates/platform.pem", headers=h["a_clerk"])
    assert r.status_code == 200 and r.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_page_answers_an_impossible_enterprise_id_in_place(client, db, agent_keys):
    # a QA pass got a 500 (SQLite OverflowError) for enterprise id 99999999999999999999 on the upload form
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    from tests.accounts.fixtures import csrf_token

    token = csrf_token(client, "/certificates")
    for raw in ("99999999999999999999", "１２", "-1"):
        r = client.post("/certificates", data={"csrf_token": token, "enterprise_id": raw},
                        files={"file": ("key.pem", agent_keys[1], "application/x-pem-file")})
        assert r.status_code == 422, (raw, r.status_code)  # the enterprise is required: said on the page, no 500
