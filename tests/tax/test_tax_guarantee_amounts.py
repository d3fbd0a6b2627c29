"""Wrong amounts on the guarantee API are 422 with a stable code and path, never 500, and change nothing.

docs/tax.md (税款担保): top-ups are positive amounts to the fen; the alert threshold is 0 or more, to the fen.
A huge number made ``Decimal.quantize`` fail (InvalidOperation) and an amount past the Money column (16
integer digits) failed on write: both were answered 500. 12.345 as a threshold was silently rounded to 12.34.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuajing.tax import service
from tests.accounts.fixtures import login, make_enterprise, make_zone_user


@pytest.fixture
def operator(client, db):
    agent = make_enterprise(db)
    user, password = make_zone_user(db)
    db.commit()
    login(client, user.username, password)
    return agent


def _issue(response):
    body = response.json()
    assert response.status_code == 422, response.text
    return body["errors"][0]["code"], body["errors"][0]["path"], body["errors"][0]["message"]


@pytest.mark.parametrize("threshold", ["1e30", "12.345", "1000000000000.01"])
def test_open_with_a_bad_threshold_is_refused_and_opens_nothing(client, db, operator, threshold):
    r = client.post("/api/v1/tax/guarantees", json={"agent_enterprise_id": operator.id,
                                                    "alert_threshold": threshold}, headers={"Accept-Language": "en"})
    assert _issue(r) == ("tax_amount_invalid", "alert_threshold",
                         "Give an amount in CNY from 0 to 1000000000000 with at most two decimals.")
    assert service.guarantees(session=db, agent_enterprise_id=operator.id) == []


def test_threshold_change_refused_in_every_language_and_nothing_changes(client, db, operator):
    service.open_guarantee(session=db, agent_enterprise_id=operator.id, actor="t", alert_threshold=Decimal("100.00"))
    db.commit()
    messages = {}
    for lang in ("zh-CN", "en", "ru", "mn"):
        r = client.patch(f"/api/v1/tax/guarantees/{operator.id}", json={"alert_threshold": "1e40"},
                         headers={"Accept-Language": lang})
        code, path, messages[lang] = _issue(r)
        assert (code, path) == ("tax_amount_invalid", "alert_threshold")
    assert len(set(messages.values())) == 4  # translated, not the English text four times
    db.expire_all()
    assert service.guarantee(session=db, agent_enterprise_id=operator.id).alert_threshold == Decimal("100.00")


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999", "1000000000000.01"])
def test_huge_top_up_is_refused_and_the_balance_unchanged(client, db, operator, amount):
    service.open_guarantee(session=db, agent_enterprise_id=operator.id, actor="t")
    service.top_up(session=db, agent_enterprise_id=operator.id, amount=Decimal("500.00"), reference="T0", actor="t")
    db.commit()
    r = client.post(f"/api/v1/tax/guarantees/{operator.id}/top-ups", json={"amount": amount, "reference": "T1"},
                    headers={"Accept-Language": "en"})
    assert _issue(r) == ("tax_amount_invalid", "amount", "The amount may not exceed 1000000000000 CNY.")
    db.expire_all()
    # balance = top-ups − draws + voids = 500.00 (docs/tax.md)
    assert service.guarantee(session=db, agent_enterprise_id=operator.id).balance == Decimal("500.00")
    assert service.guarantee_movement_totals(session=db, agent_enterprise_id=operator.id) == Decimal("500.00")


def test_the_largest_top_up_is_accepted(db):
    agent = make_enterprise(db)
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor="t")
    view = service.top_up(session=db, agent_enterprise_id=agent.id, amount=Decimal("1000000000000.00"),
                          reference="MAX", actor="t")
    assert view.balance == Decimal("1000000000000.00")
