"""Monthly summary (汇总申报 / 汇总统计), the no-invoice register (无票免税) and the CIT estimate (核定征收).

Entry point from the export pipeline: :func:`register_released_list` — called in the transaction that
releases an export list (CEB603 → 399/800) with its lines as :class:`calc.ReleasedExportLine`. It keeps a
snapshot of each line for the monthly summary and writes the six register fields of each 9610 line of a
zone enterprise, exactly once (a replayed release changes nothing). Services take keyword arguments and
never commit.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.db.base import utcnow
from kuajing.errors import AppError
from kuajing.export_summary import calc, errors
from kuajing.export_summary.calc import ReleasedExportLine
from kuajing.export_summary.choices import ApplicationStatus, EntryKind, SummaryMode
from kuajing.export_summary.models import (
    RegisterEntry,
    ReleasedLine,
    SummaryApplication,
    SummaryApplicationLine,
    SummaryModeSetting,
    SummaryReminder,
)
from kuajing.i18n import lazy
from kuajing.rules import rule

ACTOR = "system:export-summary"
EXCLUDED_GOODS_FILE = Path(__file__).parent / "excluded_goods.csv"
DEFAULT_REMINDER_DAYS = (5, 1)  # working days before the deadline

_LINE_FIELDS = ("list_no", "gnum", "released_at", "enterprise_id", "consignor", "consignor_name", "transport_mode",
                "producer_seller", "arrival_country", "exit_customs", "final_destination", "hs_code", "currency",
                "statistics_flag", "trade_mode", "declare_customs", "agent_code", "agent_name", "goods_name", "unit",
                "quantity", "unit_price", "amount", "logistics_no", "item_no", "zone_enterprise")


def parse_month(value: str | date, path: str = "month") -> date:
    """``2026-01`` → date(2026, 1, 1) (raises the 422 ``export_summary_bad_month``)."""
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise errors.bad_month(text, path)
    try:
        first = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise errors.bad_month(text, path) from None
    if not 2000 <= first.year <= 2100:
        raise errors.bad_month(text, path)
    return first


def month_label(first: date) -> str:
    """date(2026, 1, 1) → ``2026-01``."""
    return first.strftime("%Y-%m")


# --- zone configuration ---------------------------------------------------------------------------


def zone_city(zone_name_zh: str) -> str:
    """The zone's city from its official name: 中国（包头）跨境电子商务综合试验区 → 包头."""
    found = re.search(r"[（(]([^）)]+)[）)]", zone_name_zh or "")
    return found.group(1) if found else ""


def zone_customs(city: str) -> frozenset[str]:
    """The customs offices of the zone's city (关区代码 whose Chinese name starts with the city name)."""
    from kuajing.ceb.codes import table

    if not city:
        return frozenset()
    return frozenset(e.code for e in table("customs_office") if e.name_zh.startswith(city))


@cache
def excluded_goods(path: Path = EXCLUDED_GOODS_FILE) -> tuple[calc.ExcludedGoods, ...]:
    """The excluded goods list (data file beside this module; see docs/export-summary.md)."""
    rows = csv.DictReader(line for line in path.read_text(encoding="utf-8").splitlines()
                          if line.strip() and not line.startswith("#"))
    return tuple(calc.ExcludedGoods(
        hs_prefix=r["hs_prefix"].strip(), valid_from=date.fromisoformat(r["valid_from"].strip()),
        valid_to=date.fromisoformat(r["valid_to"].strip()) if (r.get("valid_to") or "").strip() else None,
        name=r["name"].strip(), reason=r["reason"].strip(), source=r["source"].strip()) for r in rows)


@dataclass(frozen=True)
class ZoneConfig:
    """What the eligibility check needs to know about the zone."""

    customs: frozenset[str]
    excluded: tuple[calc.ExcludedGoods, ...]

    @classmethod
    def for_zone(cls, zone_name_zh: str) -> ZoneConfig:
        """The configuration of the zone named ``zone_name_zh`` (settings.zone_name_zh)."""
        return cls(customs=zone_customs(zone_city(zone_name_zh)), excluded=excluded_goods())


DEFAULT_ZONE = "中国（包头）跨境电子商务综合试验区"


def is_zone_enterprise(session: Session, enterprise_ids: set[int]) -> dict[int, bool]:
    """Whether each enterprise is filed with the zone (备案状态 approved)."""
    from kuajing.enterprises.models import Enterprise

    if not enterprise_ids:
        return {}
    rows = session.execute(select(Enterprise.id, Enterprise.status).where(Enterprise.id.in_(enterprise_ids))).all()
    found = {r.id: r.status == "approved" for r in rows}
    return {i: found.get(i, False) for i in enterprise_ids}


# --- release hook: snapshot + register ---------------------------------------------------------------


@dataclass
class RegisterResult:
    """What one call of :func:`register_released_list` wrote."""

    new_lines: int = 0
    known_lines: int = 0  # already registered (a replay)
    entries: list[RegisterEntry] = field(default_factory=list)
    not_registered: list[tuple[str, int, str]] = field(default_factory=list)  # (list_no, gnum, reason)


def eligibility_reasons(*, zone_enterprise: bool, declare_customs: str, exit_customs: str, hs_code: str, on: date,
                        config: ZoneConfig) -> list[str]:
    """Why a line exported on ``on`` does not qualify for 无票免税 (empty: it does): the three conditions of
    财税〔2018〕103号 (calc.eligibility) and the exemption in force on the export date (from 2018-10-01, rule
    ``export.no_invoice_vat_exemption``). The register at release and the eligibility API both use it."""
    reasons = calc.eligibility(zone_enterprise=zone_enterprise, declare_customs=declare_customs,
                               exit_customs=exit_customs, hs_code=hs_code, on=on,
                               zone_customs=config.customs, excluded=config.excluded)
    try:
        in_force = rule("export.no_invoice_vat_exemption", on=on).value
    except AppError:
        in_force = False
    if not in_force:
        reasons.append("rule_not_in_force")
    return reasons


