"""Release by list through the customs sandbox: 2 → 120 → 399, 800 only after the arrival report, 899 after departure."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.exports.models import ExportArrival, ExportInventory, ExportRefund
from kuajing.imports.models import Receipt
from kuajing.imports.service import pump
from tests.exports import shipments as s

XML = {"Content-Type": "application/xml", "Accept": "application/json"}


def _send(client, party, msg):
    r = client.post("/ceb", content=s.xml(msg), headers={**party.headers, **XML})
    assert r.status_code == 200, r.text
    return r.json()["records"][0]


def _list(session_factory, ezone, n=1) -> ExportInventory:
    with session_factory() as session:
        return session.scalars(select(ExportInventory).where(
            ExportInventory.business_key == f"{ezone.platform.code}:EXO{n}")).one()


@pytest.fixture
def customs(session_factory):
    return SandboxCustoms(session_factory=session_factory, config=SandboxConfig())


def _shipment(client, ezone, n=1):
    p = ezone.parties
    _send(client, ezone.platform, s.order(p, n))
    _send(client, ezone.logistics, s.waybill(p, n))
    assert _send(client, ezone.agent, s.inventory(p, n))["code"] == "2"


def test_released_only_after_the_arrival_report_then_closed_after_departure(client, ezone, session_factory, customs):
    _shipment(client, ezone)
    pump(session_factory=session_factory, transport=customs)
    pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    assert (inv.status, inv.customs_status) == ("decided", "399")  # decided, waiting for the goods at the site
    assert inv.invt_no and inv.released_at is None

    _send(client, ezone.operator, s.arrival(ezone.parties, [1]))
    pump(session_factory=session_factory, transport=customs)
    pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    assert (inv.status, inv.customs_status) == ("released", "800") and inv.released_at is not None

    _send(client, ezone.logistics, s.departure(ezone.parties, [1]))
    pump(session_factory=session_factory, transport=customs)
    pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    assert (inv.status, inv.customs_status) == ("closed", "899") and inv.closed_at is not None
    with session_factory() as session:
        path = [r.return_status for r in session.scalars(select(Receipt).where(
            Receipt.declaration_type == "CEB603", Receipt.source == "customs").order_by(Receipt.id))]
    assert path == ["2", "120", "399", "800", "899"]


def test_an_arrival_before_the_decision_releases_right_after_399(client, ezone, session_factory, customs):
    _send(client, ezone.operator, s.arrival(ezone.parties, [1]))
    pump(session_factory=session_factory, transport=customs)
    _shipment(client, ezone)
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    assert inv.status == "released"
    with session_factory() as session:
        arrived = session.scalars(select(ExportArrival.created_at)).one()
    assert inv.arrived_at == arrived  # the list declared after its goods arrived still shows when they did


def test_customs_rejects_a_list_whose_waybill_it_never_received(client, ezone, session_factory, customs, db):
    _shipment(client, ezone)
    # customs lost the waybill: drop it from the outbox before the pump sends it
    from kuajing.imports.models import OutboxMessage

    db.query(OutboxMessage).filter(OutboxMessage.message_type == "CEB505").delete()
    db.commit()
    pump(session_factory=session_factory, transport=customs)
    pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    assert (inv.status, inv.customs_status) == ("customs_rejected", "100")
    assert "运单[EXW1]" in inv.last_info


def test_inspection_path_then_release(client, ezone, session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig(inspection_rate=1.0))
    _send(client, ezone.operator, s.arrival(ezone.parties, [1]))
    _shipment(client, ezone)
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        path = [r.return_status for r in session.scalars(select(Receipt).where(
            Receipt.declaration_type == "CEB603", Receipt.source == "customs").order_by(Receipt.id))]
    assert path == ["2", "120", "300", "500", "399", "800"]


def test_cancellation_before_departure(client, ezone, session_factory, customs):
    _shipment(client, ezone)
    pump(session_factory=session_factory, transport=customs)
    pump(session_factory=session_factory, transport=customs)
    inv = _list(session_factory, ezone)
    from kuajing.ceb import example_message

    msg = example_message("CEB605")
    h = msg.records[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.pre_no = "1", "2", inv.invt_no, ezone.agent.code, None
    h.ebc_code = ezone.platform.code
    assert _send(client, ezone.agent, msg)["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    assert _list(session_factory, ezone).status == "cancelled"


def _released(client, ezone, session_factory, customs) -> ExportInventory:
    """EXO1 arrived, declared and released by the sandbox."""
    _send(client, ezone.operator, s.arrival(ezone.parties, [1]))
    _shipment(client, ezone)
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    return _list(session_factory, ezone)


def test_export_return_request_gets_its_relief_window(client, ezone, session_factory, customs):
    inv = _released(client, ezone, session_factory, customs)
    from kuajing.ceb import example_message

    msg = example_message("CEB213", items=1)
    h = msg.records[0].head
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.ebc_code = "1", "2", inv.invt_no, ezone.agent.code, \
        ezone.platform.code
    h.co_el_no, h.pre_no, h.ebp_code = "RET1", None, inv.ebp_code  # the parties of the list itself
    item = msg.records[0].items[0]
    item.gnum, item.gcode, item.qty = 1, "6110120000", 1
    assert _send(client, ezone.agent, msg)["code"] == "2"
    with session_factory() as session:
        refund = session.scalars(select(ExportRefund)).one()
    assert str(refund.exported_on) == "2026-03-05" and str(refund.relief_until) == "2026-09-05"


def test_every_export_receipt_the_sandbox_emits_validates_against_the_official_export_xsd(
        client, ezone, session_factory, customs, settings):
    spec_dir = Path(settings.ceb_spec_dir) if getattr(settings, "ceb_spec_dir", None) else None
    xsd_files = sorted(spec_dir.rglob("*.xsd")) if spec_dir and spec_dir.exists() else []
    export_xsd = [f for f in xsd_files if "export" in f.name.lower() or "出口" in f.name]
    assert export_xsd, f"official export XSD not found under {spec_dir}"
    schema = etree.XMLSchema(etree.parse(str(export_xsd[0])))
    _send(client, ezone.operator, s.arrival(ezone.parties, [1]))
    _shipment(client, ezone)
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    _send(client, ezone.logistics, s.departure(ezone.parties, [1]))
    for _ in range(2):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        emitted = session.scalars(select(SandboxReceipt)).all()
        platform = session.scalars(select(Receipt).where(Receipt.source == "platform")).all()
    types = set()
    for xml in [r.xml for r in emitted] + [r.receipt_xml for r in platform]:
        doc = etree.fromstring(bytes(xml))
        types.add(etree.QName(doc).localname)
        assert schema.validate(doc), (etree.QName(doc).localname, schema.error_log.last_error)
    assert {"CEB304Message", "CEB506Message", "CEB508Message", "CEB510Message", "CEB604Message"} <= types


def test_only_the_lists_own_parties_cancel_or_return_an_export_list(client, ezone, session_factory, customs):
    # a QA pass cancelled (CEB605) and returned (CEB213) another enterprise's released list by naming itself as
    # agent; the cancellation, keyed by the list number, then locked the real agent out
    from kuajing.ceb import example_message

    inv = _released(client, ezone, session_factory, customs)
    cancel = example_message("CEB605")
    c = cancel.records[0]
    c.app_type, c.app_status, c.invt_no, c.agent_code, c.ebc_code = "1", "2", inv.invt_no, ezone.outsider.code, \
        inv.ebc_code
    answer = _send(client, ezone.outsider, cancel)
    assert answer["code"] == "-4001" and "agentCode" in answer["info"], answer
    ret = example_message("CEB213", items=1)
    h = ret.records[0].head
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.ebc_code, h.ebp_code = "1", "2", inv.invt_no, \
        ezone.outsider.code, ezone.outsider.code, ezone.outsider.code
    h.co_el_no, h.pre_no = "RET-X", None
    item = ret.records[0].items[0]
    item.gnum, item.gcode, item.qty = 1, "6110120000", 1
    assert _send(client, ezone.outsider, ret)["code"] == "-4001"
    c.agent_code = inv.agent_code  # the list's own agent: accepted (the outsider's attempt blocked nothing)
    assert _send(client, ezone.agent, cancel)["code"] == "2"


@pytest.mark.parametrize(("qty", "field"), [("-2", "qty"), ("0", "qty")])
def test_an_export_list_line_of_no_or_negative_quantity_is_refused(client, ezone, qty, field):
    # such a line once reached the no-invoice register (quantity -2, amount -200), which is never edited
    msg = s.inventory(ezone.parties, 7, qty=qty)
    answer = _send(client, ezone.agent, msg)
    assert answer["code"] == "-4104" and f"InventoryList[1]/{field}" in answer["info"], answer
