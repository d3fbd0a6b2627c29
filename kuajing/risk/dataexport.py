"""Personal data leaving China (个人信息出境): the transfer log, the yearly counts and the threshold alerts.

Every transfer is logged with its legal basis (PIPL Art. 38/39; CAC Order 16). Transfers necessary to perform
a contract with the individual (cross-border shopping, delivery, payment), cross-border HR management and
emergencies are exempt (CAC Order 16 Art. 5) but logged all the same. The non-exempt transfers count, per
calendar year (Asia/Shanghai) since 1 January, the distinct individuals — sensitive and non-sensitive apart —
against the thresholds ``pi.*`` of rules.json (R11.5); an alert is raised at the warning share
(``pi.warning_ratio``) and again when a threshold is reached. Individuals are stored as keyed hashes only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuajing.audit.service import record as audit
from kuajing.db.base import utcnow
from kuajing.db.types import blind_index
from kuajing.errors import AppError, FieldIssue, validation_error
from kuajing.risk import calc, errors
from kuajing.risk.choices import (
    DATA_CATEGORIES,
    EXEMPT_BASES,
    NEVER_CONTRACT_NECESSARY,
    SENSITIVE_CATEGORIES,
    LegalBasis,
    RuleCode,
    SubjectKind,
)
from kuajing.risk.models import Alert, DataTransfer, DataTransferSubject
from kuajing.risk.service import local_date, raise_alert
from kuajing.rules.errors import RuleError
from kuajing.rules.service import rule

STREAM = "risk:data-export"
RULE_NAMES = {"contract_nonsensitive_ge": "pi.exempt_nonsensitive_lt",
              "assessment_nonsensitive_ge": "pi.assessment_nonsensitive_ge",
              "assessment_sensitive_ge": "pi.assessment_sensitive_ge",
              "warning_ratio": "pi.warning_ratio"}


def limits(year: int) -> tuple[calc.ExportThresholds, dict[str, str]]:
    """The thresholds in force on 31 December of ``year`` (or today for the current year) with citations."""
    today = local_date(utcnow())
    on = date(year, 12, 31) if year < today.year else today if year == today.year else date(year, 1, 1)
    values, cites = {}, {}
    try:
        for field, name in RULE_NAMES.items():
            found = rule(name, on)
            values[field], cites[name] = found.value, found.citation
    except AppError as exc:
        if exc.code == RuleError.NOT_IN_FORCE:
            raise errors.thresholds_not_in_force(year) from exc
        raise
    return calc.ExportThresholds(**values), cites


def _snapshot(t: DataTransfer) -> dict[str, Any]:
    return {"id": t.id, "reference": t.reference, "recipient": t.recipient, "country": t.country,
            "categories": t.categories, "sensitive": t.sensitive, "legal_basis": t.legal_basis, "exempt": t.exempt,
            "individuals": t.individuals, "year": t.year}


#: the days a transfer may be dated, as every year parameter of the platform (0001-01-01 or 9999-12-31 is a
#: typing error, not a transfer)
FIRST_TRANSFER, LAST_TRANSFER = date(2000, 1, 1), date(2100, 12, 31)


def record_transfer(*, session: Session, reference: str, recipient: str, country: str, categories: list[str],
                    legal_basis: str, purpose: str, individuals: list[str], actor: str,
                    transferred_at: datetime | None = None, sensitive: bool | None = None,
                    enterprise_id: int | None = None) -> DataTransfer:
    """Log one transfer abroad; ``individuals`` are ID numbers or phones (hashed here, never stored in
    clear). Sensitive when a sensitive category is carried (or said so). The same reference with the same
    content returns the first record; with other content it is refused."""
    missing = [FieldIssue("field_required", path, "This field is required.")
               for path, value in (("reference", reference), ("recipient", recipient), ("country", country),
                                   ("purpose", purpose)) if not (value or "").strip()]
    if missing:
        raise validation_error(missing)
    if legal_basis not in LegalBasis.__members__:
        raise errors.transfer_bad_basis(legal_basis)
    for i, cat in enumerate(categories, start=1):
        if cat not in DATA_CATEGORIES:
            raise errors.transfer_bad_category(cat, i)
    people = sorted({blind_index(p) for p in individuals if p and p.strip()})
    if not people:
        raise errors.transfer_no_individuals()
    at = transferred_at or utcnow()
    if at.tzinfo is None or not FIRST_TRANSFER <= local_date(at) <= LAST_TRANSFER:
        raise errors.transfer_bad_date(transferred_at, FIRST_TRANSFER, LAST_TRANSFER)
    is_sensitive = bool(sensitive) or bool(set(categories) & SENSITIVE_CATEGORIES)
    # an ID number is never what a contract with the buyer needs abroad (R11.6: share only consignee name,
    # address, phone; do not send ID numbers abroad): under contract necessity it is not exempt, it counts
    exempt = legal_basis in EXEMPT_BASES and not (legal_basis == LegalBasis.contract_necessity
                                                  and NEVER_CONTRACT_NECESSARY & set(categories))
    year = local_date(at).year
    found = session.scalar(select(DataTransfer).where(DataTransfer.reference == reference))
    if found is not None:
        same = (found.recipient, found.country, sorted(found.categories), found.legal_basis, found.individuals) == (
            recipient, country, sorted(categories), legal_basis, len(people))
        if not same:
            raise errors.transfer_reference_reused(reference)
        return found
    transfer = DataTransfer(reference=reference, transferred_at=at, year=year, recipient=recipient, country=country,
                            categories=list(categories), sensitive=is_sensitive, legal_basis=legal_basis,
                            exempt=exempt, purpose=purpose, individuals=len(people), enterprise_id=enterprise_id,
                            recorded_by=actor)
    session.add(transfer)
    session.flush()
    session.add_all([DataTransferSubject(transfer_id=transfer.id, person_index=p, year=year, sensitive=is_sensitive,
                                         exempt=exempt) for p in people])
    session.flush()
    audit(session=session, action="risk:data-transfer:record", stream=STREAM, actor=actor,
          subject_id=str(transfer.id), after=_snapshot(transfer))
    if not exempt:
        check_thresholds(session=session, year=year)
    return transfer


def counts(*, session: Session, year: int) -> tuple[int, int]:
    """(non-sensitive, sensitive) distinct individuals of the year's non-exempt transfers."""
    def distinct(sensitive: bool) -> int:
        return session.scalar(select(func.count(func.distinct(DataTransferSubject.person_index))).where(
            DataTransferSubject.year == year, DataTransferSubject.exempt.is_(False),
            DataTransferSubject.sensitive.is_(sensitive))) or 0

    return distinct(False), distinct(True)


