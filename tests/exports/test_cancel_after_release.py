"""A released export list cancelled before it leaves (CEB605 approved): the goods never left, so

* the no-invoice register keeps the original line as recorded and gets a NEW correction entry to quantity and
  amount 0 (the register as it stands — and the CIT revenue — no longer counts it), once, however often the
  event or the hand-over job runs;
* the monthly summary leaves the list out ("list_cancelled"), so the application customs gets names only lists
  that left — the sandbox answers it with a CEB792 instead of refusing it (CEB702 100)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kuajing.ceb import example_message
from kuajing.ceb.receipt import SHANGHAI
from kuajing.customs.service import SandboxConfig, SandboxCustoms
from kuajing.data import service as data
from kuajing.export_summary import service as summary
from kuajing.export_summary.models import RegisterEntry, SummaryApplication
from kuajing.exports.models import ExportInventory
from kuajing.imports.service import pump
from tests.exports import shipments as s
from tests.exports.test_release import _send


def test_a_list_cancelled_after_release_is_corrected_out_of_the_register_and_the_summary(client, ezone,
                                                                                          session_factory):
    customs = SandboxCustoms(session_factory=session_factory, config=SandboxConfig())
    p = ezone.parties
    _send(client, ezone.operator, s.arrival(p, [1, 2]))
    for n in (1, 2):
        _send(client, ezone.platform, s.order(p, n))
        _send(client, ezone.logistics, s.waybill(p, n))
        assert _send(client, ezone.agent, s.inventory(p, n))["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        lists = {i.order_no: i for i in session.scalars(select(ExportInventory))}
        originals = {(e.list_no, e.gnum): (e.id, e.quantity, e.amount) for e in session.scalars(select(RegisterEntry))}
    assert {k: v.status for k, v in lists.items()} == {"EXO1": "released", "EXO2": "released"}
    one, two = lists["EXO1"].invt_no, lists["EXO2"].invt_no
    assert set(originals) == {(one, 1), (two, 1)}

    cancel = example_message("CEB605")
    h = cancel.records[0]
    h.app_type, h.app_status, h.invt_no, h.agent_code, h.pre_no, h.ebc_code = "1", "2", two, p.agent, None, p.ebp
    assert _send(client, ezone.agent, cancel)["code"] == "2"
    for _ in range(3):
        pump(session_factory=session_factory, transport=customs)

    with session_factory() as session:
        data.load_seed(session=session)
        assert session.scalars(select(ExportInventory.status).where(ExportInventory.invt_no == two)).one() == \
            "cancelled"
        assert summary.sync_released(session=session) == 0  # the cancelled list is not handed over again
        summary.cancel_released_list(session=session, list_no=two)  # a replayed event changes nothing
        session.commit()
        entries = session.scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
        rows = [(e.list_no, e.kind, e.corrects_id, e.quantity, e.amount) for e in entries]
        original_two = originals[(two, 1)]
        assert rows[:2] == [(one, "original", None, originals[(one, 1)][1], originals[(one, 1)][2]),
                            (two, "original", None, original_two[1], original_two[2])]  # unchanged
        assert rows[2:] == [(two, "correction", original_two[0], Decimal(0), Decimal(0))]  # exactly one
        released_on = lists["EXO1"].released_at.astimezone(SHANGHAI).date()
        month = released_on.replace(day=1)
        today = (month + timedelta(days=32)).replace(day=2)
        standing = summary.effective_entries(session=session, enterprise_id=ezone.platform.id, date_from=month,
                                             date_to=today)
        assert sorted((e.list_no, e.amount) for e in standing) == sorted([(one, originals[(one, 1)][2]),
                                                                         (two, Decimal(0))])

        view = summary.preview(session=session, enterprise_id=ezone.platform.id, month=month, today=today)
        assert [g.list_nos for g in view.groups] == [(one,)]
        assert [(line.list_no, why) for line, why in view.excluded] == [(two, "list_cancelled")]
        apps = summary.confirm(session=session, enterprise_id=ezone.platform.id, month=month, today=today,
                               actor="test")
        for app in apps:
            summary.submit(session=session, application_id=app.id, visible_to=None, actor="test")
        session.commit()
    for _ in range(4):
        pump(session_factory=session_factory, transport=customs)
    with session_factory() as session:
        assert [a.status for a in session.scalars(select(SummaryApplication))] == ["summarised"]
