"""Excel upload of export orders (CEB303 E/B/W) through the import Excel machinery and the ONE intake."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from kuajing.exports.models import ExportOrder, ExportOrderItem
from kuajing.exports.service.excel import COLUMNS, EXPORT_ORDERS, SHEET
from kuajing.imports.models import Receipt, ReceivedMessage
from kuajing.imports.service import excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = "/api/v1/exports/orders/excel"


def workbook(rows: list[dict]) -> bytes:
    wb = load_workbook(io.BytesIO(excel.template(EXPORT_ORDERS)))
    ws = wb[SHEET]
    for row in rows:
        ws.append([row.get(c.key) for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows(code: str, order_no: str, order_type: str = "E", lines: int = 1, bad: dict[int, dict] | None = None):
    out = []
    for n in range(1, lines + 1):
        row = {c.key: c.example for c in COLUMNS} | {
            "orderType": order_type, "orderNo": order_no, "ebpCode": code, "ebcCode": code, "gnum": str(n),
            "itemNo": f"SKU-{n}", "itemName": f"羊绒衫{n}", "qty": "2", "price": "300", "goodsValue": None}
        out.append(row | (bad or {}).get(n, {}))
    return out


def upload(client, party, content: bytes):
    return client.post(URL, headers=party.headers, files={"file": ("orders.xlsx", content, XLSX)})


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_the_template_is_public_with_keys_drop_downs_and_an_example(client):
    got = client.get("/api/v1/exports/orders/template.xlsx")
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb[SHEET]
    assert [c.value for c in ws[2]] == [c.key for c in COLUMNS]
    assert ws["B1"].value.startswith("订单类型")
    lists = [dv.sqref for dv in ws.data_validations.dataValidation]
    assert any("B3" in str(ref) for ref in lists)  # orderType E/B/W drop-down
    codes = wb["codes"]
    assert [c.value for c in codes[1]] == ["app_type", "order_type", "currency", "unit"]
    assert [codes.cell(row=r, column=2).value for r in (2, 3, 4)] == ["E", "B", "W"]
    example = wb["示例 example"]
    assert example.cell(row=3, column=3).value == "EX20260301000001"


def test_a_good_file_stores_each_order_once_through_the_intake(client, ezone, db):
    code = ezone.platform.code
    content = workbook(rows(code, "XL1", "E", lines=2) + rows(code, "XL2", "B") + rows(code, "XL3", "W"))
    got = upload(client, ezone.platform, content)
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["rows"], body["orders_total"], body["accepted"], body["rejected"]) == (4, 3, 3, 0)
    assert [o["code"] for o in body["orders"]] == ["2", "2", "2"]
    orders = {o.order_no: o for o in db.scalars(select(ExportOrder))}
    assert {n: o.order_type for n, o in orders.items()} == {"XL1": "E", "XL2": "B", "XL3": "W"}
    assert orders["XL1"].goods_value == Decimal("1200")  # 2 lines × (2 × 300.00)
    assert count(db, ExportOrderItem) == 4
    assert db.scalars(select(ReceivedMessage.channel)).all() == ["excel"]
    assert {r.declaration_type for r in db.scalars(select(Receipt))} == {"CEB303"}


def test_one_bad_row_refuses_only_its_order_and_a_re_upload_stores_nothing_twice(client, ezone, db):
    code = ezone.platform.code
    content = workbook(rows(code, "XL1") + rows(code, "XL2", "B", lines=2, bad={2: {"qty": "two"}})
                       + rows(code, "XL3", "W"))
    first = upload(client, ezone.platform, content).json()
    assert [(o["order_no"], o["status"]) for o in first["orders"]] == \
        [("XL1", "accepted"), ("XL2", "rejected"), ("XL3", "accepted")]
    assert first["orders"][1]["code"] == "imports_excel_order_rejected"
    assert [(e["row"], e["column"], e["code"], e["value"]) for e in first["errors"]] == \
        [(5, "qty", "imports_excel_not_a_number", "two")]  # rows 3 (XL1), 4-5 (XL2), 6 (XL3)
    assert sorted(db.scalars(select(ExportOrder.order_no))) == ["XL1", "XL3"]
    messages = count(db, ReceivedMessage)
    again = upload(client, ezone.platform, content).json()
    assert again["orders"] == first["orders"]
    assert (count(db, ReceivedMessage), count(db, ExportOrder), count(db, ExportOrderItem)) == (messages, 2, 2)


def test_the_pipelines_verdict_comes_back_on_the_row(client, ezone, db):
    code = ezone.platform.code
    assert upload(client, ezone.platform, workbook(rows(code, "XL1"))).json()["accepted"] == 1
    changed = upload(client, ezone.platform, workbook(rows(code, "XL1", bad={1: {"price": "301"}}))).json()
    assert changed["orders"][0]["code"] == "-301010"  # official: an order with this number exists
    assert changed["errors"][0]["row"] == 3


def test_an_outsider_may_not_upload_orders_of_the_platform(client, ezone, db):
    got = upload(client, ezone.outsider, workbook(rows(ezone.platform.code, "XL1"))).json()
    assert got["orders"][0]["code"] == "-4001"
    assert count(db, ExportOrder) == 0


def test_not_a_workbook_is_a_422_with_a_stable_code(client, ezone):
    got = upload(client, ezone.platform, b"not an xlsx")
    assert got.status_code == 422
    assert got.json()["errors"][0]["code"] == "imports_excel_not_a_workbook"


def test_anonymous_upload_is_refused(client):
    got = client.post(URL, files={"file": ("orders.xlsx", b"x", XLSX)})
    assert got.status_code == 401
