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


def test_hostile_values_and_other_enterprises_references(client, db):
    # a QA pass: a second book of the same code was a 500 (TypeError in the Conflict), a quantity "1e400" a 500
    # (InvalidOperation), NaN in the JSON body a 500 (the error echoed it), and another enterprise's reservation
    # reference answered 201 "repeated" to the caller and 403 on cancel (confirming it exists)
    operator = make_enterprise(db)
    db.add(EnterpriseRoleLink(enterprise_id=operator.id, role="warehouse_operator"))
    a, b = make_enterprise(db), make_enterprise(db)
    op = {"X-API-Key": make_api_key(db, operator.id)}
    ka, kb = {"X-API-Key": make_api_key(db, a.id)}, {"X-API-Key": make_api_key(db, b.id)}
    db.commit()
    book = {"code": "T0002", "site_code": "0412", "name": "2 号库"}
    assert client.post("/api/v1/bonded/warehouses", json=book, headers=op).status_code == 201
    again = client.post("/api/v1/bonded/warehouses", json=book, headers=op)
    assert again.status_code == 409 and again.json()["errors"][0]["path"] == "code"
    assert client.post("/api/v1/bonded/warehouses/T0002/entries", json={"lines": [LINE | {"quantity": "10"}]},
                       headers=op).status_code == 201
    huge = client.post("/api/v1/bonded/warehouses/T0002/entries", json={"lines": [LINE | {"quantity": "1e400"}]},
                       headers=op)
    assert huge.status_code == 422
    nan = client.post("/api/v1/bonded/reservations", content=b'{"warehouse_code": "T0002", "item_no": "SKU-1", '
                      b'"quantity": NaN, "reference": "N"}', headers={**ka, "Content-Type": "application/json"})
    assert nan.status_code in (400, 422), nan.text
    res = {"warehouse_code": "T0002", "item_no": "SKU-1", "quantity": "2", "reference": "R-SHARED"}
    assert client.post("/api/v1/bonded/reservations", json=res, headers=ka).status_code == 201
    theirs = client.post("/api/v1/bonded/reservations", json=res, headers=kb)
    assert theirs.status_code == 409 and theirs.json()["code"] == "bonded_reference_reused"
    assert client.post("/api/v1/bonded/reservations/R-SHARED/cancel", headers=kb).status_code == 404
    assert client.post("/api/v1/bonded/reservations/R-SHARED/cancel", headers=ka).status_code == 200


def test_read_only_zone_roles_read_books_but_do_not_change_them(client, db):
    # a QA pass: the auditor (read-only) could deduct a reservation
    from tests.accounts.fixtures import csrf_token, login, make_zone_user

    operator = make_enterprise(db)
    db.add(EnterpriseRoleLink(enterprise_id=operator.id, role="warehouse_operator"))
    op = {"X-API-Key": make_api_key(db, operator.id)}
    db.commit()
    client.post("/api/v1/bonded/warehouses", json={"code": "T0003", "site_code": "0412", "name": "3 号库"}, headers=op)
    client.post("/api/v1/bonded/warehouses/T0003/entries", json={"lines": [LINE]}, headers=op)
    assert client.post("/api/v1/bonded/reservations", headers=op, json={
        "warehouse_code": "T0003", "item_no": "SKU-1", "quantity": "1", "reference": "RO-1"}).status_code == 201
    for role, may_write in (("auditor", False), ("commerce_supervisor", False), ("customs_officer", True)):
        user, password = make_zone_user(db, role, username=f"bonded-{role}")
        db.commit()
        client.cookies.clear()
        login(client, user.username, password)
        headers = {"X-CSRF-Token": csrf_token(client)}
        assert client.get("/api/v1/bonded/warehouses/T0003/stock").status_code == 200, role
        r = client.post("/api/v1/bonded/reservations/RO-1/deduct", headers=headers)
        assert r.status_code == (200 if may_write else 403), (role, r.text)


def test_the_operator_puts_its_released_lists_on_a_document_and_only_its_own(client, db):
    # the daily reconciliation matches movements by 核注清单: the operator attaches one over the API, to its own book
    from kuajing.bonded import service

    books = {}
    for code in ("T0010", "T0011"):
        operator = make_enterprise(db)
        db.add(EnterpriseRoleLink(enterprise_id=operator.id, role="warehouse_operator"))
        books[code] = {"X-API-Key": make_api_key(db, operator.id)}
    db.commit()
    for code, headers in books.items():
        assert client.post("/api/v1/bonded/warehouses", json={"code": code, "site_code": "0412", "name": code},
                           headers=headers).status_code == 201
        assert client.post(f"/api/v1/bonded/warehouses/{code}/entries", json={"lines": [LINE]},
                           headers=headers).status_code == 201
        service.reserve(session=db, warehouse_code=code, item_no="SKU-1", quantity=2, reference=f"{code}/L1",
                        actor="test")
        service.deduct(session=db, reference=f"{code}/L1", actor="test")
        db.commit()
    body = {"document_no": "QD-OUT-7", "references": ["T0010/L1", "T0011/L1"]}
    r = client.post("/api/v1/bonded/warehouses/T0010/documents", json=body, headers=books["T0010"])
    assert r.status_code == 200 and r.json() == {"document_no": "QD-OUT-7", "kind": "deduct", "changed": 1}, r.text
    other = client.post("/api/v1/bonded/warehouses/T0011/documents", json=body, headers=books["T0010"])
    assert other.status_code == 403  # not its book
    bad = client.post("/api/v1/bonded/warehouses/T0010/documents", json=body | {"kind": "entry"},
                      headers=books["T0010"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "kind"
