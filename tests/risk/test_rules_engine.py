"""The rules engine on stored facts: each rule fires on a crafted positive case and stays silent on a near-miss;
an alert is raised once per (rule, subject, window); subjects are masked; every alert and step is audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kuajing.audit.models import AuditEvent
from kuajing.errors import AppError
from kuajing.quota import service as quota
from kuajing.risk import service
from kuajing.risk.models import Alert, AlertStep
from tests.accounts.fixtures import make_enterprise
from tests.risk.helpers import BUYER, T0, fact, hours


def alerts(db, rule: str | None = None) -> list[Alert]:
    query = select(Alert).order_by(Alert.id)
    if rule:
        query = query.where(Alert.rule == rule)
    return list(db.scalars(query))


def test_quota_ninety_percent_edge_on_the_real_ledger(db):
    # annual limit 26,000.00 (财关税〔2018〕49号); 90 % = 23,400.00
    quota.reserve(session=db, buyer_id_number=BUYER, buyer_name="张三", declared_on=date(2026, 3, 1),
                  amount=Decimal("5000.00"), reference="Q1", actor="test")
    for k in range(2, 5):
        quota.reserve(session=db, buyer_id_number=BUYER, buyer_name="张三", declared_on=date(2026, 3, 1),
                      amount=Decimal("5000.00"), reference=f"Q{k}", actor="test")
    quota.reserve(session=db, buyer_id_number=BUYER, buyer_name="张三", declared_on=date(2026, 3, 1),
                  amount=Decimal("3397.40"), reference="Q5", actor="test")  # 23,397.40 = 89.99 %
    f1 = fact(db)
    assert service.evaluate(session=db, fact=f1) == []
    quota.reserve(session=db, buyer_id_number=BUYER, buyer_name="张三", declared_on=date(2026, 3, 1),
                  amount=Decimal("2.60"), reference="Q6", actor="test")  # 23,400.00 = 90.00 %
    f2 = fact(db, at=hours(30), goods="另一商品")
    raised = service.evaluate(session=db, fact=f2)
    assert [a.rule for a in raised] == ["quota_near_limit"]
    alert = raised[0]
    assert alert.subject_display == "1502**********1234" and alert.window_key == "2026"
    assert alert.details["share_pct"] == "90.00" and alert.details["limit"] == "26000.00"
    # once per buyer and year
    assert service.evaluate(session=db, fact=fact(db, at=hours(60), goods="第三种")) == []


def test_identity_reuse_two_consignees_silent_three_fire_once_per_window(db):
    fact(db, at=T0, consignee="A")
    f = fact(db, at=T0 + timedelta(days=3), consignee="B", goods="g2")
    assert service.evaluate(session=db, fact=f) == []  # 2 consignees, 1 phone
    f3 = fact(db, at=T0 + timedelta(days=29), consignee="C", goods="g3")
    raised = service.evaluate(session=db, fact=f3)
    assert [a.rule for a in raised] == ["identity_reuse"] and raised[0].details["consignees"] == 3
    # a fourth consignee the next day is inside the same window: no second alert
    f4 = fact(db, at=T0 + timedelta(days=30), consignee="D", goods="g4")
    assert service.evaluate(session=db, fact=f4) == []
    # re-running the same fact is idempotent
    assert service.evaluate(session=db, fact=f3) == []
    assert len(alerts(db, "identity_reuse")) == 1


def test_three_phones_fire_identity_reuse(db):
    fact(db, phone="13900000001")
    fact(db, at=hours(100), phone="13900000002", goods="g2")
    f = fact(db, at=hours(200), phone="13900000003", goods="g3")
    assert [a.rule for a in service.evaluate(session=db, fact=f)] == ["identity_reuse"]


def test_split_orders_three_parcels_in_twenty_four_hours(db):
    fact(db, at=hours(0))
    f2 = fact(db, at=hours(10))
    assert service.evaluate(session=db, fact=f2) == []  # two parcels: near miss
    f3 = fact(db, at=hours(24))
    raised = service.evaluate(session=db, fact=f3)
    assert [a.rule for a in raised] == ["split_orders"]
    assert raised[0].details["parcels"] == 3 and len(raised[0].references) == 3


def test_split_orders_over_more_than_a_day_stay_silent(db):
    fact(db, at=hours(0))
    fact(db, at=hours(12))
    f = fact(db, at=hours(24.5))
    assert service.evaluate(session=db, fact=f) == []


def test_undervaluation_needs_twenty_samples_and_fires_below_thirty_percent(db):
    for k in range(19):
        fact(db, buyer=None, at=T0 - timedelta(days=k + 1), prices=(("1901101000", "100.00"),))
    low = fact(db, buyer=None, prices=(("1901109000", "29.99"),))
    assert service.evaluate(session=db, fact=low) == []  # 19 samples of heading 1901
    fact(db, buyer=None, at=T0 - timedelta(days=30), prices=(("1901101000", "100.00"),))
    raised = service.evaluate(session=db, fact=low)
    assert [a.rule for a in raised] == ["undervaluation"]
    assert raised[0].details["median"] == "100.00" and raised[0].details["heading"] == "1901"
    at_floor = fact(db, buyer=None, prices=(("1901101000", "30.00"),))
    assert service.evaluate(session=db, fact=at_floor) == []


def test_samples_older_than_ninety_days_do_not_count(db):
    for k in range(20):
        fact(db, buyer=None, at=T0 - timedelta(days=90 + k), prices=(("1901101000", "100.00"),))
    low = fact(db, buyer=None, prices=(("1901101000", "1.00"),))
    assert service.evaluate(session=db, fact=low) == []


def test_blacklisted_enterprise_and_id(db):
    ent = make_enterprise(db, district="150207")
    entry = service.blacklist_add(session=db, actor="user:sup", reason="虚假贸易", enterprise_id=ent.id)
    id_entry = service.blacklist_add(session=db, actor="user:sup", reason="冒用身份", buyer_id_number=BUYER)
    assert id_entry.subject_display == "1502**********1234" and BUYER not in id_entry.subject_key
    raised = service.evaluate(session=db, fact=fact(db, enterprise_id=ent.id, district="150207"))
    assert sorted(a.rule for a in raised) == ["blacklisted_enterprise", "blacklisted_id"]
    assert {a.district for a in raised} == {"150207"}
    with pytest.raises(AppError) as dup:
        service.blacklist_add(session=db, actor="user:sup", reason="again", enterprise_id=ent.id)
    assert dup.value.code == "risk_blacklist_duplicate"
    service.blacklist_remove(session=db, entry_id=entry.id, actor="user:sup", reason="整改完成")
    service.blacklist_remove(session=db, entry_id=id_entry.id, actor="user:sup", reason="核实无误")
    assert service.evaluate(session=db, fact=fact(db, at=hours(1000), enterprise_id=ent.id)) == []
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.stream == "risk:blacklist")).all()
    assert events == ["risk:blacklist:add", "risk:blacklist:add", "risk:blacklist:remove", "risk:blacklist:remove"]


def test_workflow_open_investigating_closed_each_step_audited(db):
    fact(db, at=hours(0))
    fact(db, at=hours(1))
    [alert] = service.evaluate(session=db, fact=fact(db, at=hours(2)))
    assert alert.status == "open"
    with pytest.raises(AppError) as no_note:
        service.transition(session=db, alert_id=alert.id, action="close", actor="user:sup", note="  ")
    assert no_note.value.code == "risk_alert_note_required"
    service.transition(session=db, alert_id=alert.id, action="investigate", actor="user:sup")
    with pytest.raises(AppError) as twice:
        service.transition(session=db, alert_id=alert.id, action="investigate", actor="user:sup")
    assert twice.value.code == "risk_alert_transition_not_allowed" and twice.value.status == 409
    service.transition(session=db, alert_id=alert.id, action="close", actor="user:sup", note="同一家庭分次购买",
                       outcome="dismissed")
    assert (alert.status, alert.outcome, alert.note) == ("closed", "dismissed", "同一家庭分次购买")
    steps = [(s.action, s.from_status, s.to_status) for s in service.steps(session=db, alert_id=alert.id)]
    assert steps == [("open", None, "open"), ("investigate", "open", "investigating"),
                     ("close", "investigating", "closed")]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.stream == "risk:alerts",
                                                         AuditEvent.subject_id == str(alert.id))).all()
    assert actions == ["risk:alert:open", "risk:alert:investigate", "risk:alert:close"]
    with pytest.raises(AppError):
        service.transition(session=db, alert_id=alert.id, action="close", actor="user:sup", note="again")
    assert db.scalar(select(func.count()).select_from(AlertStep)) == 3


def test_summary_contract(db):
    fact(db, at=hours(0), district="150207")
    fact(db, at=hours(1), district="150207")
    [split] = service.evaluate(session=db, fact=fact(db, at=hours(2), district="150207"))
    ent = make_enterprise(db, district="150204")
    service.blacklist_add(session=db, actor="t", reason="r", enterprise_id=ent.id)
    [listed] = service.evaluate(session=db, fact=fact(db, buyer=None, enterprise_id=ent.id, district="150204"))
    service.transition(session=db, alert_id=listed.id, action="close", actor="t", note="done")
    today = service.local_date(split.opened_at)
    s = service.summary(session=db, start=today, end=today)
    assert s == {"alerts_open": 1, "alerts_by_rule": {"blacklisted_enterprise": 1, "split_orders": 1},
                 "top": [{"rule": "split_orders", "subject": "1502**********1234",
                          "opened_at": split.opened_at.isoformat(), "status": "open"}]}
    assert service.summary(session=db, start=today, end=today, district="150204")["alerts_open"] == 0
    assert service.summary(session=db, start=today - timedelta(days=9), end=today - timedelta(days=1)) == {
        "alerts_open": 0, "alerts_by_rule": {}, "top": []}
    with pytest.raises(AppError):
        service.summary(session=db, start=today, end=today - timedelta(days=1))


def test_a_list_without_thresholds_in_force_is_skipped_not_blocking_the_queue(db):
    from datetime import UTC, datetime

    from kuajing.risk.models import RiskQueueItem

    old = fact(db, at=datetime(2015, 6, 1, tzinfo=UTC))  # before the risk.* rules are modelled (2016-04-08)
    new = fact(db, at=hours(0))
    for f in (old, new):
        service.enqueue(session=db, direction="import", inventory_id=f.inventory_id, event="import.inventory.declared")
    service.enqueue(session=db, direction="import", inventory_id=new.inventory_id, event="import.inventory.declared")
    assert service.process_queue(session=db) == 2  # the repeat was not queued twice
    assert all(q.processed_at is not None for q in db.scalars(select(RiskQueueItem)))
