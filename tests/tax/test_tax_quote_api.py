"""The quote API reproduces policy-rules.md §1.5 (E1–E9) and the limit boundaries (R1.6–R1.11)."""

from __future__ import annotations

import pytest

URL = "/api/v1/tax/quote"
EN = {"Accept-Language": "en"}


def post(client, body, headers=EN):
    return client.post(URL, json=body, headers=headers)


def item(value, quantity=1, **rates):
    return {"goods_value": value, "quantity": quantity, **rates}


def test_e1_milk_powder_within_limits(client):
    """§1.5 E1: 280 + freight 20 → P 300; VAT 300 × 13% × 0.7 = 27.30."""
    r = post(client, {"declared_on": "2025-06-01", "freight": "20", "insured_fee": "0",
                      "items": [item("280.00", hs_code="0402210000")]})
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["channel"] == "cbec" and q["reason_code"] is None
    assert (q["taxable_price"], q["duty"], q["consumption_tax"], q["vat"], q["total"]) == \
        ("300.00", "0.00", "0.00", "27.30", "27.30")
    texts = [line["text"] for line in q["lines"]]
    assert any("goods 280.00 + freight 20.00" in t for t in texts)


def test_e2_reduced_vat(client):
    """§1.5 E2: P 200, v 9% → 12.60."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("200", vat_rate="0.09")]}).json()
    assert (q["channel"], q["vat"], q["total"]) == ("cbec", "12.60", "12.60")


def test_e2_reduced_vat_from_the_table(client):
    """§1.5 E2 with a reduced-rate HS code (honey, 9%)."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("200", hs_code="0409000000")]}).json()
    assert q["total"] == "12.60"


def test_e3_high_end_essence(client):
    """§1.5 E3: P 1,200, 30 ml (40/ml ≥ 10): CT 148.24 + VAT 128.47 = 276.71."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("1200", hs_code="3304990010", net_content="30")]}).json()
    assert (q["consumption_tax"], q["vat"], q["total"]) == ("148.24", "128.47", "276.71")
    q2 = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                       "items": [item("1200", vat_rate="0.13", consumption_tax_rate="0.15")]}).json()
    assert q2["total"] == "276.71"


def test_e4_wine_per_line_rounding(client):
    """§1.5 E4: CT 23.33 + VAT 30.33 = 53.66 (not the one-step 53.67)."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("300", hs_code="2204210000")]}).json()
    assert (q["consumption_tax"], q["vat"], q["total"]) == ("23.33", "30.33", "53.66")


def test_e5_single_handbag_full_rate(client):
    """§1.5 E5: one handbag 8,000, annual used 10,000 → full rate 800 + 1,144 = 1,944; annual 18,000."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "prior_annual_total": "10000",
                      "items": [item("8000", vat_rate="0.13", tariff_rate="0.10")]}).json()
    assert q["channel"] == "cbec_full_rate"
    assert (q["duty"], q["vat"], q["consumption_tax"], q["total"]) == ("800.00", "1144.00", "0.00", "1944.00")
    assert q["annual_total_after"] == "18000.00"
    # the same from the HS table (leather handbag, MFN 10%)
    q2 = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                       "prior_annual_total": "10000", "items": [item("8000", hs_code="4202210000")]}).json()
    assert q2["total"] == "1944.00"


def test_e6_handbag_over_annual_limit(client):
    """§1.5 E6: 20,000 + 8,000 = 28,000 > 26,000 → rejected, −621018."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "prior_annual_total": "20000",
                      "items": [item("8000", vat_rate="0.13", tariff_rate="0.10")]}).json()
    assert (q["channel"], q["reason_code"], q["total"]) == ("rejected", "-621018", "0.00")
    assert q["annual_total_after"] == "20000.00"


