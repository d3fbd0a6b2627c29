"""The personal annual quota ledger (R1.6, R1.7, R1.9, R1.11): hand-computed limits, years, idempotency, sums."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.errors import AppError
from kuajing.quota import service
from kuajing.quota.models import QuotaAccount

ID = "150203199001051234"
NAME = "张三"
ACTOR = "test:quota"
D = Decimal


def reserve(db, amount, ref, *, on=date(2026, 3, 1), full=False, id_number=ID, name=NAME):
    return service.reserve(session=db, buyer_id_number=id_number, buyer_name=name, declared_on=on,
                           amount=D(amount), reference=ref, single_item_full_rate=full, actor=ACTOR)


def test_exactly_the_annual_limit_is_accepted_one_fen_more_is_rejected(db):
    # R1.6: 26,000 per calendar year since 2019; R1.11: only *exceeding* (超过) is rejected
    assert reserve(db, "5000.00", "L1").ok
    assert reserve(db, "5000.00", "L2").ok
    assert reserve(db, "5000.00", "L3").ok
    assert reserve(db, "5000.00", "L4").ok
    d = reserve(db, "5000.00", "L5")  # 20,000 + 5,000 = 25,000
    assert d.ok and d.total_after == D("25000.00")
    d = reserve(db, "1000.00", "L6")  # 25,000 + 1,000 = 26,000.00 exactly → allowed (E9)
    assert d.ok and d.total_after == D("26000.00") and d.limit == D("26000.00")
    d = reserve(db, "0.01", "L7")  # 26,000.01 > 26,000 → −621018
    assert not d.ok and d.reason_code == "-621018"
    assert d.used_before == D("0.00") and d.reserved_before == D("26000.00") and d.total_after == D("26000.01")
    db.commit()


def test_used_and_reserved_both_count(db):
    # E5/E6: a single handbag of 8,000 at full rate; used 10,000 → allowed (18,000); used 20,000 → rejected (28,000)
    assert reserve(db, "5000.00", "A1").ok and reserve(db, "5000.00", "A2").ok
    service.consume(session=db, reference="A1", actor=ACTOR)
    service.consume(session=db, reference="A2", actor=ACTOR)
    e5 = reserve(db, "8000.00", "E5", full=True)
    assert e5.ok and e5.used_before == D("10000.00") and e5.reserved_before == D("0.00")
    assert e5.total_after == D("18000.00")
    service.consume(session=db, reference="E5", actor=ACTOR)
    assert reserve(db, "2000.00", "A3").ok  # used 20,000 now
    service.consume(session=db, reference="A3", actor=ACTOR)
    e6 = reserve(db, "8000.00", "E6", full=True)
    assert not e6.ok and e6.reason_code == "-621018" and e6.total_after == D("28000.00")


def test_single_limit_needs_the_full_rate_channel(db):
    # R1.11 / E8: over 5,000 and not one indivisible item → −621005; exactly 5,000.00 is fine
    assert reserve(db, "5000.00", "S1").ok
    e8 = reserve(db, "5200.00", "S2")
    assert not e8.ok and e8.reason_code == "-621005"
    assert reserve(db, "5200.00", "S3", full=True).ok  # R1.9 from 2019-01-01


def test_before_2019_the_limits_were_2000_and_20000_and_no_full_rate_channel(db):
    d = reserve(db, "2000.01", "O1", on=date(2018, 6, 1), full=True)
    assert not d.ok and d.reason_code == "-621005"  # no full-rate channel before 49号
    for n in range(10):
        assert reserve(db, "2000.00", f"O{n + 2}", on=date(2018, 6, 1)).ok
    d = reserve(db, "0.01", "O99", on=date(2018, 6, 1))
    assert not d.ok and d.reason_code == "-621018" and d.limit == D("20000.00")


def test_year_is_the_shanghai_calendar_year_of_the_declaration(db):
    # 2026-12-31 23:30 Shanghai = 15:30 UTC → 2026; 2027-01-01 00:10 Shanghai = 2026-12-31 16:10 UTC → 2027
    late = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    early = datetime(2026, 12, 31, 16, 10, tzinfo=UTC)
    assert service.declaration_date(late) == date(2026, 12, 31)
    assert service.declaration_date(early) == date(2027, 1, 1)
    for n in range(5):
        assert reserve(db, "5000.00", f"Y{n}", on=late).ok
    assert reserve(db, "1000.00", "Y5", on=late).ok  # 2026 is full: 26,000.00
    assert not reserve(db, "1.00", "Y6", on=late).ok
    d = reserve(db, "5000.00", "Y7", on=early)  # a new year starts empty
    assert d.ok and d.year == 2027 and d.used_before == D("0.00") and d.reserved_before == D("0.00")
    years = db.execute(select(QuotaAccount.year).order_by(QuotaAccount.year)).scalars().all()
    assert years == [2026, 2027]


def test_repeat_reserve_returns_the_same_decision_and_counts_once(db):
    first = reserve(db, "3000.00", "R1")
    again = reserve(db, "3000.00", "R1")
    assert again.ok and again.repeated and again.total_after == first.total_after == D("3000.00")
    view = service.lookup(session=db, buyer_id_number=ID, buyer_name=NAME, year=2026)
    assert view.reserved == D("3000.00")
    # a rejected decision is also repeated, not re-evaluated
    for n in range(7):
        reserve(db, "3000.00", f"F{n}")  # 3,000 × 8 = 24,000 reserved
    no = reserve(db, "3000.00", "R2")  # 27,000 > 26,000
    service.release(session=db, reference="F0", actor=ACTOR)  # now 21,000 reserved
    again = reserve(db, "3000.00", "R2")
    assert not again.ok and again.repeated and again.reason_code == no.reason_code == "-621018"
    with pytest.raises(AppError) as exc:
        reserve(db, "3000.01", "R1")  # same reference, other amount
    assert exc.value.code == "quota_reference_reused"


def test_lifecycle_and_balance_is_the_sum_of_movements(db):
    reserve(db, "1000.00", "M1")
    reserve(db, "2000.00", "M2")
    reserve(db, "300.50", "M3")
    service.consume(session=db, reference="M1", actor=ACTOR)
    service.consume(session=db, reference="M1", actor=ACTOR)  # idempotent
    service.release(session=db, reference="M2", actor=ACTOR)
    service.release(session=db, reference="M2", actor=ACTOR)
    service.consume(session=db, reference="M3", actor=ACTOR)
    service.restore(session=db, reference="M3", actor=ACTOR, amount=D("100.50"), restore_reference="RET-1")
    service.restore(session=db, reference="M3", actor=ACTOR, amount=D("100.50"), restore_reference="RET-1")
    view = service.lookup(session=db, buyer_id_number=ID, buyer_name=NAME, year=2026)
    # used = 1,000 + 300.50 − 100.50 = 1,200.00; reserved = 0; remaining = 26,000 − 1,200 = 24,800.00
    assert (view.used, view.reserved, view.remaining) == (D("1200.00"), D("0.00"), D("24800.00"))
    assert service.movement_totals(session=db, buyer_id_number=ID, year=2026) == (view.used, view.reserved)
    assert [m.kind for m in view.movements].count("restore") == 1
    with pytest.raises(AppError) as exc:
        service.restore(session=db, reference="M3", actor=ACTOR, amount=D("200.01"), restore_reference="RET-2")
    assert exc.value.code == "quota_restore_exceeds_used"
    with pytest.raises(AppError) as exc:
        service.release(session=db, reference="M1", actor=ACTOR)
    assert exc.value.code == "quota_transition_not_allowed"
    actions = db.execute(select(AuditEvent.action).where(AuditEvent.stream.like("quota:%"))).scalars().all()
    assert actions.count("quota:reservation:reserve") == 3 and actions.count("quota:reservation:restore") == 1


def test_cancellation_before_release_frees_the_reservation(db):
    reserve(db, "500.00", "C1")
    change = service.restore(session=db, reference="C1", actor=ACTOR)
    assert change.status == "released" and change.reserved_after == D("0.00")


def test_the_ledger_spans_enterprises_and_is_stored_encrypted(db, engine):
    # two platforms declare for the same person: one ledger (keyed by the ID number, not the enterprise)
    assert service.reserve(session=db, buyer_id_number=ID, buyer_name=NAME, declared_on=date(2026, 5, 1),
                           amount=D("20000.00"), reference="ent-A:1", single_item_full_rate=True, actor="api_key:A").ok
    d = service.reserve(session=db, buyer_id_number=ID.lower(), buyer_name=NAME, declared_on=date(2026, 5, 2),
                        amount=D("6000.01"), reference="ent-B:1", single_item_full_rate=True, actor="api_key:B")
    assert not d.ok and d.reserved_before == D("20000.00")
    db.commit()
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT buyer_id_number, buyer_name FROM quota_accounts").one()
    assert ID not in raw[0] and NAME not in raw[1]


def test_lookup_requires_id_and_name_and_masks(db):
    reserve(db, "100.00", "K1")
    view = service.lookup(session=db, buyer_id_number=ID, buyer_name=NAME, year=2026)
    assert view.found and view.buyer_id_masked == "1502**********1234" and view.buyer_name_masked == "张*"
    wrong_name = service.lookup(session=db, buyer_id_number=ID, buyer_name="李四", year=2026)
    unknown = service.lookup(session=db, buyer_id_number="110101199003074514", buyer_name="李四", year=2026)
    # a known ID number with the wrong name answers exactly like an unknown one
    for v in (wrong_name, unknown):
        assert not v.found and v.used == D("0.00") and v.remaining == D("26000.00") and v.movements == ()


def test_lookups_are_counted_and_limited_per_caller(db):
    for _ in range(3):
        service.lookup_for_caller(session=db, caller="ip:x", buyer_id_number=ID, buyer_name=NAME, year=2026,
                                  max_lookups=3)
    with pytest.raises(AppError) as exc:
        service.lookup_for_caller(session=db, caller="ip:x", buyer_id_number=ID, buyer_name=NAME, year=2026,
                                  max_lookups=3)
    assert exc.value.code == "quota_lookup_rate_limited" and exc.value.status == 429
    service.lookup_for_caller(session=db, caller="ip:y", buyer_id_number=ID, buyer_name=NAME, year=2026, max_lookups=3)


def test_customs_rejection_blocks_the_year_until_reset(db):
    reserve(db, "1000.00", "B1")
    service.record_customs_rejection(session=db, buyer_id_number=ID, buyer_name=NAME, year=2026, actor=ACTOR,
                                     reference="B1")
    assert service.reservation(session=db, reference="B1").status == "released"
    d = reserve(db, "1.00", "B2")
    assert not d.ok and d.reason_code == "-621018" and d.customs_blocked
    assert reserve(db, "1.00", "B3", on=date(2027, 1, 1)).ok  # another year is not blocked
    assert service.reset_customs_block(session=db, buyer_id_number=ID, year=2026, actor="user:operator")
    assert reserve(db, "1.00", "B4").ok


def test_concurrent_reservations_never_pass_the_limit_together(session_factory):
    # 25,000 used; eight parcels of 600 race for the last 1,000 → exactly one succeeds (25,600), never two (26,200)
    with session_factory() as s:
        service.reserve(session=s, buyer_id_number=ID, buyer_name=NAME, declared_on=date(2026, 6, 1),
                        amount=D("25000.00"), reference="BASE", single_item_full_rate=True, actor=ACTOR)
        s.commit()
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            with session_factory() as s:
                barrier.wait()
                d = service.reserve(session=s, buyer_id_number=ID, buyer_name=NAME, declared_on=date(2026, 6, 2),
                                    amount=D("600.00"), reference=f"RACE-{n}", actor=ACTOR)
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
    assert sorted(results) == [False] * 7 + [True]
    with session_factory() as s:
        view = service.lookup(session=s, buyer_id_number=ID, buyer_name=NAME, year=2026)
        assert view.reserved == D("25600.00")
        assert service.movement_totals(session=s, buyer_id_number=ID, year=2026) == (D("0.00"), D("25600.00"))