def _eligibility(line: ReleasedExportLine | RegisterEntry, *, zone_enterprise: bool, on: date,
                 config: ZoneConfig) -> list[str]:
    return eligibility_reasons(zone_enterprise=zone_enterprise, declare_customs=line.declare_customs,
                               exit_customs=line.exit_customs, hs_code=line.hs_code, on=on, config=config)


def register_released_list(*, session: Session, lines: Sequence[ReleasedExportLine], actor: str = ACTOR,
                           config: ZoneConfig | None = None) -> RegisterResult:
    """Record released export list lines: the summary snapshot and, for 9610 lines of zone enterprises, the
    no-invoice register entry (six fields + eligibility), each exactly once; one audit event per entry."""
    config = config or ZoneConfig.for_zone(DEFAULT_ZONE)
    result = RegisterResult()
    unique: dict[tuple[str, int], ReleasedExportLine] = {}
    for line in lines:
        if line.released_at.tzinfo is None:
            raise ValueError("released_at must be timezone-aware")
        unique.setdefault((line.list_no, int(line.gnum)), line)
    if not unique:
        return result
    keys = list(unique)
    known = set()
    for chunk in range(0, len(keys), 500):
        part = keys[chunk:chunk + 500]
        known |= {(r.list_no, r.gnum) for r in session.execute(
            select(ReleasedLine.list_no, ReleasedLine.gnum).where(tuple_(ReleasedLine.list_no, ReleasedLine.gnum)
                                                                  .in_(part)))}
    fresh = [unique[k] for k in keys if k not in known]
    result.known_lines = len(keys) - len(fresh)
    if not fresh:
        return result
    zone = is_zone_enterprise(session, {line.enterprise_id for line in fresh})
    snapshots = []
    for line in fresh:
        values = {f: getattr(line, f) for f in _LINE_FIELDS}
        values["zone_enterprise"] = bool(line.zone_enterprise and zone[line.enterprise_id])
        values["release_date"] = line.release_day()
        snapshots.append(ReleasedLine(**values))
    session.add_all(snapshots)
    result.new_lines = len(snapshots)
    now = utcnow()
    for line, snap in zip(fresh, snapshots):
        if not calc.register_scope(line):
            result.not_registered.append((line.list_no, line.gnum, "not_retail_export"))
            continue
        if not snap.zone_enterprise:
            result.not_registered.append((line.list_no, line.gnum, "not_zone_enterprise"))
            continue
        row = calc.register_row(line)
        reasons = _eligibility(line, zone_enterprise=True, on=row.export_date, config=config)
        entry = RegisterEntry(
            enterprise_id=line.enterprise_id, dedup_key=f"{line.list_no}#{line.gnum}", kind=EntryKind.original.value,
            corrects_id=None, list_no=line.list_no, gnum=line.gnum, export_date=row.export_date,
            goods_name=row.goods_name, unit=row.unit, quantity=row.quantity, unit_price=row.unit_price,
            amount=row.amount, currency=line.currency, hs_code=line.hs_code, declare_customs=line.declare_customs,
            exit_customs=line.exit_customs, eligible=not reasons, ineligible_reasons=reasons, reason=None,
            recorded_by=actor, recorded_at=now)
        result.entries.append(entry)
    session.add_all(result.entries)
    session.flush()
    for entry in result.entries:
        _audit_entry(session, entry, actor)
    return result


def _entry_snapshot(entry: RegisterEntry) -> dict:
    return {"kind": entry.kind, "corrects_id": entry.corrects_id, "list_no": entry.list_no, "gnum": entry.gnum,
            "export_date": entry.export_date, "goods_name": entry.goods_name, "unit": entry.unit,
            "quantity": entry.quantity, "unit_price": entry.unit_price, "amount": entry.amount,
            "currency": entry.currency, "eligible": entry.eligible, "ineligible_reasons": entry.ineligible_reasons}


def _audit_entry(session: Session, entry: RegisterEntry, actor: str) -> None:
    action = "export:no-invoice-entry:record" if entry.kind == EntryKind.original.value \
        else "export:no-invoice-entry:correct"
    audit.record(session=session, action=action, stream=f"no-invoice:{entry.enterprise_id}", actor=actor,
                 subject_id=str(entry.id), before=None, after=_entry_snapshot(entry))


# --- summary mode (汇总申报 / 汇总统计) -------------------------------------------------------------


def mode_for(*, session: Session, enterprise_id: int, month: date) -> SummaryMode:
    """The mode in force for ``month``'s lists (the newest setting effective on its first day; default declaration)."""
    row = session.scalar(select(SummaryModeSetting.mode).where(
        SummaryModeSetting.enterprise_id == enterprise_id, SummaryModeSetting.effective_from <= month.replace(day=1))
        .order_by(SummaryModeSetting.effective_from.desc()).limit(1))
    return SummaryMode(row) if row else SummaryMode.declaration


def mode_history(*, session: Session, enterprise_id: int) -> list[SummaryModeSetting]:
    """Every mode setting of the enterprise, newest first."""
    return list(session.scalars(select(SummaryModeSetting).where(SummaryModeSetting.enterprise_id == enterprise_id)
                                .order_by(SummaryModeSetting.effective_from.desc())))


