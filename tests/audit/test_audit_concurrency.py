"""Concurrent writers: one stream queues on its head row, different streams do not; chains stay gap-free."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from kuajing.audit.models import AuditEvent
from kuajing.audit.service import record, verify_all, write_checkpoint
from kuajing.db.session import transaction

THREADS = 8
PER_THREAD = 15


def test_parallel_writers_produce_gap_free_chains_that_verify(session_factory, key):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                with transaction(session_factory) as session:
                    # one event in the shared stream and one in the thread's own stream, same transaction
                    record(session=session, action="imports:inventory:release", stream="shared", actor=f"worker:{n}",
                           subject_id=f"{n}-{i}", after={"n": n, "i": i})
                    record(session=session, action="imports:inventory:release", stream=f"worker:{n}",
                           actor=f"worker:{n}", subject_id=f"{n}-{i}", after={"i": i})
                if i == PER_THREAD // 2 and n == 0:
                    with transaction(session_factory) as session:
                        write_checkpoint(session=session, key=key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors

    with transaction(session_factory) as session:
        write_checkpoint(session=session, key=key)
    with session_factory() as session:
        shared = session.scalars(select(AuditEvent.seq).where(AuditEvent.stream == "shared")
                                 .order_by(AuditEvent.seq)).all()
        assert shared == list(range(1, THREADS * PER_THREAD + 1))
        for n in range(THREADS):
            own = session.scalars(select(AuditEvent.seq).where(AuditEvent.stream == f"worker:{n}")
                                  .order_by(AuditEvent.seq)).all()
            assert own == list(range(1, PER_THREAD + 1))
        # every worker's events interleave in the shared stream (nobody was starved or lost)
        actors = session.execute(select(AuditEvent.actor, func.count()).where(AuditEvent.stream == "shared")
                                 .group_by(AuditEvent.actor)).all()
        assert sorted(c for _a, c in actors) == [PER_THREAD] * THREADS
        report = verify_all(session=session, key=key)
    assert report.ok, report.first_problem
    assert (report.streams, report.events) == (THREADS + 1, 2 * THREADS * PER_THREAD)
