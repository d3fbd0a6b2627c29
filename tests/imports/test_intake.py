"""End-to-end intake through POST /ceb: verdicts, official codes, idempotency, authorisation, receipts pull."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree
from sqlalchemy import func, select, text

from kuajing.ceb import dxp, parse
from kuajing.imports.models import ImportOrder, Inventory, Receipt, ReceivedMessage
from tests.imports import parcels
from tests.imports.parcels import xml

CEB_NS = "{http://www.chinaport.gov.cn/ceb}"


def post(client, party, body: bytes, *, json: bool = False):
    headers = {**party.headers, "Content-Type": "application/xml"}
    if json:
        headers["Accept"] = "application/json"
    return client.post("/ceb", content=body, headers=headers)


def statuses(response) -> list[tuple[str, str]]:
    receipt = parse(response.content, validate=False)
    return [(r.return_status, r.return_info) for r in receipt.records]


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_order_accepted_answers_ceb312_with_status_2(client, db, zone):
    r = post(client, zone.platform, xml(parcels.order(zone.parties)))
    assert r.status_code == 200
    receipt = parse(r.content)
    assert receipt.message_type == "CEB312"
    rec = receipt.records[0]
    assert (rec.return_status, rec.order_no, rec.ebp_code) == ("2", "ORD1", zone.platform.code)
    order = db.scalars(select(ImportOrder)).one()
    assert order.business_key == f"{zone.platform.code}:ORD1" and order.status == "accepted"
    assert order.buyer_id_number == parcels.BUYER_ID  # decrypted by the column type
    raw = db.execute(text("SELECT buyer_id_number FROM import_orders")).scalar_one()
    assert parcels.BUYER_ID not in raw  # encrypted at rest


def test_partly_rejected_message_answers_200_with_a_receipt_per_record(client, db, zone):
    msg = parcels.order(zone.parties, 1)
    second = parcels.order(zone.parties, 2).records[0]
    second.head.order_no = "X" * 61  # too long: this record only
    msg.records.append(second)
    r = post(client, zone.platform, xml_unchecked(msg), json=True)
    assert r.status_code == 200
    body = r.json()
    assert [v["status"] for v in body["records"]] == ["accepted", "rejected"]
    assert body["records"][1]["code"] == "-301008"  # official: parameter check failed
    assert "orderNo" in body["records"][1]["info"]
    assert count(db, ImportOrder) == 1


def xml_unchecked(msg) -> bytes:
    from kuajing.ceb import build

    return build(msg, validate=False)


def test_identical_resend_gets_the_original_receipt_and_stores_nothing(client, db, zone):
    first = post(client, zone.platform, xml(parcels.order(zone.parties)))
    again = parcels.order(zone.parties)  # new guid and message, same content
    second = post(client, zone.platform, xml(again))
    assert second.status_code == 200
    assert parse(second.content).records[0].guid == parse(first.content).records[0].guid
    assert count(db, ImportOrder) == 1
    assert count(db, Receipt) == 1


def test_retried_message_stores_nothing_twice(client, db, zone):
    body = xml(parcels.order(zone.parties))
    first = post(client, zone.platform, body)
    second = post(client, zone.platform, body)
    assert second.content == first.content
    assert (count(db, ImportOrder), count(db, Receipt), count(db, ReceivedMessage)) == (1, 1, 1)


def test_same_key_different_content_gets_the_duplicate_code(client, db, zone):
    post(client, zone.platform, xml(parcels.order(zone.parties)))
    changed = parcels.order(zone.parties, goods="290", freight="10")
    r = post(client, zone.platform, xml(changed))
    assert statuses(r)[0][0] == "-301010"
    assert db.scalars(select(ImportOrder)).one().goods_value == Decimal("280")


def test_waybill_and_payment_duplicates_use_their_own_codes(client, zone):
    post(client, zone.pay, xml(parcels.payment(zone.parties)))
    assert statuses(post(client, zone.pay, xml(parcels.payment(zone.parties, amount="301"))))[0][0] == "-401007"
    post(client, zone.logistics, xml(parcels.waybill(zone.parties)))
    r = post(client, zone.logistics, xml(parcels.waybill(zone.parties, consignee="王五")))
    assert statuses(r)[0][0] == "-504015"


def test_app_type_2_modifies_and_3_deletes_while_the_state_allows(client, db, zone):
    post(client, zone.platform, xml(parcels.order(zone.parties)))
    r = post(client, zone.platform, xml(parcels.order(zone.parties, goods="290", freight="10", app_type="2")))
    assert statuses(r)[0][0] == "2"
    order = db.scalars(select(ImportOrder)).one()
    assert order.goods_value == Decimal("290") and [h["app_type"] for h in order.app_history] == ["1", "2"]
    r = post(client, zone.platform, xml(parcels.order(zone.parties, goods="290", freight="10", app_type="3")))
    assert statuses(r)[0][0] == "2"
    db.expire_all()
    assert db.scalars(select(ImportOrder)).one().status == "deleted"


def test_app_type_2_of_an_unknown_order_is_refused(client, zone):
    r = post(client, zone.platform, xml(parcels.order(zone.parties, 9, app_type="2")))
    assert statuses(r)[0][0] == "-301009"


def test_change_refused_once_the_list_is_with_customs(client, db, zone):
    send_parcel(client, zone)
    inv = db.scalars(select(Inventory)).one()
    assert inv.status == "declared"
    r = post(client, zone.platform, xml(parcels.order(zone.parties, goods="290", freight="10", app_type="2")))
    assert statuses(r)[0][0] == "-301011"
    r = post(client, zone.agent, xml(parcels.inventory(zone.parties, goods="290", freight="10", app_type="2")))
    assert statuses(r)[0][0] == "-621012"


def send_parcel(client, zone, n: int = 1, **inventory_kw):
    assert statuses(post(client, zone.platform, xml(parcels.order(zone.parties, n))))[0][0] == "2"
    assert statuses(post(client, zone.pay, xml(parcels.payment(zone.parties, n))))[0][0] == "2"
    assert statuses(post(client, zone.logistics, xml(parcels.waybill(zone.parties, n))))[0][0] == "2"
    r = post(client, zone.agent, xml(parcels.inventory(zone.parties, n, **inventory_kw)))
    assert statuses(r)[0][0] == "2", r.content.decode()
    return r


def test_sender_not_authorised_is_rejected_and_a_delegation_allows_it(client, db, zone):
    msg = parcels.order(zone.parties)
    r = post(client, zone.outsider, xml(msg), json=True)
    assert r.json()["records"][0]["code"] == "-4001"
    assert count(db, ImportOrder) == 0
    grant = client.post("/api/v1/imports/delegations", headers=zone.platform.headers,
                        json={"agent_code": zone.outsider.code, "message_types": ["CEB311"]})
    assert grant.status_code == 201, grant.text
    r = post(client, zone.outsider, xml(parcels.order(zone.parties)), json=True)
    assert r.json()["records"][0]["code"] == "2"
    revoked = client.delete(f"/api/v1/imports/delegations/{grant.json()['id']}", headers=zone.platform.headers)
    assert revoked.json()["revoked_at"]
    r = post(client, zone.outsider, xml(parcels.order(zone.parties, 2)), json=True)
    assert r.json()["records"][0]["code"] == "-4001"


def test_list_sender_not_authorised_uses_the_official_code(client, zone):
    r = post(client, zone.outsider, xml(parcels.inventory(zone.parties)), json=True)
    assert r.json()["records"][0]["code"] == "-621016"


def test_dxp_wrapped_message_is_unwrapped(client, db, zone):
    wrapped = dxp.wrap(xml(parcels.order(zone.parties)), sender_id="DXPENT0000100001", receiver_ids="DXPEDCCEB0000002")
    r = post(client, zone.platform, wrapped)
    assert r.status_code == 200 and statuses(r)[0][0] == "2"
    assert count(db, ImportOrder) == 1


def test_malformed_xml_answers_400_with_ceb900(client, db, zone):
    r = post(client, zone.platform, b"<ceb:CEB311Message xmlns:ceb='http://www.chinaport.gov.cn/ceb'><oops")
    assert r.status_code == 400
    root = etree.fromstring(r.content)
    assert etree.QName(root).localname == "CEB900Message"
    assert root.find(f"{CEB_NS}MessageReturn/{CEB_NS}returnStatus").text == "-1"
    assert count(db, ReceivedMessage) == 0


def test_malformed_xml_answers_problem_json_to_json_clients(client, zone):
    r = post(client, zone.platform, b"not xml at all", json=True)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "imports_message_unreadable"


def test_xxe_is_refused_with_a_code_and_nothing_resolved(client, db, zone):
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb">&e;</ceb:CEB311Message>')
    r = post(client, zone.platform, evil)
    assert r.status_code == 400
    root = etree.fromstring(r.content)
    assert root.find(f"{CEB_NS}MessageReturn/{CEB_NS}returnStatus").text == "-999"
    assert b"root:" not in r.content
    assert count(db, ImportOrder) == 0


def test_receipts_pull_with_cursor_is_isolated_between_enterprises(client, zone):
    post(client, zone.platform, xml(parcels.order(zone.parties, 1)))
    post(client, zone.platform, xml(parcels.order(zone.parties, 2)))
    post(client, zone.pay, xml(parcels.payment(zone.parties, 1)))
    page = client.get("/ceb/receipts?after=0&limit=1", headers=zone.platform.headers).json()
    assert [i["business_key"] for i in page["items"]] == [f"{zone.platform.code}:ORD1"] and page["more"]
    rest = client.get(f"/ceb/receipts?after={page['next_cursor']}", headers=zone.platform.headers).json()
    assert [i["business_key"] for i in rest["items"]] == [f"{zone.platform.code}:ORD2"] and not rest["more"]
    assert parse(rest["items"][0]["receipt_xml"].encode()).message_type == "CEB312"
    theirs = client.get("/ceb/receipts?after=0", headers=zone.pay.headers).json()
    assert [i["message_type"] for i in theirs["items"]] == ["CEB412"]
    assert client.get("/ceb/receipts?after=abc", headers=zone.pay.headers).status_code == 422


def test_json_intake_runs_the_same_pipeline(client, db, zone):
    rec = parcels.order(zone.parties).records[0]
    record = rec.head.to_dict(camel=False)
    record.pop("guid")
    record["items"] = [i.to_dict(camel=False) for i in rec.items]
    body = {"records": [{k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in record.items()}]}
    body["records"][0]["items"] = [{k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in i.items()}
                                   for i in record["items"]]
    r = client.post("/api/v1/imports/orders", headers=zone.platform.headers, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["code"] == "2"
    again = post(client, zone.platform, xml(parcels.order(zone.parties)), json=True)
    assert again.json()["records"][0]["replayed"] is True
    listing = client.get("/api/v1/imports/orders?status=accepted", headers=zone.platform.headers).json()
    assert listing["counts"] == {"accepted": 1}
    assert listing["items"][0]["fields"]["buyer_id_number"] == "1502**********1234"
    one = client.get(f"/api/v1/imports/orders/{zone.platform.code}:ORD1", headers=zone.pay.headers)
    assert one.status_code == 404  # another enterprise's order is not visible
