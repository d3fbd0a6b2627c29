"""The customs sandbox answers monthly summary applications (CEB701): CEB702 2 → 120 → 399, then a CEB792 result."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from kuajing.ceb import parse
from kuajing.ceb.receipt import SHANGHAI
from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.data import service as data
from kuajing.export_summary import service as summary
from kuajing.export_summary.models import SummaryApplication
from kuajing.exports.models import ExportInventory
from kuajing.imports.models import Receipt
from kuajing.imports.service import pump
from tests.exports import shipments as s
from tests.exports.test_release import _send


def _released(client, ezone, session_factory, customs, numbers=(1, 2)):
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, list(numbers)))
    for n in numbers:
        _send(client, ezone.platform, s.order(p, n))
        _send(client, ezone.logistics, s.waybill(p, n))
        assert _send(client, ezone.agent, s.inventory(p, n))["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        lists = session.scalars(select(ExportInventory).order_by(ExportInventory.id)).all()
    assert [inv.status for inv in lists] == ["released"] * len(numbers)
    return lists


def _submit(session_factory, ezone, lists) -> list[int]:
    released_on = lists[0].released_at.astimezone(SHANGHAI).date()
    month = released_on.replace(day=1)
    today = (month + timedelta(days=32)).replace(day=2)
    with session_factory() as session:
        data.load_seed(session=session)
        summary.sync_released(session=session)
        apps = summary.confirm(session=session, enterprise_id=ezone.platform.id, month=month, today=today,
                               actor="test")
        ids = [a.id for a in apps]
        for app_id in ids:
            summary.submit(session=session, application_id=app_id, visible_to=None, actor="test")
        session.commit()
    return ids


def test_summary_applications_reach_accepted_then_summarised(client, ezone, session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    lists = _released(client, ezone, session_factory, customs)
    ids = _submit(session_factory, ezone, lists)
    assert len(ids) == 1  # same eight keys: one application
    for _ in range(3):  # CEB701 sent; the sandbox (no delay) answers 2, 120, 399 and the CEB792
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        app = session.get(SummaryApplication, ids[0])
        assert app.status == "summarised" and app.sum_no and app.customs_status == "399"
        (result,) = app.results
        assert result["dec_state"] == "399" and len(result["decl_seq_no"]) == 18 and len(result["entry_id"]) == 18
        assert sorted((line["invt_no"], line["gnum"]) for line in result["lines"]) == \
            sorted((inv.invt_no, 1) for inv in lists)
        path = [r.return_status for r in session.scalars(select(Receipt).where(
            Receipt.declaration_type == "CEB701").order_by(Receipt.id))]
    assert path == ["2", "120", "399", ""]  # CEB702 ×3, then the CEB792 result stored for the enterprise


def test_an_application_naming_an_unreleased_list_is_refused(client, ezone, session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    lists = _released(client, ezone, session_factory, customs, numbers=(1,))
    ids = _submit(session_factory, ezone, lists)
    with session_factory() as session:  # customs lost the list (another customs system would not know it)
        from kuajing.customs.models import SandboxDeclaration

        decl = session.scalars(select(SandboxDeclaration).where(SandboxDeclaration.message_type == "CEB603")).one()
        decl.released_at = None
        session.commit()
    pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        app = session.get(SummaryApplication, ids[0])
    assert (app.status, app.customs_status) == ("rejected", "100")


def test_emitted_ceb702_and_ceb792_validate_against_the_official_export_xsd(client, ezone, session_factory,
                                                                              settings):
    spec_dir = Path(settings.ceb_spec_dir) if getattr(settings, "ceb_spec_dir", None) else None
    xsd_files = sorted(spec_dir.rglob("*.xsd")) if spec_dir and spec_dir.exists() else []
    export_xsd = [f for f in xsd_files if "export" in f.name.lower() or "出口" in f.name]
    assert export_xsd, f"official export XSD not found under {spec_dir}"
    schema = etree.XMLSchema(etree.parse(str(export_xsd[0])))
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    lists = _released(client, ezone, session_factory, customs)
    _submit(session_factory, ezone, lists)
    for _ in range(4):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        emitted = session.scalars(select(SandboxReceipt).where(
            SandboxReceipt.message_type.in_(["CEB702", "CEB792"]))).all()
    assert {r.message_type for r in emitted} == {"CEB702", "CEB792"}
    for r in emitted:
        doc = etree.fromstring(r.xml)
        assert schema.validate(doc), (r.message_type, schema.error_log.last_error)
        parse(r.xml)  # and our own reader takes it
