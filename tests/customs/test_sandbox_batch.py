"""The sandbox answers a message of many records as customs does: one receipt message per status step
covering all of them (a CEB312 may carry many OrderReturn), whose records are what single-record messages
get; the answers about one record keep their order; every such message validates against the official XSD."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from lxml import etree
from sqlalchemy import func, select

from kuajing import ceb
from kuajing.customs.models import SandboxReceipt, SandboxReceiptDeclaration
from kuajing.customs.service import officer
from kuajing.customs.service.sandbox import SandboxConfig
from tests.customs import builders as b
from tests.customs.conftest import Customs
from tests.customs.test_conformance import import_schema  # noqa: F401  (fixture)

T0 = b.at("2024-06-01 10:00")
CONFIG = SandboxConfig(inspection_rate=0.3, seed=7, document_wait_seconds=0)  # a missing payment: 100 at once
#: fields numbered from the declaration's row id (pre-entry, list and tax bill numbers: they differ between
#: two runs on PostgreSQL, a sequence is not rolled back) or random (each built record's guid): compared by shape
NUMBERED = {"preNo", "invtNo", "taxNo", "guid"}


def _parcels() -> list[b.Parcel]:
    out = [b.Parcel(order_no=f"ORD{i:03d}", logistics_no=f"LN{i:03d}", cop_no=f"COP{i:03d}") for i in range(30)]
    out[7].lines = [b.Line("1901101000", Decimal("2800.00")), b.Line("1901101000", Decimal("2800.00"))]  # > 5,000
    return out


def _merged(messages: list[bytes]) -> bytes:
    """One message carrying the records of ``messages`` (of one type)."""
    parsed = [ceb.parse(m) for m in messages]
    first = parsed[0]
    first.records = [r for m in parsed for r in m.records]
    return ceb.build(first)


def _flat(rec) -> dict:
    if hasattr(rec, "head"):
        data = {**rec.head.to_dict(), "items": [i.to_dict() for i in rec.items]}
    else:
        data = rec.to_dict()
    return {k: (v if k not in NUMBERED or v is None else len(str(v))) for k, v in data.items()}


def _per_step(outs) -> dict[tuple[str, str | None], list[str]]:
    """The records of each step (type, status); across lists the order of a step may differ (an inspected
    list reaches 399 later), so they are compared as sorted lists."""
    steps: dict[tuple[str, str | None], list[str]] = {}
    for o in outs:
        steps.setdefault((o.message_type, o.status), []).append(json.dumps(_flat(o.record), default=str,
                                                                           ensure_ascii=False, sort_keys=True))
    return {k: sorted(v) for k, v in steps.items()}


def test_a_message_of_30_records_is_answered_once_per_step_with_the_single_record_answers(db, import_schema):  # noqa: F811
    parcels = _parcels()
    senders = (("CEB311", b.order), ("CEB411", b.payment), ("CEB511", b.waybill), ("CEB621", b.inventory))

    with db.begin_nested() as one_by_one:  # each parcel's records in their own messages, advanced per parcel
        single = Customs(db, CONFIG)
        for n, p in enumerate(parcels):
            for message_type, build in senders:
                if not (message_type == "CEB411" and n == 29):  # parcel 29 has no payment: 2 → 100
                    single.send(build(p), message_type, T0)
            if n == 3:
                single.send(b.order(p), "CEB311", T0)  # a repeat: refused as a duplicate
            single.advance(T0)
        expected = single.drain()
        one_by_one.rollback()

    batch = Customs(db, CONFIG)
    for message_type, build in senders:
        records = [build(p) for n, p in enumerate(parcels) if not (message_type == "CEB411" and n == 29)]
        if message_type == "CEB311":
            records.append(b.order(parcels[3]))
        batch.send(_merged(records), message_type, T0)
    batch.advance(T0)
    rows = db.execute(select(SandboxReceipt).where(SandboxReceipt.delivered_at.is_(None))
                      .order_by(SandboxReceipt.id)).scalars().all()
    got = batch.drain()

    assert _per_step(got) == _per_step(expected)  # the same records per step
    steps = Counter((o.message_type, o.status) for o in expected)
    assert steps[("CEB622", "800")] == 28 and steps[("CEB816", None)] == 28  # 30 − over the limit − no payment
    assert steps[("CEB622", "100")] == 1 and steps[("CEB312", "2")] == 30 and len(steps) > 8
    assert 0 < steps[("CEB622", "500")] < 28  # some lists inspected (2 → 120 → 300 → 500 → 399 → 800)
    # one message per step (type and status) and advance round, each answering all its records; the
    # inspected lists reach 399 / 800 rounds later than the others (after their own 500), so those two
    # steps (and the e-tax bills) take a second message
    messages = Counter((r.message_type, r.return_status if r.message_type != "CEB816" else None) for r in rows)
    late = {("CEB622", "399"), ("CEB622", "800"), ("CEB816", None)}
    assert {k: v for k, v in messages.items() if k not in late} == {k: 1 for k in steps if k not in late}
    assert all(messages[k] == 2 for k in late) and len(rows) == len(steps) + 3 < sum(steps.values()) / 10
    for row in rows:
        assert import_schema.validate(etree.fromstring(bytes(row.xml))), import_schema.error_log
    # the list numbers of a list agree across its steps and its e-tax bill
    invt = {o.record.cop_no: o.record.invt_no for o in got if (o.message_type, o.status) == ("CEB622", "120")}
    assert {o.record.cop_no: o.record.invt_no for o in got if (o.message_type, o.status) == ("CEB622", "800")} == \
        {k: v for k, v in invt.items() if k != "COP029"}
    assert sorted(o.record.head.invt_no for o in got if o.message_type == "CEB816") == \
        sorted(v for k, v in invt.items() if k != "COP029")
    # every declaration still sees its own receipts at the officer's desk
    links = db.execute(select(func.count()).select_from(SandboxReceiptDeclaration)).scalar_one()
    assert links == sum(steps.values()) - steps[("CEB312", "-301010")]  # a refused repeat has no declaration
    released = db.execute(select(SandboxReceipt.id).where(SandboxReceipt.message_type == "CEB816")
                          .order_by(SandboxReceipt.id).limit(1)).scalar_one()
    decl_id = db.execute(select(SandboxReceiptDeclaration.declaration_id)
                         .where(SandboxReceiptDeclaration.receipt_id == released).limit(1)).scalar_one()
    mine = [(r.message_type, r.return_status) for r in officer.receipts_of(session=db, declaration_id=decl_id)]
    assert mine[0] == ("CEB622", "2") and mine[-2:] == [("CEB622", "800"), ("CEB816", "1")]


def test_a_repeat_in_the_same_message_is_answered_after_the_first(db):
    """Per business key the answers keep their order even when an earlier step's message is still open."""
    customs = Customs(db, SandboxConfig())
    first = b.Parcel(order_no="ORDA", cop_no="COPA", logistics_no="LNA")
    second = b.Parcel(order_no="ORDB", cop_no="COPB", logistics_no="LNB")
    # B is refused (app 2, nothing to change) before A is taken, then B (app 1) is taken, then A repeats
    data = _merged([b.inventory(second, app_type="2"), b.inventory(first), b.inventory(second),
                    b.inventory(first)])
    customs.send(data, "CEB621", T0)
    out = [(o.record.cop_no, o.status) for o in customs.drain()]
    by_key = {k: [s for c, s in out if c == k] for k in (first.cop_no, second.cop_no)}
    assert by_key[second.cop_no][0].startswith("-") and by_key[second.cop_no][1] == "2"
    assert by_key[first.cop_no][0] == "2" and by_key[first.cop_no][1].startswith("-")


