"""Tax quote service (税款试算): resolves rates and dated parameters, runs the pure calculation.

Rates of an item: the request's explicit rates first, else the built-in HS table
(:mod:`kuajing.tax.hs_table`) at the declaration date. Parameters (limits, 0.7 factor, full-rate
channel): :func:`kuajing.tax.parameters.parameter` (rule book first, tax-local table otherwise).
The annual quota: no ledger exists yet, so prior usage is the request's ``prior_annual_total`` or 0.

The withholding agent's tax guarantee (税款担保, R1.14) lives here too: :func:`open_guarantee`,
:func:`top_up`, :func:`draw` (one per e-tax bill, CEB816), :func:`record_payment_status` (CEB818),
:func:`monthly_summary`, alerts when the balance runs low (docs/tax.md "Tax guarantee").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kuajing.audit import service as audit
from kuajing.db.base import utcnow
from kuajing.errors import FieldIssue
from kuajing.i18n import gettext
from kuajing.tax import calc, errors, hs_table
from kuajing.tax.calc import Step, ThresholdUnit, money
from kuajing.tax.choices import AlertKind, GuaranteeMovementKind, SummaryPaymentStatus, TaxBillStatus
from kuajing.tax.models import (
    TaxBill,
    TaxBillEarlyStatus,
    TaxGuarantee,
    TaxGuaranteeAlert,
    TaxGuaranteeMovement,
    TaxPayment,
)
from kuajing.tax.parameters import POLICY_START, parameter
from kuajing.tax.schemas import QuoteItemIn


class Notes:
    """Message ids of the service's own explanation lines (translated in tax.po)."""

    PRIOR_GIVEN = "Annual usage before this order: {prior} (what-if figure given in the request)"
    PRIOR_NONE = "Annual usage before this order: no ledger yet, taken as {prior}"
    PRIOR_NONE_BUYER = "Buyer {buyer}: no annual ledger yet; usage before this order taken as {prior}"
    RATES_GIVEN = "Item {n}: rates given in the request override the table"
    NET_CONTENT_MISSING = ("Item {n}: net content not given, so the high-end threshold ({threshold} per ml or g) "
                           "is taken as met; give net_content to check it")
    REMARK = "Item {n} (HS {hs}) positive-list remark: {remarks}"
    UNCERTAIN = "Item {n} (HS {hs}): the table marks these rates as uncertain; check them against the tariff schedule"
    NAME = "Item {n}: HS {hs} {name}"

    @classmethod
    def all(cls) -> list[str]:
        """Every message id (for the translation check)."""
        return [v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)]


REASON_TEXT = {
    calc.ReasonCode.SINGLE_LIMIT: "Single-transaction limit exceeded",
    calc.ReasonCode.ANNUAL_LIMIT: "Annual personal limit exceeded",
    calc.ReasonCode.NOT_ON_POSITIVE_LIST: "Not on the positive list of CBEC retail imports",
}


@dataclass(frozen=True)
class QuoteResult:
    """The calculation's quote plus the service's notes and the facts the API echoes."""

    declared_on: date
    quote: calc.Quote
    hs_codes: tuple[str | None, ...]
    prior_annual_total: Decimal
    lines: tuple[Step, ...]  # the full explanation, in order


def policy_on(*, on: date) -> calc.Policy:
    """The retail import parameters in force on ``on`` (R1.6–R1.9)."""
    single = parameter("cbec.single_limit_cny", on)
    annual = parameter("cbec.annual_limit_cny", on)
    factor = parameter("cbec.vat_ct_factor_within_limit", on)
    tariff = parameter("cbec.tariff_rate_within_limit", on)
    full = parameter("cbec.full_rate_single_item", on)
    return calc.Policy(single_limit=single.value, annual_limit=annual.value, factor=factor.value,
                       tariff_within_limit=tariff.value, full_rate_single_item=bool(full.value),
                       single_limit_citation=single.citation, annual_limit_citation=annual.citation,
                       factor_citation=factor.citation, full_rate_citation=full.citation)


def quote(*, declared_on: date, items: Sequence[QuoteItemIn], freight: Decimal = Decimal(0),
          insured_fee: Decimal = Decimal(0), prior_annual_total: Decimal | None = None,
          buyer_id_number: str | None = None) -> QuoteResult:
    """Quote the retail import tax of an order (channel, taxes, explanation); raises 422 on bad input."""
    if declared_on < POLICY_START:
        raise errors.invalid([errors.date_before_policy(declared_on.isoformat(), POLICY_START.isoformat())])
    issues: list[FieldIssue] = []
    notes: list[Step] = []
    calc_items: list[calc.Item] = []
    for n, item in enumerate(items, start=1):
        resolved = _resolve_item(n, item, declared_on, issues, notes)
        if resolved is not None:
            calc_items.append(resolved)
    if issues:
        raise errors.invalid(issues)

    prior = prior_annual_total if prior_annual_total is not None else Decimal("0.00")
    head: list[Step] = []
    if prior_annual_total is not None:
        head.append(Step(Notes.PRIOR_GIVEN, {"prior": money(prior)}, calc.round_fen(prior), "R1.7", "财关税〔2016〕18号"))
    elif buyer_id_number:
        head.append(Step(Notes.PRIOR_NONE_BUYER, {"buyer": mask_id(buyer_id_number), "prior": money(prior)},
                         calc.round_fen(prior), "R1.7", "财关税〔2016〕18号"))
    else:
        head.append(Step(Notes.PRIOR_NONE, {"prior": money(prior)}, calc.round_fen(prior), "R1.7",
                         "财关税〔2016〕18号"))

    order = calc.Order(declared_on=declared_on, items=tuple(calc_items), freight=freight,
                       insured_fee=insured_fee, prior_annual_total=prior)
    try:
        result = calc.quote(order, policy_on(on=declared_on))
    except calc.MissingTariffRate as exc:
        raise errors.invalid([errors.tariff_rate_missing(exc.index)]) from None
    return QuoteResult(declared_on=declared_on, quote=result, hs_codes=tuple(i.hs_code for i in items),
                       prior_annual_total=prior, lines=tuple(head) + result.steps + tuple(notes))


