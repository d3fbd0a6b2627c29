"""The public read-only reference-data API."""

from __future__ import annotations

import pytest

from kuajing.data import service


@pytest.fixture
def seeded(db):
    service.load_seed(session=db)
    db.commit()


def test_month_rates(client, seeded):
    response = client.get("/api/v1/reference/rates", params={"month": "2025-10"})
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2025-10"
    usd = next(r for r in body["rates"] if r["currency"] == "502")
    assert usd["iso"] == "USD" and usd["per"] == 1 and usd["version"].startswith("demo-approx")
    assert float(usd["rate"]) > 6  # decimal string


def test_currency_rate_and_bad_inputs(client, seeded):
    ok = client.get("/api/v1/reference/rates/USD", params={"on": "2025-10-09"})
    assert ok.status_code == 200 and ok.json()["currency"] == "502"

    bad_month = client.get("/api/v1/reference/rates", params={"month": "2025-13"}, headers={"Accept-Language": "en"})
    assert bad_month.status_code == 422
    assert bad_month.headers["content-type"].startswith("application/problem+json")
    assert bad_month.json()["code"] == "bad_month"
    assert bad_month.json()["errors"][0]["path"] == "month"

    bad_currency = client.get("/api/v1/reference/rates/XYZ", params={"on": "2025-10-09"})
    assert bad_currency.status_code == 422
    assert bad_currency.headers["content-type"].startswith("application/problem+json")
    body = bad_currency.json()
    assert body["code"] == "unknown_currency" and body["errors"][0]["path"] == "currency"
    assert body["errors"][0]["message"] == "未知币制 XYZ。"

    missing = client.get("/api/v1/reference/rates/USD", params={"on": "2019-01-01"})
    assert missing.status_code == 404 and missing.json()["code"] == "exchange_rate_not_found"
    bad_date = client.get("/api/v1/reference/rates/USD", params={"on": "2025-02-30"})
    assert bad_date.status_code == 422 and bad_date.json()["errors"][0]["path"] == "on"


def test_holidays_and_working_day(client, seeded):
    year = client.get("/api/v1/reference/holidays/2025").json()
    days = {d["date"]: d for d in year["days"]}
    assert days["2025-10-08"]["kind"] == "holiday" and days["2025-10-11"]["kind"] == "workday"

    saturday = client.get("/api/v1/reference/working-day", params={"date": "2025-10-11"}).json()
    assert saturday["working_day"] is True and saturday["reason"] == "adjusted_workday"
    holiday = client.get("/api/v1/reference/working-day", params={"date": "2025-10-03"}).json()
    assert holiday == {"date": "2025-10-03", "working_day": False, "reason": "holiday",
                       "name": "国庆节、中秋节", "next_working_day": "2025-10-09"}

    missing = client.get("/api/v1/reference/holidays/2031")
    assert missing.status_code == 404 and missing.json()["code"] == "calendar_not_loaded"
    bad = client.get("/api/v1/reference/holidays/1200")
    assert bad.status_code == 422 and bad.json()["code"] == "bad_year"


def test_hs_rate_and_versions(client, seeded):
    body = client.get("/api/v1/reference/hs/3304990099", params={"on": "2016-10-01"}).json()
    assert body["consumption_tax_rate"] == "0.150000" and body["vat_rate"] == "0.170000"
    versions = client.get("/api/v1/reference/versions").json()
    assert {v["kind"] for v in versions} == {"exchange_rate", "holiday", "hs_tax_rate"}
    assert client.get("/api/v1/reference/versions", params={"kind": "nope"}).json()["code"] == "data_kind_unknown"