def test_e7_high_end_watch_full_rate(client):
    """§1.5 E7: watch 12,000: duty 960 + CT 3,240 + VAT 2,106 = 6,306."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("12000", vat_rate="0.13", tariff_rate="0.08", consumption_tax_rate="0.20")]}).json()
    assert q["channel"] == "cbec_full_rate"
    assert (q["duty"], q["consumption_tax"], q["vat"], q["total"]) == ("960.00", "3240.00", "2106.00", "6306.00")
    q2 = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                       "items": [item("12000", hs_code="9102210000")]}).json()
    assert q2["total"] == "6306.00"


def test_e8_two_items_over_single_limit(client):
    """§1.5 E8: two items totalling 5,200 → rejected, −621005 (R1.11)."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "items": [item("2600", vat_rate="0.13"), item("2600", vat_rate="0.13")]}).json()
    assert (q["channel"], q["reason_code"]) == ("rejected", "-621005")


def test_one_item_means_one_piece(client):
    """R1.9 "one item" is one piece: a single line of two pieces over the limit is rejected."""
    q = post(client, {"declared_on": "2025-06-01", "items": [item("5200", 2, vat_rate="0.13", tariff_rate="0.1")]}).json()
    assert (q["channel"], q["reason_code"]) == ("rejected", "-621005")


def test_e9_exact_boundaries_allowed(client):
    """§1.5 E9: an order of exactly 5,000.00 with 21,000 used → 26,000.00 exactly: allowed (R1.11 "exceeds")."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "0", "insured_fee": "0",
                      "prior_annual_total": "21000.00", "items": [item("5000.00", vat_rate="0.13")]}).json()
    assert q["channel"] == "cbec"
    assert q["annual_total_after"] == "26000.00"
    assert q["total"] == "455.00"


def test_one_fen_over_each_boundary(client):
    """R1.6/R1.11: 5,000.01 with two pieces is rejected; 26,000.01 cumulative is rejected."""
    over_single = post(client, {"declared_on": "2025-06-01", "freight": "0.01",
                                "items": [item("4000", vat_rate="0.13"), item("1000", vat_rate="0.13")]}).json()
    assert over_single["reason_code"] == "-621005"
    over_annual = post(client, {"declared_on": "2025-06-01", "prior_annual_total": "21000.01",
                                "items": [item("5000.00", vat_rate="0.13")]}).json()
    assert over_annual["reason_code"] == "-621018"


def test_freight_and_insurance_count_toward_the_limit(client):
    """R1.4: the limit applies to goods + freight + insurance."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "150", "insured_fee": "50",
                      "items": [item("2500", vat_rate="0.13"), item("2400", vat_rate="0.13")]}).json()
    assert q["taxable_price"] == "5100.00" and q["reason_code"] == "-621005"


def test_freight_is_shared_in_proportion(client):
    """R1.4: freight 10.00 over 100 and 200 → 3.33 and 6.67 (remainder fen to the larger remainder)."""
    q = post(client, {"declared_on": "2025-06-01", "freight": "10", "insured_fee": "0",
                      "items": [item("100", vat_rate="0.13"), item("200", vat_rate="0.13")]}).json()
    shares = [i["freight_share"] for i in q["items"]]
    assert shares == ["3.33", "6.67"]
    # 103.33 × 13% × 0.7 = 9.4030 → 9.40 ; 206.67 × 13% × 0.7 = 18.8070 → 18.81
    assert [i["vat"] for i in q["items"]] == ["9.40", "18.81"] and q["total"] == "28.21"


def test_limits_before_2019(client):
    """R1.6: 2,000/20,000 until 2018-12-31; a single item over 2,000 went to general trade (no full rate)."""
    q = post(client, {"declared_on": "2018-12-31", "items": [item("2500", vat_rate="0.16", tariff_rate="0.1")]}).json()
    assert (q["channel"], q["reason_code"]) == ("rejected", "-621005")
    q = post(client, {"declared_on": "2019-01-01", "items": [item("2500", vat_rate="0.16", tariff_rate="0.1")]}).json()
    assert q["channel"] == "cbec"
    q = post(client, {"declared_on": "2018-06-01", "prior_annual_total": "19000",
                      "items": [item("1500", vat_rate="0.16")]}).json()
    assert q["reason_code"] == "-621018"


