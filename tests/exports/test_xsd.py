"""Issue 5 check: every message the platform emits validates against the official export XSD
(shared/ceb-spec/xsd/ceb-export-202205.xsd).

One scenario sends every export declaration type through the intake (CEB303, 403, 505, 507, 509, 603, 605,
607, 213, 215), a refused duplicate and the monthly summary application (CEB701), and lets the customs
sandbox answer. Then every message that left the platform — each message in the customs outbox, each receipt
the platform answered to an enterprise (accepted and refused) — and each answer of the sandbox is validated,
and the types are checked to be the complete set, so a type that stops being emitted fails the test too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lxml import etree
from sqlalchemy import select

from kuajing.ceb import example_message
from kuajing.ceb.receipt import SHANGHAI
from kuajing.customs.models import SandboxReceipt
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.data import service as data
from kuajing.export_summary import service as summary
from kuajing.exports.models import ExportInventory
from kuajing.imports.models import OutboxMessage, Receipt
from kuajing.imports.service import pump
from tests.exports import shipments as s
from tests.exports.test_release import _send

FORWARDED = {"CEB303", "CEB403", "CEB505", "CEB507", "CEB509", "CEB603", "CEB605", "CEB607", "CEB213", "CEB215",
             "CEB701"}
ANSWERED = {"CEB304", "CEB404", "CEB506", "CEB508", "CEB510", "CEB604", "CEB606", "CEB608", "CEB214", "CEB216"}


def _schema(settings) -> etree.XMLSchema:
    spec = Path(settings.ceb_spec_dir) if getattr(settings, "ceb_spec_dir", None) else None
    found = sorted(spec.rglob("ceb-export-*.xsd")) if spec and spec.exists() else []
    assert found, f"official export XSD not found under {spec}"
    return etree.XMLSchema(etree.parse(str(found[0])))


def _lists(session_factory) -> dict[str, ExportInventory]:
    with session_factory() as session:
        return {i.order_no: i for i in session.scalars(select(ExportInventory))}


def _pump(session_factory, customs, times=3):
    for _ in range(times):
        pump(session_factory=session_factory, transport=customs)


def test_every_message_the_platform_emits_validates_against_the_official_export_xsd(client, ezone, session_factory,
                                                                                     settings):
    schema = _schema(settings)
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1, 2]))
    for n in (1, 2):
        _send(client, ezone.platform, s.order(p, n))
        _send(client, ezone.logistics, s.waybill(p, n))
        assert _send(client, ezone.agent, s.inventory(p, n))["code"] == "2"
    assert _send(client, ezone.platform, s.receipt(p, 1))["code"] == "2"  # CEB403 (optional since 2024-12-15)
    # a refused one: another order under EXO1's number (the official duplicate code)
    assert _send(client, ezone.platform, s.order(p, 1, price="101"))["code"].startswith("-")
    _pump(session_factory, customs)
    lists = _lists(session_factory)
    assert {k: v.status for k, v in lists.items()} == {"EXO1": "released", "EXO2": "released"}
    one, two = lists["EXO1"].invt_no, lists["EXO2"].invt_no

    # the monthly summary application (CEB701) of the release month (both lists)
    released_on = lists["EXO1"].released_at.astimezone(SHANGHAI).date()
    month = released_on.replace(day=1)
    with session_factory() as session:
        data.load_seed(session=session)
        summary.sync_released(session=session)
        apps = summary.confirm(session=session, enterprise_id=ezone.platform.id, month=month,
                               today=(month + timedelta(days=32)).replace(day=2), actor="test")
        for app in apps:
            summary.submit(session=session, application_id=app.id, visible_to=None, actor="test")
        session.commit()
    _pump(session_factory, customs, 4)

    _send(client, ezone.logistics, s.departure(p, [1]))  # CEB509: EXO1 leaves
    cancel = example_message("CEB605")  # EXO2 is cancelled before it leaves
    h = cancel.records[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.pre_no, h.ebc_code = "1", "2", two, p.agent, None, p.ebp
    assert _send(client, ezone.agent, cancel)["code"] == "2"
    link = example_message("CEB607", items=1)  # CEB607: master bill for EXO1's waybill
    h, item = link.records[0].head, link.records[0].items[0]
    h.app_type, h.app_status, h.agent_code, h.logistics_code, h.cop_no, h.pre_no = "1", "2", p.agent, p.logistics, \
        "LNK1", None
    h.msg_count = h.msg_seq_no = 1
    item.gnum, item.logistics_no, item.invt_no = 1, "EXW1", one
    assert _send(client, ezone.agent, link)["code"] == "2"
    _pump(session_factory, customs)
    assert {k: v.status for k, v in _lists(session_factory).items()} == {"EXO1": "closed", "EXO2": "cancelled"}

    ret = example_message("CEB213", items=1)  # the goods of EXO1 come back
    h, item = ret.records[0].head, ret.records[0].items[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.ebc_code, h.ebp_code = "1", "2", one, p.agent, p.ebp, p.ebp
    h.logistics_code, h.logistics_no, h.co_el_no, h.pre_no = p.logistics, "EXW1", "RET1", None
    item.gnum, item.gcode, item.qty = 1, "6110120000", 1
    assert _send(client, ezone.agent, ret)["code"] == "2"
    tally = example_message("CEB215")
    h = tally.records[0]
    h.app_type, h.app_status, h.operator_code, h.logistics_code, h.logistics_no = "1", "2", p.operator, p.logistics, \
        "EXW1"
    h.invt_no, h.co_el_no, h.pre_no = one, "RET1", None
    assert _send(client, ezone.operator, tally)["code"] == "2"

    _pump(session_factory, customs)

    with session_factory() as session:
        outbox = session.scalars(select(OutboxMessage)).all()
        answers = session.scalars(select(Receipt).where(Receipt.source == "platform")).all()
        sandbox = session.scalars(select(SandboxReceipt)).all()
    emitted: dict[str, set[str]] = {"outbox": set(), "answers": set(), "sandbox": set()}
    for where, rows in (("outbox", [r.payload for r in outbox]), ("answers", [r.receipt_xml for r in answers]),
                        ("sandbox", [r.xml for r in sandbox])):
        for raw in rows:
            doc = etree.fromstring(bytes(raw))
            name = etree.QName(doc).localname
            assert schema.validate(doc), (where, name, schema.error_log.last_error)
            emitted[where].add(name.removesuffix("Message"))
    refused = sum(1 for r in answers if r.return_status.startswith("-"))
    assert emitted["outbox"] == FORWARDED, emitted["outbox"] ^ FORWARDED
    assert emitted["answers"] == ANSWERED, emitted["answers"] ^ ANSWERED
    assert refused >= 1  # a refusal receipt is validated too
    assert {"CEB604", "CEB606", "CEB214", "CEB216", "CEB702", "CEB792"} <= emitted["sandbox"]