def set_mode(*, session: Session, enterprise_id: int, mode: SummaryMode | str, effective_from: date,
             actor: str) -> SummaryModeSetting:
    """Choose the summary mode from the first day of a month on; statistics only for zone enterprises.
    The same setting again is a no-op; a different mode for the same date replaces nothing (409)."""
    mode = SummaryMode(mode)
    if effective_from.day != 1:
        raise errors.bad_effective_date(effective_from.isoformat())
    if mode == SummaryMode.statistics and not is_zone_enterprise(session, {enterprise_id})[enterprise_id]:
        raise errors.statistics_not_allowed()
    existing = session.scalar(select(SummaryModeSetting).where(SummaryModeSetting.enterprise_id == enterprise_id,
                                                               SummaryModeSetting.effective_from == effective_from))
    if existing is not None:
        if existing.mode == mode.value:
            return existing
        raise errors.transition_not_allowed(0, existing.mode, "changed for the same date")
    row = SummaryModeSetting(enterprise_id=enterprise_id, mode=mode.value, effective_from=effective_from,
                             recorded_by=actor)
    session.add(row)
    session.flush()
    audit.record(session=session, action="export:summary-mode:set", stream=f"export-summary:{enterprise_id}",
                 actor=actor, subject_id=str(row.id), before=None,
                 after={"mode": row.mode, "effective_from": effective_from})
    return row


# --- deadline and preview ------------------------------------------------------------------------------


def deadline_for(*, session: Session, month: date) -> date:
    """The summary deadline of ``month``'s lists: day 15 (rule export9610.summary_deadline_day) of the next
    month, rolled to the next working day by the holiday calendar (kuajing.data)."""
    from kuajing.data import service as data

    first = month.replace(day=1)
    day = rule("export9610.summary_deadline_day", on=calc.month_end(first)).value
    return calc.summary_deadline(first, deadline_day=day,
                                 is_working=lambda d: data.is_working_day(session=session, day=d))


def reminder_day(*, session: Session, deadline: date, days_before: int) -> date:
    """The ``days_before``-th working day before ``deadline``."""
    from kuajing.data import service as data

    return calc.working_days_before(deadline, days_before, lambda d: data.is_working_day(session=session, day=d))


def _as_line(row: ReleasedLine) -> ReleasedExportLine:
    return ReleasedExportLine(**{f: getattr(row, f) for f in _LINE_FIELDS})


def month_lines(*, session: Session, enterprise_id: int, month: date) -> list[ReleasedExportLine]:
    """The enterprise's released lines whose release date (Asia/Shanghai) falls in ``month``."""
    first = month.replace(day=1)
    rows = session.scalars(select(ReleasedLine).where(
        ReleasedLine.enterprise_id == enterprise_id, ReleasedLine.release_date >= first,
        ReleasedLine.release_date <= calc.month_end(first)).order_by(ReleasedLine.list_no, ReleasedLine.gnum))
    return [_as_line(r) for r in rows]


def _summarised_keys(session: Session, enterprise_id: int, month: date) -> set[tuple[str, int]]:
    rows = session.execute(
        select(SummaryApplicationLine.list_no, SummaryApplicationLine.gnum)
        .join(SummaryApplication, SummaryApplication.id == SummaryApplicationLine.application_id)
        .where(SummaryApplication.enterprise_id == enterprise_id, SummaryApplication.month == month,
               SummaryApplication.status != ApplicationStatus.rejected.value))
    return {(r.list_no, r.gnum) for r in rows}


def cancelled_lists(*, session: Session, list_nos: set[str]) -> set[str]:
    """Which of ``list_nos`` were cancelled after their release (CEB605 approved): they did not leave, so they
    are neither summarised nor kept in the register (see :func:`cancel_released_list`)."""
    if not list_nos:
        return set()
    from kuajing.exports.models import ExportInventory

    return set(session.scalars(select(ExportInventory.invt_no).where(
        ExportInventory.invt_no.in_(sorted(list_nos)), ExportInventory.status == "cancelled")))


def cancel_released_list(*, session: Session, list_no: str, actor: str = ACTOR) -> list[RegisterEntry]:
    """A released list was cancelled (CEB605 approved, the goods never left): each of its register lines gets a
    correction to quantity and amount 0 — a NEW entry, the original stays as recorded. Idempotent (the
    correction's reference is ``cancelled:<list no>:<line>``)."""
    made = []
    originals = session.scalars(select(RegisterEntry).where(
        RegisterEntry.list_no == list_no, RegisterEntry.kind == EntryKind.original.value).order_by(RegisterEntry.gnum))
    for entry in list(originals):
        made.append(correct(session=session, original_id=entry.id, visible_to=None,
                            values=Correction(quantity=Decimal(0), amount=Decimal(0)),
                            reason="清单已撤销（CEB605）: the list was cancelled after its release",
                            reference=f"cancelled:{list_no}:{entry.gnum}", actor=actor))
    return made


@dataclass
class Preview:
    """What the wizard shows for one enterprise and month."""

    enterprise_id: int
    month: date
    mode: SummaryMode
    deadline: date | None  # None in statistics mode
    groups: list[calc.SummaryGroup]  # lines not yet in an application
    excluded: list[tuple[ReleasedExportLine, str]]
    applications: list[SummaryApplication]
    month_closed: bool


