"""Hostile or sloppy input to the import API answers a 4xx problem with a stable code, never a 500.

JSON intake type checks (wrong types, floats, control characters), the DxpMsg detection of ``POST /ceb``,
cursor and id overflow, wrong content types, error messages in the caller's language, business keys
holding ``/`` and the OpenAPI description of the error answers.
"""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from kuajing.ceb import dxp
from kuajing.imports.models import ImportOrder, ImportPayment, ImportWaybill, Inventory, ReceivedMessage
from tests.imports import parcels
from tests.imports.parcels import xml

PROBLEM = "application/problem+json"


def _plain(value):
    return format(value, "f") if isinstance(value, Decimal) else value


def json_record(msg) -> dict:
    """The first record of ``msg`` as the JSON intake takes it (decimal strings, lines under ``items``)."""
    rec = msg.records[0]
    record = {k: _plain(v) for k, v in rec.head.to_dict(camel=False).items() if v is not None and k != "guid"}
    record["items"] = [{k: _plain(v) for k, v in i.to_dict(camel=False).items() if v is not None} for i in rec.items]
    return record


BUILDERS = {"orders": parcels.order, "payments": parcels.payment, "waybills": parcels.waybill,
            "inventories": parcels.inventory}
SENDERS = {"orders": "platform", "payments": "pay", "waybills": "logistics", "inventories": "agent"}
MODELS = (ImportOrder, ImportPayment, ImportWaybill, Inventory, ReceivedMessage)


def stored(db) -> int:
    db.expire_all()
    return sum(db.scalar(select(func.count()).select_from(m)) for m in MODELS)


def problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code, body
    return body


def paths(body: dict) -> dict[str, str]:
    return {e["path"]: e["code"] for e in body["errors"]}


# --- 1. JSON intake: wrong types are a 422 with the field path, nothing stored -------------------------

WRONG = [
    ("order_no", {"a": 1}, "records[1]/order_no"),
    ("order_no", [1], "records[1]/order_no"),
    ("order_no", 12345, "records[1]/order_no"),
    ("goods_value", True, "records[1]/goods_value"),
    ("goods_value", {"v": "280"}, "records[1]/goods_value"),
    ("items", ["abc"], "records[1]/items[1]"),
    ("items", [None], "records[1]/items[1]"),
    ("items", "abc", "records[1]/items"),
]


@pytest.mark.parametrize(("field", "value", "path"), WRONG, ids=[f"{f}={json.dumps(v)}" for f, v, _ in WRONG])
def test_wrongly_typed_order_field_is_a_422_with_its_path(client, db, zone, field, value, path):
    record = json_record(parcels.order(zone.parties))
    record[field] = value
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record]})
    body = problem(r, 422, "validation_failed")
    assert paths(body) == {path: "wrong_type"}
    assert body["errors"][0]["message"]
    assert stored(db) == 0


def test_wrongly_typed_item_field_is_reported_at_its_line(client, db, zone):
    record = json_record(parcels.order(zone.parties, lines=2))
    record["items"][1]["qty"] = [1]
    record["items"][0]["item_name"] = None  # null: the same as leaving the field out
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record]})
    body = problem(r, 422, "validation_failed")
    assert paths(body) == {"records[1]/items[2]/qty": "wrong_type"}
    assert stored(db) == 0


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_every_kind_refuses_a_dict_for_a_text_field(client, db, zone, kind):
    record = json_record(BUILDERS[kind](zone.parties))
    record["order_no"] = {"a": 1}
    r = client.post(f"/api/v1/imports/{kind}", headers=getattr(zone, SENDERS[kind]).headers,
                    json={"records": [record]})
    assert paths(problem(r, 422, "validation_failed")) == {"records[1]/order_no": "wrong_type"}
    assert stored(db) == 0


def test_a_json_number_amount_is_read_by_its_decimal_text(client, db, zone):
    record = json_record(parcels.order(zone.parties))
    record["goods_value"], record["freight"], record["actural_paid"] = 280.0, 20, 300.00
    record["items"][0].update(qty=1, price=280.0, total_price=280)
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record]})
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["code"] == "2"
    order = db.scalars(select(ImportOrder)).one()
    assert order.goods_value == Decimal("280.00")


def test_a_json_number_with_more_decimals_than_allowed_is_rejected_not_rounded(client, db, zone):
    record = json_record(parcels.order(zone.parties))
    record["freight"] = 20.001
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record]})
    assert r.status_code == 200, r.text
    verdict = r.json()["records"][0]
    assert verdict["status"] == "rejected" and verdict["code"] == "-301008"
    assert db.scalar(select(func.count()).select_from(ImportOrder)) == 0


@pytest.mark.parametrize("text", ["A\u0000B", "A\u0007B", "A\ufffeB", "A\ud800B"],
                         ids=["nul", "bell", "ufffe", "lone-surrogate"])
