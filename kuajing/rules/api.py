"""Read-only JSON API of the policy parameters under ``/api/v1/rules`` (public)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Query

from kuajing.rules import errors
from kuajing.rules.schemas import RuleRead, RuleValueRead
from kuajing.rules.service import RuleValue, definitions, rule

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])


def _read(value: RuleValue) -> RuleValueRead:
    data = asdict(value)
    if isinstance(value.value, Decimal):
        data["value"] = str(value.value)
    elif isinstance(value.value, tuple):
        data["value"] = list(value.value)
    return RuleValueRead(**data)


@router.get("", response_model=list[RuleRead], summary="Every policy parameter with its periods")
def all_rules() -> list[RuleRead]:
    """Every rule, each with all its dated values and citations."""
    return [RuleRead(name=d.name, description=d.description, unit=d.unit, section=d.section,
                     periods=[_read(p) for p in d.periods]) for d in definitions().values()]


@router.get("/{name}", response_model=RuleValueRead, summary="A policy parameter on a date")
def rule_on(name: str, on: date = Query(..., description="business date, YYYY-MM-DD")) -> RuleValueRead:
    """The value of ``name`` in force on ``on``, with its citation."""
    if name not in definitions():
        raise errors.unknown(name)
    return _read(rule(name, on))
