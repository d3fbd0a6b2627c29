"""The withholding agent's tax guarantee (税款担保, R1.14): draws per e-tax bill, top-ups, alerts, CEB818, summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.errors import AppError
from kuajing.tax import service
from tests.accounts.fixtures import make_enterprise

ACTOR = "test:tax"
D = Decimal


def kinds(view):
    return sorted(a.kind for a in view.alerts)


def test_guarantee_draws_alerts_void_and_summary(db):
    agent = make_enterprise(db).id
    service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR, guarantee_no="BH-2026-01",
                           alert_threshold=D("1000.00"), cover_days=5, rate_window_days=7)
    service.top_up(session=db, agent_enterprise_id=agent, amount=D("10000.00"), reference="TU-1", actor=ACTOR)
    v = service.draw(session=db, agent_enterprise_id=agent, amount=D("3000.00"), reference="T1", actor=ACTOR,
                     invt_no="04012026I000000001")
    # rate 3,000 / 7 = 428.57 a day; 5 days need 2,142.85 ≤ 7,000 → no alert
    assert v.balance == D("7000.00") and v.daily_rate == D("428.57") and kinds(v) == []
    v = service.draw(session=db, agent_enterprise_id=agent, amount=D("4500.00"), reference="T2", actor=ACTOR)
    # rate 7,500 / 7 = 1,071.43; need 5,357.15 > 2,500 → short runway (threshold 1,000 still covered)
    assert v.balance == D("2500.00") and v.daily_rate == D("1071.43") and kinds(v) == ["short_runway"]
    assert v.alerts[0].threshold == D("5357.15")
    v = service.draw(session=db, agent_enterprise_id=agent, amount=D("2000.00"), reference="T3", actor=ACTOR)
    assert v.balance == D("500.00") and kinds(v) == ["below_threshold", "short_runway"]
    with pytest.raises(AppError) as exc:
        service.draw(session=db, agent_enterprise_id=agent, amount=D("500.01"), reference="T4", actor=ACTOR)
    assert exc.value.code == "tax_guarantee_insufficient"
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("500.00")
    # CEB818 status 3: T3 is void, its 2,000 go back → 2,500 (above 1,000; still short of 5,357.15)
    service.record_payment_status(session=db, tax_no="T3", status="3", actor=ACTOR)
    service.record_payment_status(session=db, tax_no="T3", status="3", actor=ACTOR)  # repeated: once
    v = service.guarantee(session=db, agent_enterprise_id=agent)
    assert v.balance == D("2500.00") and kinds(v) == ["short_runway"]
    v = service.top_up(session=db, agent_enterprise_id=agent, amount=D("5000.00"), reference="TU-2", actor=ACTOR)
    assert v.balance == D("7500.00") and kinds(v) == []
    assert service.guarantee_movement_totals(session=db, agent_enterprise_id=agent) == D("7500.00")

    service.record_payment_status(session=db, tax_no="T1", status="2", ent_duty_no="JK-01", actor=ACTOR)
    month = service.monthly_summary(session=db, agent_enterprise_id=agent, month=service._today())
    assert (month.bill_count, month.total, month.void_count, month.payment_status) == (2, D("7500.00"), 1, "open")
    service.record_payment_status(session=db, tax_no="T2", status="2", ent_duty_no="JK-01", actor=ACTOR)
    month = service.monthly_summary(session=db, agent_enterprise_id=agent, month=service._today())
    assert month.payment_status == "summarised" and month.summarised_total == D("7500.00")
    assert month.ent_duty_nos == ("JK-01",)


def test_draw_is_idempotent_per_bill_number(db):
    agent = make_enterprise(db).id
    service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR)
    service.top_up(session=db, agent_enterprise_id=agent, amount=D("100.00"), reference="TU", actor=ACTOR)
    service.draw(session=db, agent_enterprise_id=agent, amount=D("27.30"), reference="E1", actor=ACTOR)
    again = service.draw(session=db, agent_enterprise_id=agent, amount=D("27.30"), reference="E1", actor=ACTOR)
    assert not again.changed and again.balance == D("72.70")
    with pytest.raises(AppError) as exc:
        service.draw(session=db, agent_enterprise_id=agent, amount=D("27.31"), reference="E1", actor=ACTOR)
    assert exc.value.code == "tax_reference_reused"
    with pytest.raises(AppError) as exc:
        service.draw(session=db, agent_enterprise_id=agent, amount=D("1.001"), reference="E2", actor=ACTOR)
    assert exc.value.status == 422


def _bill(tax_no: str, vat: str, duty: str = "0.00", ct: str = "0.00") -> dict:
    """The head of a CEB816 e-tax bill (the fields apply_tax_bills reads)."""
    return {"taxNo": tax_no, "customsTax": duty, "valueAddedTax": vat, "consumptionTax": ct, "status": "1"}


def _trail(db, agent: int) -> list[tuple[str, str | None]]:
    from sqlalchemy import select

    from kuajing.audit.models import AuditEvent

    db.flush()
    return [(e.action, e.subject_id) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.stream == f"tax-guarantee:{agent}").order_by(AuditEvent.seq))]


def _movements(db, agent: int) -> list[tuple[str, Decimal, Decimal, str]]:
    from sqlalchemy import select

    from kuajing.tax.models import TaxGuarantee, TaxGuaranteeMovement

    g = db.scalars(select(TaxGuarantee).where(TaxGuarantee.agent_enterprise_id == agent)).one()
    return [(m.kind, m.amount, m.balance_after, m.reference) for m in db.scalars(
        select(TaxGuaranteeMovement).where(TaxGuaranteeMovement.guarantee_id == g.id)
        .order_by(TaxGuaranteeMovement.id))]


def test_a_batch_of_bills_draws_like_one_at_a_time_and_alerts_once(db):
    """A batch of e-tax bills against a small guarantee: the same movements, bills and outcomes as one bill
    at a time; the shortage alert raised once for the batch; the balance on the row = the movements' sum."""
    from sqlalchemy import func, select

    from kuajing.tax.models import TaxBill, TaxGuaranteeAlert

    heads = [_bill("B1", "300.00"), _bill("B2", "250.00", duty="10.00"), _bill("B1", "300.00"),  # a repeat
             _bill("B3", "500.00"), _bill("B4", "90.00", ct="5.00"), _bill("B5", "0.00")]
    agents = []
    for _ in range(2):
        agent = make_enterprise(db).id
        service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR, alert_threshold=D("600.00"),
                               cover_days=1, rate_window_days=365)
        service.top_up(session=db, agent_enterprise_id=agent, amount=D("1000.00"), reference=f"TU-{agent}",
                       actor=ACTOR)
        agents.append(agent)
    one, batch = agents
    singly = [service.apply_tax_bill(session=db, head=h, agent_enterprise_id=one, invt_no="I" + h["taxNo"])
              for h in heads]
    # the other agent's bills carry other numbers (a bill number is unique)
    together = service.apply_tax_bills(session=db, bills=[
        service.CustomsBill(head={**h, "taxNo": "X" + h["taxNo"]}, agent_enterprise_id=batch, invt_no="I" + h["taxNo"])
        for h in heads] + [service.CustomsBill(head=_bill("Z", "1.00"), agent_enterprise_id=None, invt_no=None)])

    # B3 (500.00) is more than the 440.00 left: it waits, and B4 (95.00) queues behind it (docs/tax.md)
    assert singly == ["drawn", "drawn", "drawn", "insufficient", "insufficient", "ignored"]
    assert together == singly + ["ignored"]
    assert [(k, a, b, r[1:]) for k, a, b, r in _movements(db, batch) if r != f"TU-{batch}"] == \
        [m for m in _movements(db, one) if m[3] != f"TU-{one}"] == [
            ("draw", D("300.00"), D("700.00"), "B1"), ("draw", D("260.00"), D("440.00"), "B2")]
    for agent in agents:
        view = service.guarantee(session=db, agent_enterprise_id=agent)
        assert view.balance == D("440.00") == service.guarantee_movement_totals(session=db, agent_enterprise_id=agent)
        # two bills drawn, B3 (500.00) and B4 (95.00) kept, waiting for cover
        assert db.scalar(select(func.count()).select_from(TaxBill)
                         .where(TaxBill.agent_enterprise_id == agent)) == 4
        assert db.scalar(select(func.count()).select_from(TaxBill)
                         .where(TaxBill.agent_enterprise_id == agent, TaxBill.covered.is_(False))) == 2
        assert (view.uncovered_count, view.uncovered_total) == (2, D("595.00"))
        assert next(a for a in view.alerts if a.kind == "uncovered_bills").threshold == D("595.00")
        assert [a.kind for a in view.alerts] == ["below_threshold", "uncovered_bills"]
    # one at a time the alerts come after the bill that crossed the line; together once, after the draws
    assert _trail(db, one)[2:] == [("tax:guarantee:draw", "B1"), ("tax:guarantee:draw", "B2"),
                                   ("tax:guarantee:alert", "below_threshold"), ("tax:guarantee:shortfall", "B3"),
                                   ("tax:guarantee:alert", "uncovered_bills"), ("tax:guarantee:shortfall", "B4")]
    assert _trail(db, batch)[2:] == [("tax:guarantee:draw", "XB1"), ("tax:guarantee:draw", "XB2"),
                                     ("tax:guarantee:shortfall", "XB3"), ("tax:guarantee:shortfall", "XB4"),
                                     ("tax:guarantee:alert", "below_threshold"),
                                     ("tax:guarantee:alert", "uncovered_bills")]
    alert = db.scalars(select(TaxGuaranteeAlert).where(TaxGuaranteeAlert.kind == "below_threshold")
                       .order_by(TaxGuaranteeAlert.id.desc()).limit(1)).one()
    assert alert.balance == D("440.00")  # the balance after the batch