def test_an_answer_never_overtakes_an_earlier_one_about_the_same_record(db):
    """A record taken (2), repeated (refused as a duplicate), then changed (2 again): the change's 2 cannot
    join the first message of step 2, which would put it before the refusal."""
    customs = Customs(db, SandboxConfig())
    p = b.Parcel(order_no="ORDK")
    change = ceb.parse(b.order(p))
    change.records[0].head.app_type = "2"
    customs.send(_merged([b.order(p), b.order(p), ceb.build(change)]), "CEB311", T0)
    rows = db.execute(select(SandboxReceipt).order_by(SandboxReceipt.id)).scalars().all()
    assert [(r.message_type, r.return_status) for r in rows] == [("CEB312", "2"), ("CEB312", "-301010"),
                                                                 ("CEB312", "2")]
    assert [o.status for o in customs.drain()] == ["2", "-301010", "2"]


def test_without_grouping_each_record_gets_its_own_message(db):
    """``group_answers=False`` (the celery runtime: its dispatcher orders a message by its first record)."""
    customs = Customs(db, SandboxConfig(group_answers=False))
    parcels = _parcels()[:3]
    customs.send(_merged([b.order(p) for p in parcels]), "CEB311", T0)
    customs.advance(T0)
    rows = db.execute(select(SandboxReceipt).order_by(SandboxReceipt.id)).scalars().all()
    assert [(r.message_type, r.return_status) for r in rows] == [("CEB312", "2")] * 3 + [("CEB312", "120")] * 3
    assert all(len(ceb.parse(bytes(r.xml)).records) == 1 for r in rows)