def preview(*, session: Session, enterprise_id: int, month: date, today: date) -> Preview:
    """The groups of the month's unsummarised lines, the deadline, and the applications already made."""
    first = month.replace(day=1)
    mode = mode_for(session=session, enterprise_id=enterprise_id, month=first)
    done = _summarised_keys(session, enterprise_id, first)
    lines = month_lines(session=session, enterprise_id=enterprise_id, month=first)
    cancelled = cancelled_lists(session=session, list_nos={line.list_no for line in lines})
    pending = [line for line in lines if (line.list_no, line.gnum) not in done and line.list_no not in cancelled]
    grouping = calc.group_for_summary(pending, first)
    excluded = list(grouping.excluded) + [(line, "already_summarised") for line in lines
                                          if (line.list_no, line.gnum) in done] \
        + [(line, "list_cancelled") for line in lines if line.list_no in cancelled and (line.list_no, line.gnum)
           not in done]
    deadline = deadline_for(session=session, month=first) if mode == SummaryMode.declaration else None
    return Preview(enterprise_id=enterprise_id, month=first, mode=mode, deadline=deadline,
                   groups=list(grouping.groups), excluded=excluded,
                   applications=applications(session=session, enterprise_id=enterprise_id, month=first),
                   month_closed=today > calc.month_end(first))


def confirm(*, session: Session, enterprise_id: int, month: date, today: date, actor: str) -> list[SummaryApplication]:
    """Record one application per group of the month's unsummarised lines (draft; or statistics records in
    statistics mode). The month must be over. Confirming again creates nothing new (409 nothing_to_confirm)."""
    first = month.replace(day=1)
    if today <= calc.month_end(first):
        raise errors.month_not_closed(month_label(first))
    view = preview(session=session, enterprise_id=enterprise_id, month=first, today=today)
    if not view.groups:
        raise errors.nothing_to_confirm(month_label(first))
    statistics = view.mode == SummaryMode.statistics
    created = []
    try:
        with session.begin_nested():
            for group in view.groups:
                revision = (session.scalar(select(func.max(SummaryApplication.revision)).where(
                    SummaryApplication.enterprise_id == enterprise_id, SummaryApplication.month == first,
                    SummaryApplication.key_hash == group.key_hash)) or 0) + 1
                first_line = group.lines[0]
                app = SummaryApplication(
                    enterprise_id=enterprise_id, month=first, mode=view.mode.value, key_hash=group.key_hash,
                    revision=revision, **group.keys, list_count=len(group.list_nos), line_count=len(group.lines),
                    total_amount=group.total_amount, deadline=view.deadline,
                    status=(ApplicationStatus.statistics if statistics else ApplicationStatus.draft).value,
                    cop_no=f"SUM{first.strftime('%Y%m')}{uuid.uuid4().hex[:18].upper()}",
                    guid=str(uuid.uuid4()).upper(),
                    customs_code=first_line.declare_customs or first_line.exit_customs, confirmed_by=actor)
                session.add(app)
                session.flush()
                session.add_all([SummaryApplicationLine(application_id=app.id, list_no=line.list_no, gnum=line.gnum)
                                 for line in group.lines])
                session.flush()
                created.append(app)
                audit.record(session=session, action="export:summary-application:confirm",
                             stream=f"export-summary:{enterprise_id}", actor=actor, subject_id=str(app.id),
                             before=None, after={"month": month_label(first), "mode": app.mode, **group.keys,
                                                 "lists": list(group.list_nos), "lines": app.line_count,
                                                 "deadline": app.deadline, "status": app.status})
    except IntegrityError:
        raise errors.concurrent_confirm() from None
    return created


# --- applications -----------------------------------------------------------------------------------------


def applications(*, session: Session, enterprise_id: int | None, month: date | None = None,
                 status: str | None = None) -> list[SummaryApplication]:
    """Applications of one enterprise (None: all — zone-wide callers), newest month first."""
    q = select(SummaryApplication)
    if enterprise_id is not None:
        q = q.where(SummaryApplication.enterprise_id == enterprise_id)
    if month is not None:
        q = q.where(SummaryApplication.month == month.replace(day=1))
    if status:
        q = q.where(SummaryApplication.status == status)
    return list(session.scalars(q.order_by(SummaryApplication.month.desc(), SummaryApplication.id)))


def application(*, session: Session, application_id: int, visible_to: int | None) -> SummaryApplication:
    """One application (``visible_to`` = the caller's enterprise, None for zone-wide roles)."""
    app = session.get(SummaryApplication, application_id)
    if app is None or (visible_to is not None and app.enterprise_id != visible_to):
        raise errors.application_not_found(application_id)
    return app


def application_lines(*, session: Session, application_id: int) -> list[ReleasedExportLine]:
    """The released lines of an application."""
    rows = session.scalars(select(ReleasedLine).join(
        SummaryApplicationLine, (SummaryApplicationLine.list_no == ReleasedLine.list_no)
        & (SummaryApplicationLine.gnum == ReleasedLine.gnum))
        .where(SummaryApplicationLine.application_id == application_id)
        .order_by(ReleasedLine.list_no, ReleasedLine.gnum))
    return [_as_line(r) for r in rows]


