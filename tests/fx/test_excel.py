"""Excel upload of proceeds on the import module's machinery: row-level errors, progress, one bad receipt
refused alone, the same file again stores nothing."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from kuajing.fx import jobs
from kuajing.fx.models import FxImport, FxProceeds
from kuajing.fx.service import excel
from tests.enterprises.helpers import make_key
from tests.fx.helpers import exporter, shipment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    keys = [c.key for c in excel.COLUMNS]
    ws.append([c.zh for c in excel.COLUMNS])
    ws.append(keys)
    for row in rows:
        ws.append([row.get(k, "") for k in keys])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def receipt(ref: str, **over) -> dict:
    return {"bankReference": ref, "bankName": "中国银行包头分行", "receivedOn": "2025-11-20", "currency": "502",
            "actualAmount": "88000", "storageFee": "5000", "logisticsFee": "4000", "taxFee": "3000",
            "payerName": "Marketplace EU", **over}


def upload(client, h, content: bytes):
    return client.post("/api/v1/fx/proceeds/excel", headers=h,
                       files={"file": ("proceeds.xlsx", content, XLSX)})


def test_the_template_is_public_and_has_keys_and_the_netting_example(client):
    r = client.get("/api/v1/fx/proceeds/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    keys = [c.value for c in wb[excel.SHEET][2]]
    assert keys[:5] == ["bankReference", "bankName", "receivedOn", "currency", "actualAmount"]
    example = [c.value for c in wb["示例 example"][3]]
    assert "88000" in example and "100000" in example


def test_a_file_with_one_bad_receipt_records_the_others_with_row_errors_and_progress(client, db):
    ent, _ = exporter(db, 8301)
    _o, inv = shipment(db, ent, order_no="EX-XL-1", value="60000")
    _o2, inv2 = shipment(db, ent, order_no="EX-XL-2", value="40000")
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    rows = [
        receipt("R-1", reference=inv.invt_no, allocatedAmount="60000", exportAmount="100000"),  # row 3
        receipt("R-1", reference=inv2.invt_no, allocatedAmount="40000", exportAmount="100000"),  # row 4, same receipt
        receipt("R-2", actualAmount="abc"),  # row 5: not a number
        receipt("R-3", reference="NO-SUCH", allocatedAmount="5"),  # row 6: unknown list
        receipt("R-4", storageFee="", logisticsFee="", taxFee="", actualAmount="500"),  # row 7: fine
    ]
    content = workbook(rows)
    r = upload(client, h, content)
    assert r.status_code == 202, r.text
    imp = r.json()
    done = client.get(f"/api/v1/fx/imports/{imp['id']}", headers=h).json()  # the background task ran
    assert (done["status"], done["total"], done["processed"], done["percent"]) == ("done", 4, 4, 100)
    assert (done["accepted"], done["rejected"]) == (2, 2)
    errs = {(e["row"], e["column"], e["code"]) for e in done["errors"]}
    assert (5, "actualAmount", "imports_excel_not_a_number") in errs
    assert (6, "reference", "fx_reference_unknown") in errs
    assert {(5, "", "fx_excel_row_rejected"), (6, "", "fx_excel_row_rejected")} <= errs
    got = db.scalars(select(FxProceeds).order_by(FxProceeds.id)).all()
    assert [p.bank_reference for p in got] == ["R-1", "R-4"]
    assert (got[0].export_amount, len(got[0].allocations), got[0].source) == (100000, 2, "excel")
    # the same file again: the same upload, nothing stored twice
    again = upload(client, h, content)
    assert again.status_code == 200 and again.json()["id"] == imp["id"]
    assert db.scalar(select(func.count()).select_from(FxProceeds)) == 2


def test_progress_is_committed_chunk_by_chunk(db, session_factory):
    ent, _ = exporter(db, 8302)
    row, new = excel.submit(session=db, enterprise_id=ent.id, actor="test",
                            content=workbook([receipt(f"C-{n}", actualAmount="10") for n in range(5)]),
                            file_name="c.xlsx")
    db.commit()
    assert new and row.total_rows == 5 and row.status == "queued"
    seen = []
    original = jobs.record

    def spy(**kw):
        with session_factory() as other:  # what a second reader sees while the job runs
            imp = other.get(FxImport, row.id)
            seen.append((imp.status, imp.processed_rows))
        return original(**kw)

    jobs.record = spy
    try:
        jobs.process_import(session_factory=session_factory, import_id=row.id, chunk=2)
    finally:
        jobs.record = original
    assert seen == [("running", 0), ("running", 0), ("running", 2), ("running", 2), ("running", 4)]
    db.expire_all()
    final = db.get(FxImport, row.id)
    assert (final.status, final.processed_rows, final.accepted, final.content) == ("done", 5, 5, None)


def test_not_a_workbook_is_a_422(client, db):
    ent, _ = exporter(db, 8303)
    h = make_key(db, enterprise_id=ent.id)
    db.commit()
    r = upload(client, h, b"not excel")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "imports_excel_not_a_workbook"
    assert db.scalar(select(func.count()).select_from(FxImport)) == 0