def test_characters_xml_cannot_carry_are_refused_with_their_path(client, db, zone, text):
    record = json_record(parcels.order(zone.parties))
    record["order_no"] = text
    record["items"][0]["item_name"] = text
    body = json.dumps({"records": [record]})  # ensure_ascii: the lone surrogate travels as \\ud800
    r = client.post("/api/v1/imports/orders", headers={**zone.platform.headers, "Content-Type": "application/json"},
                    content=body)
    body = problem(r, 422, "validation_failed")
    assert paths(body) == {"records[1]/order_no": "bad_character", "records[1]/items[1]/item_name": "bad_character"}
    assert stored(db) == 0


def test_a_message_guid_with_a_control_character_is_refused(client, db, zone):
    record = json_record(parcels.order(zone.parties))
    guid = "1f0e8c2a-3b4c-4d5e-8f90-a1b2c3d4e5\u0000f"
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record], "guid": guid})
    assert paths(problem(r, 422, "validation_failed")) == {"guid": "bad_character"}
    assert stored(db) == 0


def test_tab_and_newline_are_still_allowed(client, db, zone):
    record = json_record(parcels.order(zone.parties))
    record["consignee_address"] = "内蒙古包头市\t昆都仑区\n钢铁大街1号"
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json={"records": [record]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("transfer", "expected"), [
    ({"foo": 1}, {"base_transfer/foo": "field_unknown"}),
    ({"cop_code": {"x": 1}, "cop_name": "n", "dxp_id": "DXPENT0000000001"}, {"base_transfer/cop_code": "wrong_type"}),
    ({"cop_code": "1502900001", "cop_name": "n\u0000", "dxp_id": "DXPENT0000000001"},
     {"base_transfer/cop_name": "bad_character"}),
])
def test_a_bad_base_transfer_is_a_422_with_its_path(client, db, zone, transfer, expected):
    record = json_record(parcels.order(zone.parties))
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers,
                    json={"records": [record], "base_transfer": transfer})
    assert paths(problem(r, 422, "validation_failed")) == expected
    assert stored(db) == 0


# --- 2. POST /ceb: a DxpMsg is recognised by its root element, not by bytes anywhere ---------------------

