"""A browser's form that fails FastAPI's own checks (a typed Form() field) gets a page naming the field, not
problem+json text in place of the page; a number too large for the database is a 422, never a 500."""

from __future__ import annotations

from tests.accounts.fixtures import csrf_token, login, make_zone_user


def _operator(client, db):
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)


def test_a_typed_form_field_gets_an_html_page_with_the_field(client, db):
    _operator(client, db)
    token = csrf_token(client, "/stats/surveys")
    r = client.post("/stats/surveys", data={"csrf_token": token, "enterprise_id": "175x", "month": "2026-10",
                                            "direction": "export", "channel": "express", "value_cny": "1000"},
                    headers={"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'data-path="enterprise_id"' in r.text and "返回表单" in r.text
    api = client.post("/stats/surveys", data={"csrf_token": token, "enterprise_id": "175x"},
                      headers={"Accept": "application/json"})
    assert api.status_code == 422 and api.headers["content-type"].startswith("application/problem+json")


def test_an_id_beyond_the_databases_integers_is_a_422(client, db):
    _operator(client, db)
    r = client.get("/api/v1/risk/alerts/99999999999999999999999")
    assert r.status_code == 422, r.text  # beyond the id's range: refused before any lookup
    r = client.get("/api/v1/certificates/99999999999999999999")
    assert r.status_code == 422 and r.json()["code"] == "value_out_of_range", r.text  # was a 500 (OverflowError)


def test_control_characters_are_refused_in_json_bodies_with_the_field(client, db):
    # a QA pass stored a NUL in a bonded document number, a user's display name and an enterprise's name
    from tests.accounts.fixtures import make_api_key, make_enterprise

    ent = make_enterprise(db)
    key = {"X-API-Key": make_api_key(db, ent.id)}
    db.commit()
    r = client.post("/api/v1/bonded/reservations", headers=key,
                    json={"warehouse_code": "W\u0000", "item_no": "SKU-1", "quantity": "1", "reference": "R"})
    assert r.status_code == 422 and [(e["code"], e["path"]) for e in r.json()["errors"]] == [
        ("bad_character", "warehouse_code")]
    _operator(client, db)
    token = csrf_token(client, "/registry")
    r = client.post("/api/v1/users", headers={"X-CSRF-Token": token},
                    json={"username": "new-user", "password": "a-long-password-1", "display_name": "x\u0000y",
                          "roles": ["auditor"]})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "display_name"
    assert r.json()["errors"][0]["code"] == "bad_character"
    assert client.post("/api/v1/users", headers={"X-CSRF-Token": token},
                       json={"username": "new-user", "password": "a-long-password-1", "display_name": "x\ty",
                             "roles": ["auditor"]}).status_code == 201  # a tab is allowed
