"""The personal annual quota ledger (个人年度跨境电子商务零售进口交易额度台账), platform-wide.

Rules (policy-rules.md §1.3): R1.6 limits 5,000 per transaction / 26,000 per calendar year (2,000 /
20,000 before 2019), R1.7 the year is the calendar year of the declaration date (an Asia/Shanghai date),
R1.9 a single indivisible item above the single limit may pass at full rate (from 2019), R1.11 "exceeds"
(exactly at the limit is allowed). Values and dates come from :mod:`kuajing.rules`.

Life of a claim (keyed by ``reference``, e.g. the declaration list's business key)::

    reserve ──► reserved ──consume──► consumed ──restore (return / cancellation, partial allowed)
                   └──────release──► released
    reserve over the limit ──► rejected (nothing counted; the same decision is returned on a repeat)

Every change is a :class:`~kuajing.quota.models.QuotaMovement` (the balance is always the sum of its
movements: used = consume − restore, reserved = reserve − consume − release) and an audit event.

Concurrency: each change locks the buyer-year row (``SELECT … FOR UPDATE`` on PostgreSQL after a
race-free ``INSERT … ON CONFLICT DO NOTHING``; on SQLite the first write takes the database's write
lock, so writers serialise), then re-reads the reservation: two parcels can never pass the limit together.
Services never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuajing.audit import service as audit
from kuajing.db.base import utcnow
from kuajing.db.types import blind_index, blind_index_equals, mask, mask_name
from kuajing.errors import FieldIssue, validation_error
from kuajing.quota import errors
from kuajing.quota.choices import MovementKind, ReservationStatus
from kuajing.quota.errors import QuotaErrorCode
from kuajing.quota.models import QuotaAccount, QuotaLookup, QuotaMovement, QuotaReservation
from kuajing.rules.service import rule

SHANGHAI = ZoneInfo("Asia/Shanghai")  # business dates (settings.timezone default)
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
ID_NUMBER_RE = re.compile(r"^\d{17}[\dX]$")
#: Lookups a caller may make per window (page and API); see docs/quota.md "Not an oracle".
LOOKUP_LIMIT = 20
LOOKUP_WINDOW_MINUTES = 60


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaDecision:
    """The answer to a reservation: ok, or the official reason code, with the figures behind it."""

    ok: bool
    reason_code: str | None  # "-621018" annual limit, "-621005" single limit, None when ok
    limit: Decimal  # annual limit on the declaration date (R1.6)
    used_before: Decimal  # released in the year before this claim
    reserved_before: Decimal  # declared, not yet released, before this claim
    total_after: Decimal  # used + reserved + amount (what the limit was compared with)
    reference: str = ""
    year: int = 0
    amount: Decimal = ZERO
    customs_blocked: bool = False  # refused because customs reported the national ledger full
    repeated: bool = False  # a repeat of an earlier reserve with the same reference

    @property
    def remaining_after(self) -> Decimal:
        """What is left of the year's limit after this claim (or before it, when rejected)."""
        base = self.total_after if self.ok else self.total_after - self.amount
        return max(self.limit - base, ZERO)


@dataclass(frozen=True)
class QuotaChange:
    """A reservation after consume / release / restore."""

    reference: str
    status: str  # ReservationStatus
    amount: Decimal
    restored: Decimal
    year: int
    used_after: Decimal  # the buyer-year's used total after the change
    reserved_after: Decimal
    changed: bool  # False when the call repeated an earlier one (idempotent no-op)


@dataclass(frozen=True)
class MovementView:
    """One ledger movement as shown."""

    kind: str
    amount: Decimal
    reference: str
    at: datetime


@dataclass(frozen=True)
class QuotaView:
    """A buyer's year as shown (masked): limit, used, reserved, remaining, movements."""

    found: bool  # a ledger exists for this ID number AND name
    buyer_id_masked: str
    buyer_name_masked: str
    year: int
    limit: Decimal
    used: Decimal
    reserved: Decimal
    remaining: Decimal
    customs_blocked: bool
    movements: tuple[MovementView, ...]


# --- helpers ---------------------------------------------------------------------------------------