def _resolve_item(n: int, item: QuoteItemIn, on: date, issues: list[FieldIssue], notes: list[Step]) -> calc.Item | None:
    """The calculation's item: explicit rates override the HS table's rates for ``on``."""
    row = hs_table.find(item.hs_code) if item.hs_code else None
    if item.hs_code and row is None and item.vat_rate is None:
        issues.append(errors.hs_code_unknown(n, item.hs_code))
        return None
    if not item.hs_code and item.vat_rate is None:
        issues.append(errors.rate_missing(n))
        return None
    dated = hs_table.rates_on(row, on) if row is not None else None
    if row is not None:
        notes.append(Step(Notes.NAME, {"n": str(n), "hs": row.hs_code, "name": f"{row.name_zh} / {row.name_en}"},
                          None, "R1.13", row.source))
        if row.remarks:
            notes.append(Step(Notes.REMARK, {"n": str(n), "hs": row.hs_code, "remarks": row.remarks}, None, "R1.13",
                              "《跨境电子商务零售进口商品清单》"))
        if row.certainty == "U":
            notes.append(Step(Notes.UNCERTAIN, {"n": str(n), "hs": row.hs_code}, None, "R1.4", row.source))
    given = any(r is not None for r in (item.vat_rate, item.consumption_tax_rate, item.tariff_rate))
    if given:
        notes.append(Step(Notes.RATES_GIVEN, {"n": str(n)}, None, "R1.4", ""))

    vat = item.vat_rate if item.vat_rate is not None else dated.vat_rate  # type: ignore[union-attr]
    vat_cite = "" if item.vat_rate is not None else dated.vat_citation  # type: ignore[union-attr]
    if item.consumption_tax_rate is not None:
        ct, ct_cite, threshold = item.consumption_tax_rate, "", None
    elif dated is not None:
        ct, ct_cite, threshold = dated.consumption_tax_rate, dated.ct_citation, dated.ct_threshold
    else:
        ct, ct_cite, threshold = Decimal(0), "", None
    if item.tariff_rate is not None:
        tariff, tariff_cite = item.tariff_rate, ""
    elif dated is not None:
        tariff, tariff_cite = dated.tariff_rate, dated.tariff_citation
    else:
        tariff, tariff_cite = None, ""
    unit = dated.ct_threshold_unit if dated is not None else ThresholdUnit.PIECE
    if threshold is not None and ct > 0 and unit is ThresholdUnit.ML_OR_G and item.net_content is None:
        notes.append(Step(Notes.NET_CONTENT_MISSING, {"n": str(n), "threshold": money(threshold)}, None, "R1.4",
                          ct_cite))
    return calc.Item(
        goods_value=item.goods_value, quantity=item.quantity, vat_rate=vat, consumption_tax_rate=ct,
        tariff_rate=tariff, hs_code=item.hs_code, positive_list=row.positive_list if row is not None else None,
        ct_threshold=threshold, ct_threshold_unit=unit, net_content=item.net_content,
        vat_citation=vat_cite, ct_citation=ct_cite, tariff_citation=tariff_cite,
    )


def mask_id(number: str) -> str:
    """A buyer ID number as shown: first 4 and last 4 characters (1502**********1234)."""
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:]


def render_line(step: Step, locale: str) -> dict[str, str | None]:
    """One explanation line as JSON in ``locale``."""
    return {"text": gettext(step.text, locale, **step.params),
            "amount": money(step.amount) if step.amount is not None else None,
            "rule": step.rule, "citation": step.citation}


def reason_text(code: calc.ReasonCode | None, locale: str) -> str | None:
    """The translated label of a rejection reason."""
    return gettext(REASON_TEXT[code], locale) if code is not None else None


# --- tax guarantee (税款担保) ------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
FEN = Decimal("0.01")


@dataclass(frozen=True)
class AlertView:
    """An alert on a guarantee."""

    id: int
    kind: str
    balance: Decimal
    threshold: Decimal
    daily_rate: Decimal
    raised_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class GuaranteeView:
    """A withholding agent's guarantee as shown."""

    agent_enterprise_id: int
    guarantee_no: str | None
    balance: Decimal
    alert_threshold: Decimal
    cover_days: int
    rate_window_days: int
    daily_rate: Decimal  # average draw per day over the last rate_window_days (fen, half-up)
    days_covered: Decimal | None  # balance / daily_rate (None when nothing was drawn recently)
    alerts: tuple[AlertView, ...]  # open alerts
    changed: bool = True  # False when the call repeated an earlier one
    uncovered_count: int = 0  # valid, unpaid e-tax bills the balance could not cover yet (担保不足)
    uncovered_total: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class TaxBillView:
    """An e-tax bill and its CEB818 status."""

    tax_no: str
    invt_no: str | None
    agent_enterprise_id: int
    amount: Decimal
    status: str
    ent_duty_no: str | None
    bill_date: date
    changed: bool = True
    covered: bool = True
    paid_on: date | None = None


@dataclass(frozen=True)
class MonthlySummary:
    """An agent's monthly tax summary (月度汇总) and its payment status."""

    agent_enterprise_id: int
    month: date  # first day
    bill_count: int  # valid (not void) bills
    total: Decimal  # tax of the valid bills
    summarised_count: int
    summarised_total: Decimal
    void_count: int
    payment_status: str  # SummaryPaymentStatus
    ent_duty_nos: tuple[str, ...]
    uncovered_count: int = 0  # valid bills the guarantee does not hold yet
    uncovered_total: Decimal = Decimal("0.00")
    paid_count: int = 0  # summarised bills whose payment form is paid
    paid_total: Decimal = Decimal("0.00")
    forms: tuple[PaymentFormView, ...] = ()  # the month's payment forms (缴款书)


