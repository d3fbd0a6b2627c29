"""Payments (缴款书), CEB818 statuses and top-ups of one guarantee at once, and the double give-backs a payment
must never make (docs/tax.md "Tax guarantee").

Every writer of a guarantee locks its row first, then the bills: a payment that locked its form's bills
before the guarantee, or a CEB818 status that updated a waiting bill before the guarantee's audit stream, while
a top-up held the guarantee and waited for that bill, was a deadlock (a 500 for the API caller). The races
are forced step by step on PostgreSQL (SQLite runs one writer at a time); the give-back cases run on both.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from kuajing.db.session import transaction
from kuajing.errors import AppError
from kuajing.tax import service
from tests.tax.test_tax_uncovered_and_payments import ACTOR, _agent, _bill, _book, _summarise

D = Decimal


def _pay(db, agent: int, ent_duty_no: str, amount: str, reference: str = "BANK-1", paid_on=None):
    return service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no=ent_duty_no, amount=D(amount),
                                  paid_on=paid_on or service._today(), reference=reference, actor=ACTOR)


def _balance(db, agent: int) -> Decimal:
    balance = service.guarantee(session=db, agent_enterprise_id=agent).balance
    assert balance == service.guarantee_movement_totals(session=db, agent_enterprise_id=agent)
    return balance


# --- no double give-back -------------------------------------------------------------------------------------


def test_a_paid_bill_stays_on_its_form(db):
    """A CEB818 status 2 naming another form (or status 1) for a bill whose form was paid changes nothing: the
    payment gave its amount back once, a payment of the other form must not give it back again."""
    today = service._today()
    agent = _agent(db, "100.00")
    _book(db, agent, _bill("PB1", "60.00"), _bill("PB2", "10.00"))
    _summarise(db, "FORM-A", today, "PB1")
    _pay(db, agent, "FORM-A", "60.00")
    assert _balance(db, agent) == D("90.00")  # 100.00 − 70.00 + 60.00
    for status, form in (("2", "FORM-B"), ("1", None), ("2", "FORM-B")):
        view = service.record_payment_status(session=db, tax_no="PB1", status=status, actor="customs:ceb818",
                                             ent_duty_no=form)
        assert (view.changed, view.status, view.ent_duty_no, view.paid_on) == (False, "2", "FORM-A", today)
    _summarise(db, "FORM-B", today, "PB2")
    with pytest.raises(AppError) as exc:  # PB1 is not on FORM-B: its tax is PB2's 10.00 only
        _pay(db, agent, "FORM-B", "70.00", reference="BANK-2")
    assert exc.value.errors[0].params["expected"] == "10.00"
    _pay(db, agent, "FORM-B", "10.00", reference="BANK-2")
    assert _balance(db, agent) == D("100.00")  # everything paid: the guarantee holds nothing, gave back once
    s = service.monthly_summary(session=db, agent_enterprise_id=agent, month=today)
    assert (s.payment_status, s.ent_duty_nos, s.paid_total) == ("paid", ("FORM-A", "FORM-B"), D("70.00"))
    service.record_payment_status(session=db, tax_no="PB1", status="3", actor="customs:ceb818")  # void after pay
    assert _balance(db, agent) == D("100.00")


def test_a_second_payment_of_a_form_with_another_bank_reference_is_refused(db):
    """The same form paid again with another bank reference is another payment (paid twice?), not a repeat."""
    today = service._today()
    agent = _agent(db, "100.00")
    _book(db, agent, _bill("BR1", "60.00"))
    _summarise(db, "FORM-R", today, "BR1")
    form = _pay(db, agent, "FORM-R", "60.00", reference="BANK-1")
    assert _pay(db, agent, "FORM-R", "60.00", reference="BANK-1") == form  # a repeat: nothing changes
    with pytest.raises(AppError) as exc:
        _pay(db, agent, "FORM-R", "60.00", reference="BANK-2")
    assert (exc.value.code, exc.value.status) == ("tax_reference_reused", 409)
    assert (exc.value.errors[0].path, exc.value.errors[0].value) == ("ent_duty_no", "FORM-R")
    assert _balance(db, agent) == D("100.00")


def test_a_paid_form_of_another_agent_is_unknown(db):
    """Another agent's form, paid or not, is 404 tax_payment_form_unknown: never a 409 telling it exists."""
    today = service._today()
    agent, other = _agent(db, "100.00"), _agent(db, "100.00")
    _book(db, agent, _bill("OA1", "40.00"))
    _summarise(db, "FORM-O", today, "OA1")
    _pay(db, agent, "FORM-O", "40.00")
    for figures in (("40.00", "BANK-1"), ("41.00", "BANK-9")):
        with pytest.raises(AppError) as exc:
            _pay(db, other, "FORM-O", figures[0], reference=figures[1])
        assert (exc.value.code, exc.value.status, exc.value.errors[0].path) == (
            "tax_payment_form_unknown", 404, "ent_duty_no")
    assert (_balance(db, agent), _balance(db, other)) == (D("100.00"), D("100.00"))


# --- races on PostgreSQL ---------------------------------------------------------------------------------------


@pytest.fixture
def pg(engine, session_factory):
    """(engine, session factory) of a PostgreSQL database: the suite's own on the PostgreSQL pass; on the SQLite
    pass a fresh one next to the bench's (row locks and deadlocks exist only there, and are tested every run)."""
    if engine.dialect.name == "postgresql":
        yield engine, session_factory
        return
    import os

    from kuajing.db.migrate import upgrade
    from kuajing.db.session import make_engine, make_sessionmaker
    from kuajing.imports import bench

    admin = bench.DEFAULT_ADMIN_URL
    name = f"kuajing_tax_races_{os.getpid()}"
    url = bench.create_database(admin, name)
    own = None
    try:
        upgrade(url)
        own = make_engine(url)
        yield own, make_sessionmaker(own)
    finally:
        if own is not None:
            own.dispose()
        bench.drop_database(admin, name)


