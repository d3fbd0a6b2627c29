"""The FX and rebate pages through their main flows (forms with CSRF, problems shown in place)."""

from __future__ import annotations

from sqlalchemy import func, select

from kuajing.fx.models import FxAdvance, FxConsent, FxProceeds
from kuajing.rebate.models import RebateClaim
from tests.enterprises.helpers import login, make_enterprise, make_user
from tests.fx.helpers import exporter, shipment


def _who(db, user_id):
    s = login(db, user_id=user_id)
    db.commit()
    return s


def _post(client, who, url, data):
    client.cookies.clear()
    return client.post(url, data={**data, "csrf_token": who.csrf}, cookies=who.cookies, follow_redirects=False)


def _get(client, who, url):
    client.cookies.clear()
    return client.get(url, cookies=who.cookies)


def test_proceeds_settlement_advances_consents_and_bank_pages(client, db):
    ent, user = exporter(db, 8501)
    _o, inv = shipment(db, ent, order_no="EX-PG-1", value="100000", ie_date="20251010")
    bank = make_enterprise(db, status="approved", n=8502, name_zh="中国银行包头分行", roles=["finance"])
    banker = make_user(db, username="page-banker", roles=["bank_insurer"], enterprise_id=bank.id)
    db.commit()
    me = _who(db, user)
    page = _get(client, me, "/fx")
    assert page.status_code == 200
    assert 'action="/fx/proceeds"' in page.text and "/api/v1/fx/proceeds/template.xlsx" in page.text
    bad = _post(client, me, "/fx/proceeds", {"bank_name": "中国银行", "bank_reference": "PG-1", "received_on": "2025-11-20",
                                             "currency": "USD", "actual_amount": "abc", "payer_name": "Buyer"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "actual_amount" in bad.text
    ok = _post(client, me, "/fx/proceeds", {"bank_name": "中国银行", "bank_reference": "PG-1", "received_on": "2025-11-20",
                                            "currency": "USD", "actual_amount": "88000", "payer_name": "Buyer",
                                            "fee_storage": "5000", "fee_logistics": "4000", "fee_tax": "3000",
                                            "reference": inv.invt_no, "allocated": "100000"})
    assert ok.status_code == 303, ok.text
    row = db.scalars(select(FxProceeds)).one()
    assert (row.export_amount, row.service_amount, row.tax_amount) == (100000, 9000, 3000)
    listing = _get(client, me, "/fx").text
    assert "100000.00" in listing and "88000.00" in listing
    s = _get(client, me, "/fx/settlements")
    assert s.status_code == 200 and f'data-list="{inv.id}"' in s.text and 'data-ageing="normal"' in s.text
    # advances: record a 13-month affiliated advance, generate its report
    r = _post(client, me, "/fx/advances", {"advancer_kind": "logistics", "client_name": "海外子公司", "affiliated": "yes",
                                           "purpose": "storage", "currency": "USD", "amount": "3000",
                                           "advanced_on": "2025-01-15", "repaid_on": "2026-02-15"})
    assert r.status_code == 303, r.text
    adv = db.scalars(select(FxAdvance)).one()
    page = _get(client, me, "/fx/advances").text
    assert 'data-duty="yes"' in page
    report = _post(client, me, f"/fx/advances/{adv.id}/report", {})
    assert report.status_code == 200 and 'data-required="yes"' in report.text and "over_max_term" in report.text
    # consents: grant to the bank, the bank sees the receipt, revoke, it does not
    r = _post(client, me, "/fx/consents", {"bank_enterprise_id": str(bank.id)})
    assert r.status_code == 303, r.text
    bank_user = _who(db, banker)
    assert f'data-proceeds="{row.id}"' in _get(client, bank_user, "/fx/bank").text
    consent = db.scalars(select(FxConsent)).one()
    assert _post(client, me, f"/fx/consents/{consent.id}/revoke", {}).status_code == 303
    assert f'data-proceeds="{row.id}"' not in _get(client, bank_user, "/fx/bank").text
    assert _get(client, me, "/fx/bank").status_code == 403  # an enterprise user is no bank


def test_excel_upload_page_shows_progress(client, db):
    from tests.fx.test_excel import receipt, workbook

    ent, user = exporter(db, 8503)
    me = _who(db, user)
    client.cookies.clear()
    r = client.post("/fx/proceeds/excel", data={"csrf_token": me.csrf}, cookies=me.cookies, follow_redirects=False,
                    files={"file": ("p.xlsx", workbook([receipt("XL-P-1"), receipt("XL-P-2", actualAmount="x")]),
                                    "application/octet-stream")})
    assert r.status_code == 303 and r.headers["location"].startswith("/fx/imports/"), r.text
    page = _get(client, me, r.headers["location"])
    assert page.status_code == 200 and 'data-status="done"' in page.text and "imports_excel_not_a_number" in page.text
    assert db.scalar(select(func.count()).select_from(FxProceeds)) == 1


def test_rebate_page_records_a_class_and_a_claim(client, db):
    ent, user = exporter(db, 8504)
    me = _who(db, user)
    r = _post(client, me, "/rebate/claims", {"claim_no": "P1", "accepted_on": "2025-09-26", "amount": "100"})
    assert r.status_code == 422 and 'role="alert"' in r.text  # no class in force yet
    assert _post(client, me, "/rebate/classes", {"rebate_class": "2", "valid_from": "2025-01-01"}).status_code == 303
    assert _post(client, me, "/rebate/claims", {"claim_no": "P1", "accepted_on": "2025-09-26",
                                                "amount": "100"}).status_code == 303
    page = _get(client, me, "/rebate").text
    claim = db.scalars(select(RebateClaim)).one()
    assert f'data-claim="{claim.id}"' in page and "2025-10-16" in page  # 10 working days over National Day 2025


def test_zone_wide_users_choose_the_enterprise_on_the_fx_pages(client, db):
    # a zone operator (zone-wide) used to get "enterprise_id: This field is required." on every FX page and form
    ent, _user = exporter(db, 8511)
    _o, inv = shipment(db, ent, order_no="EX-ZW-1", value="1000", ie_date="20251010")
    operator = make_user(db, username="fx-zone-operator", roles=["zone_operator"])
    db.commit()
    op = _who(db, operator)
    choose = _get(client, op, "/fx/settlements")
    assert choose.status_code == 200 and 'role="alert"' not in choose.text
    assert f'<option value="{ent.id}"' in choose.text and f'data-list="{inv.id}"' not in choose.text
    lists = _get(client, op, f"/fx/settlements?enterprise_id={ent.id}")
    assert lists.status_code == 200 and f'data-list="{inv.id}"' in lists.text
    assert f"flagged=true&amp;enterprise_id={ent.id}" in lists.text  # the filter link keeps the choice
    assert f'<option value="{ent.id}" selected>' in lists.text  # and the chooser shows it
    assert _get(client, op, "/fx/settlements?enterprise_id=99999999999999999999").status_code == 422  # not a 500
    form = _get(client, op, "/fx").text
    assert 'name="enterprise_id"' in form
    ok = _post(client, op, "/fx/proceeds", {"enterprise_id": str(ent.id), "bank_name": "中国银行",
                                            "bank_reference": "ZW-1", "received_on": "2025-11-20", "currency": "USD",
                                            "actual_amount": "1000", "payer_name": "Buyer"})
    assert ok.status_code == 303, ok.text
    assert db.scalars(select(FxProceeds.enterprise_id)).one() == ent.id
    bop = _get(client, op, "/api/v1/fx/bop-report")
    assert bop.status_code == 200, bop.text  # the zone's figures, every enterprise