def build_ceb701(*, session: Session, app: SummaryApplication, when: datetime, sender_dxp_id: str) -> bytes:
    """The CEB701 summary application (SummaryApplyHead + one SummaryApplyList per list) as validated bytes."""
    from kuajing.ceb import BaseTransfer, Message, build, classes
    from kuajing.enterprises.models import Enterprise

    ent = session.get(Enterprise, app.enterprise_id)
    if ent is None or not ent.customs_code:
        raise errors.enterprise_code_missing()
    lines = application_lines(session=session, application_id=app.id)
    agent_code = next((ln.agent_code for ln in lines if ln.agent_code), "") or ent.customs_code
    agent_name = next((ln.agent_name for ln in lines if ln.agent_name), "") or ent.name_zh
    ebc_name = next((ln.consignor_name for ln in lines if ln.consignor_name), "") or ent.name_zh
    cls = classes("CEB701")
    local = when.astimezone(calc.SHANGHAI)
    head = cls.head(
        guid=app.guid, app_type="1", app_time=local.strftime("%Y%m%d%H%M%S"), app_status="2",
        customs_code=app.customs_code, cop_no=app.cop_no, pre_no=None, sum_no=None,
        agent_code=agent_code[:18], agent_name=agent_name[:100], ebc_code=app.consignor, ebc_name=ebc_name[:100],
        decl_agent_code=agent_code[:18], decl_agent_name=agent_name[:100], start_time=None, end_time=None,
        loct_no=None, summary_flag="2", item_name_flag="0", msg_count=1, msg_seq_no=1,
        note=f"{month_label(app.month)} {app.hs_code} {app.currency}")
    items = [cls.item(invt_no=no) for no in sorted({ln.list_no for ln in lines})]
    msg = Message(message_type="CEB701", records=[cls.record(head=head, items=items)])
    msg.base_transfer = BaseTransfer(direction="export", cop_code=ent.customs_code, cop_name=ent.name_zh[:100],
                                     dxp_id=ent.dxp_id or sender_dxp_id)
    return build(msg)


def submit(*, session: Session, application_id: int, visible_to: int | None, actor: str, now: datetime | None = None,
           sender_dxp_id: str = "DXPENT0000000001") -> SummaryApplication:
    """Build the CEB701 of a draft application and write it to the customs outbox (sent by the pipeline's
    pump after commit); submitting a submitted application again is a no-op."""
    from kuajing.imports.models import OutboxMessage

    now = now or utcnow()
    app = application(session=session, application_id=application_id, visible_to=visible_to)
    if app.status == ApplicationStatus.submitted.value:
        return app
    if app.status != ApplicationStatus.draft.value:
        raise errors.transition_not_allowed(app.id, app.status, "submitted")
    payload = build_ceb701(session=session, app=app, when=now, sender_dxp_id=sender_dxp_id)
    before = {"status": app.status}
    app.message, app.status, app.submitted_at = payload, ApplicationStatus.submitted.value, now
    session.add(OutboxMessage(message_type="CEB701", business_key=f"CEB701:{app.cop_no}", payload=payload,
                              status="pending", attempts=0))
    session.flush()
    audit.record(session=session, action="export:summary-application:submit", stream=f"export-summary:{app.enterprise_id}",
                 actor=actor, subject_id=str(app.id), before=before,
                 after={"status": app.status, "cop_no": app.cop_no, "lists": len(lines_of(app))})
    return app


def lines_of(app: SummaryApplication) -> list[str]:
    """The list numbers in an application's stored CEB701 (empty before submission)."""
    if not app.message:
        return []
    return re.findall(r"<ceb:invtNo>([^<]*)</ceb:invtNo>", app.message.decode("utf-8"))


# --- customs answers: CEB702 receipt, CEB792 result ---------------------------------------------------------

RECEIPT_ACCEPTED = {"2", "120"}  # 2 e-port accepted (申报成功), 120 customs accepted (海关入库)


def _audit_answer(session: Session, app: SummaryApplication, message_type: str, before: dict) -> None:
    audit.record(session=session, action=f"export:summary-application:{message_type.lower()}",
                 stream=f"export-summary:{app.enterprise_id}", actor="system:customs", subject_id=str(app.id),
                 before=before, after={"status": app.status, "customs_status": app.customs_status,
                                       "sum_no": app.sum_no, "results": len(app.results or [])})


def _apply_receipt(session: Session, rec) -> tuple[SummaryApplication | None, bool]:
    """CEB702 (by copNo): e-port/customs receipt of a CEB701."""
    app = session.scalar(select(SummaryApplication).where(SummaryApplication.cop_no == rec.cop_no))
    if app is None:
        return None, False
    code, info = str(rec.return_status), rec.return_info or ""
    if app.customs_status == code and app.customs_info == info:
        return app, False
    before = {"status": app.status, "customs_status": app.customs_status}
    app.customs_status, app.customs_info = code, info
    app.pre_no = rec.pre_no or app.pre_no
    app.sum_no = rec.sum_no or app.sum_no
    if code.startswith("-") or code == "100":
        app.status = ApplicationStatus.rejected.value
    elif code in RECEIPT_ACCEPTED and app.status == ApplicationStatus.submitted.value:
        app.status = ApplicationStatus.accepted.value
    session.flush()
    _audit_answer(session, app, "CEB702", before)
    return app, True


def _apply_result(session: Session, rec, now: datetime) -> tuple[SummaryApplication | None, bool]:
    """CEB792 (by sumNo): the summary result — one per resulting customs declaration (declSeqNo)."""
    head = rec.head
    app = session.scalar(select(SummaryApplication).where(SummaryApplication.sum_no == head.sum_no))
    if app is None:
        return None, False
    result = {"decl_seq_no": head.decl_seq_no, "entry_id": head.entry_id or "", "dec_state": head.dec_state,
              "dec_tmp_no": head.dec_tmp_no or "", "dec_pre_no": head.dec_pre_no or "", "op_date": head.op_date,
              "lines": [{"invt_no": i.invt_no, "gnum": i.gnum, "gseqno": i.gseqno, "gcode": i.gcode}
                        for i in rec.items]}
    results = list(app.results or [])
    if result in results:
        return app, False
    before = {"status": app.status, "results": len(results)}
    app.results = [r for r in results if r["decl_seq_no"] != result["decl_seq_no"]] + [result]
    app.status, app.result_at = ApplicationStatus.summarised.value, now
    session.flush()
    _audit_answer(session, app, "CEB792", before)
    return app, True