def declaration_date(value: date | datetime, *, tz: ZoneInfo = SHANGHAI) -> date:
    """The business date of a declaration: an aware instant converted to Asia/Shanghai, a date as is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware instant (UTC) or a date")
        return value.astimezone(tz).date()
    return value


def annual_limit(on: date) -> Decimal:
    """The annual limit per person in force on ``on`` (R1.6)."""
    return rule("cbec.annual_limit_cny", on).value


def year_limit(year: int) -> Decimal:
    """The annual limit of a calendar year (its value on 31 December; the limits change on 1 January)."""
    return annual_limit(date(year, 12, 31))


def _amount(value: Any, path: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise validation_error([errors.amount_invalid(value, path)])
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise validation_error([errors.amount_invalid(value, path)]) from None
    if not number.is_finite() or number <= 0 or number != number.quantize(FEN):
        raise validation_error([errors.amount_invalid(value, path)])
    return number.quantize(FEN)


def _identity_issues(buyer_id_number: str, buyer_name: str, *, strict: bool) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    number = "".join((buyer_id_number or "").split()).upper()
    if not number or len(number) > 60 or (strict and not ID_NUMBER_RE.match(number)):
        issues.append(errors.id_number_invalid(buyer_id_number))
    if not (buyer_name or "").strip():
        issues.append(errors.name_required())
    return issues


def _stream(buyer_index: str) -> str:
    return f"quota:{buyer_index[:32]}"


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _ensure_account(session: Session, *, buyer_index: str, year: int, buyer_id_number: str, buyer_name: str) -> None:
    """Create the buyer-year row if missing, race-free (INSERT … ON CONFLICT DO NOTHING)."""
    now = utcnow()
    stmt = _insert(session)(QuotaAccount).values(
        buyer_index=buyer_index, year=year, buyer_id_number=buyer_id_number, buyer_name=buyer_name.strip(),
        name_index=blind_index(buyer_name), used=ZERO, reserved=ZERO, customs_blocked=False,
        created_at=now, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["buyer_index", "year"])
    session.execute(stmt)


def _lock_account(session: Session, *, account_id: int | None = None, buyer_index: str | None = None,
                  year: int | None = None) -> QuotaAccount | None:
    """Lock and re-read the buyer-year row (FOR UPDATE on PostgreSQL; a first write on SQLite)."""
    cond = (QuotaAccount.id == account_id) if account_id is not None else (
        (QuotaAccount.buyer_index == buyer_index) & (QuotaAccount.year == year))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(QuotaAccount).where(cond).values(updated_at=utcnow())
                        .execution_options(synchronize_session=False))
    return session.execute(
        select(QuotaAccount).where(cond).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _reservation(session: Session, reference: str) -> QuotaReservation | None:
    return session.execute(
        select(QuotaReservation).where(QuotaReservation.reference == reference)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _decision(res: QuotaReservation, year: int, *, repeated: bool, blocked: bool = False) -> QuotaDecision:
    return QuotaDecision(ok=res.status != ReservationStatus.rejected, reason_code=res.reason_code,
                         limit=res.limit_amount, used_before=res.used_before, reserved_before=res.reserved_before,
                         total_after=res.total_after, reference=res.reference, year=year, amount=res.amount,
                         customs_blocked=blocked, repeated=repeated)


def _snapshot(account: QuotaAccount, res: QuotaReservation | None = None) -> dict[str, Any]:
    snap: dict[str, Any] = {"buyer": mask(account.buyer_id_number), "year": account.year,
                            "used": account.used, "reserved": account.reserved,
                            "customs_blocked": account.customs_blocked}
    if res is not None:
        snap.update(reference=res.reference, amount=res.amount, status=res.status, restored=res.restored)
    return snap


def _move(session: Session, account: QuotaAccount, res: QuotaReservation, kind: MovementKind, amount: Decimal,
          actor: str, key: str | None = None) -> None:
    session.add(QuotaMovement(account_id=account.id, reservation_id=res.id, kind=kind.value, amount=amount,
                              reference=res.reference, movement_key=key or res.reference, actor=actor))


def _change(account: QuotaAccount, res: QuotaReservation, changed: bool) -> QuotaChange:
    return QuotaChange(reference=res.reference, status=res.status, amount=res.amount, restored=res.restored,
                       year=account.year, used_after=account.used, reserved_after=account.reserved, changed=changed)


# --- the ledger ------------------------------------------------------------------------------------


def reserve(*, session: Session, buyer_id_number: str, buyer_name: str, declared_on: date | datetime,
            amount: Decimal, reference: str, single_item_full_rate: bool = False, actor: str) -> QuotaDecision:
    """Reserve ``amount`` of the buyer's year on declaration; −621018 past the annual limit, −621005 past the single one."""
    issues = _identity_issues(buyer_id_number, buyer_name, strict=False)
    if not reference or len(reference) > 100:
        issues.append(FieldIssue(QuotaErrorCode.reference_reused, "reference",
                                 "Give a reference of 1 to 100 characters.", reference))
    if issues:
        raise validation_error(issues)
    amount = _amount(amount)
    on = declaration_date(declared_on)
    year = on.year
    limit = annual_limit(on)
    single = rule("cbec.single_limit_cny", on).value
    full_rate_channel = bool(rule("cbec.full_rate_single_item", on).value)
    bidx = blind_index(buyer_id_number)

    _ensure_account(session, buyer_index=bidx, year=year, buyer_id_number=buyer_id_number, buyer_name=buyer_name)
    account = _lock_account(session, buyer_index=bidx, year=year)
    assert account is not None

    existing = _reservation(session, reference)
    if existing is not None:
        if existing.account_id != account.id or existing.amount != amount:
            raise errors.reference_reused(reference)
        return _decision(existing, year, repeated=True)

    used, reserved = account.used, account.reserved
    total_after = used + reserved + amount
    reason: str | None = None
    if account.customs_blocked:
        reason = QuotaErrorCode.annual_limit.value
    elif amount > single and not (single_item_full_rate and full_rate_channel):
        reason = QuotaErrorCode.single_limit.value  # R1.11 (and R1.9 before 2019: no full-rate channel)
    elif total_after > limit:  # "exceeds" (超过): exactly the limit is allowed (R1.11)
        reason = QuotaErrorCode.annual_limit.value
    before = _snapshot(account)
    res = QuotaReservation(
        reference=reference, account_id=account.id, amount=amount,
        status=ReservationStatus.rejected.value if reason else ReservationStatus.reserved.value,
        single_item_full_rate=single_item_full_rate, reason_code=reason, limit_amount=limit, used_before=used,
        reserved_before=reserved, total_after=total_after, restored=ZERO, actor=actor,
    )
    try:
        with session.begin_nested():
            session.add(res)
            session.flush()
    except IntegrityError:  # the same reference was just taken for another buyer
        raise errors.reference_reused(reference) from None
    if reason is None:
        account.reserved = reserved + amount
        _move(session, account, res, MovementKind.reserve, amount, actor)
    session.flush()
    audit.record(session=session, action=f"quota:reservation:{'reserve' if reason is None else 'reject'}",
                 stream=_stream(bidx), actor=actor, subject_id=reference, before=before,
                 after=_snapshot(account, res) | {"reason_code": reason, "limit": limit,
                                                  "declared_on": on.isoformat()})
    return _decision(res, year, repeated=False, blocked=bool(reason) and account.customs_blocked)


