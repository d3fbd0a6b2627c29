"""Stable error codes of the district and park evaluation (docs/evaluation.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kuajing.errors import AppError, FieldIssue


class EvaluationErrorCode(StrEnum):
    """Every error of this domain, by stable code (never renamed)."""

    bad_period = "evaluation_bad_period"  # not YYYY, YYYY-Hn, YYYY-Qn or YYYY-MM
    bad_unit_kind = "evaluation_bad_unit_kind"
    unknown_unit = "evaluation_unknown_unit"  # not a district / park of the zone
    unknown_indicator = "evaluation_unknown_indicator"
    indicator_computed = "evaluation_indicator_computed"  # a computed indicator is not entered by hand
    evidence_required = "evaluation_evidence_required"
    bad_value = "evaluation_bad_value"
    bad_weight = "evaluation_bad_weight"
    reason_required = "evaluation_reason_required"  # a new revision of a published period needs a reason
    snapshot_not_found = "evaluation_snapshot_not_found"
    snapshot_immutable = "evaluation_snapshot_immutable"  # an attempt to change or delete a snapshot


C = EvaluationErrorCode


class ImmutableSnapshotError(RuntimeError):
    """Raised by the model layer when code tries to UPDATE or DELETE a published snapshot."""


def _invalid(code: str, path: str, message: str, value: Any = None, **params: Any) -> AppError:
    return AppError(code, "The request has invalid fields", status=422, detail=message,
                    errors=[FieldIssue(code, path, message, value, params)], **params)


def bad_period(value: Any) -> AppError:
    """Not a period label."""
    return _invalid(C.bad_period, "period", "A period looks like 2026, 2026-H1, 2026-Q2 or 2026-03.", value)


def period_out_of_range(value: Any, first: int, last: int) -> AppError:
    """A period label whose year the platform does not evaluate (before ``first`` or after ``last``)."""
    return _invalid(C.bad_period, "period", "The period's year must be between {first} and {last}.", value,
                    first=first, last=last)


def bad_unit_kind(value: Any) -> AppError:
    """Neither district nor park."""
    return _invalid(C.bad_unit_kind, "unit_kind", "The unit kind is district or park.", value)


def unknown_unit(value: Any) -> AppError:
    """Not a unit of the zone."""
    return _invalid(C.unknown_unit, "unit_code", "{given} is not a district or park of the zone.", value, given=value)


def unknown_indicator(value: Any) -> AppError:
    """No such indicator."""
    return _invalid(C.unknown_indicator, "indicator", "There is no indicator {given}.", value, given=value)


def indicator_computed(value: Any) -> AppError:
    """Computed indicators come from the data."""
    return _invalid(C.indicator_computed, "indicator", "The indicator {given} is computed from platform data.",
                    value, given=value)


def evidence_required() -> AppError:
    """An entered value needs its evidence."""
    return _invalid(C.evidence_required, "evidence", "Describe the evidence (document, number, link).")


def bad_value(value: Any) -> AppError:
    """Not a non-negative decimal with at most two places."""
    return _invalid(C.bad_value, "value", "A value is a number of at least 0 with at most two decimals.", value)


def bad_weight(value: Any) -> AppError:
    """Not a weight between 0 and 100."""
    return _invalid(C.bad_weight, "weight", "A weight is a number from 0 to 100 with at most two decimals.", value)


def reason_required() -> AppError:
    """A new revision needs a reason."""
    return _invalid(C.reason_required, "reason", "Give the reason for publishing a new revision.")


def snapshot_not_found(snapshot_id: Any) -> AppError:
    """No such snapshot."""
    return AppError(C.snapshot_not_found, "Not found", status=404, detail="No evaluation snapshot {snapshot_id}.",
                    errors=[FieldIssue(C.snapshot_not_found, "snapshot_id", "No evaluation snapshot {snapshot_id}.",
                                       snapshot_id, {"snapshot_id": snapshot_id})], snapshot_id=snapshot_id)