def test_a_ceb_message_mentioning_dxpmsg_in_a_field_is_not_taken_for_an_envelope(client, db, zone):
    msg = parcels.order(zone.parties)
    msg.records[0].head.note = "forwarded from DxpMsg gateway"
    r = client.post("/ceb", content=xml(msg), headers={**zone.platform.headers, "Content-Type": "application/xml",
                                                       "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["code"] == "2"


def test_a_dxpmsg_behind_a_bom_declaration_and_comment_is_unwrapped(client, db, zone):
    wrapped = dxp.wrap(xml(parcels.order(zone.parties)), sender_id="DXPENT0000100001", receiver_ids="DXPEDCCEB0000002")
    assert wrapped.startswith(b"<?xml")
    head, _, rest = wrapped.partition(b"?>")
    body = b"\xef\xbb\xbf" + head + b"?>\n<!-- a comment naming CEB311Message -->\n" + rest
    r = client.post("/ceb", content=body, headers={**zone.platform.headers, "Content-Type": "application/xml",
                                                   "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["code"] == "2"


def test_a_dxpmsg_with_a_doctype_is_still_refused(client, db, zone):
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<DxpMsg xmlns="http://www.chinaport.gov.cn/dxp">&e;</DxpMsg>')
    r = client.post("/ceb", content=evil, headers={**zone.platform.headers, "Content-Type": "application/xml",
                                                   "Accept": "application/json"})
    problem(r, 400, "imports_message_unreadable")
    assert b"root:" not in r.content
    assert stored(db) == 0


# --- 3. cursors and ids out of range ------------------------------------------------------------------

@pytest.mark.parametrize("after", ["%C2%B2", "99999999999999999999999999", "-1", "1e3", "%EF%BC%91"])
def test_a_bad_receipts_cursor_is_a_422(client, zone, after):
    r = client.get(f"/ceb/receipts?after={after}", headers=zone.platform.headers)
    problem(r, 422, "imports_bad_cursor")


def test_the_largest_cursor_answers_an_empty_page(client, zone):
    r = client.get(f"/ceb/receipts?after={2**63 - 1}", headers=zone.platform.headers)
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize("delegation_id", ["999999999999999999999", str(2**63), "-5"])
def test_revoking_an_impossible_delegation_id_is_a_404(client, zone, delegation_id):
    r = client.delete(f"/api/v1/imports/delegations/{delegation_id}", headers=zone.platform.headers)
    problem(r, 404, "imports_delegation_not_found")


# --- 4. wrong content type: 415, and a validation error never echoes the raw body -------------------------

@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("path", ["/api/v1/imports/orders", "/api/v1/tax/quote"])
def test_a_non_json_content_type_is_a_415(client, db, zone, path, content_type):
    record = json_record(parcels.order(zone.parties))
    r = client.post(path, headers={**zone.platform.headers, "Content-Type": content_type},
                    content=json.dumps({"records": [record]}, ensure_ascii=False).encode())
    body = problem(r, 415, "unsupported_media_type")
    assert parcels.BUYER_ID not in r.text and parcels.BUYER_NAME not in r.text
    assert body["detail"]
    assert stored(db) == 0


def test_json_with_a_charset_or_a_json_suffix_is_still_json(client, zone):
    quote_body = {"declared_on": "2026-03-01", "items": [{"goods_value": "100.00", "quantity": 1,
                                                          "hs_code": "1901101000"}]}
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        r = client.post("/api/v1/tax/quote", headers={"Content-Type": content_type}, content=json.dumps(quote_body))
        assert r.status_code == 200, (content_type, r.text)


def test_a_validation_error_never_echoes_a_long_value_whole(client, zone):
    secret = parcels.BUYER_ID * 30
    r = client.post("/api/v1/tax/quote", json={"declared_on": "2026-03-01", "buyer_id_number": secret,
                                               "items": [{"goods_value": "1", "quantity": 1}]})
    body = problem(r, 422, "validation_failed")
    assert secret not in r.text
    assert len(json.dumps(body["errors"][0]["value"])) < 250


# --- 5. errors[].message in the caller's language ---------------------------------------------------------

@pytest.mark.parametrize(("language", "expected"), [("zh-CN", "格式错误"), ("en", "malformed XML"),
                                                     ("ru", "Некорректный XML"), ("mn", "XML-ийн бүтэц буруу")])
def test_unreadable_ceb_messages_follow_accept_language(client, zone, language, expected):
    r = client.post("/ceb", content=b"<ceb:CEB311Message xmlns:ceb='http://www.chinaport.gov.cn/ceb'><oops",
                    headers={**zone.platform.headers, "Content-Type": "application/xml", "Accept": "application/json",
                             "Accept-Language": language})
    body = problem(r, 400, "imports_message_unreadable")
    assert body["errors"][0]["code"] == "CEB-XML-MALFORMED"
    assert expected in body["errors"][0]["message"], body["errors"][0]["message"]


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", "缺少必填项"), ("en", "mandatory field copName"),
                                                     ("ru", "Обязательное поле"), ("mn", "Заавал")])
def test_unreadable_json_messages_follow_accept_language(client, db, zone, language, expected):
    record = json_record(parcels.order(zone.parties))
    r = client.post("/api/v1/imports/orders", headers={**zone.platform.headers, "Accept-Language": language},
                    json={"records": [record], "base_transfer": {"cop_code": "1502900001", "dxp_id": "DXPENT0000000001"}})
    body = problem(r, 400, "imports_message_unreadable")
    assert body["errors"][0]["path"].startswith("BaseTransfer")
    assert expected in body["errors"][0]["message"], body["errors"][0]["message"]
    assert stored(db) == 0


# --- 6. business keys holding a slash -----------------------------------------------------------------------

def test_a_business_key_with_a_slash_can_be_fetched(client, zone):
    msg = parcels.order(zone.parties)
    msg.records[0].head.order_no = "ORD/1"
    r = client.post("/ceb", content=xml(msg), headers={**zone.platform.headers, "Content-Type": "application/xml",
                                                       "Accept": "application/json"})
    assert r.json()["records"][0]["code"] == "2"
    key = f"{zone.platform.code}:ORD/1"
    one = client.get(f"/api/v1/imports/orders/{quote(key, safe='')}", headers=zone.platform.headers)
    assert one.status_code == 200, one.text
    assert one.json()["business_key"] == key
    assert client.get(f"/api/v1/imports/orders/{quote(key, safe='')}", headers=zone.pay.headers).status_code == 404
    # the fixed routes next to it still answer
    assert client.get("/api/v1/imports/orders/template.xlsx", headers=zone.platform.headers).status_code == 200


# --- 7. OpenAPI describes the real error answers --------------------------------------------------------

def test_openapi_describes_problem_json_errors(client):
    spec = client.get("/api/openapi.json").json()
    post = spec["paths"]["/api/v1/imports/orders"]["post"]["responses"]
    for status in ("400", "415", "422"):
        content = post[status]["content"]
        assert list(content) == [PROBLEM], (status, content)
        assert content[PROBLEM]["schema"]["$ref"].endswith("/Problem")
    assert "imports_message_unreadable" in post["400"]["description"]
    ceb = spec["paths"]["/ceb"]["post"]["responses"]["400"]["content"]
    assert set(ceb) == {"application/xml", PROBLEM}  # CEB900, or problem details for JSON clients
    problem_schema = spec["components"]["schemas"]["Problem"]
    assert {"code", "errors", "status", "title"} <= set(problem_schema["properties"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for route, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, answer in op.get("responses", {}).items():
                assert "application/json" not in answer.get("content", {}) or not status.startswith(("4", "5")), \
                    (route, method, status)