def _locked_reservation(session: Session, reference: str) -> tuple[QuotaAccount, QuotaReservation]:
    found = _reservation(session, reference)
    if found is None:
        raise errors.reservation_unknown(reference)
    account = _lock_account(session, account_id=found.account_id)
    res = _reservation(session, reference)  # re-read under the lock
    assert account is not None and res is not None
    return account, res


def consume(*, session: Session, reference: str, actor: str) -> QuotaChange:
    """On release by customs: the reservation's amount moves from reserved to used (idempotent)."""
    account, res = _locked_reservation(session, reference)
    if res.status == ReservationStatus.consumed:
        return _change(account, res, False)
    if res.status != ReservationStatus.reserved:
        raise errors.transition_not_allowed(reference, res.status, "consumed")
    before = _snapshot(account, res)
    account.reserved -= res.amount
    account.used += res.amount
    res.status = ReservationStatus.consumed.value
    _move(session, account, res, MovementKind.consume, res.amount, actor)
    session.flush()
    audit.record(session=session, action="quota:reservation:consume", stream=_stream(account.buyer_index),
                 actor=actor, subject_id=reference, before=before, after=_snapshot(account, res))
    return _change(account, res, True)


def release(*, session: Session, reference: str, actor: str) -> QuotaChange:
    """On rejection (or withdrawal before release): free the reservation (idempotent; a no-op for a rejected claim)."""
    account, res = _locked_reservation(session, reference)
    if res.status in (ReservationStatus.released, ReservationStatus.rejected):
        return _change(account, res, False)
    if res.status != ReservationStatus.reserved:
        raise errors.transition_not_allowed(reference, res.status, "released")
    before = _snapshot(account, res)
    account.reserved -= res.amount
    res.status = ReservationStatus.released.value
    _move(session, account, res, MovementKind.release, res.amount, actor)
    session.flush()
    audit.record(session=session, action="quota:reservation:release", stream=_stream(account.buyer_index),
                 actor=actor, subject_id=reference, before=before, after=_snapshot(account, res))
    return _change(account, res, True)


