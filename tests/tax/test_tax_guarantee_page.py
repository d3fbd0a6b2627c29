"""The tax-guarantee page (/tax/guarantee): the agent's clerk sees its balance, alerts, the month's summary and
e-tax bills and the movements; zone-wide roles pick any agent; nobody else sees another agent's guarantee."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from kuajing.accounts.choices import Role
from kuajing.tax import readside, service
from kuajing.tax.models import TaxBill
from kuajing.tax.service import CustomsBill
from tests.accounts.fixtures import login, make_enterprise, make_enterprise_user, make_zone_user

HTML = {"Accept": "text/html"}


def _bill(tax_no: str, vat: str, ct: str = "0") -> dict[str, str]:
    return {"taxNo": tax_no, "customsTax": "0", "valueAddedTax": vat, "consumptionTax": ct}


def _agent_with_bills(db):
    """An agent whose guarantee (threshold 1,000.00, N = 5, window 7) was topped up with 2,000.00 and drew three
    bills today (13.00, 20.00 + 6.50 = 26.50, 1,000.00); then T2 was summarised on JK2026001 and T1 voided."""
    agent = make_enterprise(db, name_zh="包头代理报关有限公司", name_en="Baotou Customs Agent Co.")
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor="t", guarantee_no="BG-2026-001",
                           alert_threshold=Decimal("1000.00"), cover_days=5)
    service.top_up(session=db, agent_enterprise_id=agent.id, amount=Decimal("2000.00"), reference="TU-1", actor="t")
    outcomes = service.apply_tax_bills(session=db, bills=[
        CustomsBill(_bill("T1", "13.00"), agent.id, "INVT001"),
        CustomsBill(_bill("T2", "20.00", "6.50"), agent.id, "INVT002"),
        CustomsBill(_bill("T3", "1000.00"), agent.id, "INVT003"),
    ])
    assert outcomes == ["drawn", "drawn", "drawn"]
    service.apply_tax_bills(session=db, bills=[
        CustomsBill({"taxNo": "T2", "status": "2", "entDutyNo": "JK2026001"}, agent.id, "INVT002"),
        CustomsBill({"taxNo": "T1", "status": "3"}, agent.id, "INVT001"),
    ])
    return agent


def _clerk(client, db, enterprise_id: int) -> None:
    user, password = make_enterprise_user(db, enterprise_id)
    db.commit()
    login(client, user.username, password)


def _dd(html: str, ident: str) -> str:
    found = re.search(rf'<dd id="{ident}"[^>]*>(.*?)</dd>', html, re.S)
    assert found, ident
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _row(html: str, attr: str, value: str) -> list[str]:
    found = re.search(rf'<tr {attr}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, value
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", found.group(1), re.S)]


def _rows(html: str, attr: str) -> list[str]:
    return re.findall(rf'<tr {attr}="([^"]+)"', html)


def _this_month() -> str:
    return service._today().strftime("%Y-%m")


def test_the_agents_clerk_sees_balance_alert_summary_and_bills(client, db):
    agent = _agent_with_bills(db)
    _clerk(client, db, agent.id)
    r = client.get("/tax/guarantee", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "税款担保与电子税单" in html and "包头代理报关有限公司" in html
    assert _dd(html, "guarantee-no") == "BG-2026-001"
    # 2,000.00 − 13.00 − 26.50 − 1,000.00 = 960.50, then the void of T1 gives 13.00 back: 973.50
    assert _dd(html, "balance") == "973.50"
    assert _dd(html, "alert-threshold") == "1000.00"
    assert "5" in _dd(html, "cover-days")
    # net draws of the last 7 days: 1,039.50 − 13.00 = 1,026.50; ÷ 7 = 146.642… → 146.64; 973.50 ÷ 146.64 = 6.6
    assert _dd(html, "daily-rate").startswith("146.64")
    assert _dd(html, "days-covered") == "6.6"
    # the alert was raised after the batch of draws: balance 960.50 < threshold 1,000.00 (need 148.50 × 5 = 742.50
    # is covered: no short-runway alert); the void's 973.50 is still below the threshold, so it stays open
    assert _rows(html, "data-alert") == ["below_threshold"]
    assert _row(html, "data-alert", "below_threshold")[:3] == ["担保余额低于预警金额", "960.50", "1000.00"]
    # the month's summary: T2 (26.50) and T3 (1,000.00) valid, T2 summarised, T1 void
    assert _dd(html, "bill-count") == "2"
    assert _dd(html, "total") == "1026.50"
    assert _dd(html, "summarised-count") == "1"
    assert _dd(html, "summarised-total") == "26.50"
    assert _dd(html, "void-count") == "1"
    assert _dd(html, "payment-status") == "有待汇总税单"
    assert _dd(html, "payment-forms") == "JK2026001"
    # the bills, newest first, with their amounts and statuses
    assert _rows(html, "data-tax-no") == ["T3", "T2", "T1"]
    today = service._today().isoformat()
    assert _row(html, "data-tax-no", "T1") == ["T1", "INVT001", "13.00", "作废", today]
    assert _row(html, "data-tax-no", "T2") == ["T2", "INVT002", "26.50", "已汇总 JK2026001", today]
    assert _row(html, "data-tax-no", "T3") == ["T3", "INVT003", "1000.00", "已生成", today]
    # the movements, latest first: void, the three draws, the top-up
    assert _rows(html, "data-kind") == ["void", "draw", "draw", "draw", "top_up"]
    assert "共 5 条流水" in html
    movements = re.findall(r'<tr data-kind="[^"]+"[^>]*>(.*?)</tr>', html, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", m, re.S)] for m in movements]
    assert cells[0][:4] == ["税单作废退回", "+13.00", "973.50", "T1"]
    assert cells[1][:4] == ["电子税单扣减", "-1000.00", "960.50", "T3"]
    assert cells[4][:4] == ["追加担保", "+2000.00", "2000.00", "TU-1"]
    assert '<a href="/tax/guarantee">' in html  # the navigation links the page for the clerk


def test_bills_are_paginated_newest_first(client, db):
    agent = make_enterprise(db)
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor="t")
    service.top_up(session=db, agent_enterprise_id=agent.id, amount=Decimal("1000.00"), reference="TU", actor="t")
    service.apply_tax_bills(session=db, bills=[CustomsBill(_bill(f"P{n:03d}", "1.00"), agent.id, f"I{n:03d}")
                                               for n in range(1, 121)])
    _clerk(client, db, agent.id)
    first = client.get("/tax/guarantee", headers=HTML).text
    assert _rows(first, "data-tax-no") == [f"P{n:03d}" for n in range(120, 70, -1)]
    assert "第 1 / 3 页" in first and f"month={_this_month()}&amp;page=2#bills" in first
    third = client.get(f"/tax/guarantee?month={_this_month()}&page=3", headers=HTML).text
    assert _rows(third, "data-tax-no") == [f"P{n:03d}" for n in range(20, 0, -1)]
    assert _dd(third, "bill-count") == "120" and _dd(third, "total") == "120.00"  # the summary is the month's
    assert _rows(client.get("/tax/guarantee?page=9", headers=HTML).text, "data-tax-no") == []
    # 121 movements: 50 a page, the top-up on the last one
    moves = client.get("/tax/guarantee?mpage=3", headers=HTML).text
    assert _rows(moves, "data-kind") == ["draw"] * 20 + ["top_up"]
    assert "共 121 条流水" in moves
    found = readside.bills(session=db, agent_enterprise_id=agent.id, month=service._today(), page=2, per_page=50)
    assert (found.total, found.pages, found.rows[0].tax_no, found.rows[-1].tax_no) == (120, 3, "P070", "P021")
    assert readside.movements(session=db, agent_enterprise_id=agent.id, page=1, per_page=1).rows[0].reference == "P120"


def test_the_month_filter_shows_that_months_bills_only(client, db):
    agent = make_enterprise(db)
    service.open_guarantee(session=db, agent_enterprise_id=agent.id, actor="t")
    service.top_up(session=db, agent_enterprise_id=agent.id, amount=Decimal("500.00"), reference="TU", actor="t")
    last_month = service._today().replace(day=1) - timedelta(days=1)
    service.draw(session=db, agent_enterprise_id=agent.id, amount=Decimal("77.70"), reference="OLD", actor="t",
                 invt_no="INV-OLD", on=last_month)
    service.apply_tax_bills(session=db, bills=[CustomsBill(_bill("NEW", "12.34"), agent.id, "INV-NEW")])
    _clerk(client, db, agent.id)
    now = client.get("/tax/guarantee", headers=HTML).text
    assert _rows(now, "data-tax-no") == ["NEW"] and _dd(now, "total") == "12.34"
    before = client.get(f"/tax/guarantee?month={last_month:%Y-%m}", headers=HTML).text
    assert _rows(before, "data-tax-no") == ["OLD"] and _dd(before, "total") == "77.70"
    assert _row(before, "data-tax-no", "OLD")[4] == last_month.isoformat()
    assert f'value="{last_month:%Y-%m}"' in before  # the picker shows the chosen month
    assert f"month={_this_month()}" in before  # … and links the next one
    empty = client.get("/tax/guarantee?month=2019-01", headers=HTML).text
    assert _rows(empty, "data-tax-no") == [] and "本月无电子税单" in empty and _dd(empty, "payment-status") == "无有效税单"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "0000-05", "abc", "2026-1", "2026-01-01", "９９９９-01",
                                   "x" * 500])
def test_a_bad_month_is_a_clear_message_never_a_500(client, db, month):
    agent = _agent_with_bills(db)
    _clerk(client, db, agent.id)
    r = client.get("/tax/guarantee", params={"month": month}, headers=HTML)
    assert r.status_code == 422
    assert 'id="month-error"' in r.text and "不是有效的月份" in r.text and _this_month() in r.text
    assert _dd(r.text, "balance") == "973.50" and 'id="bills"' not in r.text  # the guarantee is still shown
    assert client.get("/tax/guarantee", params={"month": month, "lang": "en"}, headers=HTML).text.count(
        "is not a month") == 1


def test_bad_numbers_in_the_query_are_422_not_500(client, db):
    agent = _agent_with_bills(db)
    _clerk(client, db, agent.id)
    for query in ("page=abc", "page=0", "agent=x", f"agent={2**70}", "mpage=-1"):
        assert client.get(f"/tax/guarantee?{query}", headers=HTML).status_code == 422, query


def test_another_enterprise_gets_403_and_sees_only_its_own(client, db):
    agent = _agent_with_bills(db)
    outsider = make_enterprise(db, name_zh="别家企业")
    _clerk(client, db, outsider.id)
    assert client.get(f"/tax/guarantee?agent={agent.id}", headers=HTML).status_code == 403
    assert client.get(f"/tax/guarantee?agent={agent.id}").status_code == 403  # as the API answers
    own = client.get("/tax/guarantee", headers=HTML)
    assert own.status_code == 200
    # no guarantee opened yet: a sentence saying so, and who opens it
    assert "别家企业 尚未开立税款担保" in own.text and "综试区平台运营方开立" in own.text
    assert "973.50" not in own.text and "BG-2026-001" not in own.text
    assert client.get(f"/tax/guarantee?agent={outsider.id}", headers=HTML).status_code == 200


@pytest.mark.parametrize("role", [Role.zone_operator, Role.commerce_supervisor, Role.customs_officer])
def test_zone_wide_roles_list_every_guarantee_and_pick_one(client, db, role):
    agent = _agent_with_bills(db)
    other = make_enterprise(db, name_zh="第二代理公司")
    service.open_guarantee(session=db, agent_enterprise_id=other.id, actor="t", guarantee_no="BG-2")
    user, password = make_zone_user(db, role=role)
    db.commit()
    login(client, user.username, password)
    listed = client.get("/tax/guarantee", headers=HTML).text
    assert f'href="/tax/guarantee?agent={agent.id}"' in listed and f'href="/tax/guarantee?agent={other.id}"' in listed
    assert "BG-2026-001" in listed and "973.50" in listed and 'id="balance"' not in listed
    picked = client.get(f"/tax/guarantee?agent={agent.id}", headers=HTML).text
    assert _dd(picked, "balance") == "973.50" and _rows(picked, "data-tax-no") == ["T3", "T2", "T1"]
    assert f"agent={agent.id}&amp;month=" in picked  # the month links keep the chosen agent
    assert f'name="agent" value="{agent.id}"' in picked
    assert _dd(client.get(f"/tax/guarantee?agent={other.id}", headers=HTML).text, "balance") == "0.00"
    nobody = make_enterprise(db, name_zh="无担保企业")
    db.commit()
    assert "无担保企业 尚未开立税款担保" in client.get(f"/tax/guarantee?agent={nobody.id}", headers=HTML).text


def test_a_zone_without_guarantees_says_so(client, db):
    user, password = make_zone_user(db, role=Role.commerce_supervisor)
    db.commit()
    login(client, user.username, password)
    assert "本综试区尚未开立任何税款担保" in client.get("/tax/guarantee", headers=HTML).text


def test_not_logged_in_is_sent_to_the_login_page(client):
    r = client.get("/tax/guarantee", headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/tax/guarantee"
    assert client.get("/tax/guarantee", follow_redirects=False).status_code == 401
    assert 'href="/tax/guarantee"' not in client.get("/", headers=HTML).text  # no link for visitors


@pytest.mark.parametrize(("lang", "heading", "status"), [
    (None, "税款担保与电子税单", "已汇总"),
    ("zh_Hans", "税款担保与电子税单", "已汇总"),
    ("en", "Tax guarantee and e-tax bills", "Summarised for payment"),
    ("ru", "Налоговое обеспечение и электронные налоговые счета", "Сведён для уплаты"),
    ("mn", "Татварын баталгаа ба цахим татварын хуудас", "Төлбөрт нэгтгэсэн"),
    ("mn_Mong", "税款担保与电子税单", "已汇总"),  # the traditional script shows Chinese where it has no words yet
])
def test_the_page_speaks_each_language(client, db, lang, heading, status):
    agent = _agent_with_bills(db)
    _clerk(client, db, agent.id)
    r = client.get("/tax/guarantee", params={"lang": lang} if lang else {}, headers=HTML)
    assert r.status_code == 200
    assert f"<h1>{heading}</h1>" in r.text
    assert _row(r.text, "data-tax-no", "T2")[3].startswith(status)


def test_the_page_shows_bills_waiting_for_cover_and_paid_forms(client, db):
    """A bill the balance could not cover shows as waiting; a paid payment form shows its due date, payment and
    the late surcharge (R1.14: due 15 days after the summary, 0.05 % a day): 26.50 summarised 20 days ago,
    paid 2 days ago → 3 days late → 26.50 × 0.0005 × 3 = 0.03975 → 0.04."""
    agent = _agent_with_bills(db)  # balance 2,000.00 − 13.00 − 26.50 − 1,000.00 + 13.00 (T1 void) = 973.50
    assert service.apply_tax_bills(session=db, bills=[CustomsBill(_bill("T4", "990.00"), agent.id, "INVT004")]) \
        == ["insufficient"]
    today = service._today()
    db.query(TaxBill).filter(TaxBill.tax_no == "T2").update(
        {"summarised_on": today - timedelta(days=20)})
    service.record_payment(session=db, agent_enterprise_id=agent.id, ent_duty_no="JK2026001", amount=Decimal("26.50"),
                           paid_on=today - timedelta(days=2), reference="BANK-9", actor="t")
    # 973.50 + 26.50 given back = 1,000.00 → covers T4 (990.00) → 10.00
    _clerk(client, db, agent.id)
    html = client.get("/tax/guarantee", headers={**HTML, "Accept-Language": "en"}).text
    assert _dd(html, "balance") == "10.00" and _dd(html, "uncovered") == "0"
    assert _row(html, "data-form", "JK2026001") == [
        "JK2026001", "1", "26.50", (today - timedelta(days=20)).isoformat(), (today - timedelta(days=5)).isoformat(),
        (today - timedelta(days=2)).isoformat(), "3", "0.04"]
    assert 'data-paid="' in html and 'data-uncovered="1"' not in html
    assert _dd(html, "paid") == "1 · 26.50"


def test_the_page_shows_a_bill_waiting_for_cover(client, db):
    agent = _agent_with_bills(db)  # balance 973.50
    service.apply_tax_bills(session=db, bills=[CustomsBill(_bill("T5", "1500.00"), agent.id, "INVT005")])
    _clerk(client, db, agent.id)
    html = client.get("/tax/guarantee", headers=HTML).text  # Chinese by default
    assert _dd(html, "uncovered") == "1 1500.00"
    assert 'data-uncovered="1"' in html and "担保余额不足，待扣减" in html
    assert 'data-alert="uncovered_bills"' in html


def test_customs_records_a_top_up_and_a_payment_on_the_page(client, db):
    """The forms of the page do what the API does: a bad amount comes back on the page with its field, a
    payment of the wrong amount names the form's tax, and the right one gives the guarantee back."""
    from tests.accounts.fixtures import csrf_token

    agent = _agent_with_bills(db)  # balance 973.50; JK2026001 holds T2 (26.50)
    officer, password = make_zone_user(db, Role.customs_officer, username="page-recorder")
    db.commit()
    login(client, officer.username, password)
    page = f"/tax/guarantee?agent={agent.id}"
    html = client.get(page, headers=HTML).text
    assert 'id="top-up-form"' in html and 'id="payment-form"' in html
    token = csrf_token(client, page)
    r = client.post(f"/tax/guarantee/{agent.id}/top-ups", data={"amount": "12.345", "reference": "TU-P",
                                                                  "csrf_token": token}, headers=HTML)
    assert r.status_code == 422 and 'data-path="amount"' in r.text
    r = client.post(f"/tax/guarantee/{agent.id}/top-ups", data={"amount": "26.50", "reference": "TU-P",
                                                                  "csrf_token": token}, headers=HTML,
                    follow_redirects=False)
    assert r.status_code == 303 and "done=top_up" in r.headers["location"]
    assert service.guarantee(session=db, agent_enterprise_id=agent.id).balance == Decimal("1000.00")
    today = service._today().isoformat()
    body = {"ent_duty_no": "JK2026001", "amount": "26.00", "paid_on": today, "reference": "BANK-P",
            "csrf_token": token}
    r = client.post(f"/tax/guarantee/{agent.id}/payments", data=body, headers=HTML)
    assert r.status_code == 422 and "缴款书税额为 26.50 元，缴款金额须与之相等" in r.text and 'data-path="amount"' in r.text
    r = client.post(f"/tax/guarantee/{agent.id}/payments", data={**body, "paid_on": "2026-13-01"}, headers=HTML)
    assert r.status_code == 422 and 'data-path="paid_on"' in r.text
    r = client.post(f"/tax/guarantee/{agent.id}/payments", data={**body, "amount": "26.50"}, headers=HTML,
                    follow_redirects=False)
    assert r.status_code == 303
    # 1,000.00 + 26.50 given back by the paid form
    assert service.guarantee(session=db, agent_enterprise_id=agent.id).balance == Decimal("1026.50")
    done = client.get(r.headers["location"], headers=HTML).text
    assert 'id="done"' in done and "缴款已记录" in done


def test_the_agent_itself_cannot_record_on_its_guarantee(client, db):
    from tests.accounts.fixtures import csrf_token

    agent = _agent_with_bills(db)
    _clerk(client, db, agent.id)
    html = client.get("/tax/guarantee", headers=HTML).text
    assert 'id="top-up-form"' not in html
    r = client.post(f"/tax/guarantee/{agent.id}/top-ups", data={"amount": "1.00", "reference": "X",
                                                                  "csrf_token": csrf_token(client, "/tax/guarantee")},
                    headers=HTML)
    assert r.status_code == 403
    assert service.guarantee(session=db, agent_enterprise_id=agent.id).balance == Decimal("973.50")
