"""One error format for the whole API: RFC 9457 problem details, stable codes, field paths, languages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from kuajing.errors import AppError, FieldIssue
from kuajing.web.deps import DbSession


class Line(BaseModel):
    hs_code: str = Field(max_length=10)
    quantity: int = Field(gt=0)
    goods_value: Decimal = Field(decimal_places=2)


class Parcel(BaseModel):
    declared_on: date
    items: list[Line] = Field(min_length=1)


def _probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/api/v1/_probe")
    def probe(body: Parcel):
        return {"lines": len(body.items)}

    @router.post("/api/v1/_fail_after_write")
    def fail_after_write(session: DbSession):
        session.execute(text("CREATE TABLE IF NOT EXISTS zz_probe (x INTEGER)"))
        session.execute(text("INSERT INTO zz_probe (x) VALUES (1)"))
        raise AppError("probe_rejected", "Rejected", status=409,
                       errors=[FieldIssue("probe_rejected", "items[1]/hs_code", "Unknown code {code}.", "xx", {"code": "xx"})])

    return router


@pytest.fixture
def probe_client(app):
    from fastapi.testclient import TestClient

    app.include_router(_probe_router())
    with TestClient(app) as c:
        yield c


def _problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert isinstance(body["errors"], list) and body["title"]
    return body


def test_malformed_json_is_400_with_code(probe_client):
    r = probe_client.post("/api/v1/_probe", content=b'{"declared_on": "2026-01-01", ', headers={"content-type": "application/json"})
    _problem(r, 400, "malformed_json")


def test_every_wrong_field_reported_with_path_in_english(probe_client):
    body = {"declared_on": "2026-13-01", "items": [{"hs_code": "12345678901", "quantity": 0, "goods_value": "abc"}]}
    r = probe_client.post("/api/v1/_probe", json=body, headers={"accept-language": "en-US,en;q=0.9"})
    problem = _problem(r, 422, "validation_failed")
    by_path = {e["path"]: e for e in problem["errors"]}
    assert by_path["declared_on"]["code"] == "bad_date"
    assert by_path["items[1]/hs_code"]["code"] == "too_long"
    assert by_path["items[1]/hs_code"]["value"] == "12345678901"
    assert by_path["items[1]/quantity"]["code"] == "too_small"
    assert by_path["items[1]/goods_value"]["code"] == "wrong_type"
    assert by_path["items[1]/hs_code"]["message"] == "At most 10 characters."


def test_messages_in_chinese_by_default(probe_client):
    r = probe_client.post("/api/v1/_probe", json={"items": []})
    problem = _problem(r, 422, "validation_failed")
    missing = next(e for e in problem["errors"] if e["path"] == "declared_on")
    assert missing["code"] == "field_required"
    assert missing["message"] == "此字段为必填项。"
    assert problem["title"] == "请求中有无效字段"


def test_app_error_rolls_back_and_keeps_codes(probe_client, engine):
    r = probe_client.post("/api/v1/_fail_after_write", headers={"accept-language": "en"})
    problem = _problem(r, 409, "probe_rejected")
    assert problem["errors"] == [{"code": "probe_rejected", "path": "items[1]/hs_code", "value": "xx", "message": "Unknown code xx."}]
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT COUNT(*) FROM zz_probe")).scalar_one() if _has_table(conn) else 0
    assert exists == 0  # nothing half-written


def _has_table(conn) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table("zz_probe")


def test_unknown_route_and_method(probe_client):
    _problem(probe_client.get("/api/v1/nothing-here"), 404, "not_found")
    _problem(probe_client.get("/api/v1/_probe"), 405, "method_not_allowed")


def test_wrong_content_type_is_a_client_error(probe_client):
    r = probe_client.post("/api/v1/_probe", content=b"declared_on=2026-01-01", headers={"content-type": "text/plain"})
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")


def test_oversized_body_is_413(probe_client, settings):
    big = b"{" + b" " * (settings.max_request_bytes + 1) + b"}"
    r = probe_client.post("/api/v1/_probe", content=big, headers={"content-type": "application/json"})
    _problem(r, 413, "payload_too_large")


def _chunked(total: int, chunk: int = 1024 * 1024):
    """A body sent without Content-Length (Transfer-Encoding: chunked), ``total`` bytes of a JSON text."""
    def body():
        yield b'{"x": "'
        sent = 0
        while sent < total:
            yield b"A" * chunk
            sent += chunk
        yield b'"}'
    return body()


def test_oversized_chunked_body_is_413_not_read_to_the_end(probe_client, settings):
    # no Content-Length: the limit is counted on the bytes as they arrive (it used to read the whole body)
    r = probe_client.post("/api/v1/_probe", content=_chunked(settings.max_request_bytes + 1024 * 1024),
                          headers={"content-type": "application/json", "accept-language": "en"})
    body = _problem(r, 413, "payload_too_large")
    assert str(settings.max_request_bytes) in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/tax/quote", "/api/v1/quota/lookup", "/ceb"])
def test_oversized_chunked_body_is_413_on_real_routes(probe_client, settings, path):
    r = probe_client.post(path, content=_chunked(settings.max_request_bytes + 1024 * 1024),
                          headers={"content-type": "application/json"})
    assert r.status_code in (401, 413), r.text  # /ceb answers who you are first, before reading a byte
    if r.status_code == 413:
        _problem(r, 413, "payload_too_large")


def test_chunked_body_under_the_limit_is_read(probe_client):
    def body():
        yield b'{"declared_on": "2026-01-01", '
        yield b'"items": [{"hs_code": "0101", "goods_value": "1.00"}]}'
    r = probe_client.post("/api/v1/_probe", content=body(), headers={"content-type": "application/json"})
    assert r.status_code != 413, r.text


def test_html_pages_get_a_page_not_json(probe_client):
    r = probe_client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_health(probe_client):
    assert probe_client.get("/healthz").json()["status"] == "ok"


def test_language_switch_sets_cookie_and_only_local_redirects(probe_client):
    r = probe_client.get("/lang/en?next=/registry", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/registry"
    assert "lang=en" in r.headers["set-cookie"]
    r = probe_client.get("/lang/en?next=//evil.example/x", follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_message_may_carry_its_own_code_placeholder():
    """A bonded account book's ``{code}`` in the message is a parameter, not the error code (was a TypeError
    → 500 for an unknown account book)."""
    from kuajing.bonded import errors as bonded_errors

    err = bonded_errors.warehouse_unknown("NOPE-1")
    problem = err.to_problem("en")
    assert err.status == 404 and problem["code"] == "bonded_warehouse_unknown"
    assert "NOPE-1" in problem["detail"] and problem["errors"][0]["path"] == "warehouse_code"


def test_an_unreachable_database_answers_503_busy_retry_not_500(app):
    """A full or restarting database (too many connections, pool exhausted) is a retryable 503 with Retry-After."""
    import psycopg
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    router = APIRouter()

    @router.post("/api/v1/_db_full")
    def db_full():
        raise OperationalError("SELECT 1", {}, psycopg.errors.TooManyConnections("sorry, too many clients already"))

    @router.post("/api/v1/_pool_exhausted")
    def pool_exhausted():
        raise PoolTimeout("QueuePool limit of size 8 overflow 8 reached")

    @router.post("/api/v1/_bug")
    def bug():
        raise RuntimeError("a real bug")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in ("/api/v1/_db_full", "/api/v1/_pool_exhausted"):
            r = c.post(path)
            assert r.status_code == 503 and r.headers["retry-after"] == "2", path
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "busy_retry"
        r = c.post("/api/v1/_bug")  # anything else stays an internal error, and says nothing was saved
        assert r.status_code == 500 and r.json()["code"] == "internal_error"


def test_language_switch_keeps_the_pages_query_and_refuses_backslash_hosts(probe_client):
    page = probe_client.get("/tax/calculator?declared_on=2025-06-01&goods_value_1=1000")
    assert "next=/tax/calculator%3Fdeclared_on%3D2025-06-01%26goods_value_1%3D1000" in page.text
    assert 'name="next" value="/tax/calculator?declared_on=2025-06-01&amp;goods_value_1=1000"' in page.text
    r = probe_client.get("/lang/ru?next=/tax/calculator%3Fdeclared_on%3D2025-06-01", follow_redirects=False)
    assert r.headers["location"] == "/tax/calculator?declared_on=2025-06-01"
    for evil in ("/\\evil.example/x", "/%5Cevil.example"):
        assert probe_client.get(f"/lang/en?next={evil}", follow_redirects=False).headers["location"] == "/"


@pytest.mark.parametrize("path", ["/login", "/", "/api/v1/zone", "/api/v1/nothing-here", "/static/app.css"])
def test_every_answer_forbids_framing_and_sniffing(probe_client, path):
    r = probe_client.get(path)
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
