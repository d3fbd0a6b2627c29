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
A :class:`QuotaBatch` (``reserve_many``, ``consume_many``, ``release_many``) locks all the rows of a batch in
one statement ordered by ``(buyer_index, year)`` and decides in memory, in order, as the single calls do.
Services never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from kuajing.audit import service as audit
from kuajing.db.base import utcnow
from kuajing.db.types import Money, blind_index, blind_index_equals, mask, mask_name
from kuajing.errors import AppError, FieldIssue, validation_error
from kuajing.identity import is_resident_id
from kuajing.quota import errors
from kuajing.quota.choices import MovementKind, ReservationStatus
from kuajing.quota.errors import QuotaErrorCode
from kuajing.quota.models import QuotaAccount, QuotaLookup, QuotaMovement, QuotaReservation
from kuajing.rules.service import rule

SHANGHAI = ZoneInfo("Asia/Shanghai")  # business dates (settings.timezone default)
FEN = Decimal("0.01")
ZERO = Decimal("0.00")
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
    if not number or len(number) > 60 or (strict and not is_resident_id(number)):
        issues.append(errors.id_number_invalid(buyer_id_number))
    if not (buyer_name or "").strip():
        issues.append(errors.name_required())
    return issues


def _stream(buyer_index: str) -> str:
    return f"quota:{buyer_index[:32]}"


#: the balances of a batch's accounts in one statement (PostgreSQL): constant text, arrays as parameters
_BALANCES_PG = text(
    "UPDATE quota_accounts SET used = b.used, reserved = b.reserved, updated_at = :now "
    "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:used AS NUMERIC[]), CAST(:reserved AS NUMERIC[])) "
    "AS b(id, used, reserved) WHERE quota_accounts.id = b.id")


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
    """Reserve ``amount`` of the buyer's year on declaration; −621018 past the annual limit, −621005 past the single one.

    A batch of one (:func:`reserve_many`): the buyer-year row is created if missing, locked, and the claim
    decided against it; a repeat of ``reference`` returns the first decision.
    """
    return reserve_many(session=session, actor=actor, requests=[QuotaRequest(
        buyer_id_number=buyer_id_number, buyer_name=buyer_name, declared_on=declared_on, amount=amount,
        reference=reference, single_item_full_rate=single_item_full_rate)])[0]


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


# --- batches (set-based: one lock round, multi-row writes) ------------------------------------------


@dataclass(frozen=True)
class QuotaRequest:
    """One claim of a batch (额度占用申请): the arguments of :func:`reserve`."""

    buyer_id_number: str
    buyer_name: str
    declared_on: date | datetime
    amount: Decimal
    reference: str
    single_item_full_rate: bool = False


@dataclass
class _Account:
    """A locked buyer-year row as kept in memory by a batch (个人年度额度账户)."""

    id: int
    buyer_index: str
    year: int
    buyer_id_number: str
    customs_blocked: bool
    used: Decimal
    reserved: Decimal
    changed: bool = False


@dataclass
class _Claim:
    """A reservation as kept in memory by a batch (额度占用); ``id`` is None until written."""

    id: int | None
    reference: str
    account_id: int
    amount: Decimal
    status: str
    reason_code: str | None
    limit_amount: Decimal
    used_before: Decimal
    reserved_before: Decimal
    total_after: Decimal
    restored: Decimal
    single_item_full_rate: bool = False
    actor: str = ""
    stored_status: str | None = None  # the status in the database (None: a new reservation)


def _checked(req: QuotaRequest) -> tuple[Decimal, date]:
    """The claim's amount and declaration date, or the validation error :func:`reserve` raises."""
    issues = _identity_issues(req.buyer_id_number, req.buyer_name, strict=False)
    if not req.reference or len(req.reference) > 100:
        issues.append(FieldIssue(QuotaErrorCode.reference_reused, "reference",
                                 "Give a reference of 1 to 100 characters.", req.reference))
    if issues:
        raise validation_error(issues)
    return _amount(req.amount), declaration_date(req.declared_on)


_ACCOUNT_COLUMNS = (QuotaAccount.id, QuotaAccount.buyer_index, QuotaAccount.year, QuotaAccount.buyer_id_number,
                    QuotaAccount.customs_blocked, QuotaAccount.used, QuotaAccount.reserved)


