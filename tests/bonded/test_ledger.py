"""The bonded ledger (R5.1–R5.4): entries, reservations, deductions, returns, conversions, reconciliation, races."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kuajing.bonded import service
from kuajing.bonded.models import BondedMovement
from kuajing.bonded.service import CustomsLine, EntryLine
from kuajing.errors import AppError
from tests.accounts.fixtures import make_enterprise

ACTOR = "test:bonded"
D = Decimal
BOOK = "T04012600001"


def line(qty, doc="QD1", line_no=1, item="SKU-1", **kw):
    values = dict(item_no=item, goods_name="婴儿配方奶粉 900g", hs_code="1901101000", unit="035", declared_unit="122",
                  quantity=D(str(qty)), document_no=doc, line_no=line_no)
    values.update(kw)
    return EntryLine(**values)


@pytest.fixture
def book(db):
    operator = make_enterprise(db)
    service.create_warehouse(session=db, code=BOOK, site_code="0412", name="包头保税物流中心 1 号库",
                             operator_enterprise_id=operator.id, actor=ACTOR)
    db.flush()
    return operator


def stock(db, status="bonded", item="SKU-1"):
    rows = service.stock_list(session=db, warehouse_code=BOOK, customs_status=status, item_no=item)
    return rows[0] if rows else None


def test_entry_reserve_deduct_restore_with_hand_computed_stock(db, book):
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(100)], actor=ACTOR)
    assert service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(30), reference="L1:1",
                           actor=ACTOR).ok
    assert service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(50), reference="L2:1",
                           actor=ACTOR).ok
    s = stock(db)
    assert (s.on_hand, s.reserved, s.available) == (D(100), D(80), D(20))
    d = service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(21), reference="L3:1", actor=ACTOR)
    assert not d.ok and d.reason_code == "bonded_insufficient_stock" and d.available_before == D(20)
    assert service.reservation(session=db, reference="L3:1") is None  # nothing written
    service.deduct(session=db, reference="L1:1", actor=ACTOR)  # 100 − 30 = 70 on hand, 50 reserved
    service.cancel_reservation(session=db, reference="L2:1", actor=ACTOR)  # 0 reserved
    s = stock(db)
    assert (s.on_hand, s.reserved, s.available) == (D(70), D(0), D(70))
    service.restore(session=db, reference="L1:1", actor=ACTOR, quantity=D(2), restore_reference="R-1")
    service.restore(session=db, reference="L1:1", actor=ACTOR, quantity=D(2), restore_reference="R-1")  # idempotent
    assert stock(db).on_hand == D(72)
    with pytest.raises(AppError) as exc:
        service.restore(session=db, reference="L1:1", actor=ACTOR, quantity=D(29), restore_reference="R-2")
    assert exc.value.code == "bonded_restore_exceeds_deducted"  # only 30 − 2 = 28 left
    assert service.movement_totals(session=db, warehouse_code=BOOK, item_no="SKU-1", customs_status="bonded") == (
        D(72), D(0))


def test_idempotent_calls(db, book):
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(10)], actor=ACTOR)
    again = service.stock_in(session=db, warehouse_code=BOOK, lines=[line(10)], actor=ACTOR)
    assert not again[0].created and stock(db).on_hand == D(10)
    with pytest.raises(AppError) as exc:
        service.stock_in(session=db, warehouse_code=BOOK, lines=[line(11)], actor=ACTOR)
    assert exc.value.code == "bonded_entry_conflict"
    first = service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(4), reference="X",
                            actor=ACTOR)
    second = service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(4), reference="X",
                             actor=ACTOR)
    assert first.ok and second.ok and second.repeated and stock(db).reserved == D(4)
    assert service.deduct(session=db, reference="X", actor=ACTOR).changed
    assert not service.deduct(session=db, reference="X", actor=ACTOR).changed
    assert stock(db).on_hand == D(6)
    with pytest.raises(AppError) as exc:
        service.cancel_reservation(session=db, reference="X", actor=ACTOR)
    assert exc.value.code == "bonded_transition_not_allowed"


def test_entries_are_all_or_nothing_with_field_paths(db, book):
    with pytest.raises(AppError) as exc:
        service.stock_in(session=db, warehouse_code=BOOK, lines=[line(5), line(-1, line_no=2),
                                                                  line(3, line_no=3, hs_code="19011")], actor=ACTOR)
    paths = {e.path for e in exc.value.errors}
    assert {"lines[2]/quantity", "lines[3]/hs_code"} <= paths
    assert stock(db) is None


def test_same_warehouse_statuses_and_conversion(db, book):
    # 同仓存储: the same record line bonded and non-bonded in one warehouse; conversions are movements too
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(40), line(5, line_no=2, customs_status="non_bonded")],
                     actor=ACTOR)
    service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(30), reference="R", actor=ACTOR)
    with pytest.raises(AppError) as exc:  # only 40 − 30 = 10 available to convert
        service.convert(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(11), from_status="bonded",
                        to_status="pending_conversion", document_no="ZH1", reference="CV1", actor=ACTOR)
    assert exc.value.code == "bonded_insufficient_stock"
    src, dst = service.convert(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(10), from_status="bonded",
                               to_status="pending_conversion", document_no="ZH1", reference="CV1", actor=ACTOR)
    assert (src.on_hand, src.available, dst.on_hand) == (D(30), D(0), D(10))
    assert stock(db, "non_bonded").on_hand == D(5)
    assert service.movement_totals(session=db, warehouse_code=BOOK, item_no="SKU-1",
                                   customs_status="pending_conversion") == (D(10), D(0))


def test_daily_reconciliation_reports_each_difference(db, book):
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(100, doc="QD-IN-1"), line(7, doc="QD-IN-2",
                                                                                               item="SKU-2")],
                     actor=ACTOR)
    service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(3), reference="A", actor=ACTOR)
    service.deduct(session=db, reference="A", actor=ACTOR)
    service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(2), reference="B", actor=ACTOR)
    service.deduct(session=db, reference="B", actor=ACTOR)
    assert service.assign_document(session=db, references=["A"], document_no="QD-OUT-1", actor=ACTOR) == 1
    today = service.business_date()
    report = service.reconcile(session=db, warehouse_code=BOOK, on=today, actor=ACTOR, customs_lines=[
        CustomsLine("QD-IN-1", "SKU-1", D(100), "in"),  # agrees
        CustomsLine("QD-IN-2", "SKU-2", D(8), "in"),  # customs says 8, we entered 7
        CustomsLine("QD-OUT-1", "SKU-1", D(3), "out"),  # agrees
        CustomsLine("QD-OUT-9", "SKU-1", D(1), "out"),  # we have no such deduction
    ])
    kinds = sorted((d["kind"], d["document_no"] or "", d["platform"] or "", d["customs"] or "")
                   for d in report.differences)
    assert report.matched == 2
    assert kinds == [("missing_on_platform", "QD-OUT-9", "", "1"), ("no_document", "", "2.0000", ""),
                     ("quantity_mismatch", "QD-IN-2", "7.0000", "8")]


def test_excel_template_and_upload_row_errors(db, book):
    import io

    from openpyxl import Workbook

    template = load_workbook(io.BytesIO(service.entry_template()))
    assert template.active.max_row == 2
    wb = Workbook()
    ws = wb.active
    ws.append(["header"] * 10)
    ws.append(["QD-X", 1, "SKU-9", "", "面霜 50ml", "3304990029", "035", "142", 12, "bonded"])
    ws.append([None] * 10)  # blank rows are skipped
    ws.append(["QD-X", 2, "SKU-8", "", "面霜 30ml", "3304990029", "035", "142", "abc", "bonded"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(AppError) as exc:
        service.upload_entries(session=db, warehouse_code=BOOK, content=buf.getvalue(), actor=ACTOR)
    assert [e.path for e in exc.value.errors] == ["rows[4]/quantity"]
    assert service.stock_list(session=db, warehouse_code=BOOK) == []  # nothing half-written
    ws.cell(row=4, column=9, value=3)
    buf = io.BytesIO()
    wb.save(buf)
    results = service.upload_entries(session=db, warehouse_code=BOOK, content=buf.getvalue(), actor=ACTOR)
    assert [(r.item_no, r.on_hand_after) for r in results] == [("SKU-9", D(12)), ("SKU-8", D(3))]


def test_parallel_declarations_for_the_last_units_never_oversell(session_factory):
    with session_factory() as s:
        operator = make_enterprise(s)
        service.create_warehouse(session=s, code=BOOK, site_code="0412", name="1 号库",
                                 operator_enterprise_id=operator.id, actor=ACTOR)
        service.stock_in(session=s, warehouse_code=BOOK, lines=[line(5)], actor=ACTOR)
        s.commit()
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            with session_factory() as s:
                barrier.wait()
                d = service.reserve(session=s, warehouse_code=BOOK, item_no="SKU-1", quantity=D(2),
                                    reference=f"P{n}", actor=ACTOR)
                s.commit()
                results.append(d.ok)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results.count(True) == 2  # 5 units, 2 each: two declarations fit, the third would oversell
    with session_factory() as s:
        row = service.stock_list(session=s, warehouse_code=BOOK)[0]
        assert (row.on_hand, row.reserved, row.available) == (D(5), D(4), D(1))
        n = len(s.execute(select(BondedMovement).where(BondedMovement.kind == "reserve")).scalars().all())
        assert n == 2


def test_a_return_back_on_the_shelf_is_put_on_its_own_document(db, book):
    # R2.2 step 3: a 1210 return raises its own 核注清单; the restore used to stay "no_document" for good, because
    # only deductions could be given a document
    service.stock_in(session=db, warehouse_code=BOOK, lines=[line(10, doc="QD-IN-1")], actor=ACTOR)
    service.reserve(session=db, warehouse_code=BOOK, item_no="SKU-1", quantity=D(3), reference="L1/1", actor=ACTOR)
    service.deduct(session=db, reference="L1/1", actor=ACTOR)
    service.restore(session=db, reference="L1/1", actor=ACTOR, quantity=D(2), restore_reference="refund:L1")
    assert service.assign_document(session=db, references=["L1/1"], document_no="QD-OUT-1", actor=ACTOR) == 1
    assert service.assign_document(session=db, references=["L1/1"], document_no="QD-RET-1", actor=ACTOR,
                                   kind="restore") == 1
    assert service.assign_document(session=db, references=["L1/1"], document_no="QD-RET-1", actor=ACTOR,
                                   kind="restore") == 0  # a retry changes nothing
    report = service.reconcile(session=db, warehouse_code=BOOK, on=service.business_date(), actor=ACTOR,
                               customs_lines=[CustomsLine("QD-IN-1", "SKU-1", D(10), "in"),
                                              CustomsLine("QD-OUT-1", "SKU-1", D(3), "out"),
                                              CustomsLine("QD-RET-1", "SKU-1", D(2), "in")])
    assert (report.matched, report.differences) == (3, [])
    with pytest.raises(AppError) as bad:
        service.assign_document(session=db, references=["L1/1"], document_no="X", actor=ACTOR, kind="entry")
    assert bad.value.errors[0].path == "kind"