def apply_receipt_record(*, session: Session, rec, now: datetime):
    """Customs handler of one CEB702 record (plugged into the one intake's apply_customs_message):
    (enterprise id, business key, "CEB701") of the application it answered, or None."""
    app, _ = _apply_receipt(session, rec)
    return None if app is None else (app.enterprise_id, f"CEB701:{app.cop_no}", "CEB701")


def apply_result_record(*, session: Session, rec, now: datetime):
    """Customs handler of one CEB792 record (see :func:`apply_receipt_record`)."""
    app, _ = _apply_result(session, rec, now)
    return None if app is None else (app.enterprise_id, f"CEB701:{app.cop_no}", "CEB701")


#: customs answers this domain applies, registered with the one intake (kuajing.imports.service.records)
CUSTOMS_APPLY = {"CEB702": apply_receipt_record, "CEB792": apply_result_record}


def apply_customs_message(*, session: Session, data: bytes | None = None, message=None,
                          now: datetime | None = None) -> int:
    """Apply a CEB702 receipt (by copNo) or a CEB792 result (by sumNo) to its application; replays change
    nothing. Returns the number of applications changed; unknown copNo/sumNo are ignored."""
    from kuajing.ceb import parse

    now = now or utcnow()
    msg = message if message is not None else parse(bytes(data), validate=False)
    changed = 0
    for rec in msg.records:
        if msg.message_type == "CEB702":
            changed += _apply_receipt(session, rec)[1]
        elif msg.message_type == "CEB792":
            changed += _apply_result(session, rec, now)[1]
    return changed


# --- reminders (job) ------------------------------------------------------------------------------------------


def send_reminders(*, session: Session, today: date, days_before: Sequence[int] = DEFAULT_REMINDER_DAYS) -> int:
    """Raise a reminder for every enterprise with retail-export lines of last month not yet sent to customs,
    on (or after) the N-th working day before the deadline and up to the deadline; each once."""
    month = calc.month_start(today.replace(day=1) - timedelta(days=1))
    deadline = deadline_for(session=session, month=month)
    if today > deadline:
        return 0
    due = [n for n in days_before if reminder_day(session=session, deadline=deadline, days_before=n) <= today]
    if not due:
        return 0
    sent_lines = (select(SummaryApplicationLine.list_no, SummaryApplicationLine.gnum)
                  .join(SummaryApplication, SummaryApplication.id == SummaryApplicationLine.application_id)
                  .where(SummaryApplication.status.in_([ApplicationStatus.submitted.value, ApplicationStatus.accepted.value,
                                                        ApplicationStatus.summarised.value,
                                                        ApplicationStatus.statistics.value])))
    sent = {(r.list_no, r.gnum) for r in session.execute(sent_lines)}
    rows = session.execute(select(ReleasedLine.enterprise_id, ReleasedLine.list_no, ReleasedLine.gnum).where(
        ReleasedLine.release_date >= month, ReleasedLine.release_date <= calc.month_end(month),
        ReleasedLine.statistics_flag == calc.SUMMARY_STATISTICS_FLAG,
        ReleasedLine.trade_mode.in_(calc.RETAIL_EXPORT_TRADE_MODES)))
    open_by: dict[int, int] = {}
    for r in rows:
        if (r.list_no, r.gnum) not in sent:
            open_by[r.enterprise_id] = open_by.get(r.enterprise_id, 0) + 1
    existing = {(r.enterprise_id, r.days_before) for r in session.execute(
        select(SummaryReminder.enterprise_id, SummaryReminder.days_before).where(SummaryReminder.month == month))}
    created = 0
    for enterprise_id, count in sorted(open_by.items()):
        if mode_for(session=session, enterprise_id=enterprise_id, month=month) != SummaryMode.declaration:
            continue
        for n in due:
            if (enterprise_id, n) in existing:
                continue
            reminder = SummaryReminder(enterprise_id=enterprise_id, month=month, deadline=deadline,
                                       remind_on=reminder_day(session=session, deadline=deadline, days_before=n),
                                       days_before=n, open_lines=count)
            session.add(reminder)
            session.flush()
            audit.record(session=session, action="export:summary-reminder:raise",
                         stream=f"export-summary:{enterprise_id}", actor=ACTOR, subject_id=str(reminder.id),
                         before=None, after={"month": month_label(month), "deadline": deadline, "days_before": n,
                                             "open_lines": count})
            created += 1
    return created


def reminders(*, session: Session, enterprise_id: int | None) -> list[SummaryReminder]:
    """Reminders of one enterprise (None: all), newest first."""
    q = select(SummaryReminder)
    if enterprise_id is not None:
        q = q.where(SummaryReminder.enterprise_id == enterprise_id)
    return list(session.scalars(q.order_by(SummaryReminder.remind_on.desc(), SummaryReminder.id.desc()).limit(50)))


# --- register: read, correct, export -------------------------------------------------------------------------


def register(*, session: Session, enterprise_id: int | None, date_from: date | None = None,
             date_to: date | None = None, limit: int | None = None, offset: int = 0) -> tuple[list[RegisterEntry], int]:
    """Register entries (originals and corrections) of one enterprise (None: all), by export date and id."""
    if date_from and date_to and date_from > date_to:
        raise errors.bad_period(date_from, date_to)
    q = select(RegisterEntry)
    if enterprise_id is not None:
        q = q.where(RegisterEntry.enterprise_id == enterprise_id)
    if date_from:
        q = q.where(RegisterEntry.export_date >= date_from)
    if date_to:
        q = q.where(RegisterEntry.export_date <= date_to)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    q = q.order_by(RegisterEntry.export_date, RegisterEntry.id).offset(offset)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q)), int(total or 0)


