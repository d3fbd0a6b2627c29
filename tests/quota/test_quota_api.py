"""The buyer's quota lookup through the API and the page: both ID number and name, masked, counted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kuajing.quota import service
from tests.accounts.fixtures import form_post

ID = "150203199001051234"


def test_api_lookup_masks_and_needs_both(client, db):
    service.reserve(session=db, buyer_id_number=ID, buyer_name="张三", declared_on=date(2026, 4, 1),
                    amount=Decimal("1234.50"), reference="LIST-1", actor="test")
    service.consume(session=db, reference="LIST-1", actor="test")
    db.commit()
    r = client.post("/api/v1/quota/lookup", json={"buyer_id_number": ID, "buyer_name": "张三", "year": 2026})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] and body["buyer_id_number"] == "1502**********1234" and ID not in r.text
    assert (body["used"], body["remaining"]) == ("1234.50", "24765.50")  # 26,000 − 1,234.50
    r = client.post("/api/v1/quota/lookup", json={"buyer_id_number": ID, "buyer_name": "李四", "year": 2026})
    assert r.json()["found"] is False and r.json()["used"] == "0.00"
    r = client.post("/api/v1/quota/lookup", json={"buyer_id_number": "12345", "buyer_name": "李四", "year": 2026},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "buyer_id_number"
    assert r.json()["errors"][0]["value"] is None  # the rejected ID number is not echoed
    # the shape of a number but not one a card carries (GB 11643 check character 2, not 4): told so, in Russian
    r = client.post("/api/v1/quota/lookup", json={"buyer_id_number": "150203199001011234", "buyer_name": "李四",
                                                  "year": 2026}, headers={"Accept-Language": "ru"})
    issue = r.json()["errors"][0]
    assert r.status_code == 422 and (issue["code"], issue["path"]) == ("quota_id_number_invalid", "buyer_id_number")
    assert "удостоверения" in issue["message"] and "150203199001011234" not in r.text


def test_page_form_answers_masked(client, db):
    service.reserve(session=db, buyer_id_number=ID, buyer_name="张三", declared_on=date(2026, 4, 1),
                    amount=Decimal("100.00"), reference="LIST-2", actor="test")
    db.commit()
    r = form_post(client, "/quota", {"buyer_id_number": ID, "buyer_name": "张三", "year": "2026"}, page="/quota")
    assert r.status_code == 200 and "1502**********1234" in r.text and ID not in r.text and "25900.00" in r.text


def test_page_shows_movement_times_in_the_zones_time(client, db):
    from datetime import UTC, datetime

    from sqlalchemy import update

    from kuajing.quota.models import QuotaMovement

    service.reserve(session=db, buyer_id_number=ID, buyer_name="张三", declared_on=date(2026, 4, 1),
                    amount=Decimal("100.00"), reference="LIST-3", actor="test")
    db.execute(update(QuotaMovement).values(at=datetime(2026, 4, 1, 16, 30, tzinfo=UTC)))
    db.commit()
    r = form_post(client, "/quota", {"buyer_id_number": ID, "buyer_name": "张三", "year": "2026"}, page="/quota")
    assert "2026-04-02 00:30" in r.text and "2026-04-01 16:30" not in r.text  # 16:30 UTC is 00:30 next day in Shanghai
