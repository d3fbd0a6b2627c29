"""Enterprise filing (企业备案) and the zone registry (企业库): validation, lifecycle, search, timeline.

Services take keyword arguments and never commit; the request or job boundary owns the transaction.
Every state change records an audit event ``enterprises:enterprise:<action>`` in the stream
``enterprise:<USCC>`` in the same transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from kuajing.audit import service as audit
from kuajing.ceb.codes import table
from kuajing.db.base import utcnow
from kuajing.db.types import mask_phone
from kuajing.enterprises.choices import (
    EDITABLE_STATUSES,
    OPERATOR_ACTIONS,
    TRANSITIONS,
    EnterpriseRole,
    EnterpriseStatus,
    ReviewAction,
    allowed_actions,
)
from kuajing.enterprises.errors import (
    MESSAGES,
    C,
    duplicate,
    incomplete,
    issue,
    not_allowed,
    not_editable,
    transition_not_allowed,
)
from kuajing.enterprises.models import Enterprise, EnterpriseRoleLink
from kuajing.errors import AppError, FieldIssue, NotFound, validation_error

ACTION_PREFIX = "enterprises:enterprise:"
DEFAULT_ZONE_FILE = Path(__file__).parent / "data" / "zone.json"

#: Fields an enterprise files, in form order.
FIELDS = ("uscc", "name_zh", "name_en", "roles", "customs_code", "customs_office", "dxp_id", "district", "park",
          "industry", "contact_name", "contact_phone", "address")
#: Fields a submission needs besides the USCC and the Chinese name.
REQUIRED_ON_SUBMIT = ("roles", "customs_code", "district", "industry", "contact_name", "contact_phone", "address")
#: What anybody may see of an approved enterprise (公示信息).
PUBLIC_FIELDS = ("id", "name_zh", "name_en", "roles", "district", "park", "industry", "status")

# --- the zone's reference lists (data, not code) ------------------------------------------------


@dataclass(frozen=True)
class ZoneItem:
    """A district, park or industry of the zone."""

    code: str
    names: dict[str, str]
    district: str | None = None  # parks only

    def name(self, locale: str) -> str:
        """The name in ``locale`` (then English, then Chinese)."""
        from kuajing.i18n import reads_chinese

        return self.names.get(locale) or (self.names.get("en") if not reads_chinese(locale) else None) \
            or self.names["zh_Hans"]


@dataclass(frozen=True)
class ZoneConfig:
    """Districts (旗县区), parks (园区) and industries (产业) of one pilot zone."""

    code: str
    districts: dict[str, ZoneItem]
    parks: dict[str, ZoneItem]
    industries: dict[str, ZoneItem]


@cache
def _load_zone_file(path: str) -> ZoneConfig:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))

    def items(key: str) -> dict[str, ZoneItem]:
        return {row["code"]: ZoneItem(row["code"], row["name"], row.get("district")) for row in raw[key]}

    return ZoneConfig(code=raw["zone"]["code"], districts=items("districts"), parks=items("parks"),
                      industries=items("industries"))


def zone_config(*, var_dir: Path | None = None) -> ZoneConfig:
    """The zone's lists: ``<var_dir>/zone.json`` when a deployment provides one, else the packaged Baotou file."""
    if var_dir is not None and (var_dir / "zone.json").is_file():
        return _load_zone_file(str((var_dir / "zone.json").resolve()))
    return _load_zone_file(str(DEFAULT_ZONE_FILE))


# --- identifiers ----------------------------------------------------------------------------------

#: GB/T 2260 province-level codes (the first two digits of a customs registration code).
PROVINCES = frozenset({"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                       "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
                       "65", "71", "81", "82"})