def test_a_batch_repeating_a_bill_with_other_figures_is_refused(db):
    agent = make_enterprise(db).id
    service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR)
    service.top_up(session=db, agent_enterprise_id=agent, amount=D("100.00"), reference="TU", actor=ACTOR)
    with pytest.raises(AppError) as exc:
        service.apply_tax_bills(session=db, bills=[
            service.CustomsBill(head=_bill("E1", "10.00"), agent_enterprise_id=agent, invt_no=None),
            service.CustomsBill(head=_bill("E1", "11.00"), agent_enterprise_id=agent, invt_no=None)])
    assert exc.value.code == "tax_reference_reused"


def test_a_status_in_a_batch_is_booked_after_the_bills_before_it(db):
    """CEB816 then CEB818 (void) of the same bill in one batch: drawn, then given back, in that order."""
    agent = make_enterprise(db).id
    service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR)
    service.top_up(session=db, agent_enterprise_id=agent, amount=D("100.00"), reference="TU", actor=ACTOR)
    void = {"taxNo": "V1", "status": "3", "invtNo": "I1"}
    out = service.apply_tax_bills(session=db, bills=[
        service.CustomsBill(head=_bill("V1", "40.00"), agent_enterprise_id=agent, invt_no="I1"),
        service.CustomsBill(head=void, agent_enterprise_id=agent, invt_no="I1"),
        service.CustomsBill(head=_bill("V2", "30.00"), agent_enterprise_id=agent, invt_no="I2")])
    assert out == ["drawn", "status", "drawn"]
    assert [(k, a, b) for k, a, b, _r in _movements(db, agent)] == [
        ("top_up", D("100.00"), D("100.00")), ("draw", D("40.00"), D("60.00")), ("void", D("40.00"), D("100.00")),
        ("draw", D("30.00"), D("70.00"))]
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("70.00") == \
        service.guarantee_movement_totals(session=db, agent_enterprise_id=agent)