#: Days to pay a payment form (缴款书) once customs issued it, and the late-payment surcharge per day (R1.14:
#: "Once customs issues a tax notice, payment is due within 15 days. Late payment costs 0.05% per day").
PAYMENT_DAYS = 15
LATE_RATE_PER_DAY = Decimal("0.0005")


@dataclass(frozen=True)
class PaymentFormView:
    """A payment form (缴款书) of summarised bills: its tax, due date and payment (R1.14)."""

    ent_duty_no: str
    bill_count: int
    amount: Decimal  # tax of its valid bills
    summarised_on: date | None  # the date customs summarised them (CEB818 status 2)
    due_on: date | None  # summarised_on + PAYMENT_DAYS
    paid_on: date | None
    days_late: int  # days past due_on, at payment or today when unpaid
    late_fee: Decimal  # amount × 0.05 % × days_late, half-up to the fen (滞纳金, an estimate until customs assesses it)


#: The largest top-up, draw or alert threshold (1 trillion CNY): far below what the balance column holds (16
#: integer digits), so the range is checked before quantizing — a huge number would make ``quantize`` itself
#: fail, and an amount past the column would fail on write (both were answered 500).
MAX_GUARANTEE_AMOUNT = Decimal(10) ** 12


def _positive_fen(value: Any, path: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise errors.amount_invalid(value, path)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.amount_invalid(value, path) from None
    if not number.is_finite() or number <= 0:
        raise errors.amount_invalid(value, path)
    if number > MAX_GUARANTEE_AMOUNT:
        raise errors.amount_too_large(value, MAX_GUARANTEE_AMOUNT, path)
    if number != number.quantize(FEN):
        raise errors.amount_invalid(value, path)
    return number.quantize(FEN)


def _threshold(value: Any, path: str = "alert_threshold") -> Decimal:
    """An alert threshold: 0 to :data:`MAX_GUARANTEE_AMOUNT`, to the fen (never rounded silently)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise errors.threshold_invalid(value, MAX_GUARANTEE_AMOUNT, path) from None
    if (not number.is_finite() or number < 0 or number > MAX_GUARANTEE_AMOUNT
            or number != number.quantize(FEN)):
        raise errors.threshold_invalid(value, MAX_GUARANTEE_AMOUNT, path)
    return number.quantize(FEN)


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _guarantee_row(session: Session, agent_enterprise_id: int, *, lock: bool = False) -> TaxGuarantee:
    """The agent's guarantee row; ``lock``: SELECT … FOR UPDATE. Every writer locks the guarantee before its bills
    (top-up, payment, CEB818 status, the pipeline's draws), so two of them queue and never deadlock."""
    query = select(TaxGuarantee).where(TaxGuarantee.agent_enterprise_id == agent_enterprise_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise errors.guarantee_unknown(agent_enterprise_id)
    return row


def _stream(agent_enterprise_id: int) -> str:
    return f"tax-guarantee:{agent_enterprise_id}"


def _daily_rate(session: Session, g: TaxGuarantee, today: date) -> Decimal:
    """Average net draw per day over the last ``rate_window_days`` days (today included), half-up to the fen."""
    since = today - timedelta(days=g.rate_window_days - 1)
    sums = dict(session.execute(
        select(TaxGuaranteeMovement.kind, func.sum(TaxGuaranteeMovement.amount))
        .where(TaxGuaranteeMovement.guarantee_id == g.id, TaxGuaranteeMovement.business_date >= since,
               TaxGuaranteeMovement.business_date <= today,
               TaxGuaranteeMovement.kind.in_([GuaranteeMovementKind.draw.value, GuaranteeMovementKind.void.value]))
        .group_by(TaxGuaranteeMovement.kind)).all())
    drawn = (sums.get(GuaranteeMovementKind.draw.value) or Decimal(0)) - (sums.get(GuaranteeMovementKind.void.value)
                                                                          or Decimal(0))
    return max(drawn / g.rate_window_days, Decimal(0)).quantize(FEN, rounding=ROUND_HALF_UP)


def _open_alerts(session: Session, g: TaxGuarantee) -> list[TaxGuaranteeAlert]:
    return list(session.execute(select(TaxGuaranteeAlert).where(
        TaxGuaranteeAlert.guarantee_id == g.id, TaxGuaranteeAlert.resolved_at.is_(None))
        .order_by(TaxGuaranteeAlert.id)).scalars())


def _check_alerts(session: Session, g: TaxGuarantee, actor: str, today: date) -> None:
    """Raise or resolve the guarantee's alerts for its balance now."""
    rate = _daily_rate(session, g, today)
    need = rate * g.cover_days
    _count, waiting = _uncovered(session, g.agent_enterprise_id)
    wanted = {AlertKind.below_threshold: (g.balance < g.alert_threshold, g.alert_threshold),
              AlertKind.short_runway: (rate > 0 and g.balance < need, need),
              AlertKind.uncovered_bills: (waiting > 0, waiting)}
    current = {a.kind: a for a in _open_alerts(session, g)}
    for kind, (active, limit) in wanted.items():
        alert = current.get(kind.value)
        if active and alert is not None and kind is AlertKind.uncovered_bills and alert.threshold != limit:
            alert.threshold = limit  # the total now waiting (more bills queued, some covered)
            session.flush()
        if active and alert is None:
            session.add(TaxGuaranteeAlert(guarantee_id=g.id, kind=kind.value, balance=g.balance, threshold=limit,
                                          daily_rate=rate))
            session.flush()
            audit.record(session=session, action="tax:guarantee:alert", stream=_stream(g.agent_enterprise_id),
                         actor=actor, subject_id=kind.value,
                         after={"balance": g.balance, "threshold": limit, "daily_rate": rate})
        elif not active and alert is not None:
            alert.resolved_at = utcnow()
            session.flush()
            audit.record(session=session, action="tax:guarantee:alert-resolved",
                         stream=_stream(g.agent_enterprise_id), actor=actor, subject_id=kind.value,
                         after={"balance": g.balance})


def _view(session: Session, g: TaxGuarantee, *, changed: bool = True) -> GuaranteeView:
    rate = _daily_rate(session, g, _today())
    days = (g.balance / rate).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if rate > 0 else None
    alerts = tuple(AlertView(id=a.id, kind=a.kind, balance=a.balance, threshold=a.threshold, daily_rate=a.daily_rate,
                             raised_at=a.raised_at, resolved_at=a.resolved_at) for a in _open_alerts(session, g))
    count, waiting = _uncovered(session, g.agent_enterprise_id)
    return GuaranteeView(agent_enterprise_id=g.agent_enterprise_id, guarantee_no=g.guarantee_no, balance=g.balance,
                         alert_threshold=g.alert_threshold, cover_days=g.cover_days,
                         rate_window_days=g.rate_window_days, daily_rate=rate, days_covered=days, alerts=alerts,
                         changed=changed, uncovered_count=count, uncovered_total=waiting)


def open_guarantee(*, session: Session, agent_enterprise_id: int, actor: str, guarantee_no: str | None = None,
                   alert_threshold: Decimal = Decimal("0.00"), cover_days: int = 7,
                   rate_window_days: int = 7) -> GuaranteeView:
    """Open a withholding agent's guarantee with a zero balance and its alert settings."""
    threshold = _threshold(alert_threshold)
    if session.execute(select(TaxGuarantee.id).where(TaxGuarantee.agent_enterprise_id == agent_enterprise_id)).first():
        raise errors.guarantee_exists(agent_enterprise_id)
    g = TaxGuarantee(agent_enterprise_id=agent_enterprise_id, guarantee_no=guarantee_no, balance=Decimal("0.00"),
                     alert_threshold=threshold, cover_days=max(int(cover_days), 1),
                     rate_window_days=max(int(rate_window_days), 1))
    session.add(g)
    session.flush()
    audit.record(session=session, action="tax:guarantee:open", stream=_stream(agent_enterprise_id), actor=actor,
                 subject_id=str(agent_enterprise_id),
                 after={"guarantee_no": guarantee_no, "alert_threshold": g.alert_threshold,
                        "cover_days": g.cover_days, "rate_window_days": g.rate_window_days})
    return _view(session, g)


def configure_guarantee(*, session: Session, agent_enterprise_id: int, actor: str,
                        alert_threshold: Decimal | None = None, cover_days: int | None = None,
                        rate_window_days: int | None = None, guarantee_no: str | None = None) -> GuaranteeView:
    """Change a guarantee's alert threshold, cover days, rate window or guarantee number; re-checks the alerts."""
    threshold = None if alert_threshold is None else _threshold(alert_threshold)
    g = _guarantee_row(session, agent_enterprise_id)
    before = {"alert_threshold": g.alert_threshold, "cover_days": g.cover_days,
              "rate_window_days": g.rate_window_days, "guarantee_no": g.guarantee_no}
    if threshold is not None:
        g.alert_threshold = threshold
    if cover_days is not None:
        g.cover_days = max(int(cover_days), 1)
    if rate_window_days is not None:
        g.rate_window_days = max(int(rate_window_days), 1)
    if guarantee_no is not None:
        g.guarantee_no = guarantee_no
    session.flush()
    audit.record(session=session, action="tax:guarantee:configure", stream=_stream(agent_enterprise_id), actor=actor,
                 subject_id=str(agent_enterprise_id), before=before,
                 after={"alert_threshold": g.alert_threshold, "cover_days": g.cover_days,
                        "rate_window_days": g.rate_window_days, "guarantee_no": g.guarantee_no})
    _check_alerts(session, g, actor, _today())
    return _view(session, g)


def _prior_movement(session: Session, kind: GuaranteeMovementKind, reference: str) -> TaxGuaranteeMovement | None:
    return session.execute(select(TaxGuaranteeMovement).where(
        TaxGuaranteeMovement.kind == kind.value, TaxGuaranteeMovement.reference == reference)).scalar_one_or_none()


def _apply(session: Session, g: TaxGuarantee, kind: GuaranteeMovementKind, amount: Decimal, reference: str,
           actor: str, on: date) -> bool:
    """Change the balance atomically (a draw only if it is covered) and write the movement; False when refused."""
    delta = -amount if kind is GuaranteeMovementKind.draw else amount
    cond = [TaxGuarantee.id == g.id]
    if kind is GuaranteeMovementKind.draw:
        cond.append(TaxGuarantee.balance >= amount)
    with session.begin_nested():
        won = session.execute(update(TaxGuarantee).where(*cond)
                              .values(balance=TaxGuarantee.balance + delta, updated_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount
        if not won:
            return False
        session.refresh(g)
        session.add(TaxGuaranteeMovement(guarantee_id=g.id, kind=kind.value, amount=amount, balance_after=g.balance,
                                         reference=reference, business_date=on, actor=actor))
        session.flush()
    return True


def top_up(*, session: Session, agent_enterprise_id: int, amount: Decimal, reference: str, actor: str,
           on: date | None = None) -> GuaranteeView:
    """Top up the guarantee (追加担保); idempotent per reference; lifts alerts it covers."""
    amount = _positive_fen(amount)
    g = _guarantee_row(session, agent_enterprise_id, lock=True)
    prior = _prior_movement(session, GuaranteeMovementKind.top_up, reference)
    if prior is not None:
        if prior.guarantee_id != g.id or prior.amount != amount:
            raise errors.reference_reused(reference)
        return _view(session, g, changed=False)
    before = g.balance
    try:
        _apply(session, g, GuaranteeMovementKind.top_up, amount, reference, actor, on or _today())
    except IntegrityError:
        raise errors.reference_reused(reference) from None
    audit.record(session=session, action="tax:guarantee:top-up", stream=_stream(agent_enterprise_id), actor=actor,
                 subject_id=reference, before={"balance": before}, after={"balance": g.balance, "amount": amount})
    _cover_waiting(session, g, actor, on or _today())
    _check_alerts(session, g, actor, on or _today())
    return _view(session, g)


def draw(*, session: Session, agent_enterprise_id: int, amount: Decimal, reference: str, actor: str,
         invt_no: str | None = None, on: date | None = None) -> GuaranteeView:
    """Draw an e-tax bill (CEB816, ``reference`` = taxNo) on the agent's guarantee; refused (tax_guarantee_insufficient) past the balance."""
    amount = _positive_fen(amount)
    g = _guarantee_row(session, agent_enterprise_id)
    prior = _prior_movement(session, GuaranteeMovementKind.draw, reference)
    if prior is not None:
        if prior.guarantee_id != g.id or prior.amount != amount:
            raise errors.reference_reused(reference)
        return _view(session, g, changed=False)
    day = on or _today()
    before = g.balance
    try:
        if not _apply(session, g, GuaranteeMovementKind.draw, amount, reference, actor, day):
            session.refresh(g)
            raise errors.guarantee_insufficient(g.balance, amount)
        session.add(TaxBill(tax_no=reference, invt_no=invt_no, agent_enterprise_id=agent_enterprise_id, amount=amount,
                            status=TaxBillStatus.generated.value, bill_date=day, month=day.replace(day=1)))
        session.flush()
    except IntegrityError:
        raise errors.reference_reused(reference) from None
    audit.record(session=session, action="tax:guarantee:draw", stream=_stream(agent_enterprise_id), actor=actor,
                 subject_id=reference, before={"balance": before},
                 after={"balance": g.balance, "amount": amount, "invt_no": invt_no})
    _check_alerts(session, g, actor, day)
    return _view(session, g)


def _bill_view(bill: TaxBill, changed: bool) -> TaxBillView:
    return TaxBillView(tax_no=bill.tax_no, invt_no=bill.invt_no, agent_enterprise_id=bill.agent_enterprise_id,
                       amount=bill.amount, status=bill.status, ent_duty_no=bill.ent_duty_no, bill_date=bill.bill_date,
                       changed=changed, covered=bill.covered, paid_on=bill.paid_on)


def _waiting(session: Session, agent_enterprise_id: int) -> list[TaxBill]:
    """The agent's bills the guarantee does not hold yet (valid, unpaid), oldest first."""
    return list(session.execute(select(TaxBill).where(
        TaxBill.agent_enterprise_id == agent_enterprise_id, TaxBill.covered.is_(False),
        TaxBill.status != TaxBillStatus.void.value, TaxBill.paid_on.is_(None)).order_by(TaxBill.id)
        .with_for_update()).scalars())


def _cover_waiting(session: Session, g: TaxGuarantee, actor: str, day: date) -> int:
    """Draw the bills that were waiting for cover (担保不足时签发的税单), oldest first, while the balance covers
    the next one (strictly in order: a later, smaller bill does not overtake an earlier one); returns how many."""
    covered = 0
    for bill in _waiting(session, g.agent_enterprise_id):
        before = g.balance
        if before < bill.amount or not _apply(session, g, GuaranteeMovementKind.draw, bill.amount, bill.tax_no,
                                              actor, day):
            break
        bill.covered = True
        session.flush()
        audit.record(session=session, action="tax:guarantee:draw", stream=_stream(g.agent_enterprise_id),
                     actor=actor, subject_id=bill.tax_no, before={"balance": before},
                     after={"balance": g.balance, "amount": bill.amount, "invt_no": bill.invt_no, "late": True})
        covered += 1
    return covered


def _uncovered(session: Session, agent_enterprise_id: int) -> tuple[int, Decimal]:
    count, total = session.execute(select(func.count(TaxBill.id), func.sum(TaxBill.amount)).where(
        TaxBill.agent_enterprise_id == agent_enterprise_id, TaxBill.covered.is_(False),
        TaxBill.status != TaxBillStatus.void.value, TaxBill.paid_on.is_(None))).one()
    return int(count or 0), (total or Decimal("0.00")).quantize(FEN)


def _form_view(ent_duty_no: str, bills: list[TaxBill], today: date) -> PaymentFormView:
    amount = sum((b.amount for b in bills), Decimal("0.00"))
    summarised = min((b.summarised_on for b in bills if b.summarised_on), default=None)
    paid = max((b.paid_on for b in bills if b.paid_on), default=None) if all(b.paid_on for b in bills) else None
    due = summarised + timedelta(days=PAYMENT_DAYS) if summarised else None
    late = max(((paid or today) - due).days, 0) if due else 0
    fee = (amount * LATE_RATE_PER_DAY * late).quantize(FEN, rounding=ROUND_HALF_UP)
    return PaymentFormView(ent_duty_no=ent_duty_no, bill_count=len(bills), amount=amount, summarised_on=summarised,
                           due_on=due, paid_on=paid, days_late=late, late_fee=fee)


def record_payment(*, session: Session, agent_enterprise_id: int, ent_duty_no: str, amount: Any, paid_on: date,
                   reference: str, actor: str) -> PaymentFormView:
    """Record that a payment form (缴款书) was paid: its bills are paid and the guarantee gets back what they held
    (汇总征税: paying the summarised tax restores the guarantee), then covers the bills waiting for cover.

    The amount must be the form's tax (its valid summarised bills); the date from the day it was summarised to
    today. Idempotent per form: the same payment again changes nothing; other figures are a 409."""
    amount = _positive_fen(amount)
    g = _guarantee_row(session, agent_enterprise_id, lock=True)  # first: a payment at once with it waits here
    today = _today()
    prior = session.execute(select(TaxPayment).where(TaxPayment.ent_duty_no == ent_duty_no)).scalar_one_or_none()
    if prior is not None and prior.agent_enterprise_id != agent_enterprise_id:
        raise errors.payment_form_unknown(ent_duty_no)  # another agent's form: not this agent's to know of
    bills = list(session.execute(select(TaxBill).where(
        TaxBill.agent_enterprise_id == agent_enterprise_id, TaxBill.ent_duty_no == ent_duty_no,
        TaxBill.status == TaxBillStatus.summarised.value).order_by(TaxBill.id).with_for_update()).scalars())
    if prior is not None:
        if (prior.amount, prior.paid_on, prior.reference) != (amount, paid_on, reference):
            raise errors.reference_reused(ent_duty_no, path="ent_duty_no")
        return _form_view(ent_duty_no, bills, today)
    if not bills:
        raise errors.payment_form_unknown(ent_duty_no)
    form = _form_view(ent_duty_no, bills, today)
    if amount != form.amount:
        raise errors.payment_amount_mismatch(amount, form.amount)
    earliest = form.summarised_on or min(b.bill_date for b in bills)
    if not earliest <= paid_on <= today:
        raise errors.payment_date_invalid(paid_on.isoformat(), earliest.isoformat(), today.isoformat())
    restored = sum((b.amount for b in bills if b.covered), Decimal("0.00"))
    before = g.balance
    try:
        if restored > 0:
            _apply(session, g, GuaranteeMovementKind.payment, restored, ent_duty_no, actor, paid_on)
        session.add(TaxPayment(agent_enterprise_id=agent_enterprise_id, ent_duty_no=ent_duty_no, amount=amount,
                               restored=restored, paid_on=paid_on, reference=reference, actor=actor))
        for bill in bills:
            bill.paid_on = paid_on
        session.flush()
    except IntegrityError:
        raise errors.reference_reused(ent_duty_no, path="ent_duty_no") from None
    audit.record(session=session, action="tax:guarantee:payment", stream=_stream(agent_enterprise_id), actor=actor,
                 subject_id=ent_duty_no, before={"balance": before},
                 after={"balance": g.balance, "amount": amount, "restored": restored, "paid_on": paid_on,
                        "reference": reference, "bills": len(bills)})
    _cover_waiting(session, g, actor, today)
    _check_alerts(session, g, actor, today)
    return _form_view(ent_duty_no, bills, today)


def record_payment_status(*, session: Session, tax_no: str, status: str, actor: str, ent_duty_no: str | None = None,
                          on: date | None = None) -> TaxBillView:
    """Record a CEB818 status of an e-tax bill (1 generated, 2 summarised, 3 void: the amount goes back to the guarantee)."""
    if status not in TaxBillStatus.__members__.values() and status not in {s.value for s in TaxBillStatus}:
        raise errors.bill_status_invalid(status)
    status = TaxBillStatus(status).value
    agent = session.scalar(select(TaxBill.agent_enterprise_id).where(TaxBill.tax_no == tax_no))
    if agent is None:
        raise errors.bill_unknown(tax_no)
    g = _guarantee_row(session, agent, lock=True)  # the guarantee before the bill (see _guarantee_row)
    bill = session.execute(select(TaxBill).where(TaxBill.tax_no == tax_no)
                           .execution_options(populate_existing=True)).scalar_one()
    if bill.status == status and (ent_duty_no is None or bill.ent_duty_no == ent_duty_no):
        return _bill_view(bill, False)
    if bill.status == TaxBillStatus.void.value:
        return _bill_view(bill, False)  # a void bill stays void
    if bill.paid_on is not None and status != TaxBillStatus.void.value:
        # a paid bill stays on the form that paid it: moved to another form (or back to 1), that form's payment
        # would give its amount back a second time
        return _bill_view(bill, False)
    before = {"status": bill.status, "ent_duty_no": bill.ent_duty_no}
    day = on or _today()
    # a void gives back only what the guarantee still holds for the bill: not a bill it never covered, nor one
    # whose payment form was paid (the payment gave it back already)
    if (status == TaxBillStatus.void.value and bill.covered and bill.paid_on is None
            and _prior_movement(session, GuaranteeMovementKind.void, tax_no) is None):
        _apply(session, g, GuaranteeMovementKind.void, bill.amount, tax_no, actor, day)
    bill.status = status
    if ent_duty_no is not None:
        bill.ent_duty_no = ent_duty_no
    if status == TaxBillStatus.summarised.value and bill.summarised_on is None:
        bill.summarised_on = day
    bill.status_at = utcnow()
    session.flush()
    audit.record(session=session, action="tax:bill:status", stream=_stream(bill.agent_enterprise_id), actor=actor,
                 subject_id=tax_no, before=before, after={"status": bill.status, "ent_duty_no": bill.ent_duty_no})
    if status == TaxBillStatus.void.value:
        _cover_waiting(session, g, actor, day)
        _check_alerts(session, g, actor, day)
    return _bill_view(bill, True)


def monthly_summary(*, session: Session, agent_enterprise_id: int, month: date) -> MonthlySummary:
    """The agent's bills of ``month`` (its first day or any day of it) with their payment status."""
    first = month.replace(day=1)
    bills = session.execute(select(TaxBill).where(TaxBill.agent_enterprise_id == agent_enterprise_id,
                                                  TaxBill.month == first)).scalars().all()
    valid = [b for b in bills if b.status != TaxBillStatus.void.value]
    summarised = [b for b in valid if b.status == TaxBillStatus.summarised.value]
    paid = [b for b in summarised if b.paid_on is not None]
    uncovered = [b for b in valid if not b.covered and b.paid_on is None]
    if not valid:
        status = SummaryPaymentStatus.empty
    elif len(paid) == len(valid):
        status = SummaryPaymentStatus.paid
    elif len(summarised) == len(valid):
        status = SummaryPaymentStatus.summarised
    else:
        status = SummaryPaymentStatus.open
    forms: dict[str, list[TaxBill]] = {}
    for b in summarised:
        if b.ent_duty_no:
            forms.setdefault(b.ent_duty_no, []).append(b)
    today = _today()
    return MonthlySummary(
        agent_enterprise_id=agent_enterprise_id, month=first, bill_count=len(valid),
        total=sum((b.amount for b in valid), Decimal("0.00")), summarised_count=len(summarised),
        summarised_total=sum((b.amount for b in summarised), Decimal("0.00")),
        void_count=len(bills) - len(valid), payment_status=status.value,
        ent_duty_nos=tuple(sorted(forms)), uncovered_count=len(uncovered),
        uncovered_total=sum((b.amount for b in uncovered), Decimal("0.00")), paid_count=len(paid),
        paid_total=sum((b.amount for b in paid), Decimal("0.00")),
        forms=tuple(_form_view(no, forms[no], today) for no in sorted(forms)))


def guarantee(*, session: Session, agent_enterprise_id: int) -> GuaranteeView:
    """The agent's guarantee: balance, alert settings, recent daily rate, open alerts."""
    return _view(session, _guarantee_row(session, agent_enterprise_id), changed=False)


def guarantees(*, session: Session, agent_enterprise_id: int | None = None) -> list[GuaranteeView]:
    """Every guarantee (zone-wide), or the one of ``agent_enterprise_id``."""
    query = select(TaxGuarantee).order_by(TaxGuarantee.agent_enterprise_id)
    if agent_enterprise_id is not None:
        query = query.where(TaxGuarantee.agent_enterprise_id == agent_enterprise_id)
    return [_view(session, g, changed=False) for g in session.execute(query).scalars()]


def guarantee_movement_totals(*, session: Session, agent_enterprise_id: int) -> Decimal:
    """The balance recomputed from the movements alone (top_up + void + payment − draw)."""
    g = _guarantee_row(session, agent_enterprise_id)
    total = Decimal("0.00")
    for kind, amount in session.execute(select(TaxGuaranteeMovement.kind, TaxGuaranteeMovement.amount)
                                        .where(TaxGuaranteeMovement.guarantee_id == g.id)):
        total += -amount if kind == GuaranteeMovementKind.draw.value else amount
    return total


# --- customs e-tax bills arriving through the pipeline (电子税单 CEB816 / 税单状态 CEB818) ---------------


@dataclass(frozen=True)
class CustomsBill:
    """A customs e-tax bill (CEB816) or tax status (CEB818) to book: its head and the declaring agent."""

    head: Any  # the record head (a mapping of CEB field names: taxNo, customsTax, valueAddedTax, …)
    agent_enterprise_id: int | None  # 担保企业: the agent that declared the list (None: list unknown)
    invt_no: str | None  # 清单编号 of the list


def apply_tax_bill(*, session: Session, head, agent_enterprise_id: int | None, invt_no: str | None) -> str:
    """Book a customs e-tax bill (CEB816) on the declaring agent's guarantee, or a CEB818 status change.

    Returns what happened: ``drawn``, ``status``, ``no_guarantee``, ``insufficient`` or ``ignored``. A bill is
    never refused here: customs has issued it; a guarantee that cannot cover it raises the shortage alert
    (and an audit event) instead, so the customs message is applied and never lost.
    """
    return apply_tax_bills(session=session, bills=[CustomsBill(head, agent_enterprise_id, invt_no)])[0]


def apply_tax_bills(*, session: Session, bills: Sequence[CustomsBill]) -> list[str]:
    """:func:`apply_tax_bill` for many bills, in order: each run of e-tax bills (CEB816) is drawn set-based
    (:func:`_draw_bills`), a status (CEB818) is booked after the bills before it. One outcome per bill."""
    out: list[str] = []
    run: list[CustomsBill] = []
    for bill in bills:
        if bill.head.get("valueAddedTax") is not None:
            run.append(bill)
            continue
        out.extend(_draw_bills(session, run))
        run = []
        out.append(_book_status(session, bill))
    out.extend(_draw_bills(session, run))
    return out


def _book_status(session: Session, bill: CustomsBill) -> str:
    """CEB818: a status change of a bill we booked. One that arrives before its bill, for an agent whose guarantee
    books its bills, is kept (``early``) and applied when the CEB816 arrives; any other is ``ignored``."""
    head = bill.head
    tax_no = str(head.get("taxNo") or "")
    if session.scalar(select(TaxBill.id).where(TaxBill.tax_no == tax_no)) is None:
        status = str(head.get("status") or "")
        agent = bill.agent_enterprise_id
        if (not tax_no or status not in {s.value for s in TaxBillStatus} or agent is None
                or session.scalar(select(TaxGuarantee.id).where(TaxGuarantee.agent_enterprise_id == agent)) is None):
            return "ignored"  # no guarantee books this agent's bills (or not a status): nothing to keep
        session.add(TaxBillEarlyStatus(tax_no=tax_no[:50], agent_enterprise_id=agent, status=status,
                                       ent_duty_no=(head.get("entDutyNo") or None)))
        session.flush()
        audit.record(session=session, action="tax:bill:status-early", stream=_stream(agent), actor="customs:ceb818",
                     subject_id=tax_no[:50], after={"status": status, "ent_duty_no": head.get("entDutyNo") or None})
        return "early"
    record_payment_status(session=session, tax_no=tax_no, status=str(head.get("status")),
                          actor="customs:ceb818", ent_duty_no=head.get("entDutyNo") or None)
    return "status"


def _bill_amount(head) -> Decimal:
    return sum((Decimal(str(head.get(k) or 0)) for k in ("customsTax", "valueAddedTax", "consumptionTax")),
               Decimal(0)).quantize(FEN, rounding=ROUND_HALF_UP)


def _draw_bills(session: Session, bills: Sequence[CustomsBill]) -> list[str]:
    """Draw e-tax bills (CEB816) on their agents' guarantees, set-based, with the outcome of :func:`draw` per bill.

    Each guarantee row is read and locked once (in id order), its running balance kept in memory; the
    bills already booked are found in one query; the movements and bills are written in one multi-row
    INSERT each, each guarantee's balance in one guarded UPDATE; the alerts are checked once per guarantee
    after its draws. A bill the balance cannot cover is not drawn (``insufficient``, audit shortfall event).
    """
    if not bills:
        return []
    actor, day, at = "customs:ceb816", _today(), utcnow()
    amounts = [_bill_amount(b.head) for b in bills]
    agents = sorted({b.agent_enterprise_id for b, a in zip(bills, amounts, strict=True)
                     if b.agent_enterprise_id is not None and a > 0})
    held = {g.agent_enterprise_id: g for g in session.execute(
        select(TaxGuarantee).where(TaxGuarantee.agent_enterprise_id.in_(agents)).order_by(TaxGuarantee.id)
        .with_for_update().execution_options(populate_existing=True)).scalars()} if agents else {}
    tax_nos = sorted({str(b.head.get("taxNo") or "") for b in bills})
    prior = {r.reference: (r.guarantee_id, r.amount) for r in session.execute(
        select(TaxGuaranteeMovement.reference, TaxGuaranteeMovement.guarantee_id, TaxGuaranteeMovement.amount)
        .where(TaxGuaranteeMovement.kind == GuaranteeMovementKind.draw.value,
               TaxGuaranteeMovement.reference.in_(tax_nos)))} if held else {}
    # bills booked uncovered before (a repeat of one stays uncovered, nothing is written twice)
    waiting = {r.tax_no: (r.agent_enterprise_id, r.amount) for r in session.execute(
        select(TaxBill.tax_no, TaxBill.agent_enterprise_id, TaxBill.amount)
        .where(TaxBill.tax_no.in_(tax_nos), TaxBill.covered.is_(False)))} if held else {}
    # agents with bills already waiting for cover: a new bill queues behind them (the guarantee covers bills in
    # the order customs issued them; a stream of small bills must not keep a large one waiting for ever)
    queued = set(session.scalars(select(TaxBill.agent_enterprise_id.distinct()).where(
        TaxBill.agent_enterprise_id.in_(list(held)), TaxBill.covered.is_(False),
        TaxBill.status != TaxBillStatus.void.value, TaxBill.paid_on.is_(None)))) if held else set()
    balance = {g.id: g.balance for g in held.values()}
    movements: list[dict] = []
    new_bills: list[dict] = []
    short: set[int] = set()  # guarantees with a bill left uncovered in this batch
    out: list[str] = []
    for bill, amount in zip(bills, amounts, strict=True):
        agent, tax_no = bill.agent_enterprise_id, str(bill.head.get("taxNo") or "")
        if agent is None or amount <= 0:
            out.append("ignored")
            continue
        g = held.get(agent)
        if g is None:
            out.append("no_guarantee")
            continue
        if tax_no in prior:  # booked before (a repeat): nothing changes, as draw() answers
            if prior[tax_no] != (g.id, amount):
                raise errors.reference_reused(tax_no)
            out.append("drawn")
            continue
        if tax_no in waiting:  # booked uncovered before (a repeat): still waiting for cover
            if waiting[tax_no] != (agent, amount):
                raise errors.reference_reused(tax_no)
            out.append("insufficient")
            continue
        before = balance[g.id]
        if before < amount or agent in queued:  # customs issued it all the same: kept, waiting for cover, never lost
            audit.record(session=session, action="tax:guarantee:shortfall", stream=_stream(agent), actor=actor,
                         subject_id=tax_no, before={"balance": before},
                         after={"amount": amount, "invt_no": bill.invt_no, "behind_waiting": before >= amount})
            waiting[tax_no] = (agent, amount)
            queued.add(agent)
            short.add(g.id)
            new_bills.append({"tax_no": tax_no, "invt_no": bill.invt_no, "agent_enterprise_id": agent,
                              "amount": amount, "status": TaxBillStatus.generated.value, "covered": False,
                              "bill_date": day, "month": day.replace(day=1), "status_at": at, "created_at": at})
            out.append("insufficient")
            continue
        balance[g.id] = after = before - amount
        prior[tax_no] = (g.id, amount)
        movements.append({"guarantee_id": g.id, "kind": GuaranteeMovementKind.draw.value, "amount": amount,
                          "balance_after": after, "reference": tax_no, "business_date": day, "actor": actor,
                          "at": at})
        new_bills.append({"tax_no": tax_no, "invt_no": bill.invt_no, "agent_enterprise_id": agent, "amount": amount,
                          "status": TaxBillStatus.generated.value, "covered": True, "bill_date": day,
                          "month": day.replace(day=1), "status_at": at, "created_at": at})
        audit.record(session=session, action="tax:guarantee:draw", stream=_stream(agent), actor=actor,
                     subject_id=tax_no, before={"balance": before},
                     after={"balance": after, "amount": amount, "invt_no": bill.invt_no})
        out.append("drawn")
    if not new_bills:
        return out
    try:
        if movements:
            session.execute(insert(TaxGuaranteeMovement), movements)
        session.execute(insert(TaxBill), new_bills)
    except IntegrityError:
        raise errors.reference_reused(", ".join(b["tax_no"] for b in new_bills)[:200]) from None
    for g in held.values():
        if balance[g.id] == g.balance:
            if g.id in short:
                _check_alerts(session, g, actor, day)
            continue
        won = session.execute(update(TaxGuarantee).where(TaxGuarantee.id == g.id, TaxGuarantee.balance == g.balance)
                              .values(balance=balance[g.id], updated_at=at)
                              .execution_options(synchronize_session=False)).rowcount
        if not won:  # cannot happen under the row lock: nothing of the batch is kept, it is applied again
            raise RuntimeError(f"tax guarantee {g.agent_enterprise_id} changed while its bills were drawn")
        set_committed_value(g, "balance", balance[g.id])
        set_committed_value(g, "updated_at", at)
        _check_alerts(session, g, actor, day)
    _apply_early_statuses(session, [b["tax_no"] for b in new_bills])
    return out


def _apply_early_statuses(session: Session, tax_nos: list[str]) -> None:
    """The CEB818 statuses that arrived before these bills, applied now in arrival order (after the batch's
    balances are written: a void gives back through the guarded balance update of its own)."""
    for start in range(0, len(tax_nos), 500):
        early = session.execute(select(TaxBillEarlyStatus).where(TaxBillEarlyStatus.tax_no.in_(
            tax_nos[start:start + 500])).order_by(TaxBillEarlyStatus.id)).scalars().all()
        for row in early:
            record_payment_status(session=session, tax_no=row.tax_no, status=row.status, actor="customs:ceb818",
                                  ent_duty_no=row.ent_duty_no)
            session.delete(row)
    session.flush()