@pytest.mark.parametrize(("day", "vat"), [("2018-04-30", "35.70"), ("2018-05-01", "33.60"),
                                          ("2019-03-31", "33.60"), ("2019-04-01", "27.30")])
def test_vat_rate_changes(client, day, vat):
    """VAT 17% → 16% (2018-05-01) → 13% (2019-04-01): milk powder P 300 × v × 0.7."""
    q = post(client, {"declared_on": day, "items": [item("300", hs_code="0402210000")]}).json()
    assert q["vat"] == vat


def test_cosmetics_consumption_tax_change(client):
    """Cosmetics CT 30% (no threshold) until 2016-09-30, high-end 15% from 2016-10-01."""
    body = {"items": [item("300", hs_code="3304100010", net_content="3.5")]}
    before = post(client, {"declared_on": "2016-09-30", **body}).json()
    after = post(client, {"declared_on": "2016-10-01", **body}).json()
    # 300 × 0.3 / 0.7 × 0.7 = 90.00 ; 300 × 0.15 / 0.85 × 0.7 = 37.06
    assert before["consumption_tax"] == "90.00"
    assert after["consumption_tax"] == "37.06"


def test_below_high_end_threshold_no_consumption_tax(client):
    """§1.4: a 100 ml lotion at 500 (5 per ml < 10) is not high-end; a 10-sheet mask box at 120 (12 < 15) neither."""
    lotion = post(client, {"declared_on": "2025-06-01", "items": [item("500", hs_code="3304990010", net_content="100")]}).json()
    assert lotion["consumption_tax"] == "0.00"
    masks = post(client, {"declared_on": "2025-06-01", "items": [item("120", 10, hs_code="3304990020")]}).json()
    assert masks["consumption_tax"] == "0.00"
    one_box = post(client, {"declared_on": "2025-06-01", "items": [item("120", 1, hs_code="3304990020")]}).json()
    assert one_box["consumption_tax"] != "0.00"  # the mask-unit trap: 1 "box" would wrongly pass the 15/piece test


def test_not_on_positive_list_rejected(client):
    """R1.1: goods off the positive list are rejected with our own stable code."""
    q = post(client, {"declared_on": "2025-06-01", "items": [item("100", hs_code="2402200000")]}).json()
    assert (q["channel"], q["reason_code"]) == ("rejected", "tax_not_on_positive_list")


def test_positive_list_remark_is_explained(client):
    """R1.13: quantity caps and 1210-only remarks are shown."""
    q = post(client, {"declared_on": "2025-06-01", "items": [item("100", hs_code="1006300000")]}).json()
    assert any("20" in line["text"] and line["rule"] == "R1.13" for line in q["lines"])


def test_buyer_id_is_masked_never_echoed(client):
    number = "150203199001051234"
    r = post(client, {"declared_on": "2025-06-01", "buyer_id_number": number, "items": [item("100", vat_rate="0.13")]})
    assert number not in r.text and "1502**********1234" in r.text


def test_chinese_by_default(client):
    r = client.post(URL, json={"declared_on": "2025-06-01", "items": [item("300", hs_code="2204210000")]})
    q = r.json()
    assert any("消费税" in line["text"] for line in q["lines"])


def test_every_line_has_rule_and_amount_strings(client):
    q = post(client, {"declared_on": "2025-06-01", "freight": "12.5", "insured_fee": "1",
                      "items": [item("300", hs_code="2204210000"), item("99.99", 3, hs_code="1901101000")]}).json()
    for line in q["lines"]:
        assert line["rule"]
        assert line["amount"] is None or isinstance(line["amount"], str)
    assert sum(float(i["total"]) for i in q["items"]) == pytest.approx(float(q["total"]))