class QuotaBatch:
    """Many quota changes decided together: every buyer-year row involved locked in ONE ordered statement,
    each change decided in memory in the caller's order exactly as the single-call functions decide it,
    then written with multi-row statements by :meth:`write` (reservations, movements, one balance update).

    Lock order is global: ``(buyer_index, year)`` for every batch, so two batches never deadlock on the
    quota rows (a single call locks one row). On SQLite a write comes first and takes the database's write
    lock, as in the single calls. Open one with :meth:`for_requests` or :meth:`for_references`.
    """

    def __init__(self, session: Session, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.accounts: dict[int, _Account] = {}
        self.by_key: dict[tuple[str, int], _Account] = {}
        self.claims: dict[str, _Claim] = {}
        self.movements: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    # -- opening: lock and load -------------------------------------------------------------------

    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    def _keep_accounts(self, rows) -> None:
        for r in rows:
            acct = _Account(id=r.id, buyer_index=r.buyer_index, year=r.year, buyer_id_number=r.buyer_id_number,
                            customs_blocked=r.customs_blocked, used=r.used, reserved=r.reserved)
            self.accounts[acct.id] = acct
            self.by_key[(acct.buyer_index, acct.year)] = acct

    def _keep_claims(self, references: Sequence[str]) -> None:
        wanted = sorted({r for r in references if r} - set(self.claims))
        for start in range(0, len(wanted), 500):
            for res in self.session.execute(select(QuotaReservation).where(
                    QuotaReservation.reference.in_(wanted[start:start + 500]))).scalars():
                self.claims[res.reference] = _Claim(
                    id=res.id, reference=res.reference, account_id=res.account_id, amount=res.amount,
                    status=res.status, reason_code=res.reason_code, limit_amount=res.limit_amount,
                    used_before=res.used_before, reserved_before=res.reserved_before, total_after=res.total_after,
                    restored=res.restored, single_item_full_rate=res.single_item_full_rate, actor=res.actor,
                    stored_status=res.status)

    @classmethod
    def for_requests(cls, session: Session, requests: Sequence[QuotaRequest], actor: str) -> QuotaBatch:
        """Create the missing buyer-year rows (one INSERT … ON CONFLICT DO NOTHING), lock all of them (one
        ordered SELECT … FOR UPDATE) and load the reservations the references already name."""
        batch = cls(session, actor)
        firsts: dict[tuple[str, int], QuotaRequest] = {}
        for req in requests:
            _checked(req)  # a bad claim raises before anything is written, as the single call does
            firsts.setdefault((blind_index(req.buyer_id_number), declaration_date(req.declared_on).year), req)
        if not firsts:
            return batch
        now = utcnow()
        rows = [dict(buyer_index=key[0], year=key[1], buyer_id_number=req.buyer_id_number,
                     buyer_name=req.buyer_name.strip(), name_index=blind_index(req.buyer_name), used=ZERO,
                     reserved=ZERO, customs_blocked=False, created_at=now, updated_at=now)
                 for key, req in sorted(firsts.items())]
        session.execute(_insert(session)(QuotaAccount.__table__)
                        .on_conflict_do_nothing(index_elements=["buyer_index", "year"]), rows)
        keys = sorted(firsts)
        batch._keep_accounts(session.execute(
            select(*_ACCOUNT_COLUMNS).where(tuple_(QuotaAccount.buyer_index, QuotaAccount.year).in_(keys))
            .order_by(QuotaAccount.buyer_index, QuotaAccount.year).with_for_update()).all())
        batch._keep_claims([req.reference for req in requests])
        return batch

    @classmethod
    def for_references(cls, session: Session, references: Sequence[str], actor: str) -> QuotaBatch:
        """Lock the buyer-year rows of the reservations ``references`` (one ordered SELECT … FOR UPDATE),
        then read the reservations under the lock."""
        batch = cls(session, actor)
        wanted = sorted({r for r in references if r})
        if not wanted:
            return batch
        owners = select(QuotaReservation.account_id).where(QuotaReservation.reference.in_(wanted))
        if batch._sqlite():  # the first write takes SQLite's write lock before anything is read
            session.execute(update(QuotaAccount).where(QuotaAccount.id.in_(owners)).values(updated_at=utcnow())
                            .execution_options(synchronize_session=False))
        batch._keep_accounts(session.execute(
            select(*_ACCOUNT_COLUMNS).where(QuotaAccount.id.in_(owners))
            .order_by(QuotaAccount.buyer_index, QuotaAccount.year).with_for_update()).all())
        batch._keep_claims(wanted)
        return batch

    # -- decisions in memory ----------------------------------------------------------------------

    def _event(self, action: str, account: _Account, subject: str, before: dict, after: dict) -> None:
        self.events.append(dict(action=action, stream=_stream(account.buyer_index), actor=self.actor,
                                subject_id=subject, before=before, after=after))

    def _move(self, account: _Account, claim: _Claim, kind: MovementKind, amount: Decimal) -> None:
        self.movements.append(dict(account=account, claim=claim, kind=kind.value, amount=amount,
                                   reference=claim.reference, movement_key=claim.reference, actor=self.actor,
                                   at=utcnow()))

    def reserve(self, req: QuotaRequest) -> QuotaDecision:
        """:func:`reserve`, decided in memory (the account must have been locked by :meth:`for_requests`)."""
        amount, on = _checked(req)
        reference = req.reference
        year = on.year
        limit = annual_limit(on)
        single = rule("cbec.single_limit_cny", on).value
        full_rate_channel = bool(rule("cbec.full_rate_single_item", on).value)
        account = self.by_key[(blind_index(req.buyer_id_number), year)]

        existing = self.claims.get(reference)
        if existing is not None:
            if existing.account_id != account.id or existing.amount != amount:
                raise errors.reference_reused(reference)
            return _decision(existing, year, repeated=True)

        used, reserved = account.used, account.reserved
        total_after = used + reserved + amount
        reason: str | None = None
        if account.customs_blocked:
            reason = QuotaErrorCode.annual_limit.value
        elif amount > single and not (req.single_item_full_rate and full_rate_channel):
            reason = QuotaErrorCode.single_limit.value  # R1.11 (and R1.9 before 2019: no full-rate channel)
        elif total_after > limit:  # "exceeds" (超过): exactly the limit is allowed (R1.11)
            reason = QuotaErrorCode.annual_limit.value
        before = _snapshot(account)  # type: ignore[arg-type]
        claim = _Claim(id=None, reference=reference, account_id=account.id, amount=amount,
                       status=ReservationStatus.rejected.value if reason else ReservationStatus.reserved.value,
                       reason_code=reason, limit_amount=limit, used_before=used, reserved_before=reserved,
                       total_after=total_after, restored=ZERO, single_item_full_rate=req.single_item_full_rate,
                       actor=self.actor)
        self.claims[reference] = claim
        if reason is None:
            account.reserved = reserved + amount
            account.changed = True
            self._move(account, claim, MovementKind.reserve, amount)
        self._event(f"quota:reservation:{'reserve' if reason is None else 'reject'}", account, reference, before,
                    _snapshot(account, claim) | {"reason_code": reason, "limit": limit,  # type: ignore[arg-type]
                                                 "declared_on": on.isoformat()})
        return _decision(claim, year, repeated=False, blocked=bool(reason) and account.customs_blocked)

    def _settle(self, reference: str, target: ReservationStatus) -> QuotaChange:
        claim = self.claims.get(reference)
        if claim is None:
            raise errors.reservation_unknown(reference)
        account = self.accounts[claim.account_id]
        if target is ReservationStatus.consumed:
            if claim.status == ReservationStatus.consumed:
                return _change(account, claim, False)  # type: ignore[arg-type]
        elif claim.status in (ReservationStatus.released, ReservationStatus.rejected):
            return _change(account, claim, False)  # type: ignore[arg-type]
        if claim.status != ReservationStatus.reserved:
            raise errors.transition_not_allowed(reference, claim.status, target.value)
        before = _snapshot(account, claim)  # type: ignore[arg-type]
        account.reserved -= claim.amount
        if target is ReservationStatus.consumed:
            account.used += claim.amount
        account.changed = True
        claim.status = target.value
        kind = MovementKind.consume if target is ReservationStatus.consumed else MovementKind.release
        self._move(account, claim, kind, claim.amount)
        self._event(f"quota:reservation:{kind.value}", account, reference, before,
                    _snapshot(account, claim))  # type: ignore[arg-type]
        return _change(account, claim, True)  # type: ignore[arg-type]

    def consume(self, reference: str) -> QuotaChange:
        """:func:`consume`, decided in memory."""
        return self._settle(reference, ReservationStatus.consumed)

    def release(self, reference: str) -> QuotaChange:
        """:func:`release`, decided in memory."""
        return self._settle(reference, ReservationStatus.released)

    # -- writing ----------------------------------------------------------------------------------

    def write(self) -> None:
        """Write what was decided: new reservations (one multi-row INSERT), status changes of stored ones (one
        guarded UPDATE per target status), movements (one multi-row INSERT), balances (one UPDATE … FROM
        (VALUES …); per row on SQLite), then the audit events in decision order."""
        session = self.session
        session.flush()  # the caller's pending changes first (objects expired below must not lose them)
        new = [c for c in self.claims.values() if c.stored_status is None and c.id is None]
        if new:
            rows = [dict(reference=c.reference, account_id=c.account_id, amount=c.amount, status=c.status,
                         single_item_full_rate=c.single_item_full_rate, reason_code=c.reason_code,
                         limit_amount=c.limit_amount, used_before=c.used_before, reserved_before=c.reserved_before,
                         total_after=c.total_after, restored=c.restored, actor=c.actor) for c in new]
            ids = session.scalars(insert(QuotaReservation).returning(QuotaReservation.id, sort_by_parameter_order=True),
                                  rows).all()
            for claim, id_ in zip(new, ids, strict=True):
                claim.id = id_
                claim.stored_status = claim.status
        moved: dict[str, list[int]] = {}
        for c in self.claims.values():
            if c.stored_status is not None and c.stored_status != c.status:
                moved.setdefault(c.status, []).append(c.id)  # type: ignore[arg-type]
        for status, ids in sorted(moved.items()):
            done = session.execute(
                update(QuotaReservation).where(QuotaReservation.id.in_(ids),
                                               QuotaReservation.status == ReservationStatus.reserved.value)
                .values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
            if done != len(ids):  # the account locks make this impossible; never write a double change
                raise RuntimeError(f"quota reservations changed concurrently: {done} of {len(ids)} moved to {status}")
        for c in self.claims.values():
            c.stored_status = c.status
        if self.movements:
            rows = [dict(account_id=m["account"].id, reservation_id=m["claim"].id, kind=m["kind"], amount=m["amount"],
                         reference=m["reference"], movement_key=m["movement_key"], actor=m["actor"], at=m["at"])
                    for m in self.movements]
            session.execute(insert(QuotaMovement.__table__), rows)  # one executemany of a constant statement
            self.movements = []
        changed = sorted((a for a in self.accounts.values() if a.changed), key=lambda a: a.id)
        if changed:
            now = utcnow()
            dialect = session.get_bind().dialect
            if dialect.name == "postgresql":  # one constant statement over arrays, whatever the number of accounts
                money = Money()
                session.execute(_BALANCES_PG, {
                    "ids": [a.id for a in changed], "now": now,
                    "used": [money.process_bind_param(a.used, dialect) for a in changed],
                    "reserved": [money.process_bind_param(a.reserved, dialect) for a in changed]})
            else:
                table = QuotaAccount.__table__  # Core: one executemany, not the ORM's bulk update by key
                session.execute(update(table).where(table.c.id == bindparam("b_id"))
                                .values(used=bindparam("b_used", type_=Money()),
                                        reserved=bindparam("b_reserved", type_=Money()), updated_at=now),
                                [{"b_id": a.id, "b_used": a.used, "b_reserved": a.reserved} for a in changed])
            for a in changed:
                a.changed = False
        _expire(session, QuotaAccount, [a.id for a in self.accounts.values()])
        _expire(session, QuotaReservation, [c.id for c in self.claims.values() if c.id is not None])
        events, self.events = self.events, []
        if events:
            with audit.deferred(session):
                for e in events:
                    audit.record(session=session, **e)


def _expire(session: Session, model, ids: Sequence[int]) -> None:
    """Objects of ``model`` the session already holds are stale after a Core write: expire them (no SQL)."""
    for id_ in ids:
        obj = session.identity_map.get(identity_key(model, id_))
        if obj is not None:
            session.expire(obj)


def reserve_many(*, session: Session, requests: Sequence[QuotaRequest], actor: str) -> list[QuotaDecision]:
    """:func:`reserve` for many claims at once, decided in list order exactly as one call each would decide
    them (a buyer twice in the batch sees the first claim); a validation error raises for the whole batch."""
    batch = QuotaBatch.for_requests(session, requests, actor)
    decisions = [batch.reserve(req) for req in requests]
    batch.write()
    return decisions


def _settle_many(session: Session, references: Sequence[str], actor: str, how: str) -> list[QuotaChange | AppError]:
    from kuajing.errors import each_or_error

    batch = QuotaBatch.for_references(session, references, actor)
    out = each_or_error(getattr(batch, how), references)
    batch.write()
    return out


def consume_many(*, session: Session, references: Sequence[str], actor: str) -> list[QuotaChange | AppError]:
    """:func:`consume` for many references in one lock round; each result is the change, or the error the
    single call would have raised (unknown reference, wrong state) — the others still go through."""
    return _settle_many(session, references, actor, "consume")


def release_many(*, session: Session, references: Sequence[str], actor: str) -> list[QuotaChange | AppError]:
    """:func:`release` for many references in one lock round (results as :func:`consume_many`)."""
    return _settle_many(session, references, actor, "release")
