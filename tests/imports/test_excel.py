"""Excel upload of orders: the template, row-level errors (row + column + code + message in the caller's
language), bad orders rejected whole while good ones go through the SAME intake, no half-written order,
and an identical re-upload that stores nothing twice."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from kuajing.imports.models import ImportOrder, ImportOrderItem, ReceivedMessage
from kuajing.imports.service import excel
from tests.accounts.fixtures import csrf_token, login, make_enterprise_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def example_values() -> dict[str, str]:
    return {c.key: c.example for c in excel.COLUMNS}


def workbook(rows: list[dict]) -> bytes:
    """The template with ``rows`` (dicts by field key) from row 3."""
    wb = load_workbook(io.BytesIO(excel.template()))
    ws = wb[excel.SHEET]
    for row in rows:
        ws.append([row.get(c.key) for c in excel.COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def order_rows(code: str, order_no: str, lines: int = 2, overrides: dict[int, dict] | None = None) -> list[dict]:
    rows = []
    for n in range(1, lines + 1):
        row = example_values() | {"ebpCode": code, "ebcCode": code, "orderNo": order_no, "payCode": code,
                                  "gnum": str(n), "itemNo": f"SKU-{n}", "itemName": f"商品{n}", "qty": "1",
                                  "price": "100", "taxTotal": "0"}
        rows.append(row | (overrides or {}).get(n, {}))
    return rows


def upload(client, party, content: bytes, **params):
    return client.post("/api/v1/imports/orders/excel", params=params, headers=party.headers,
                       files={"file": ("orders.xlsx", content, XLSX)})


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_template_has_chinese_header_keys_validation_and_an_example(client, zone):
    got = client.get("/api/v1/imports/orders/template.xlsx", headers=zone.platform.headers)
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb[excel.SHEET]
    header = [c.value for c in ws[1]]
    keys = [c.value for c in ws[2]]
    assert header[1] == "订单编号 *" and keys[1] == "orderNo"
    assert keys == [c.key for c in excel.COLUMNS]
    assert ws.cell(row=3, column=1).value is None  # the orders sheet holds no data: nothing is imported by accident
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert len(formulas) == 4 and all("codes" in f for f in formulas)  # appType, buyerIdType, unit, country
    assert wb["codes"].sheet_state == "hidden"
    example = wb[excel.EXAMPLE_SHEET]
    assert example.cell(row=3, column=2).value == "BT20260301000001"


def test_the_example_sheet_uploads_as_one_order(client, db, zone):
    wb = load_workbook(io.BytesIO(excel.template()))
    ex = wb[excel.EXAMPLE_SHEET]
    rows = [dict(zip([c.value for c in ex[2]], [c.value for c in r], strict=False)) for r in ex.iter_rows(min_row=3)]
    for r in rows:
        r.update(ebpCode=zone.platform.code, ebcCode=zone.platform.code)
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert (answer["orders_total"], answer["accepted"], answer["rejected"]) == (1, 1, 0), answer
    order = db.scalars(select(ImportOrder)).one()
    # goods 2 × 150 + 1 × 60 = 360; paid = 360 + freight 10 + tax 27.06 − 0 = 397.06
    assert (order.goods_value, order.actural_paid, len(order.items)) == (Decimal("360"), Decimal("397.06"), 2)
    assert db.scalars(select(ReceivedMessage.channel)).one() == "excel"


def test_bad_order_rejected_whole_good_order_accepted(client, db, zone):
    code = zone.platform.code
    rows = order_rows(code, "BAD1", 2, {2: {"qty": "两个"}}) + order_rows(code, "GOOD1", 2)
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    assert answer["errors"] == [{"row": 4, "column": "qty", "code": "imports_excel_not_a_number",
                                 "message": "“数量”须为数字。", "value": "两个"}]
    bad = next(o for o in answer["orders"] if o["order_no"] == "BAD1")
    assert (bad["rows"], bad["status"]) == ([3, 4], "rejected")
    # never half-written: no row of BAD1, all of GOOD1
    assert count(db, ImportOrder, ImportOrder.order_no == "BAD1") == 0
    good = db.scalars(select(ImportOrder).where(ImportOrder.order_no == "GOOD1")).one()
    assert count(db, ImportOrderItem, ImportOrderItem.order_id == good.id) == 2


def test_row_errors_in_english(client, db, zone):
    rows = order_rows(zone.platform.code, "BAD2", 1, {1: {"itemName": None}})
    answer = upload(client, zone.platform, workbook(rows), lang="en").json()
    assert answer["errors"][0]["column"] == "itemName" and answer["errors"][0]["row"] == 3
    assert answer["errors"][0]["message"].startswith("Fill in")


def test_ceb_rule_lands_on_its_row_and_column(client, db, zone):
    rows = order_rows(zone.platform.code, "BAD3", 2, {2: {"unit": "XYZ"}})
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert answer["rejected"] == 1
    assert [(e["row"], e["column"]) for e in answer["errors"]] == [(4, "unit")]


def test_rows_of_one_order_must_agree(client, db, zone):
    rows = order_rows(zone.platform.code, "BAD4", 2, {2: {"buyerName": "李四"}})
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert [(e["row"], e["column"], e["code"]) for e in answer["errors"]] == [(4, "buyerName",
                                                                              "imports_excel_head_differs")]


def test_pipeline_verdict_comes_back_on_the_orders_rows(client, db, zone):
    # the order names the payment company as platform: the platform's key may not send it (−4001)
    rows = order_rows(zone.pay.code, "NOTMINE", 1)
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert answer["orders"][0]["code"] == "-4001"
    assert answer["errors"][0]["row"] == 3 and answer["errors"][0]["code"] == "-4001"
    assert count(db, ImportOrder) == 0


def test_same_file_twice_stores_nothing_new(client, db, zone):
    content = workbook(order_rows(zone.platform.code, "TWICE", 2))
    first = upload(client, zone.platform, content).json()
    second = upload(client, zone.platform, content).json()
    assert first["accepted"] == second["accepted"] == 1
    assert count(db, ImportOrder) == 1 and count(db, ReceivedMessage) == 1
    # a changed file with the same order (same content) gets the original receipt: still one order
    third = upload(client, zone.platform, workbook(order_rows(zone.platform.code, "TWICE", 2)
                                                   + order_rows(zone.platform.code, "NEW", 1))).json()
    assert third["accepted"] == 2 and count(db, ImportOrder) == 2


def test_not_a_workbook(client, zone):
    got = upload(client, zone.platform, b"order,no\n1,2\n")
    assert got.status_code == 422 and got.json()["errors"][0]["code"] == "imports_excel_not_a_workbook"


def test_many_orders_in_batches_of_100(client, db, zone):
    rows = [r for n in range(130) for r in order_rows(zone.platform.code, f"BULK{n:03d}", 1)]
    answer = upload(client, zone.platform, workbook(rows)).json()
    assert answer["accepted"] == 130 and count(db, ReceivedMessage) == 2


def test_browser_upload_needs_the_csrf_token(client, db, zone):
    user, password = make_enterprise_user(db, zone.platform.id)
    db.commit()
    login(client, user.username, password)
    content = workbook(order_rows(zone.platform.code, "WEB1", 1))
    files = {"file": ("orders.xlsx", content, XLSX)}
    assert client.post("/api/v1/imports/orders/excel", files=files).status_code == 403
    token = csrf_token(client, "/imports/orders/upload")
    ok = client.post("/api/v1/imports/orders/excel", files=files, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["accepted"] == 1
    page = client.get("/imports/orders/upload").text
    assert "下载模板" in page and "<progress" in page


def test_value_checks_land_on_their_row_and_column(client, db, zone):
    # QA: a negative quantity came back on the order's first row with no column and an internal path
    rows = order_rows(zone.platform.code, "BAD5", 2, {2: {"qty": "-1"}})
    answer = upload(client, zone.platform, workbook(rows), lang="en").json()
    assert answer["rejected"] == 1
    found = [(e["row"], e["column"], e["code"]) for e in answer["errors"]]
    assert (4, "qty", "CEB-RULE-NEGATIVE") in found and {row for row, _c, _k in found} == {4}, found
    assert "*" not in " ".join(e["message"] for e in answer["errors"])
    assert count(db, ImportOrder) == 0


def test_the_catalogues_placeholder_takes_the_detail():
    from kuajing.imports.service.receipts import info_for

    # "参数校验不通过，*": the detail where the star stands, no "，：" left behind; no detail, no dangling comma
    assert info_for("CEB311", "-301008", "Order[1]/OrderList[1]/qty: 数量必须大于0") == \
        "参数校验不通过，Order[1]/OrderList[1]/qty: 数量必须大于0"
    assert info_for("CEB311", "-301008") == "参数校验不通过"


def test_an_id_number_no_card_carries_lands_on_its_cell_masked(client, db, zone):
    # R11.1 / GB 11643 (kuajing.identity): 150203199001011234's check character is 2, not 4
    rows = order_rows(zone.platform.code, "BADID", 1, {1: {"buyerIdNumber": "150203199001011234"}})
    response = upload(client, zone.platform, workbook(rows), lang="en")
    answer = response.json()
    assert answer["rejected"] == 1 and count(db, ImportOrder) == 0
    assert ("buyerIdNumber", "CEB-RULE-ID-NUMBER") in {(e["column"], e["code"]) for e in answer["errors"]}, answer
    assert "150203199001011234" not in response.text
