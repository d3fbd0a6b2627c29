"""The release hook, the no-invoice register (exactly once, never altered), the summary wizard's service
(confirm, submit as CEB701, CEB702/CEB792 results, reminders) and the CIT estimate over the register."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import delete, func, select, update

from kuajing.audit.models import AuditEvent
from kuajing.ceb import Message, build, classes
from kuajing.errors import AppError
from kuajing.export_summary import service
from kuajing.export_summary.errors import ImmutableRegisterError
from kuajing.export_summary.models import RegisterEntry, ReleasedLine, SummaryApplication, SummaryReminder
from kuajing.imports.models import OutboxMessage
from tests.export_summary.helpers import CNY, at, line, twelve_lists, variant

APRIL = date(2025, 4, 2)  # a day after March 2025 ended


def _lines(ent, lines):
    return [variant(x, enterprise_id=ent.id, consignor=ent.customs_code) for x in lines]


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


# --- release hook and register -------------------------------------------------------------------------


def test_a_released_line_appears_in_the_register_exactly_once(db, exporter, zone):
    lines = _lines(exporter, [line(1), line(1, gnum=2, hs_code="6110120010"), line(2)])
    first = service.register_released_list(session=db, lines=lines, config=zone)
    db.commit()
    assert (first.new_lines, len(first.entries)) == (3, 3)
    again = service.register_released_list(session=db, lines=lines + lines[:1], config=zone)  # replay + duplicate
    db.commit()
    assert (again.new_lines, again.known_lines, again.entries) == (0, 3, [])
    assert _count(db, RegisterEntry) == 3 and _count(db, ReleasedLine) == 3
    entry = db.scalars(select(RegisterEntry).where(RegisterEntry.list_no == lines[0].list_no,
                                                   RegisterEntry.gnum == 1)).one()
    assert (entry.export_date, entry.goods_name, entry.unit, entry.quantity, entry.unit_price, entry.amount) == (
        date(2025, 3, 10), "羊绒衫", "011", Decimal(2), Decimal("120.50"), Decimal("241.00"))
    assert entry.eligible and entry.ineligible_reasons == [] and entry.kind == "original"
    events = db.scalars(select(AuditEvent).where(AuditEvent.stream == f"no-invoice:{exporter.id}")).all()
    assert sorted(e.subject_id for e in events) == sorted(str(e.id) for e in db.scalars(select(RegisterEntry)))
    assert {e.action for e in events} == {"export:no-invoice-entry:record"}


def test_the_register_skips_b2b_and_non_zone_exporters_but_the_summary_snapshot_keeps_them(db, exporter, outsider, zone):
    lines = _lines(exporter, [line(1), line(2, trade_mode="9710")]) + _lines(outsider, [line(3)])
    result = service.register_released_list(session=db, lines=lines, config=zone)
    db.commit()
    assert [e.list_no for e in result.entries] == [lines[0].list_no]
    assert sorted(r[2] for r in result.not_registered) == ["not_retail_export", "not_zone_enterprise"]
    assert _count(db, ReleasedLine) == 3


def test_eligibility_is_recorded_with_the_reasons(db, exporter, zone):
    lines = _lines(exporter, [line(1, declare_customs="0101", exit_customs="0101"),
                              line(2, hs_code="7208100000"), line(3, exit_customs="0706", declare_customs="0706")])
    result = service.register_released_list(session=db, lines=lines, config=zone)
    db.commit()
    assert [(e.eligible, e.ineligible_reasons) for e in result.entries] == [
        (False, ["not_zone_customs"]), (False, ["excluded_goods"]), (True, [])]


def test_the_shipped_zone_configuration_is_baotou():
    config = service.ZoneConfig.for_zone("中国（包头）跨境电子商务综合试验区")
    assert config.customs == frozenset({"0703", "0706"})  # 包头海关, 包头海关驻国际集装箱中转站办事处
    assert any(e.hs_prefix == "7208" for e in config.excluded)
    assert service.zone_city("中国（杭州）跨境电子商务综合试验区") == "杭州"


def test_register_entries_cannot_be_updated_or_deleted_through_the_model_layer(db, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, [line(1)]), config=zone)
    db.commit()
    entry = db.scalars(select(RegisterEntry)).one()
    entry.amount = Decimal("1.00")
    with pytest.raises(ImmutableRegisterError):
        db.flush()
    db.rollback()
    entry = db.scalars(select(RegisterEntry)).one()
    db.delete(entry)
    with pytest.raises(ImmutableRegisterError):
        db.flush()
    db.rollback()
    with pytest.raises(ImmutableRegisterError):
        db.execute(update(RegisterEntry).values(amount=Decimal("1.00")))
    db.rollback()
    with pytest.raises(ImmutableRegisterError):
        db.execute(delete(RegisterEntry))
    db.rollback()
    assert db.scalars(select(RegisterEntry)).one().amount == Decimal("241.00")


def test_a_correction_is_a_new_entry_and_retries_do_not_duplicate(db, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, [line(1)]), config=zone)
    db.commit()
    original = db.scalars(select(RegisterEntry)).one()
    fix = service.Correction(quantity=Decimal(3), amount=Decimal("361.50"))
    corr = service.correct(session=db, original_id=original.id, visible_to=exporter.id, values=fix,
                           reason="数量录入错误", reference="FIX-1", actor="user:clerk", config=zone)
    db.commit()
    assert (corr.kind, corr.corrects_id, corr.quantity, corr.amount, corr.unit_price) == (
        "correction", original.id, Decimal(3), Decimal("361.50"), Decimal("120.50"))
    same = service.correct(session=db, original_id=original.id, visible_to=exporter.id, values=fix,
                           reason="数量录入错误", reference="FIX-1", actor="user:clerk", config=zone)
    assert same.id == corr.id
    with pytest.raises(AppError) as err:
        service.correct(session=db, original_id=original.id, visible_to=exporter.id,
                        values=service.Correction(amount=Decimal("1.00")), reason="x", reference="FIX-1",
                        actor="user:clerk", config=zone)
    assert err.value.code == "no_invoice_correction_reference_reused"
    db.rollback()
    db.expire_all()
    assert db.get(RegisterEntry, original.id).amount == Decimal("241.00")  # the original is untouched
    effective = service.effective_entries(session=db, enterprise_id=exporter.id, date_from=date(2025, 1, 1),
                                          date_to=date(2025, 12, 31))
    assert [e.id for e in effective] == [corr.id]
    with pytest.raises(AppError) as err:  # another enterprise cannot correct it
        service.correct(session=db, original_id=original.id, visible_to=exporter.id + 999, values=fix, reason="x",
                        reference="FIX-2", actor="user:x", config=zone)
    assert err.value.code == "no_invoice_entry_not_found"


def test_register_exports_keep_the_six_fields(db, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, [line(1), line(2)]), config=zone)
    db.commit()
    entries, total = service.register(session=db, enterprise_id=exporter.id)
    headers = [h for _, h in service.REGISTER_COLUMNS]
    text = service.register_csv(entries, headers).decode("utf-8-sig")
    rows = [r.split(",") for r in text.strip().split("\r\n")]
    assert total == 2 and rows[0] == headers and len(rows) == 3
    assert rows[1][5:11] == ["2025-03-10", "羊绒衫", "011", "2", "120.5", "241"]
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(service.register_xlsx(entries, headers, "register"))).active
    assert [c.value for c in ws[2]][5:11] == ["2025-03-10", "羊绒衫", "011", "2", "120.5", "241"]


# --- summary wizard service -----------------------------------------------------------------------------


def test_confirm_records_one_application_per_group_and_only_once(db, calendar, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, twelve_lists()), config=zone)
    db.commit()
    view = service.preview(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL)
    assert len(view.groups) == 3 and view.deadline == date(2025, 4, 15) and view.month_closed
    apps = service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL,
                           actor="user:clerk")
    db.commit()
    assert sorted(a.list_count for a in apps) == [3, 4, 5]
    assert {a.status for a in apps} == {"draft"} and {a.deadline for a in apps} == {date(2025, 4, 15)}
    with pytest.raises(AppError) as err:
        service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL, actor="x")
    assert err.value.code == "export_summary_nothing_to_confirm"
    db.rollback()
    assert _count(db, SummaryApplication) == 3
    # a late line of the same key becomes a second revision of that key, nothing else
    service.register_released_list(session=db, lines=_lines(exporter, [line(99, released="2025-03-31 23:59")]),
                                   config=zone)
    late = service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL, actor="x")
    assert [(a.revision, a.list_count, a.currency) for a in late] == [(2, 1, "502")]


def test_confirm_waits_for_the_month_to_end(db, calendar, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, [line(1, released="2025-03-31 10:00")]),
                                   config=zone)
    with pytest.raises(AppError) as err:
        service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=date(2025, 3, 31),
                        actor="x")
    assert err.value.code == "export_summary_month_not_closed"


def test_summary_statistics_mode_records_statistics_and_sends_nothing(db, calendar, exporter, outsider, zone):
    with pytest.raises(AppError) as err:
        service.set_mode(session=db, enterprise_id=outsider.id, mode="statistics", effective_from=date(2025, 3, 1),
                         actor="x")
    assert err.value.code == "export_summary_statistics_not_allowed"
    with pytest.raises(AppError) as err:
        service.set_mode(session=db, enterprise_id=exporter.id, mode="statistics", effective_from=date(2025, 3, 2),
                         actor="x")
    assert err.value.code == "export_summary_bad_effective_date"
    service.set_mode(session=db, enterprise_id=exporter.id, mode="statistics", effective_from=date(2025, 3, 1),
                     actor="x")
    service.register_released_list(session=db, lines=_lines(exporter, twelve_lists()), config=zone)
    assert service.mode_for(session=db, enterprise_id=exporter.id, month=date(2025, 2, 1)).value == "declaration"
    view = service.preview(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL)
    assert view.mode.value == "statistics" and view.deadline is None
    apps = service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL, actor="x")
    assert {a.status for a in apps} == {"statistics"} and len(apps) == 3
    with pytest.raises(AppError) as err:
        service.submit(session=db, application_id=apps[0].id, visible_to=exporter.id, actor="x")
    assert err.value.code == "export_summary_transition_not_allowed"
    assert _count(db, OutboxMessage) == 0


def _official_export_schema(settings) -> etree.XMLSchema:
    path = Path(settings.ceb_spec_dir or "") / "xsd" / "ceb-export-202205.xsd"
    if not path.is_file():
        pytest.fail(f"official export XSD not found at {path}: set KUAJING_CEB_SPEC_DIR", pytrace=False)
    return etree.XMLSchema(etree.parse(str(path)))


def _confirmed(db, exporter, zone):
    service.register_released_list(session=db, lines=_lines(exporter, twelve_lists()), config=zone)
    apps = service.confirm(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL, actor="x")
    db.commit()
    return sorted(apps, key=lambda a: -a.list_count)


def test_submit_writes_a_ceb701_valid_against_the_official_export_xsd(db, settings, calendar, exporter, zone):
    app = _confirmed(db, exporter, zone)[0]
    service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="user:clerk",
                   now=at("2025-04-03 09:00"))
    db.commit()
    schema = _official_export_schema(settings)
    doc = etree.fromstring(app.message)
    assert schema.validate(doc), schema.error_log
    ns = {"ceb": "http://www.chinaport.gov.cn/ceb"}
    assert doc.xpath("//ceb:SummaryApplyHead/ceb:copNo/text()", namespaces=ns) == [app.cop_no]
    assert doc.xpath("//ceb:SummaryApplyHead/ceb:ebcCode/text()", namespaces=ns) == ["1502960ABC"]
    assert doc.xpath("//ceb:SummaryApplyHead/ceb:appTime/text()", namespaces=ns) == ["20250403090000"]
    assert len(doc.xpath("//ceb:SummaryApplyList/ceb:invtNo", namespaces=ns)) == 5
    outbox = db.scalars(select(OutboxMessage)).one()
    assert (outbox.message_type, outbox.status, outbox.payload) == ("CEB701", "pending", app.message)
    assert app.status == "submitted"
    again = service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="x")
    assert again.status == "submitted" and _count(db, OutboxMessage) == 1  # a retry sends nothing twice


def _receipt(app, status: str, sum_no: str | None = "SUM070320250000001") -> Message:
    cls = classes("CEB702")
    rec = cls.record(guid="A" * 36, agent_code="1502960ABC", ebc_code=app.consignor, cop_no=app.cop_no,
                     pre_no="B20250403000000001", sum_no=sum_no, msg_seq_no=1, return_status=status,
                     return_time="20250403100000000", return_info="ok")
    return Message(message_type="CEB702", records=[rec])


def _result(app, decl_seq_no: str = "D07032025000000001") -> Message:
    cls = classes("CEB792")
    head = cls.head(guid="B" * 36, customs_code="0703", sum_no="SUM070320250000001", op_date="20250405100000000",
                    decl_seq_no=decl_seq_no, dec_tmp_no=None, dec_pre_no=None, entry_id="070320250000012345",
                    dec_state="1", agent_code="1502960ABC", agent_name="代理", ebc_code=app.consignor, ebc_name="电商",
                    decl_agent_code="1502960ABC", decl_agent_name="代理", gross_weight=Decimal("10"),
                    net_weight=Decimal("9"), msg_count=1, msg_seq_no=1, note=None)
    items = [cls.item(invt_no="07032025E000000001", logistics_no="LN00000001", gseqno=1, gnum=1, gcode=app.hs_code)]
    return Message(message_type="CEB792", records=[cls.record(head=head, items=items)])


def test_customs_receipt_and_result_are_recorded_once(db, calendar, exporter, zone):
    app = _confirmed(db, exporter, zone)[0]
    service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="x")
    assert service.apply_customs_message(session=db, data=build(_receipt(app, "120"))) == 1
    assert (app.status, app.sum_no, app.pre_no) == ("accepted", "SUM070320250000001", "B20250403000000001")
    result = build(_result(app))
    assert service.apply_customs_message(session=db, data=result) == 1
    assert service.apply_customs_message(session=db, data=result) == 0  # replay
    db.commit()
    assert app.status == "summarised" and len(app.results) == 1
    assert app.results[0]["entry_id"] == "070320250000012345" and app.results[0]["lines"][0]["gseqno"] == 1
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.stream == f"export-summary:{exporter.id}")).all()
    assert "export:summary-application:ceb792" in events and "export:summary-application:ceb702" in events


def test_a_negative_receipt_rejects_and_frees_the_lines(db, calendar, exporter, zone):
    app = _confirmed(db, exporter, zone)[0]
    service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="x")
    service.apply_customs_message(session=db, data=build(_receipt(app, "-701001", sum_no=None)))
    assert app.status == "rejected"
    view = service.preview(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL)
    assert [len(g.list_nos) for g in view.groups] == [5]  # its lines may be summarised again


def test_reminders_before_the_deadline_once_per_enterprise_and_day_count(db, calendar, exporter, zone):
    # March 2025 lists are due Tuesday 2025-04-15: 5 working days before = Tuesday 04-08, 1 before = Monday 04-14
    service.register_released_list(session=db, lines=_lines(exporter, twelve_lists()), config=zone)
    assert service.send_reminders(session=db, today=date(2025, 4, 7)) == 0
    assert service.send_reminders(session=db, today=date(2025, 4, 8)) == 1
    assert service.send_reminders(session=db, today=date(2025, 4, 9)) == 0  # already reminded
    assert service.send_reminders(session=db, today=date(2025, 4, 14)) == 1
    assert service.send_reminders(session=db, today=date(2025, 4, 16)) == 0  # past the deadline
    rows = db.scalars(select(SummaryReminder).order_by(SummaryReminder.days_before)).all()
    assert [(r.days_before, r.remind_on, r.deadline, r.open_lines) for r in rows] == [
        (1, date(2025, 4, 14), date(2025, 4, 15), 12), (5, date(2025, 4, 8), date(2025, 4, 15), 12)]


def test_no_reminder_once_everything_was_sent(db, calendar, exporter, zone):
    for app in _confirmed(db, exporter, zone):
        service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="x")
    assert service.send_reminders(session=db, today=date(2025, 4, 14)) == 0


# --- CIT estimate over the register ---------------------------------------------------------------------


def test_cit_estimate_from_the_register_in_cny(db, exporter, zone):
    """Two eligible CNY lines of 2025 (4,000,000.00 each) and an ineligible one: revenue 8,000,000.00 →
    taxable 320,000.00 → 80,000.00 at 25 %, 16,000.00 as a small low-profit enterprise (2023年第12号)."""
    big = dict(currency=CNY, quantity=Decimal(1000), unit_price=Decimal(4000), amount=Decimal("4000000.00"))
    lines = [line(1, **big), line(2, released="2025-11-30 10:00", **big),
             line(3, declare_customs="0101", exit_customs="0101", **big)]
    service.register_released_list(session=db, lines=_lines(exporter, lines), config=zone)
    plain = service.cit_estimate(session=db, enterprise_id=exporter.id, year=2025)
    assert plain.revenue_source == "register" and plain.estimate.revenue == Decimal("8000000.00")
    assert (plain.estimate.taxable_income, plain.estimate.tax) == (Decimal("320000.00"), Decimal("80000.00"))
    relieved = service.cit_estimate(session=db, enterprise_id=exporter.id, year=2025, employees=20,
                                    assets=Decimal(3000000))
    assert relieved.estimate.tax == Decimal("16000.00")
    assert any("2023年第12号" in c for _, c in relieved.citations)
    assert any("2019年第36号" in c for _, c in relieved.citations)


def test_cit_estimate_by_year_follows_the_dated_relief(db, exporter):
    """Taxable 320,000: 2021 and 2022 halve the first million again (2021年第12号) → 2.5 % = 8,000.00."""
    for year, tax in ((2020, "16000.00"), (2021, "8000.00"), (2022, "8000.00"), (2024, "16000.00")):
        view = service.cit_estimate(session=db, enterprise_id=exporter.id, year=year, employees=10,
                                    assets=Decimal(1000000), revenue=Decimal(8000000))
        assert view.estimate.tax == Decimal(tax), year
    with pytest.raises(AppError) as err:
        service.cit_estimate(session=db, enterprise_id=exporter.id, year=2019, revenue=Decimal(1))
    assert err.value.code == "cit_bad_year"
    after = service.cit_estimate(session=db, enterprise_id=exporter.id, year=2028, employees=10,
                                 assets=Decimal(1), revenue=Decimal(8000000))
    assert after.estimate.tax == Decimal("80000.00") and after.estimate.relief_reasons == ("relief_not_in_force",)


def test_naive_times_are_refused_by_the_hook(db, exporter):
    with pytest.raises(ValueError):
        service.register_released_list(session=db, lines=[variant(line(1), released_at=datetime(2025, 3, 1))])


def test_the_one_intake_applies_ceb702_and_ceb792_and_stores_them_for_the_enterprise(db, calendar, exporter, zone):
    from kuajing.imports.models import Receipt
    from kuajing.imports.service.flow import apply_customs_message as pipeline_apply

    app = _confirmed(db, exporter, zone)[0]
    service.submit(session=db, application_id=app.id, visible_to=exporter.id, actor="x")
    assert pipeline_apply(session=db, data=build(_receipt(app, "120"))).matched == 1
    assert app.status == "accepted"
    assert pipeline_apply(session=db, data=build(_result(app))).matched == 1
    assert app.status == "summarised"
    stored = db.scalars(select(Receipt).where(Receipt.enterprise_id == exporter.id).order_by(Receipt.id)).all()
    assert [(r.message_type, r.declaration_type, r.business_key) for r in stored] == [
        ("CEB702", "CEB701", f"CEB701:{app.cop_no}"), ("CEB792", "CEB701", f"CEB701:{app.cop_no}")]


def test_daily_job_is_repeatable(session_factory, db, calendar, exporter, zone):
    from kuajing.export_summary import jobs

    service.register_released_list(session=db, lines=_lines(exporter, twelve_lists()), config=zone)
    db.commit()
    first = jobs.daily(session_factory=session_factory, today=date(2025, 4, 14))
    again = jobs.daily(session_factory=session_factory, today=date(2025, 4, 14))
    assert (first.reminders, again.reminders) == (2, 0)  # the 5- and the 1-working-day reminders, once


def _released_inventory(db, ent, *, invt_no: str, released: str):
    from kuajing.exports.models import ExportInventory, ExportInventoryItem

    inv = ExportInventory(
        business_key=f"EBP:{invt_no}", sender_enterprise_id=ent.id, status="released", app_type="1", app_status="2",
        app_history=[], message_guid="G" * 36, content_hash="0" * 64, record="{}", customs_code="0703", ebp_code="EBP",
        ebp_name="平台", order_no=f"O{invt_no}", logistics_code="L", logistics_no=f"LN{invt_no}", cop_no=f"C{invt_no}",
        pre_no=f"P{invt_no}", invt_no=invt_no, port_code="0703", ie_date="20250310", statistics_flag="B",
        agent_code=ent.customs_code, agent_name=ent.name_zh, ebc_code=ent.customs_code, ebc_name=ent.name_zh,
        owner_code=ent.customs_code, owner_name=ent.name_zh, trade_mode="9610", traf_mode="5", country="502",
        freight=Decimal(0), f_currency="142", insured_fee=Decimal(0), gross_weight=Decimal(1), net_weight=Decimal(1),
        pack_no=1, declared_on=date(2025, 3, 9), released_at=at(released))
    inv.items = [ExportInventoryItem(gnum=1, item_no="SKU1", gcode="6110120090", gname="羊绒衫", gmodel="100%羊绒",
                                     country="502", currency="502", qty=Decimal(2), qty1=Decimal(1), unit="011",
                                     unit1="035", price=Decimal("120.5"), total_price=Decimal("241"))]
    db.add(inv)
    db.flush()
    return inv


def test_released_lists_are_read_from_the_export_tables(db, calendar, exporter, zone):
    _released_inventory(db, exporter, invt_no="07032025E00000001", released="2025-03-10 10:00")
    _released_inventory(db, exporter, invt_no="07032025E00000002", released="2025-04-01 00:10")
    assert service.sync_released(session=db, config=zone) == 2
    assert service.sync_released(session=db, config=zone) == 0  # already registered
    db.commit()
    march = service.preview(session=db, enterprise_id=exporter.id, month=date(2025, 3, 1), today=APRIL)
    assert [g.list_nos for g in march.groups] == [("07032025E00000001",)]
    entries, total = service.register(session=db, enterprise_id=exporter.id)
    assert total == 2 and [e.export_date for e in entries] == [date(2025, 3, 10), date(2025, 4, 1)]