def restore(*, session: Session, reference: str, actor: str, amount: Decimal | None = None,
            restore_reference: str | None = None) -> QuotaChange:
    """On cancellation or return: give back used amount (all, or ``amount`` for a partial return; idempotent per restore_reference)."""
    account, res = _locked_reservation(session, reference)
    if res.status == ReservationStatus.reserved:
        # a cancellation before release: nothing was used yet, so the reservation is simply freed
        if amount is not None and _amount(amount) != res.amount:
            raise errors.transition_not_allowed(reference, res.status, "partly restored")
        return release(session=session, reference=reference, actor=actor)
    if res.status != ReservationStatus.consumed:
        raise errors.transition_not_allowed(reference, res.status, "restored")
    key = f"{reference}|{restore_reference}" if restore_reference else reference
    seen = session.execute(select(QuotaMovement.id).where(
        QuotaMovement.kind == MovementKind.restore.value, QuotaMovement.movement_key == key)).first()
    if seen is not None:
        return _change(account, res, False)
    left = res.amount - res.restored
    give = left if amount is None else _amount(amount)
    if give > left or give <= 0:
        raise errors.restore_exceeds_used(reference, give, left)
    before = _snapshot(account, res)
    account.used -= give
    res.restored += give
    _move(session, account, res, MovementKind.restore, give, actor, key)
    session.flush()
    audit.record(session=session, action="quota:reservation:restore", stream=_stream(account.buyer_index),
                 actor=actor, subject_id=reference, before=before,
                 after=_snapshot(account, res) | {"restore_reference": key, "restored_now": give})
    return _change(account, res, True)


def record_customs_rejection(*, session: Session, buyer_id_number: str, buyer_name: str, year: int, actor: str,
                             reference: str | None = None) -> QuotaView:
    """Customs answered −621018: the national ledger is fuller than ours — refuse the buyer's year until reset.

    Our ledger only sees this platform's share of the national quota, so after customs says the year is
    full we refuse every further reservation for that buyer-year (reason −621018, ``customs_blocked``)
    rather than guess the national figure. A zone operator lifts it with :func:`reset_customs_block`
    (e.g. after returns elsewhere). When ``reference`` names our reservation of the rejected list, it is
    released in the same call.
    """
    bidx = blind_index(buyer_id_number)
    _ensure_account(session, buyer_index=bidx, year=year, buyer_id_number=buyer_id_number, buyer_name=buyer_name)
    account = _lock_account(session, buyer_index=bidx, year=year)
    assert account is not None
    if not account.customs_blocked:
        before = _snapshot(account)
        account.customs_blocked = True
        account.customs_blocked_at = utcnow()
        account.customs_blocked_reference = reference
        session.flush()
        audit.record(session=session, action="quota:account:customs-block", stream=_stream(bidx), actor=actor,
                     subject_id=str(account.id), before=before, after=_snapshot(account) | {"reference": reference})
    if reference is not None and _reservation(session, reference) is not None:
        release(session=session, reference=reference, actor=actor)
    return _view(session, account, found=True)


def reset_customs_block(*, session: Session, buyer_id_number: str, year: int, actor: str) -> bool:
    """Lift a customs block on a buyer-year (zone operator); False when there was none."""
    account = _lock_account(session, buyer_index=blind_index(buyer_id_number), year=year)
    if account is None or not account.customs_blocked:
        return False
    before = _snapshot(account)
    account.customs_blocked = False
    account.customs_blocked_at = None
    account.customs_blocked_reference = None
    session.flush()
    audit.record(session=session, action="quota:account:customs-unblock", stream=_stream(account.buyer_index),
                 actor=actor, subject_id=str(account.id), before=before, after=_snapshot(account))
    return True