def _blocked(engine, timeout: float = 5.0) -> bool:
    """Whether another backend of this database is waiting for a lock (within ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < end:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")).scalar()
            if waiting:
                return True
            time.sleep(0.02)
    return False


def _race(session_factory, engine, first, second, *, pause_after: str) -> list:
    """Run ``first`` in one transaction; right after its first statement matching ``pause_after`` (its locks
    held), start ``second`` in another and let ``first`` go on once ``second`` waits for a lock (or after 2 s:
    it need not wait). Answers [outcome of first, outcome of second], each ("ok", value) or ("error", exc)."""
    outcomes: dict[str, tuple] = {}
    started = threading.Event()

    def run(name, work):
        try:
            with transaction(session_factory) as session:
                if name == "first":
                    conn = session.connection()

                    def pause(_conn, _cursor, statement, *_args):
                        if not started.is_set() and pause_after in statement:
                            started.set()
                            thread.start()
                            _blocked(engine, timeout=2.0)

                    event.listen(conn, "after_cursor_execute", pause)
                outcomes[name] = ("ok", work(session))
        except Exception as exc:  # reported to the test
            outcomes[name] = ("error", exc)

    thread = threading.Thread(target=run, args=("second", second))
    run("first", first)
    if started.is_set():
        thread.join(30)
    return [outcomes.get("first"), outcomes.get("second")]


def test_a_payment_and_a_top_up_at_once_do_not_deadlock(pg):
    """A form mixing a covered bill and a waiting one, paid while a top-up covers waiting bills."""
    with transaction(pg[1]) as db:
        agent = _agent(db, "100.00")
        _book(db, agent, _bill("RC1", "60.00"), _bill("RU1", "70.00"), _bill("RU2", "90.00"))  # RC1 drawn
        _summarise(db, "FORM-M", service._today(), "RC1", "RU1")
    first = lambda s: _pay(s, agent, "FORM-M", "130.00").paid_on  # noqa: E731
    second = lambda s: service.top_up(session=s, agent_enterprise_id=agent, amount=D("50.00"),  # noqa: E731
                                      reference="TOP-M", actor=ACTOR).balance
    outcomes = _race(pg[1], pg[0], first, second, pause_after="FROM tax_bills")
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    with transaction(pg[1]) as db:
        # 40.00 + 60.00 (RC1 paid) + 50.00 = 150.00; RU1 paid (stops waiting), RU2 (90.00) covered → 60.00
        assert _balance(db, agent) == D("60.00")
        assert service.guarantee(session=db, agent_enterprise_id=agent).uncovered_count == 0


def test_a_ceb818_status_and_a_top_up_at_once_do_not_deadlock(pg):
    """CEB818 status 2 of a waiting bill while a top-up covers it."""
    with transaction(pg[1]) as db:
        agent = _agent(db, "10.00")
        _book(db, agent, _bill("RS1", "70.00"))  # waits
    first = lambda s: service.record_payment_status(  # noqa: E731
        session=s, tax_no="RS1", status="2", actor="customs:ceb818", ent_duty_no="FORM-S").status
    second = lambda s: service.top_up(session=s, agent_enterprise_id=agent, amount=D("100.00"),  # noqa: E731
                                      reference="TOP-S", actor=ACTOR).balance
    outcomes = _race(pg[1], pg[0], first, second, pause_after="UPDATE tax_bills")
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    with transaction(pg[1]) as db:
        assert _balance(db, agent) == D("40.00")  # 10.00 + 100.00 − 70.00, drawn once
        assert service.guarantee(session=db, agent_enterprise_id=agent).uncovered_count == 0


def test_the_same_payment_twice_at_once_is_one_payment(pg):
    """Two identical payments of a form at once: both answer the paid form (the second is a repeat, not a
    409), the guarantee gets the amount back once."""
    with transaction(pg[1]) as db:
        agent = _agent(db, "100.00")
        _book(db, agent, _bill("RP1", "60.00"))
        _summarise(db, "FORM-P", service._today() - timedelta(days=1), "RP1")
    pay = lambda s: _pay(s, agent, "FORM-P", "60.00")  # noqa: E731
    outcomes = _race(pg[1], pg[0], pay, pay, pause_after="FROM tax_bills")
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1] == outcomes[1][1]
    with transaction(pg[1]) as db:
        assert _balance(db, agent) == D("100.00")


def test_the_same_top_up_twice_at_once_is_one_top_up(pg):
    """Two identical top-ups at once (a client's retry): the second is a repeat (200), not a 409."""
    with transaction(pg[1]) as db:
        agent = _agent(db, "0.00")
        _book(db, agent, _bill("RT1", "30.00"))  # waits
    top = lambda s: service.top_up(session=s, agent_enterprise_id=agent, amount=D("50.00"),  # noqa: E731
                                   reference="TOP-T", actor=ACTOR).balance
    outcomes = _race(pg[1], pg[0], top, top, pause_after="INSERT INTO tax_guarantee_movements")
    assert outcomes == [("ok", D("20.00")), ("ok", D("20.00"))], outcomes
    with transaction(pg[1]) as db:
        assert _balance(db, agent) == D("20.00")  # 50.00 once, RT1 (30.00) drawn once
