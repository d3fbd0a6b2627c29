"""The public read-only rules API."""

from __future__ import annotations


def test_rule_on_a_date(client):
    body = client.get("/api/v1/rules/cbec.single_limit_cny", params={"on": "2019-01-01"}).json()
    assert body["value"] == "5000.00" and body["valid_from"] == "2019-01-01" and "49号" in body["citation"]
    docs = client.get("/api/v1/rules/export.document_check", params={"on": "2024-12-14"}).json()
    assert docs["value"] == ["order", "receipt", "waybill"]


def test_rule_errors_are_problem_details(client):
    early = client.get("/api/v1/rules/cbec.single_limit_cny", params={"on": "2016-04-07"})
    assert early.status_code == 422 and early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "rule_not_in_force"
    unknown = client.get("/api/v1/rules/nope", params={"on": "2020-01-01"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "rule_unknown"
    bad_date = client.get("/api/v1/rules/cbec.single_limit_cny", params={"on": "2019-02-30"})
    assert bad_date.status_code == 422


def test_all_rules(client):
    rules = client.get("/api/v1/rules").json()
    names = {r["name"] for r in rules}
    assert {"cbec.single_limit_cny", "vat.standard_rate", "fx.individual_quota_usd"} <= names
