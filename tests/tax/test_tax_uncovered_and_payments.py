"""E-tax bills the guarantee cannot cover, and the payment of payment forms (缴款书) that gives the guarantee back.

R1.14 (policy-rules §1.6): customs collects the retail import tax in periodic batches against the withholding
agent's full tax guarantee; once customs issues the tax notice (the summarised payment form), payment is due
within 15 days, and late payment costs 0.05 % per day. docs/tax.md "Tax guarantee" describes what the platform
does with a bill the balance cannot cover (kept, covered later, oldest first) and with a payment (the bills it
paid no longer hold the guarantee).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from kuajing.errors import AppError
from kuajing.tax import service
from kuajing.tax.models import TaxBill
from tests.accounts.fixtures import csrf_token, login, make_api_key, make_enterprise, make_zone_user

ACTOR = "test:tax"
D = Decimal


def _bill(tax_no: str, vat: str, duty: str = "0.00", ct: str = "0.00") -> dict:
    """The head of a CEB816 e-tax bill (the fields apply_tax_bills reads)."""
    return {"taxNo": tax_no, "customsTax": duty, "valueAddedTax": vat, "consumptionTax": ct, "status": "1"}


def _book(db, agent: int, *heads: dict) -> list[str]:
    return service.apply_tax_bills(session=db, bills=[
        service.CustomsBill(head=h, agent_enterprise_id=agent, invt_no="I" + h["taxNo"]) for h in heads])


def _agent(db, balance: str = "0.00", threshold: str = "0.00") -> int:
    agent = make_enterprise(db).id
    service.open_guarantee(session=db, agent_enterprise_id=agent, actor=ACTOR, alert_threshold=D(threshold),
                           cover_days=1, rate_window_days=30)
    if D(balance):
        service.top_up(session=db, agent_enterprise_id=agent, amount=D(balance), reference=f"TU0-{agent}",
                       actor=ACTOR)
    return agent


def _covered(db, tax_no: str) -> bool:
    return db.scalar(select(TaxBill.covered).where(TaxBill.tax_no == tax_no))


def _summarise(db, ent_duty_no: str, on, *tax_nos: str) -> None:
    for no in tax_nos:
        service.record_payment_status(session=db, tax_no=no, status="2", actor="customs:ceb818",
                                      ent_duty_no=ent_duty_no, on=on)


def test_a_bill_the_balance_cannot_cover_is_kept_and_shown(db):
    """Customs issued it: it counts in the month's tax and the alert says it waits for cover; a repeat of the
    same CEB816 changes nothing, the same number with other figures is refused."""
    agent = _agent(db, "100.00")
    # U1 (130.00) is more than 100.00: it waits; U2 (40.00) would fit but queues behind it (bills are covered in
    # the order customs issued them); U0 came before both and was drawn
    assert _book(db, agent, _bill("U0", "10.00"), _bill("U1", "130.00"), _bill("U2", "40.00")) == [
        "drawn", "insufficient", "insufficient"]
    assert (_covered(db, "U0"), _covered(db, "U1"), _covered(db, "U2")) == (True, False, False)
    view = service.guarantee(session=db, agent_enterprise_id=agent)
    # 100.00 − 10.00 = 90.00; U1 and U2 (170.00) wait
    assert (view.balance, view.uncovered_count, view.uncovered_total) == (D("90.00"), 2, D("170.00"))
    alert = next(a for a in view.alerts if a.kind == "uncovered_bills")
    assert (alert.balance, alert.threshold) == (D("90.00"), D("170.00"))
    s = service.monthly_summary(session=db, agent_enterprise_id=agent, month=service._today())
    assert (s.bill_count, s.total, s.uncovered_count, s.uncovered_total) == (3, D("180.00"), 2, D("170.00"))
    assert _book(db, agent, _bill("U1", "130.00")) == ["insufficient"]  # a repeat: nothing written twice
    assert db.query(TaxBill).filter(TaxBill.tax_no == "U1").count() == 1
    with pytest.raises(AppError) as exc:
        _book(db, agent, _bill("U1", "131.00"))
    assert exc.value.code == "tax_reference_reused"
    # a later bill that fits still queues while others wait
    assert _book(db, agent, _bill("U3", "1.00")) == ["insufficient"]
    view = service.guarantee(session=db, agent_enterprise_id=agent)
    assert next(a for a in view.alerts if a.kind == "uncovered_bills").threshold == D("171.00")
    # 90.00 + 100.00 = 190.00 covers U1 (130.00), U2 (40.00), U3 (1.00) in order → 19.00
    view = service.top_up(session=db, agent_enterprise_id=agent, amount=D("100.00"), reference="TU-U", actor=ACTOR)
    assert (view.balance, view.uncovered_count) == (D("19.00"), 0)
    assert _book(db, agent, _bill("U4", "5.00")) == ["drawn"]  # nothing waits: drawn at once


def test_a_top_up_covers_waiting_bills_oldest_first(db):
    agent = _agent(db)
    assert _book(db, agent, _bill("W1", "300.00"), _bill("W2", "50.00")) == ["insufficient", "insufficient"]
    # 200.00 does not cover W1 (300.00); W2 (50.00) would fit but does not overtake it
    view = service.top_up(session=db, agent_enterprise_id=agent, amount=D("200.00"), reference="T1", actor=ACTOR)
    assert (view.balance, view.uncovered_count, view.uncovered_total) == (D("200.00"), 2, D("350.00"))
    # 200.00 + 200.00 = 400.00 → W1 (300.00) then W2 (50.00): 50.00 left, nothing waits, the alert is lifted
    view = service.top_up(session=db, agent_enterprise_id=agent, amount=D("200.00"), reference="T2", actor=ACTOR)
    assert (view.balance, view.uncovered_count) == (D("50.00"), 0)
    assert [a.kind for a in view.alerts] == []
    assert _covered(db, "W1") and _covered(db, "W2")
    assert service.guarantee_movement_totals(session=db, agent_enterprise_id=agent) == D("50.00")


def test_voiding_gives_back_only_what_the_guarantee_holds(db):
    agent = _agent(db, "100.00")
    _book(db, agent, _bill("V1", "80.00"), _bill("V2", "70.00"))  # V1 drawn (20.00 left), V2 waits
    service.record_payment_status(session=db, tax_no="V2", status="3", actor="customs:ceb818")
    # V2 was never drawn: voiding it gives nothing back
    view = service.guarantee(session=db, agent_enterprise_id=agent)
    assert (view.balance, view.uncovered_count) == (D("20.00"), 0)
    service.record_payment_status(session=db, tax_no="V1", status="3", actor="customs:ceb818")
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("100.00")  # 20.00 + 80.00
    assert service.guarantee_movement_totals(session=db, agent_enterprise_id=agent) == D("100.00")


def test_a_void_that_frees_the_balance_covers_a_waiting_bill(db):
    agent = _agent(db, "100.00")
    _book(db, agent, _bill("F1", "90.00"), _bill("F2", "60.00"))  # F1 drawn (10.00 left), F2 waits
    service.record_payment_status(session=db, tax_no="F1", status="3", actor="customs:ceb818")
    # 10.00 + 90.00 = 100.00 covers F2 (60.00) → 40.00
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("40.00")
    assert _covered(db, "F2")


def test_paying_a_form_restores_the_guarantee_and_counts_late_days(db):
    """Summarised 30 days ago → due 15 days later; paid 11 days ago → 4 days late: surcharge
    1,234.56 × 0.05 % × 4 = 2.46912 → 2.47 (R1.14, half-up to the fen)."""
    today = service._today()
    agent = _agent(db, "1500.00")
    _book(db, agent, _bill("P1", "1000.00"), _bill("P2", "200.00", duty="34.56"), _bill("P3", "400.00"))
    # P1 1,000.00 and P2 234.56 drawn (265.44 left); P3 400.00 waits
    _summarise(db, "DUTY-1", today - timedelta(days=30), "P1", "P2")
    s = service.monthly_summary(session=db, agent_enterprise_id=agent, month=today)
    assert s.payment_status == "open"  # P3 is not summarised yet
    form = s.forms[0]
    assert (form.ent_duty_no, form.amount, form.due_on) == ("DUTY-1", D("1234.56"), today - timedelta(days=15))
    assert (form.paid_on, form.days_late, form.late_fee) == (None, 15, D("9.26"))  # 1,234.56 × 0.0005 × 15 = 9.2592

    with pytest.raises(AppError) as exc:
        service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-1", amount=D("1234.00"),
                               paid_on=today - timedelta(days=11), reference="BANK-1", actor=ACTOR)
    assert (exc.value.code, exc.value.status) == ("validation_failed", 422)
    assert exc.value.errors[0].code == "tax_payment_amount_mismatch" and exc.value.errors[0].params["expected"] == "1234.56"
    for bad in (today - timedelta(days=31), today + timedelta(days=1)):  # before the summary, in the future
        with pytest.raises(AppError) as exc:
            service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-1",
                                   amount=D("1234.56"), paid_on=bad, reference="BANK-1", actor=ACTOR)
        assert exc.value.errors[0].code == "tax_payment_date_invalid"
    with pytest.raises(AppError) as exc:
        service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-X", amount=D("1.00"),
                               paid_on=today, reference="BANK-1", actor=ACTOR)
    assert (exc.value.code, exc.value.status) == ("tax_payment_form_unknown", 404)
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("265.44")  # nothing changed

    form = service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-1", amount=D("1234.56"),
                                  paid_on=today - timedelta(days=11), reference="BANK-1", actor=ACTOR)
    assert (form.paid_on, form.days_late, form.late_fee) == (today - timedelta(days=11), 4, D("2.47"))
    # 265.44 + 1,234.56 given back = 1,500.00, which then covers P3 (400.00) → 1,100.00
    view = service.guarantee(session=db, agent_enterprise_id=agent)
    assert (view.balance, view.uncovered_count) == (D("1100.00"), 0)
    assert service.guarantee_movement_totals(session=db, agent_enterprise_id=agent) == D("1100.00")
    # the same payment again changes nothing; other figures are refused
    again = service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-1",
                                   amount=D("1234.56"), paid_on=today - timedelta(days=11), reference="BANK-1",
                                   actor=ACTOR)
    assert again == form and service.guarantee(session=db, agent_enterprise_id=agent).balance == D("1100.00")
    with pytest.raises(AppError) as exc:
        service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-1", amount=D("1234.56"),
                               paid_on=today - timedelta(days=10), reference="BANK-1", actor=ACTOR)
    assert exc.value.code == "tax_reference_reused"
    # a paid bill voided afterwards gives nothing back a second time
    service.record_payment_status(session=db, tax_no="P1", status="3", actor="customs:ceb818")
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("1100.00")

    _summarise(db, "DUTY-2", today, "P3")
    service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-2", amount=D("400.00"),
                           paid_on=today, reference="BANK-2", actor=ACTOR)
    s = service.monthly_summary(session=db, agent_enterprise_id=agent, month=today)
    # P1 void; P2 and P3 summarised and paid
    assert (s.payment_status, s.bill_count, s.paid_count, s.paid_total) == ("paid", 2, 2, D("634.56"))
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("1500.00")


def test_paying_a_form_of_uncovered_bills_gives_back_nothing_and_stops_the_wait(db):
    today = service._today()
    agent = _agent(db)
    _book(db, agent, _bill("N1", "50.00"))
    _summarise(db, "DUTY-N", today, "N1")
    form = service.record_payment(session=db, agent_enterprise_id=agent, ent_duty_no="DUTY-N", amount=D("50.00"),
                                  paid_on=today, reference="BANK-N", actor=ACTOR)
    assert form.days_late == 0 and form.late_fee == D("0.00")
    view = service.guarantee(session=db, agent_enterprise_id=agent)
    # the tax is paid: nothing to hold any more, nothing to give back
    assert (view.balance, view.uncovered_count, [a.kind for a in view.alerts]) == (D("0.00"), 0, [])
    service.top_up(session=db, agent_enterprise_id=agent, amount=D("80.00"), reference="T-N", actor=ACTOR)
    assert service.guarantee(session=db, agent_enterprise_id=agent).balance == D("80.00")  # N1 not drawn


def test_payment_api_for_customs_and_the_summary_shows_forms(client, db):
    today = service._today()
    agent = make_enterprise(db)
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor=ACTOR)
    service.top_up(session=db, agent_enterprise_id=agent.id, amount=D("100.00"), reference="TU", actor=ACTOR)
    _book(db, agent.id, _bill("A1", "60.00"), _bill("A2", "70.00"))  # A1 drawn, A2 waits
    _summarise(db, "DUTY-A", today, "A1")
    key = make_api_key(db, agent.id)
    officer, password = make_zone_user(db, "customs_officer", username="tax-payment-officer")
    db.commit()
    month = today.strftime("%Y-%m")
    s = client.get(f"/api/v1/tax/guarantees/{agent.id}/summaries/{month}", headers={"X-API-Key": key}).json()
    assert (s["uncovered_count"], s["uncovered_total"], s["payment_status"]) == (1, "70.00", "open")
    assert s["forms"] == [{"ent_duty_no": "DUTY-A", "bill_count": 1, "amount": "60.00",
                           "summarised_on": today.isoformat(), "due_on": (today + timedelta(days=15)).isoformat(),
                           "paid_on": None, "days_late": 0, "late_fee": "0.00"}]
    g = client.get(f"/api/v1/tax/guarantees/{agent.id}", headers={"X-API-Key": key}).json()
    assert (g["balance"], g["uncovered_count"], g["uncovered_total"]) == ("40.00", 1, "70.00")
    body = {"ent_duty_no": "DUTY-A", "amount": "60.00", "paid_on": today.isoformat(), "reference": "BANK-A"}
    # the agent does not record its own payment (it would raise its own guarantee)
    assert client.post(f"/api/v1/tax/guarantees/{agent.id}/payments", json=body,
                       headers={"X-API-Key": key}).status_code == 403
    login(client, officer.username, password)
    headers = {"X-CSRF-Token": csrf_token(client)}
    r = client.post(f"/api/v1/tax/guarantees/{agent.id}/payments", json={**body, "paid_at": "x"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "field_unknown"  # a misspelt field
    r = client.post(f"/api/v1/tax/guarantees/{agent.id}/payments", json={**body, "amount": "59.99"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "tax_payment_amount_mismatch"
    assert r.json()["errors"][0]["path"] == "amount"
    r = client.post(f"/api/v1/tax/guarantees/{agent.id}/payments", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["paid_on"], r.json()["amount"]) == (today.isoformat(), "60.00")
    # 40.00 + 60.00 given back = 100.00, which covers A2 (70.00) → 30.00
    g = client.get(f"/api/v1/tax/guarantees/{agent.id}", headers=headers).json()
    assert (g["balance"], g["uncovered_count"]) == ("30.00", 0)


def _status(tax_no: str, status: str, ent_duty_no: str | None = None) -> dict:
    """The head of a CEB818 tax status (the fields apply_tax_bills reads)."""
    return {"taxNo": tax_no, "status": status, **({"entDutyNo": ent_duty_no} if ent_duty_no else {})}


def test_a_status_that_arrives_before_its_bill_is_kept_and_applied(db):
    """Message order is not guaranteed (a file transport, a retry): a CEB818 before its CEB816 used to be
    ignored and lost, so the void never gave the amount back. Now it waits for the bill and applies after it."""
    from kuajing.tax.models import TaxBillEarlyStatus

    agent = _agent(db, "100.00")
    assert _book(db, agent, _status("E1", "3")) == ["early"]  # the void first
    assert db.query(TaxBillEarlyStatus).count() == 1
    assert _book(db, agent, _bill("E1", "30.00")) == ["drawn"]  # drawn, then the void gives it back
    bill = db.query(TaxBill).filter(TaxBill.tax_no == "E1").one()
    assert bill.status == "3" and db.query(TaxBillEarlyStatus).count() == 0
    assert _balance_of(db, agent) == D("100.00")
    # in one batch, summarised onto a form before the bill the balance cannot cover: kept uncovered, on its form
    assert _book(db, agent, _status("E2", "2", "DUTY-E"), _bill("E2", "150.00")) == ["early", "insufficient"]
    bill = db.query(TaxBill).filter(TaxBill.tax_no == "E2").one()
    assert (bill.status, bill.ent_duty_no, bill.covered) == ("2", "DUTY-E", False)
    assert _balance_of(db, agent) == D("100.00")


def test_a_status_nobody_books_is_ignored(db):
    from kuajing.tax.models import TaxBillEarlyStatus

    no_guarantee = make_enterprise(db).id
    agent = _agent(db, "10.00")
    assert service.apply_tax_bills(session=db, bills=[
        service.CustomsBill(head=_status("N1", "3"), agent_enterprise_id=no_guarantee, invt_no="IN1"),
        service.CustomsBill(head=_status("N2", "3"), agent_enterprise_id=None, invt_no=None),
        service.CustomsBill(head=_status("N3", "9"), agent_enterprise_id=agent, invt_no="IN3"),
    ]) == ["ignored", "ignored", "ignored"]
    assert db.query(TaxBillEarlyStatus).count() == 0


def _balance_of(db, agent: int) -> Decimal:
    balance = service.guarantee(session=db, agent_enterprise_id=agent).balance
    assert balance == service.guarantee_movement_totals(session=db, agent_enterprise_id=agent)
    return balance
