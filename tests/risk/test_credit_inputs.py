"""The credit grade's inputs read from the records (``service.credit_inputs``): inspections (查验) are counted on
the same lists as the declarations — the enterprise's own lists, whoever sent them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kuajing.imports.models import Receipt
from kuajing.risk import service
from tests.accounts.fixtures import make_enterprise
from tests.stats.helpers import export_list, import_list

WHEN = datetime(2026, 3, 2, 4, tzinfo=UTC)


def _receipt(db, *, puller, declaration_type, key, status):
    db.add(Receipt(enterprise_id=puller.id, message_type="CEB622" if declaration_type == "CEB621" else "CEB604",
                   declaration_type=declaration_type, business_key=key, return_status=status, return_info="查验",
                   return_time="20260302120000000", returned_at=WHEN, source="customs", receipt_xml=b"<x/>"))


def test_an_inspection_of_a_list_sent_by_a_declaring_agent_counts_for_the_e_commerce_enterprise(db):
    # a QA pass found the e-commerce enterprise graded on 2 declarations with 0 inspections while customs
    # inspected one of them: the receipt is pulled by the agent that sent the list, and only the puller's counted
    ebc = make_enterprise(db, customs_code="1502900001")
    agent = make_enterprise(db, customs_code="1502900002")
    other = make_enterprise(db, customs_code="1502900003")
    inspected = import_list(db, ent=ebc, released_at=WHEN, items=[("3304990099", "116", "100")], publish=False)
    inspected.sender_enterprise_id, inspected.declared_at = agent.id, WHEN
    exported = export_list(db, ent=ebc, released_at=WHEN, items=[("6110110000", "344", "100", "142")], publish=False)
    exported.sender_enterprise_id, exported.declared_at = agent.id, WHEN
    foreign = import_list(db, ent=other, released_at=WHEN, items=[("3304990099", "116", "100")], publish=False)
    foreign.sender_enterprise_id, foreign.declared_at = agent.id, WHEN
    _receipt(db, puller=agent, declaration_type="CEB621", key=inspected.business_key, status="500")
    _receipt(db, puller=agent, declaration_type="CEB621", key=inspected.business_key, status="500")  # once per list
    _receipt(db, puller=agent, declaration_type="CEB603", key=exported.business_key, status="500")
    _receipt(db, puller=agent, declaration_type="CEB621", key=foreign.business_key, status="500")
    _receipt(db, puller=agent, declaration_type="CEB621", key=inspected.business_key, status="800")  # not an inspection
    db.flush()
    day = date(2026, 3, 2)
    mine = service.credit_inputs(session=db, enterprise=ebc, start=day, end=day)
    assert (mine.declarations, mine.inspections) == (2, 2)
    theirs = service.credit_inputs(session=db, enterprise=other, start=day, end=day)
    assert (theirs.declarations, theirs.inspections) == (1, 1)
    sender = service.credit_inputs(session=db, enterprise=agent, start=day, end=day)
    assert (sender.declarations, sender.inspections) == (3, 3)  # the lists it sent, as before
