"""The personal-data export log (数据出境, CAC Order 16 / R11.5): exempt transfers logged but not counted,
distinct individuals per calendar year, sensitive apart, alerts at the warning share and at the threshold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from kuajing.audit.models import AuditEvent
from kuajing.errors import AppError
from kuajing.risk import calc, dataexport
from kuajing.risk.models import Alert, DataTransferSubject

AT = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)


def log(db, ref, people, *, basis="standard_contract", categories=("name", "phone", "address"), at=AT):
    return dataexport.record_transfer(session=db, reference=ref, recipient="Hamburg Fulfilment GmbH", country="304",
                                      categories=list(categories), legal_basis=basis, purpose="海外仓配送",
                                      individuals=people, actor="user:op", transferred_at=at)


def test_thresholds_are_the_cac_rules_in_force_with_citations():
    limits, cites = dataexport.limits(2026)
    assert (limits.contract_nonsensitive_ge, limits.assessment_nonsensitive_ge, limits.assessment_sensitive_ge) == (
        100_000, 1_000_000, 10_000)
    assert limits.warning_ratio == Decimal("0.80")
    assert "CAC Order 16" in cites["pi.assessment_sensitive_ge"]
    with pytest.raises(AppError) as before:
        dataexport.limits(2023)  # CAC Order 16 is in force from 2024-03-22; earlier rules are not modelled
    assert before.value.code == "data_export_thresholds_not_in_force"


def test_exempt_transfers_are_logged_not_counted_and_people_count_once(db):
    log(db, "T1", ["13900000001", "13900000002"], basis="contract_necessity")  # shopping/delivery: exempt
    log(db, "T2", ["13900000001", "13900000003"])
    log(db, "T3", ["13900000003", " 13900000004 "])
    log(db, "T4", ["150203199001051234"], categories=("name", "id_number"))  # sensitive
    log(db, "T5", ["13900000003"], categories=("payment",))  # sensitive: the same person counts in both columns
    assert dataexport.counts(session=db, year=2026) == (3, 2)
    s = dataexport.year_summary(session=db, year=2026)
    assert (s["year"], s["transfers"], s["transfers_exempt"]) == (2026, 5, 1)
    assert (s["individuals_non_exempt"], s["individuals_sensitive"]) == (3, 2)
    assert s["route"] == "standard_contract"  # any sensitive PI below 10,000: standard contract
    assert s["thresholds"]["contract_nonsensitive"] == {"count": 3, "threshold": 100_000, "warn_at": 80_000,
                                                        "level": "ok"}
    stored = db.scalars(select(DataTransferSubject.person_index)).all()
    assert all(len(p) == 64 and not p.isdigit() for p in stored)  # keyed hashes only
    assert db.scalars(select(AuditEvent.action).where(AuditEvent.stream == "risk:data-export")).all() == [
        "risk:data-transfer:record"] * 5


def test_years_are_counted_apart(db):
    log(db, "Y1", ["13900000001"], at=datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 Shanghai 31 Dec
    log(db, "Y2", ["13900000001"], at=datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 00:00 Shanghai 1 Jan 2027
    assert dataexport.counts(session=db, year=2026) == (1, 0)
    assert dataexport.counts(session=db, year=2027) == (1, 0)


def test_same_reference_is_idempotent_other_content_refused(db):
    first = log(db, "R1", ["13900000001"])
    assert log(db, "R1", ["13900000001"]).id == first.id
    with pytest.raises(AppError) as reused:
        log(db, "R1", ["13900000001", "13900000002"])
    assert reused.value.code == "data_export_reference_reused"
    with pytest.raises(AppError) as basis:
        log(db, "R2", ["1"], basis="consent")
    assert basis.value.code == "data_export_bad_basis"
    with pytest.raises(AppError) as nobody:
        log(db, "R3", ["  "])
    assert nobody.value.code == "data_export_no_individuals"


def test_alerts_at_the_warning_share_then_at_the_threshold(db, monkeypatch):
    # the counting and alerting with small hand-built thresholds (the real ones are checked above and in test_calc)
    small = calc.ExportThresholds(contract_nonsensitive_ge=5, assessment_nonsensitive_ge=50,
                                  assessment_sensitive_ge=3, warning_ratio=Decimal("0.80"))
    monkeypatch.setattr(dataexport, "limits", lambda year: (small, {}))
    log(db, "A1", [f"1390000000{k}" for k in range(3)])  # 3 < warn_at 4
    assert db.scalars(select(Alert)).all() == []
    log(db, "A2", ["13900000003"])  # 4 = ceil(5 × 0.8): warning
    assert [(a.details["threshold"], a.details["level"]) for a in db.scalars(select(Alert))] == [
        ("contract_nonsensitive", "warning")]
    log(db, "A3", ["13900000004"])  # 5: reached
    log(db, "A4", ["13900000004"])  # same person again: no new alert
    got = [(a.details["threshold"], a.details["level"], a.window_key) for a in db.scalars(select(Alert).order_by(Alert.id))]
    assert got == [("contract_nonsensitive", "warning", "2026:warning"),
                   ("contract_nonsensitive", "reached", "2026:reached")]
    log(db, "A5", ["150203199001051234", "150203199001071235", "150203199001091236"], categories=("id_number",))
    # straight from 0 to 3 sensitive: the threshold is reached at once, so only that alert is raised
    levels = [(a.details["threshold"], a.details["level"]) for a in db.scalars(select(Alert).order_by(Alert.id))]
    assert levels[2:] == [("assessment_sensitive", "reached")]
    summary = dataexport.year_summary(session=db, year=2026)
    assert len(summary["alerts"]) == 3 and summary["route"] == "security_assessment"


def test_exempt_transfers_never_alert(db, monkeypatch):
    small = calc.ExportThresholds(contract_nonsensitive_ge=1, assessment_nonsensitive_ge=2,
                                  assessment_sensitive_ge=1, warning_ratio=Decimal("0.5"))
    monkeypatch.setattr(dataexport, "limits", lambda year: (small, {}))
    # payment data is sensitive and what paying needs: exempt under contract necessity, so never counted
    log(db, "E1", ["13900000001", "13900000002"], basis="contract_necessity", categories=("payment",))
    assert db.scalars(select(Alert)).all() == []


def test_an_id_number_under_contract_necessity_is_not_exempt(db):
    # R11.6: abroad, a contract with the buyer needs the consignee's name, address and phone, never the ID number
    # ("do not send ID numbers abroad"): such a transfer is logged and counted (sensitive), not exempt
    log(db, "C1", ["13900000001"], basis="contract_necessity")  # name, phone, address: exempt
    sent = log(db, "C2", ["150203199001051234"], basis="contract_necessity", categories=("name", "id_number"))
    assert sent.exempt is False and sent.sensitive is True
    assert dataexport.counts(session=db, year=2026) == (0, 1)
    assert dataexport.year_summary(session=db, year=2026)["transfers_exempt"] == 1


@pytest.mark.parametrize("at", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC),
                                datetime(2026, 5, 1, 4, 0)])  # the last without a time zone
def test_a_transfer_date_no_one_meant_is_refused_on_its_field(db, at):
    with pytest.raises(AppError) as bad:
        log(db, "D1", ["13900000001"], at=at)
    assert bad.value.code == "data_export_bad_date" and bad.value.errors[0].path == "transferred_at"
    assert db.scalars(select(DataTransferSubject)).all() == []