@pytest.mark.parametrize(("body", "code", "path"), [
    ({"declared_on": "2016-04-07", "items": [item("1", vat_rate="0.13")]}, "tax_date_before_policy", "declared_on"),
    ({"declared_on": "2025-06-01", "items": [item("1", hs_code="9999999999")]}, "tax_hs_code_unknown", "items[1]/hs_code"),
    ({"declared_on": "2025-06-01", "items": [item("1")]}, "tax_rate_missing", "items[1]/vat_rate"),
    ({"declared_on": "2025-06-01", "items": [item("6000", vat_rate="0.13")]}, "tax_tariff_rate_missing", "items[1]/tariff_rate"),
    ({"declared_on": "2025-06-01", "items": [item("1.001", vat_rate="0.13")]}, "too_many_decimals", "items[1]/goods_value"),
    ({"declared_on": "2025-06-01", "items": [item("-1", vat_rate="0.13")]}, "too_small", "items[1]/goods_value"),
    ({"declared_on": "2025-06-01", "items": [item("1", 0, vat_rate="0.13")]}, "too_small", "items[1]/quantity"),
    ({"declared_on": "2025-06-01", "items": [item("1", consumption_tax_rate="1", vat_rate="0.13")]}, "too_large",
     "items[1]/consumption_tax_rate"),
    ({"declared_on": "2025-06-01", "items": [item("NaN", vat_rate="0.13")]}, None, "items[1]/goods_value"),
    ({"declared_on": "2025-06-01", "items": []}, "too_few_items", "items"),
    ({"declared_on": "2025-13-01", "items": [item("1", vat_rate="0.13")]}, "bad_date", "declared_on"),
    ({"declared_on": "2025-06-01", "buyer_id_number": "123", "items": [item("1", vat_rate="0.13")]}, "bad_format",
     "buyer_id_number"),
    # the shape of an ID number but not one a card carries (check character 2, not 4: GB 11643, kuajing.identity)
    ({"declared_on": "2025-06-01", "buyer_id_number": "150203199001011234", "items": [item("1", vat_rate="0.13")]},
     "quota_id_number_invalid", "buyer_id_number"),
    ({"declared_on": "2025-06-01", "items": [item("1", vat_rate="0.13", rate="x")]}, "field_unknown", "items[1]/rate"),
])
def test_bad_input_is_a_422_with_code_and_path(client, body, code, path):
    r = post(client, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    issues = r.json()["errors"]
    assert any(i["path"] == path and (code is None or i["code"] == code) for i in issues), issues


def test_error_messages_translated(client):
    r = client.post(URL, json={"declared_on": "2025-06-01", "items": [item("1")]})
    assert r.status_code == 422
    assert "增值税" in r.json()["errors"][0]["message"]


def test_hs_rate_lookup(client):
    r = client.get("/api/v1/tax/hs-rates/3304990010", params={"on": "2018-06-01"})
    assert r.status_code == 200
    data = r.json()
    assert data["vat_rate"] == "0.16" and data["consumption_tax_rate"] == "0.15" and data["ct_threshold"] == "10.00"
    assert client.get("/api/v1/tax/hs-rates/0000000000", params={"on": "2025-01-01"}).status_code == 404


def test_gift_lines_at_value_0(client):
    # a gift (赠品, price 0) beside a paid line: the freight follows the values, all of it to the paid line;
    # P = 280 + 20 = 300, VAT = 300 × 13% × 0.7 = 27.30 (R1.4, R1.8); the gift's line taxes are 0
    q = post(client, {"declared_on": "2025-06-01", "freight": "20", "insured_fee": "0",
                      "items": [item("280", vat_rate="0.13"), item("0", vat_rate="0.13")]}).json()
    assert (q["channel"], q["vat"], q["total"]) == ("cbec", "27.30", "27.30")
    # gifts only: nothing to share by value, so the 10 of freight is shared equally (5 + 5); each line's VAT
    # 5 × 13% × 0.7 = 0.455 → 0.46 half-up per line, the parcel 0.92 (the sum of the rounded lines, R1.4)
    q = post(client, {"declared_on": "2025-06-01", "freight": "10", "insured_fee": "0",
                      "items": [item("0", vat_rate="0.13"), item("0", vat_rate="0.13")]}).json()
    assert (q["channel"], q["vat"], q["total"]) == ("cbec", "0.92", "0.92")