def check_thresholds(*, session: Session, year: int) -> list[Alert]:
    """Raise the alerts the year's counts call for: once per (threshold, level) and year."""
    try:
        limit, _cites = limits(year)
    except AppError:
        return []
    plain, sens = counts(session=session, year=year)
    raised = []
    for row in calc.threshold_status(non_sensitive=plain, sensitive=sens, limits=limit):
        if row.level == "ok":
            continue
        alert = raise_alert(session=session, rule_code=RuleCode.data_export_threshold, subject_kind=SubjectKind.zone,
                            subject_key=f"data-export:{row.name}", subject_display=row.name,
                            window_key=f"{year}:{row.level}",
                            details={"year": year, "threshold": row.name, "count": row.count,
                                     "limit": row.threshold, "warn_at": row.warn_at, "level": row.level},
                            references=[])
        if alert is not None:
            raised.append(alert)
    return raised


def year_summary(*, session: Session, year: int) -> dict[str, Any]:
    """The contract of ``GET /api/v1/data-export/summary``: transfers, counts, thresholds, alerts."""
    limit, cites = limits(year)
    plain, sens = counts(session=session, year=year)
    transfers = session.scalar(select(func.count()).select_from(DataTransfer).where(DataTransfer.year == year)) or 0
    exempt = session.scalar(select(func.count()).select_from(DataTransfer).where(
        DataTransfer.year == year, DataTransfer.exempt.is_(True))) or 0
    rows = calc.threshold_status(non_sensitive=plain, sensitive=sens, limits=limit)
    alerts = session.scalars(select(Alert).where(Alert.rule == RuleCode.data_export_threshold,
                                                 Alert.window_key.like(f"{year}:%")).order_by(Alert.opened_at.desc()))
    return {
        "year": year, "transfers": int(transfers), "transfers_exempt": int(exempt),
        "individuals_non_exempt": int(plain), "individuals_sensitive": int(sens),
        "route": calc.required_route(non_sensitive=plain, sensitive=sens, limits=limit),
        "thresholds": {
            **{r.name: {"count": r.count, "threshold": r.threshold, "warn_at": r.warn_at, "level": r.level}
               for r in rows},
            "warning_ratio": format(limit.warning_ratio, "f"), "citations": cites},
        "alerts": [{"id": a.id, "threshold": a.details.get("threshold"), "level": a.details.get("level"),
                    "count": a.details.get("count"), "status": a.status, "opened_at": a.opened_at.isoformat()}
                   for a in alerts],
    }


def transfers(*, session: Session, year: int, limit: int = 100, offset: int = 0) -> tuple[list[DataTransfer], int]:
    """The year's log, newest first, and its size."""
    total = session.scalar(select(func.count()).select_from(DataTransfer).where(DataTransfer.year == year)) or 0
    rows = session.scalars(select(DataTransfer).where(DataTransfer.year == year)
                           .order_by(DataTransfer.transferred_at.desc(), DataTransfer.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def transfer_json(t: DataTransfer) -> dict[str, Any]:
    """A logged transfer as JSON (no individual identifiers)."""
    return {**_snapshot(t), "purpose": t.purpose, "transferred_at": t.transferred_at.isoformat(),
            "recorded_by": t.recorded_by, "enterprise_id": t.enterprise_id}