def reservation(*, session: Session, reference: str) -> QuotaChange | None:
    """The current state of the reservation ``reference`` (None when unknown)."""
    res = _reservation(session, reference)
    if res is None:
        return None
    account = session.get(QuotaAccount, res.account_id)
    assert account is not None
    return _change(account, res, False)


# --- views -----------------------------------------------------------------------------------------


def _view(session: Session, account: QuotaAccount, *, found: bool, movements: int = 50) -> QuotaView:
    limit = year_limit(account.year)
    rows = session.execute(
        select(QuotaMovement).where(QuotaMovement.account_id == account.id)
        .order_by(QuotaMovement.at.desc(), QuotaMovement.id.desc()).limit(movements)
    ).scalars().all()
    return QuotaView(
        found=found, buyer_id_masked=mask(account.buyer_id_number), buyer_name_masked=mask_name(account.buyer_name),
        year=account.year, limit=limit, used=account.used, reserved=account.reserved,
        remaining=max(limit - account.used - account.reserved, ZERO), customs_blocked=account.customs_blocked,
        movements=tuple(MovementView(kind=m.kind, amount=m.amount, reference=m.reference, at=m.at) for m in rows),
    )


def lookup(*, session: Session, buyer_id_number: str, buyer_name: str, year: int) -> QuotaView:
    """A buyer's year, masked; ``found`` only when BOTH the ID number and the name match (no oracle)."""
    issues = _identity_issues(buyer_id_number, buyer_name, strict=True)
    if issues:
        raise validation_error(issues)
    account = session.execute(select(QuotaAccount).where(
        QuotaAccount.buyer_index == blind_index(buyer_id_number), QuotaAccount.year == year)).scalar_one_or_none()
    if account is not None and blind_index_equals(account.name_index, blind_index(buyer_name)):
        return _view(session, account, found=True)
    limit = year_limit(year)
    # unknown ID number and known ID number with another name answer alike
    return QuotaView(found=False, buyer_id_masked=mask("".join(buyer_id_number.split()).upper()),
                     buyer_name_masked=mask_name(buyer_name.strip()), year=year, limit=limit, used=ZERO,
                     reserved=ZERO, remaining=limit, customs_blocked=False, movements=())


def lookup_for_caller(*, session: Session, caller: str, buyer_id_number: str, buyer_name: str, year: int,
                      max_lookups: int = LOOKUP_LIMIT, window_minutes: int = LOOKUP_WINDOW_MINUTES) -> QuotaView:
    """:func:`lookup` counted per caller: refuse (429) past ``max_lookups`` per window; every lookup is logged."""
    since = datetime.now(UTC) - timedelta(minutes=window_minutes)
    count = session.execute(select(func.count(QuotaLookup.id)).where(
        QuotaLookup.caller == caller, QuotaLookup.at >= since)).scalar_one()
    if count >= max_lookups:
        raise errors.lookup_rate_limited(max_lookups, window_minutes)
    view = lookup(session=session, buyer_id_number=buyer_id_number, buyer_name=buyer_name, year=year)
    session.add(QuotaLookup(caller=caller[:140], buyer_index=blind_index(buyer_id_number), year=year,
                            matched=view.found))
    session.flush()
    return view


def movement_totals(*, session: Session, buyer_id_number: str, year: int) -> tuple[Decimal, Decimal]:
    """(used, reserved) recomputed from the movements alone: used = consume − restore, reserved = reserve − consume − release."""
    account = session.execute(select(QuotaAccount.id).where(
        QuotaAccount.buyer_index == blind_index(buyer_id_number), QuotaAccount.year == year)).scalar_one_or_none()
    if account is None:
        return ZERO, ZERO
    sums = dict(session.execute(
        select(QuotaMovement.kind, func.sum(QuotaMovement.amount)).where(QuotaMovement.account_id == account)
        .group_by(QuotaMovement.kind)).all())
    got = {k: (sums.get(k.value) or ZERO) for k in MovementKind}
    used = got[MovementKind.consume] - got[MovementKind.restore]
    reserved = got[MovementKind.reserve] - got[MovementKind.consume] - got[MovementKind.release]
    return used, reserved