@dataclass(frozen=True)
class Correction:
    """New values of the six fields (None = as the entry it corrects)."""

    export_date: date | None = None
    goods_name: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None


def correct(*, session: Session, original_id: int, visible_to: int | None, values: Correction, reason: str,
            reference: str, actor: str, config: ZoneConfig | None = None) -> RegisterEntry:
    """Record a correction: a NEW entry that refers to the original (the original stays as it was).
    ``reference`` makes retries safe: the same reference and content returns the first correction."""
    config = config or ZoneConfig.for_zone(DEFAULT_ZONE)
    original = session.get(RegisterEntry, original_id)
    if original is None or (visible_to is not None and original.enterprise_id != visible_to):
        raise errors.entry_not_found(original_id)
    root = session.get(RegisterEntry, original.corrects_id) if original.corrects_id else original
    fields = {name: getattr(values, name) if getattr(values, name) is not None else getattr(original, name)
              for name in ("export_date", "goods_name", "unit", "quantity", "unit_price", "amount")}
    key = f"correction:{root.enterprise_id}:{reference}"
    existing = session.scalar(select(RegisterEntry).where(RegisterEntry.dedup_key == key))
    if existing is not None:
        same = existing.corrects_id == root.id and all(getattr(existing, k) == v for k, v in fields.items()) \
            and existing.reason == reason
        if not same:
            raise errors.correction_reference_reused(reference)
        return existing
    zone = is_zone_enterprise(session, {root.enterprise_id})[root.enterprise_id]
    reasons = _eligibility(root, zone_enterprise=zone, on=fields["export_date"], config=config)
    entry = RegisterEntry(
        enterprise_id=root.enterprise_id, dedup_key=key, kind=EntryKind.correction.value, corrects_id=root.id,
        list_no=root.list_no, gnum=root.gnum, currency=root.currency, hs_code=root.hs_code,
        declare_customs=root.declare_customs, exit_customs=root.exit_customs, eligible=not reasons,
        ineligible_reasons=reasons, reason=reason, recorded_by=actor, recorded_at=utcnow(), **fields)
    session.add(entry)
    session.flush()
    _audit_entry(session, entry, actor)
    return entry


def effective_entries(*, session: Session, enterprise_id: int, date_from: date, date_to: date) -> list[RegisterEntry]:
    """The register as it stands: each original replaced by its latest correction (by id)."""
    entries, _ = register(session=session, enterprise_id=enterprise_id)
    latest: dict[int, RegisterEntry] = {}
    for e in entries:
        root = e.corrects_id or e.id
        if root not in latest or e.id > latest[root].id:
            latest[root] = e
    return sorted((e for e in latest.values() if date_from <= e.export_date <= date_to),
                  key=lambda e: (e.export_date, e.list_no, e.gnum))


REGISTER_COLUMNS = (
    ("entry_id", lazy("Entry no.")), ("kind", lazy("Entry kind")), ("corrects_id", lazy("Corrects entry")),
    ("list_no", lazy("Declaration list no.")), ("gnum", lazy("Line")), ("export_date", lazy("Export date")),
    ("goods_name", lazy("Goods name")), ("unit", lazy("Unit")), ("quantity", lazy("Quantity")), ("unit_price", lazy("Unit price")),
    ("amount", lazy("Amount")), ("currency", lazy("Currency")), ("hs_code", lazy("HS code")), ("declare_customs", lazy("Declaring customs")),
    ("eligible", lazy("Eligible for the exemption")), ("recorded_at", lazy("Recorded at (UTC)")),
)


def register_table(entries: Sequence[RegisterEntry]) -> list[list[str]]:
    """Rows of the register export (strings, amounts exact as recorded)."""
    def num(value: Decimal) -> str:
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")

    return [[str(e.id), e.kind, str(e.corrects_id or ""), e.list_no, str(e.gnum), e.export_date.isoformat(),
             e.goods_name, e.unit, num(e.quantity), num(e.unit_price), num(e.amount), e.currency, e.hs_code,
             e.declare_customs, "Y" if e.eligible else "N", e.recorded_at.isoformat()] for e in entries]


def register_csv(entries: Sequence[RegisterEntry], headers: Sequence[str]) -> bytes:
    """The register as UTF-8 CSV with a BOM (opens correctly in Excel); a text Excel would run as a formula
    (``=…``, ``+…``, ``-…``, ``@…``) is written with a leading apostrophe."""
    buf = io.StringIO()
    from kuajing.spreadsheets import csv_cell

    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([csv_cell(v) for v in row] for row in register_table(entries))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def register_xlsx(entries: Sequence[RegisterEntry], headers: Sequence[str], title: str) -> bytes:
    """The register as an Excel workbook (one sheet, text cells so amounts stay exact)."""
    from openpyxl import Workbook

    from kuajing.spreadsheets import append_row

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append_row(ws, headers)
    for row in register_table(entries):
        append_row(ws, row)  # a goods name starting with "=" stays text, never a formula
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- corporate income tax estimate (核定征收) ---------------------------------------------------------------


@dataclass
class CitView:
    """The estimate with the rules it used."""

    enterprise_id: int
    year: int
    revenue_source: str  # register / given
    estimate: calc.CitEstimate
    citations: list[tuple[str, str]]  # (rule name, citation)


