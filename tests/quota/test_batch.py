"""Quota batches (QuotaBatch, reserve_many, consume_many, release_many) decide exactly as one call at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from kuajing.errors import AppError
from kuajing.quota import service
from kuajing.quota.service import QuotaRequest
from tests.ledger_snapshots import in_savepoint

A, B, C = "150203199001051234", "150203198502023456", "15020319800319789X"
ACTOR = "test:quota"
D = Decimal
ON = date(2026, 6, 1)


def req(buyer, amount, ref, full=False, name="张三"):
    return QuotaRequest(buyer_id_number=buyer, buyer_name=name, declared_on=ON, amount=D(amount), reference=ref,
                        single_item_full_rate=full)


def one_at_a_time(db, requests):
    return [service.reserve(session=db, buyer_id_number=r.buyer_id_number, buyer_name=r.buyer_name,
                            declared_on=r.declared_on, amount=r.amount, reference=r.reference,
                            single_item_full_rate=r.single_item_full_rate, actor=ACTOR) for r in requests]


def test_a_batch_with_mixed_outcomes_gives_what_one_call_at_a_time_gives(db):
    # buyer A has 20,000 reserved already (a full-rate single item), buyer C is blocked by customs
    service.reserve(session=db, buyer_id_number=A, buyer_name="张三", declared_on=ON, amount=D("20000.00"),
                    reference="BASE", single_item_full_rate=True, actor=ACTOR)
    service.record_customs_rejection(session=db, buyer_id_number=C, buyer_name="王五", year=2026, actor=ACTOR)
    db.flush()
    requests = [
        req(A, "4000.00", "L1"),  # ok: 24,000
        req(B, "3000.00", "L2", name="李四"),  # ok, a new buyer-year row
        req(A, "2500.00", "L3"),  # −621018: 26,500 > 26,000 (the annual limit hit midway, A's second claim)
        req(A, "2000.00", "L4"),  # ok: exactly 26,000 (R1.11)
        req(B, "5000.01", "L5", name="李四"),  # −621005: over the single limit, no full rate
        req(B, "5000.01", "L6", full=True, name="李四"),  # ok through the full-rate channel (R1.9)
        req(C, "10.00", "L7", name="王五"),  # −621018: the customs block
        req(A, "4000.00", "L1"),  # a repeat: the first decision again, counted once
        req(A, "1.00", "L8"),  # −621018: 26,001
    ]
    batch, batch_ledger = in_savepoint(db, lambda: service.reserve_many(session=db, requests=requests, actor=ACTOR))
    single, single_ledger = in_savepoint(db, lambda: one_at_a_time(db, requests))
    assert [(d.ok, d.reason_code, d.repeated) for d in batch] == [
        (True, None, False), (True, None, False), (False, "-621018", False), (True, None, False),
        (False, "-621005", False), (True, None, False), (False, "-621018", False), (True, None, True),
        (False, "-621018", False)]
    assert batch == single
    assert batch[6].customs_blocked and batch[2].total_after == D("26500.00")
    assert batch_ledger == single_ledger
    accounts = batch_ledger["quota"]["accounts"]
    assert sorted((used, reserved) for _, _, used, reserved, _ in accounts) == [
        (D("0.00"), D("0.00")), (D("0.00"), D("8000.01")), (D("0.00"), D("26000.00"))]


def test_consume_and_release_many_give_what_one_call_at_a_time_gives(db):
    one_at_a_time(db, [req(A, "100.00", "R1"), req(A, "200.00", "R2"), req(B, "300.00", "R3"),
                       req(A, "400.00", "R4"), req(A, "30000.00", "R5", full=True)])  # R5 rejected
    service.consume(session=db, reference="R4", actor=ACTOR)
    db.flush()
    refs = ["R1", "R3", "R4", "R1", "R5", "NOPE"]

    def singles(how):
        out = []
        for ref in refs:
            try:
                out.append(getattr(service, how)(session=db, reference=ref, actor=ACTOR))
            except AppError as exc:
                out.append(exc.code)
        return out

    def codes(results):
        return [r.code if isinstance(r, AppError) else r for r in results]

    for how, many in (("consume", service.consume_many), ("release", service.release_many)):
        batch, batch_ledger = in_savepoint(db, lambda many=many: codes(many(session=db, references=refs, actor=ACTOR)))
        single, single_ledger = in_savepoint(db, lambda how=how: singles(how))
        assert batch == single
        assert batch_ledger == single_ledger
    # consume and release mixed in one batch, in order: each decided after the ones before it
    steps = [("consume", "R1"), ("release", "R2"), ("consume", "R1"), ("release", "R1"), ("release", "R3")]

    def mixed_batch():
        batch = service.QuotaBatch.for_references(db, [ref for _, ref in steps], ACTOR)
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
            try:
                out.append(getattr(service, how)(session=db, reference=ref, actor=ACTOR))
            except AppError as exc:
                out.append(exc.code)
        return out

    batch, batch_ledger = in_savepoint(db, mixed_batch)
    single, single_ledger = in_savepoint(db, mixed_singles)
    assert batch == single and isinstance(batch[3], str)  # a consumed claim cannot be released
    assert batch_ledger == single_ledger
