"""Bonded batches (StockBatch, reserve_many, deduct_many, cancel_many) decide exactly as one call at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.bonded import service
from kuajing.bonded.service import StockClaim
from kuajing.errors import AppError
from tests.accounts.fixtures import make_enterprise
from tests.bonded.test_ledger import BOOK, line
from tests.ledger_snapshots import in_savepoint

ACTOR = "test:bonded"
D = Decimal


@pytest.fixture
def goods(db):
    operator = make_enterprise(db)
    service.create_warehouse(session=db, code=BOOK, site_code="0412", name="包头保税物流中心 1 号库",
                             operator_enterprise_id=operator.id, actor=ACTOR)
    service.stock_in(session=db, warehouse_code=BOOK, lines=[
        line(5, item="SKU-1"), line(10, item="SKU-2", line_no=2), line(3, item="SKU-3", line_no=3,
                                                                          customs_status="non_bonded")], actor=ACTOR)
    db.flush()


def claim(item, qty, ref, code=BOOK):
    return StockClaim(warehouse_code=code, item_no=item, quantity=D(qty), reference=ref, enterprise_id=None)


def groups_one_at_a_time(db, groups):
    """Each list on its own, as the pipeline did before batches: its lines one call each (every call a batch of
    one, reading the ledger back from the database) in a savepoint, rolled back when one fails."""
    out = []
    for group in groups:
        decisions, error = [], None
        with db.begin_nested() as sp:
            for c in group:
                try:
                    d = service.reserve(session=db, warehouse_code=c.warehouse_code, item_no=c.item_no,
                                        quantity=c.quantity, reference=c.reference, actor=ACTOR)
                except AppError as exc:
                    error = exc
                    break
                decisions.append(d)
                if not d.ok:
                    break
            ok = error is None and all(d.ok for d in decisions)
            if not ok:
                sp.rollback()
        out.append((ok, tuple(decisions), None if error is None else error.code))
    return out


def test_a_batch_of_lists_with_mixed_outcomes_gives_what_one_list_at_a_time_gives(db, goods):
    groups = [
        [claim("SKU-1", 2, "L1/1"), claim("SKU-2", 3, "L1/2")],  # ok: SKU-1 3 left, SKU-2 7
        [claim("SKU-1", 2, "L2/1")],  # ok: SKU-1 1 left
        [claim("SKU-2", 1, "L3/1"), claim("SKU-1", 2, "L3/2")],  # SKU-1 short (1 < 2): L3/1 undone too
        [claim("SKU-1", 1, "L4/1")],  # ok: exactly the last unit
        [claim("SKU-2", 1, "L5/1"), claim("NOPE", 1, "L5/2")],  # unknown item: nothing of L5
        [claim("SKU-3", 1, "L6/1")],  # no bonded stock of SKU-3 (only non-bonded): short, nothing available
        [claim("SKU-1", 2, "L1/1")],  # a repeat of L1/1: ok, counted once
        [claim("SKU-2", 1, "L7/1", code="NO-BOOK")],  # unknown account book
        [claim("SKU-2", 7, "L8/1")],  # ok: SKU-2 0 left
    ]

    def batch_run():
        return [(o.ok, o.decisions, None if o.error is None else o.error.code)
                for o in service.reserve_many(session=db, claims=groups, actor=ACTOR)]

    batch, batch_ledger = in_savepoint(db, batch_run)
    single, single_ledger = in_savepoint(db, lambda: groups_one_at_a_time(db, groups))
    assert [(ok, code) for ok, _, code in batch] == [
        (True, None), (True, None), (False, None), (True, None), (False, "bonded_item_unknown"), (False, None),
        (True, None), (False, "bonded_warehouse_unknown"), (True, None)]
    assert batch[2][1][-1].available_before == D(1) and batch[6][1][0].repeated
    assert batch == single
    assert batch_ledger == single_ledger
    assert batch_ledger["bonded"]["stock"] == [("SKU-1", "bonded", D(5), D(5)), ("SKU-2", "bonded", D(10), D(10)),
                                               ("SKU-3", "non_bonded", D(3), D(0))]  # nothing sold twice
    assert [r[0] for r in batch_ledger["bonded"]["reservations"]] == ["L1/1", "L1/2", "L2/1", "L4/1", "L8/1"]


def test_deduct_and_cancel_many_give_what_one_call_at_a_time_gives(db, goods):
    service.reserve_many(session=db, actor=ACTOR, claims=[
        [claim("SKU-1", 1, "R1")], [claim("SKU-1", 2, "R2")], [claim("SKU-2", 4, "R3")], [claim("SKU-2", 1, "R4")]])
    service.cancel_reservation(session=db, reference="R4", actor=ACTOR)
    db.flush()
    refs = ["R1", "R3", "R1", "R4", "NOPE", "R2"]

    def singles(how):
        out = []
        for ref in refs:
            try:
                out.append(getattr(service, how)(session=db, reference=ref, actor=ACTOR))
            except AppError as exc:
                out.append(exc.code)
        return out

    for how, many in (("deduct", service.deduct_many), ("cancel_reservation", service.cancel_many)):
        batch, batch_ledger = in_savepoint(db, lambda many=many: [
            r.code if isinstance(r, AppError) else r for r in many(session=db, references=refs, actor=ACTOR)])
        single, single_ledger = in_savepoint(db, lambda how=how: singles(how))
        assert batch == single
        assert batch_ledger == single_ledger
    # deduct and cancel mixed in one batch, in order
    steps = [("deduct", "R1"), ("cancel", "R2"), ("cancel", "R1"), ("deduct", "R3"), ("deduct", "R3")]

    def mixed_batch():
        batch = service.StockBatch.for_references(db, [ref for _, ref in steps], ACTOR)
        out = []
        for how, ref in steps:
            try:
                out.append(getattr(batch, how)(ref))
            except AppError as exc:
                out.append(exc.code)
        batch.write()
        return out

    def mixed_singles():
        out = []
        for how, ref in steps:
            fn = service.deduct if how == "deduct" else service.cancel_reservation
            try:
                out.append(fn(session=db, reference=ref, actor=ACTOR))
            except AppError as exc:
                out.append(exc.code)
        return out

    batch, batch_ledger = in_savepoint(db, mixed_batch)
    single, single_ledger = in_savepoint(db, mixed_singles)
    assert batch == single and batch[2] == "bonded_transition_not_allowed" and not batch[4].changed
    assert batch_ledger == single_ledger