CUSTOMS_CODE_RE = re.compile(r"^(?P<region>\d{4})(?P<zone>[1-9])(?P<kind>[0-9A-Z])(?P<serial>[0-9A-Z]{4})$")
DXP_ID_RE = re.compile(r"^DXP[A-Z]{3}\d{10}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalise_code(value: str) -> str:
    """Upper case, spaces and dashes removed (how codes are stored)."""
    return re.sub(r"[\s\-]", "", value).upper()


def is_valid_uscc(value: str) -> bool:
    """True for an 18-character unified social credit code with a correct GB 32100-2015 check character."""
    return bool(value) and stdnum_uscc.is_valid(value) and len(value) == 18


def is_valid_customs_code(value: str) -> bool:
    """True for a 10-character customs registration code (海关注册编码), see docs/enterprises.md."""
    match = CUSTOMS_CODE_RE.match(value)
    return bool(match) and match["region"][:2] in PROVINCES and match["region"][2:] != "00"


def is_valid_dxp_id(value: str) -> bool:
    """True for a DXP node id: ``DXP`` + 3-letter node type + 10 digits."""
    return bool(DXP_ID_RE.match(value))


def normalise_phone(value: str) -> str:
    """Digits (and the landline dashes) of a phone number, without spaces or a +86 prefix."""
    phone = re.sub(r"[\s()]", "", value)
    phone = phone.removeprefix("+86")
    return phone


# --- validation -----------------------------------------------------------------------------------


def clean_fields(*, data: dict[str, Any], zone: ZoneConfig, current: Enterprise | None = None) -> dict[str, Any]:
    """Normalise and check the given fields; raise one 422 with every field issue found."""
    issues: list[FieldIssue] = []
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip() or None
        clean[key] = value
        if value is None:
            if key in ("uscc", "name_zh"):
                issues.append(issue(C.field_required, key))
            continue
        if key == "uscc":
            clean[key] = value = normalise_code(value)
            if not is_valid_uscc(value):
                issues.append(issue(C.uscc_invalid, key, value))
        elif key == "customs_code":
            clean[key] = value = normalise_code(value)
            if not is_valid_customs_code(value):
                issues.append(issue(C.customs_code_invalid, key, value))
        elif key == "dxp_id":
            clean[key] = value = normalise_code(value)
            if not is_valid_dxp_id(value):
                issues.append(issue(C.dxp_id_invalid, key, value))
        elif key == "customs_office":
            if value not in table("customs_office"):
                issues.append(issue(C.customs_office_unknown, key, value))
        elif key == "district":
            if value not in zone.districts:
                issues.append(issue(C.district_unknown, key, value))
        elif key == "park":
            if value not in zone.parks:
                issues.append(issue(C.park_unknown, key, value))
        elif key == "industry":
            if value not in zone.industries:
                issues.append(issue(C.industry_unknown, key, value))
        elif key == "contact_phone":
            clean[key] = value = normalise_phone(value)
            if not (MOBILE_RE.match(value) or LANDLINE_RE.match(value)):
                issues.append(issue(C.phone_invalid, key, mask_phone(value)))
        elif key == "roles":
            roles: list[str] = []
            for index, role in enumerate(value):
                if role not in EnterpriseRole.__members__:
                    issues.append(issue(C.role_unknown, f"roles[{index + 1}]", role))
                elif role not in roles:
                    roles.append(role)
            clean[key] = roles
    district = clean.get("district", current.district if current else None)
    park = clean.get("park", current.park if current else None)
    if ("park" in clean or "district" in clean) and park in zone.parks and district in zone.districts:
        park_district = zone.parks[park].district
        if park_district and park_district != district:
            issues.append(issue(C.park_not_in_district, "park", park))
    if issues:
        raise validation_error(issues)
    return clean


def _check_unique(session: Session, clean: dict[str, Any], *, exclude_id: int | None = None) -> None:
    for key, code in (("uscc", C.uscc_taken), ("customs_code", C.customs_code_taken), ("dxp_id", C.dxp_id_taken)):
        value = clean.get(key)
        if not value:
            continue
        query = select(Enterprise.id).where(getattr(Enterprise, key) == value)
        if exclude_id is not None:
            query = query.where(Enterprise.id != exclude_id)
        if session.scalar(query) is not None:
            raise duplicate(code, key, value)


def check_field(*, session: Session, field: str, value: Any, zone: ZoneConfig,
                exclude_id: int | None = None) -> list[FieldIssue]:
    """The issues of one field (the form's validate-on-change); an empty list when it is fine."""
    if field not in FIELDS:
        return []
    try:
        clean = clean_fields(data={field: value}, zone=zone)
        _check_unique(session, clean, exclude_id=exclude_id)
    except AppError as exc:  # a validation error or a duplicate conflict
        return exc.errors
    return []


# --- snapshots and reading ------------------------------------------------------------------------


def snapshot(enterprise: Enterprise) -> dict[str, Any]:
    """What the audit trail records of a filing (personal data masked)."""
    return {
        "uscc": enterprise.uscc, "customs_code": enterprise.customs_code, "dxp_id": enterprise.dxp_id,
        "customs_office": enterprise.customs_office, "name_zh": enterprise.name_zh, "name_en": enterprise.name_en,
        "roles": list(enterprise.roles), "district": enterprise.district, "park": enterprise.park,
        "industry": enterprise.industry, "contact_name": enterprise.contact_name,
        "contact_phone": mask_phone(enterprise.contact_phone), "address": enterprise.address,
        "status": enterprise.status, "review_note": enterprise.review_note,
        "review_issues": list(enterprise.review_issues or []),
    }


def get(*, session: Session, enterprise_id: int) -> Enterprise:
    """The enterprise ``enterprise_id`` or a 404 problem."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("enterprise", path="enterprise_id", value=enterprise_id)
    return enterprise


# --- who may do what ------------------------------------------------------------------------------


def can_view(*, principal, enterprise: Enterprise) -> bool:
    """Zone-wide staff see every filing; an enterprise's users and keys see only their own."""
    return principal is not None and (principal.is_zone_wide or principal.can_see_enterprise(enterprise.id))


def get_visible(*, session: Session, principal, enterprise_id: int) -> Enterprise:
    """The enterprise if ``principal`` may see it; otherwise the same 404 as for a missing one."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not can_view(principal=principal, enterprise=enterprise):
        raise NotFound("enterprise", path="enterprise_id", value=enterprise_id)
    return enterprise


def may(*, principal, enterprise: Enterprise | None, action: ReviewAction) -> bool:
    """Whether ``principal``'s roles allow ``action`` on ``enterprise`` (state machine aside)."""
    if principal is None:
        return False
    if action in OPERATOR_ACTIONS:
        return principal.has_role("zone_operator")
    if action is ReviewAction.create:
        return principal.has_role("zone_operator")
    if enterprise is None or not principal.can_see_enterprise(enterprise.id) or principal.is_zone_wide:
        return action is ReviewAction.update and principal.has_role("zone_operator")
    return principal.has_role("enterprise_admin")


def actions_for(*, principal, enterprise: Enterprise) -> list[str]:
    """The review actions ``principal`` may take now on ``enterprise`` (for buttons and the API)."""
    status = EnterpriseStatus(enterprise.status)
    found = [a.value for a in allowed_actions(status) if may(principal=principal, enterprise=enterprise, action=a)]
    if status in EDITABLE_STATUSES and may(principal=principal, enterprise=enterprise, action=ReviewAction.update):
        found.insert(0, ReviewAction.update.value)
    return found


def ensure_may(*, principal, enterprise: Enterprise | None, action: ReviewAction) -> None:
    """Raise 403 unless ``principal`` may take ``action``."""
    if not may(principal=principal, enterprise=enterprise, action=action):
        raise not_allowed()


# --- state changes --------------------------------------------------------------------------------


def _apply(enterprise: Enterprise, clean: dict[str, Any]) -> None:
    for key, value in clean.items():
        if key == "roles":
            wanted = list(value or [])
            enterprise.role_links = [link for link in enterprise.role_links if link.role in wanted]
            have = {link.role for link in enterprise.role_links}
            enterprise.role_links.extend(EnterpriseRoleLink(role=r) for r in wanted if r not in have)
        else:
            setattr(enterprise, key, value)


def _record(session: Session, enterprise: Enterprise, action: ReviewAction, actor: str,
            before: dict[str, Any] | None, at: datetime | None) -> None:
    audit.record(session=session, action=f"{ACTION_PREFIX}{action.value}", stream=enterprise.stream, actor=actor,
                 subject_id=str(enterprise.id), before=before, after=snapshot(enterprise), at=at)


def create_draft(*, session: Session, data: dict[str, Any], actor: str, zone: ZoneConfig,
                 at: datetime | None = None) -> Enterprise:
    """Create a draft filing (企业备案草稿) from ``data`` (needs ``uscc`` and ``name_zh``)."""
    data = {k: v for k, v in data.items() if k in FIELDS}
    data.setdefault("uscc", None)
    data.setdefault("name_zh", None)
    clean = clean_fields(data=data, zone=zone)
    _check_unique(session, clean)
    now = at or utcnow()
    enterprise = Enterprise(status=EnterpriseStatus.draft.value, created_by=actor, status_changed_at=now,
                            created_at=now, updated_at=now, role_links=[])
    _apply(enterprise, clean)
    session.add(enterprise)
    session.flush()
    _record(session, enterprise, ReviewAction.create, actor, None, at)
    return enterprise


def update_filing(*, session: Session, enterprise: Enterprise, data: dict[str, Any], actor: str, zone: ZoneConfig,
                  at: datetime | None = None) -> Enterprise:
    """Change fields of a draft or returned filing; other statuses answer 409."""
    if EnterpriseStatus(enterprise.status) not in EDITABLE_STATUSES:
        raise not_editable(status=enterprise.status)
    data = {k: v for k, v in data.items() if k in FIELDS and k != "uscc"}
    clean = clean_fields(data=data, zone=zone, current=enterprise)
    _check_unique(session, clean, exclude_id=enterprise.id)
    before = snapshot(enterprise)
    _apply(enterprise, clean)
    if before == snapshot(enterprise):
        return enterprise
    enterprise.updated_at = at or utcnow()
    session.flush()
    _record(session, enterprise, ReviewAction.update, actor, before, at)
    return enterprise


def missing_for_submission(enterprise: Enterprise) -> list[FieldIssue]:
    """Field issues for everything a submission still needs."""
    issues = []
    for key in REQUIRED_ON_SUBMIT:
        value = enterprise.roles if key == "roles" else getattr(enterprise, key)
        if not value:
            issues.append(FieldIssue(C.field_required.value, key, MESSAGES[C.field_required]))
    return issues


def transition(*, session: Session, enterprise: Enterprise, action: ReviewAction, actor: str,
               reason: str | None = None, field_reasons: list[dict[str, str]] | None = None,
               at: datetime | None = None) -> Enterprise:
    """Move the filing through its lifecycle (submit, approve, return, suspend, reinstate, revoke)."""
    status = EnterpriseStatus(enterprise.status)
    if action is ReviewAction.submit and status is EnterpriseStatus.returned:
        action = ReviewAction.resubmit
    if action not in TRANSITIONS:
        raise transition_not_allowed(status=status.value, action=action.value)
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise transition_not_allowed(status=status.value, action=action.value)
    reason = (reason or "").strip() or None
    field_reasons = [{"path": r["path"], "message": r["message"].strip()} for r in (field_reasons or [])]
    if action in (ReviewAction.submit, ReviewAction.resubmit):
        missing = missing_for_submission(enterprise)
        if missing:
            raise incomplete(missing)
    if action is ReviewAction.return_:
        bad = [FieldIssue(C.field_required.value, f"field_reasons[{i + 1}]/path", MESSAGES[C.field_required], r["path"])
               for i, r in enumerate(field_reasons) if r["path"] not in FIELDS]
        if bad:
            raise validation_error(bad)
        if not reason and not field_reasons:
            raise validation_error([issue(C.reason_required, "reason")])
    if action in (ReviewAction.suspend, ReviewAction.revoke) and not reason:
        raise validation_error([issue(C.reason_required, "reason")])
    before = snapshot(enterprise)
    now = at or utcnow()
    enterprise.status = target.value
    enterprise.status_changed_at = now
    enterprise.updated_at = now
    if action in (ReviewAction.submit, ReviewAction.resubmit):
        enterprise.submitted_at = now
        enterprise.review_note = None
        enterprise.review_issues = None
    else:
        enterprise.review_note = reason
        enterprise.review_issues = field_reasons or None
    if action is ReviewAction.approve and enterprise.approved_at is None:
        enterprise.approved_at = now
    session.flush()
    _record(session, enterprise, action, actor, before, at)
    return enterprise


# --- the registry ---------------------------------------------------------------------------------


@dataclass
class RegistryQuery:
    """Search (name, USCC, customs code) and filters of the registry."""

    q: str | None = None
    role: str | None = None
    district: str | None = None
    park: str | None = None
    status: str | None = None
    industry: str | None = None
    page: int = 1
    per_page: int = 25


def _filtered(query, params: RegistryQuery, *, public: bool, only_id: int | None, with_status: bool):
    if only_id is not None:
        query = query.where(Enterprise.id == only_id)
    if public:
        query = query.where(Enterprise.status == EnterpriseStatus.approved.value)
    if params.q:
        term = params.q.strip()
        # the term is text, not a pattern: % and _ match themselves (removing them made "%" match every name)
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        conditions = [Enterprise.name_zh.ilike(like, escape="\\"), Enterprise.name_en.ilike(like, escape="\\")]
        if not public:
            code = normalise_code(term)
            conditions += [Enterprise.uscc.startswith(code, autoescape=True),
                           Enterprise.customs_code.startswith(code, autoescape=True)]
        query = query.where(or_(*conditions))
    if params.role:
        query = query.where(Enterprise.id.in_(select(EnterpriseRoleLink.enterprise_id)
                                              .where(EnterpriseRoleLink.role == params.role)))
    for key in ("district", "park", "industry"):
        value = getattr(params, key)
        if value:
            query = query.where(getattr(Enterprise, key) == value)
    if with_status and params.status:
        query = query.where(Enterprise.status == params.status)
    return query


def search(*, session: Session, params: RegistryQuery, public: bool = False,
           only_id: int | None = None) -> tuple[list[Enterprise], int, dict[str, int]]:
    """One page of the registry, the total, and counts per status (same filters, any status).

    ``public`` limits to approved enterprises and to name search; ``only_id`` to one enterprise.
    """
    base = _filtered(select(Enterprise), params, public=public, only_id=only_id, with_status=True)
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    rows = list(session.scalars(base.order_by(Enterprise.name_zh, Enterprise.id)
                                .offset((params.page - 1) * params.per_page).limit(params.per_page)))
    counted = _filtered(select(Enterprise.status, func.count()), params, public=public, only_id=only_id,
                        with_status=False).group_by(Enterprise.status)
    counts = {s.value: 0 for s in EnterpriseStatus} if not public else {EnterpriseStatus.approved.value: 0}
    counts.update({status: n for status, n in session.execute(counted)})
    return rows, total, counts


def timeline(*, session: Session, enterprise: Enterprise, limit: int = 100,
             before_id: int | None = None) -> list[Any]:
    """Everything recorded in the enterprise's audit stream, newest first (全程跟踪)."""
    return audit.timeline(session=session, stream=enterprise.stream, limit=limit, before_id=before_id)
