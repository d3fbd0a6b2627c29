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
    assert r.status_code in (404, 422) and r.status_code != 500
    r = client.get("/api/v1/certificates/99999999999999999999")
    assert r.status_code in (404, 422), r.text