def register_revenue_cny(*, session: Session, enterprise_id: int, year: int) -> Decimal:
    """The year's export revenue in CNY from the register as it stands (eligible entries; each currency and
    month summed, then converted at the customs monthly rate of kuajing.data, half-up to the fen)."""
    from kuajing.data import service as data

    entries = effective_entries(session=session, enterprise_id=enterprise_id, date_from=date(year, 1, 1),
                                date_to=date(year, 12, 31))
    sums: dict[tuple[str, date], Decimal] = {}
    for e in entries:
        if e.eligible:
            k = (e.currency, e.export_date.replace(day=1))
            sums[k] = sums.get(k, Decimal(0)) + e.amount
    total = Decimal(0)
    for (currency, first), amount in sorted(sums.items()):
        total += data.convert_to_cny(session=session, amount=calc.fen(amount), currency=currency, on=first)
    return calc.fen(total)


def cit_estimate(*, session: Session, enterprise_id: int, year: int, employees: int | None = None,
                 assets: Decimal | None = None, revenue: Decimal | None = None) -> CitView:
    """CIT on deemed profit for ``year``: revenue (given, else from the register) × 4 % (SAT 2019 No.36),
    at 25 %, or under the small low-profit relief in force that year when head count and assets qualify."""
    on = date(year, 12, 31)
    try:
        deemed = rule("cit.deemed_taxable_income_rate", on=on)
        standard = rule("cit.standard_rate", on=on)
    except AppError:
        raise errors.bad_year(year) from None
    used = [deemed, standard]
    source = "given"
    if revenue is None:
        revenue, source = register_revenue_cny(session=session, enterprise_id=enterprise_id, year=year), "register"
    try:
        limit = rule("cit.small_low_profit.max_taxable_income_cny", on=on)
        staff = rule("cit.small_low_profit.max_employees", on=on)
        assets_max = rule("cit.small_low_profit.max_assets_cny", on=on)
        first = rule("cit.small_low_profit.rate_first_1m", on=on)
        second = rule("cit.small_low_profit.rate_1m_to_3m", on=on)
    except AppError:
        estimate = calc.cit_estimate(revenue=revenue, deemed_rate=deemed.value, standard_rate=standard.value, bands=(),
                                     max_taxable_income=Decimal(-1), max_employees=0, max_assets=Decimal(0),
                                     employees=None, assets=None)
        estimate = calc.CitEstimate(**{**estimate.__dict__, "relief_reasons": ("relief_not_in_force",)})
    else:
        used += [limit, staff, assets_max, first, second]
        bands = (calc.ReliefBand(Decimal(1000000), first.value), calc.ReliefBand(limit.value, second.value))
        estimate = calc.cit_estimate(revenue=revenue, deemed_rate=deemed.value, standard_rate=standard.value,
                                     bands=bands, max_taxable_income=limit.value, max_employees=staff.value,
                                     max_assets=assets_max.value, employees=employees, assets=assets)
    return CitView(enterprise_id=enterprise_id, year=year, revenue_source=source, estimate=estimate,
                   citations=[(r.name, r.citation) for r in used])


# --- the thin reader of the export pipeline's tables (kuajing.exports) ----------------------------------------


def lines_of_inventory(*, session: Session, inventory) -> list[ReleasedExportLine]:
    """The :class:`ReleasedExportLine` of a released ``kuajing.exports.models.ExportInventory`` (CEB603).

    The enterprise is the e-commerce enterprise (收发货人 ebcCode) when it is filed on the platform under
    that customs code, else the enterprise that sent the list."""
    from kuajing.enterprises.models import Enterprise

    inv = inventory
    if inv.released_at is None or not inv.invt_no:
        return []
    owner = session.scalar(select(Enterprise.id).where(Enterprise.customs_code == inv.ebc_code)) \
        if inv.ebc_code else None
    enterprise_id = owner or inv.sender_enterprise_id
    return [ReleasedExportLine(
        list_no=inv.invt_no, gnum=item.gnum, released_at=inv.released_at, enterprise_id=enterprise_id,
        consignor=inv.ebc_code, consignor_name=inv.ebc_name, transport_mode=inv.traf_mode,
        producer_seller=inv.owner_code, arrival_country=inv.country, exit_customs=inv.port_code,
        final_destination=item.country, hs_code=item.gcode, currency=item.currency,
        statistics_flag=inv.statistics_flag, trade_mode=inv.trade_mode, declare_customs=inv.customs_code,
        agent_code=inv.agent_code, agent_name=inv.agent_name, goods_name=item.gname, unit=item.unit,
        quantity=item.qty, unit_price=item.price, amount=item.total_price, logistics_no=inv.logistics_no,
        item_no=item.item_no, zone_enterprise=True) for item in inv.items]


def register_released_inventory(*, session: Session, inventory, actor: str = ACTOR,
                                config: ZoneConfig | None = None) -> RegisterResult:
    """Hook for the export release path: register one released export list (idempotent)."""
    return register_released_list(session=session, lines=lines_of_inventory(session=session, inventory=inventory),
                                  actor=actor, config=config)


def sync_released(*, session: Session, limit: int = 500, config: ZoneConfig | None = None) -> int:
    """Job: register released export lists the release path did not hand over yet (set-based: one query
    for the missing list numbers). Returns the number of lists registered."""
    from kuajing.exports.models import ExportInventory

    missing = session.scalars(
        select(ExportInventory).where(ExportInventory.released_at.is_not(None), ExportInventory.invt_no.is_not(None),
                                      ExportInventory.status != "cancelled",
                                      ExportInventory.invt_no.not_in(select(ReleasedLine.list_no).distinct()))
        .order_by(ExportInventory.released_at).limit(limit)).all()
    for inv in missing:
        register_released_inventory(session=session, inventory=inv, config=config)
    return len(missing)


def _register_with_intake() -> None:
    from kuajing.imports.service.records import register as register_types

    register_types(customs=CUSTOMS_APPLY)


_register_with_intake()
