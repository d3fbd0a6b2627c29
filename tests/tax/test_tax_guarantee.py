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
