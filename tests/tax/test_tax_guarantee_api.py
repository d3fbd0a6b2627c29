"""The guarantee API: an agent sees its own guarantee only."""

from __future__ import annotations

from decimal import Decimal

from kuajing.tax import service
from tests.accounts.fixtures import make_api_key, make_enterprise


def test_agent_sees_its_own_guarantee(client, db):
    agent, other = make_enterprise(db), make_enterprise(db)
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor="t", alert_threshold=Decimal("100.00"))
    service.open_guarantee(session=db, agent_enterprise_id=other.id, actor="t")
    service.top_up(session=db, agent_enterprise_id=agent.id, amount=Decimal("150.00"), reference="TU", actor="t")
    service.draw(session=db, agent_enterprise_id=agent.id, amount=Decimal("53.66"), reference="E4", actor="t")
    key = make_api_key(db, agent.id)
    db.commit()
    h = {"X-API-Key": key}
    listed = client.get("/api/v1/tax/guarantees", headers=h).json()
    assert [g["agent_enterprise_id"] for g in listed] == [agent.id]
    # 150.00 − 53.66 = 96.34 < 100.00 → below-threshold alert visible
    assert listed[0]["balance"] == "96.34" and [a["kind"] for a in listed[0]["alerts"]] == ["below_threshold"]
    assert client.get(f"/api/v1/tax/guarantees/{other.id}", headers=h).status_code == 403
    month = service._today().strftime("%Y-%m")
    s = client.get(f"/api/v1/tax/guarantees/{agent.id}/summaries/{month}", headers=h).json()
    assert (s["bill_count"], s["total"], s["payment_status"]) == (1, "53.66", "open")
    assert client.post(f"/api/v1/tax/guarantees/{agent.id}/top-ups", json={"amount": "1", "reference": "x"},
                       headers=h).status_code == 403
