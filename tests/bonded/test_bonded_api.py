"""The bonded API: the warehouse operator manages its book; declarants reserve; the last units are not oversold."""

from __future__ import annotations

from kuajing.enterprises.models import EnterpriseRoleLink
from tests.accounts.fixtures import make_api_key, make_enterprise

LINE = {"document_no": "QD-1", "line_no": 1, "item_no": "SKU-1", "goods_name": "奶粉", "hs_code": "1901101000",
        "unit": "035", "declared_unit": "122", "quantity": "3"}


def test_operator_manages_and_declarant_reserves(client, db):
    operator = make_enterprise(db)
    db.add(EnterpriseRoleLink(enterprise_id=operator.id, role="warehouse_operator"))
    declarant = make_enterprise(db)
    op_key = make_api_key(db, operator.id)
    dec_key = make_api_key(db, declarant.id)
    db.commit()
    op, dec = {"X-API-Key": op_key}, {"X-API-Key": dec_key}
    r = client.post("/api/v1/bonded/warehouses", json={"code": "T0001", "site_code": "0412", "name": "1 号库"}, headers=dec)
    assert r.status_code == 403 and r.json()["code"] == "bonded_not_operator"
    r = client.post("/api/v1/bonded/warehouses", json={"code": "T0001", "site_code": "0412", "name": "1 号库"}, headers=op)
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/bonded/warehouses/T0001/entries", json={"lines": [LINE]}, headers=dec)
    assert r.status_code == 403
    r = client.post("/api/v1/bonded/warehouses/T0001/entries", json={"lines": [LINE]}, headers=op)
    assert r.status_code == 201 and r.json()[0]["on_hand_after"] == "3.0000"
    res = {"warehouse_code": "T0001", "item_no": "SKU-1", "quantity": "2"}
    assert client.post("/api/v1/bonded/reservations", json=res | {"reference": "A"}, headers=dec).status_code == 201
    r = client.post("/api/v1/bonded/reservations", json=res | {"reference": "B"}, headers=dec)
    assert r.status_code == 409 and r.json()["code"] == "bonded_insufficient_stock"  # 3 − 2 = 1 left
    assert [x["reference"] for x in client.get("/api/v1/bonded/reservations", headers=dec).json()] == ["A"]
    assert client.get("/api/v1/bonded/reservations", headers=op).json() == []
    assert client.post("/api/v1/bonded/reservations/A/cancel", headers=dec).status_code == 200
    stock = client.get("/api/v1/bonded/warehouses/T0001/stock?customs_status=bonded", headers=op).json()
    assert (stock[0]["on_hand"], stock[0]["reserved"]) == ("3.0000", "0.0000")
    t = client.get("/api/v1/bonded/entry-template.xlsx")
    assert t.status_code == 200 and t.content[:2] == b"PK"
