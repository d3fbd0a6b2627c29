"""JSON API of the district and park evaluation (``/api/v1/evaluation``): commerce bureau and platform
operator act, the auditor reads. Evaluations concern districts and parks, not one enterprise's data."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from kuajing.accounts.choices import Role
from kuajing.accounts.deps import Principal, require_roles
from kuajing.evaluation import service
from kuajing.evaluation.schemas import PERIOD, EntryIn, PublishIn, WeightIn
from kuajing.web.deps import DbSession, get_locale

router = APIRouter(tags=["evaluation"])

ACTORS = (Role.commerce_supervisor, Role.zone_operator)
READERS = (*ACTORS, Role.auditor)
UnitKindQ = Annotated[str, Query(pattern="^(district|park)$")]


@router.get("/api/v1/evaluation/indicators", summary="Indicator catalogue with the weights in force")
def indicators(session: DbSession, on: date | None = None, _: Principal = Depends(require_roles(*READERS)),
               locale: str = Depends(get_locale)) -> dict[str, Any]:
    """Every indicator (category, source computed/entered, unit) and its weight on ``on`` (default today)."""
    from kuajing.risk.api import today

    in_force = service.weights(session=session, on=on or today())
    return {"items": [{"code": i.code, "category": i.category.value, "category_label": i.category.display(locale),
                       "source": i.source.value, "unit": i.unit, "name": i.name(locale),
                       "weight": format(in_force[i.code][0], "f"), "weight_source": in_force[i.code][1]}
                      for i in service.catalogue()]}


@router.post("/api/v1/evaluation/weights", status_code=201, summary="Set an indicator's weight from a date on")
def set_weight(session: DbSession, body: WeightIn, principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Effective-dated; the earlier open weight ends the day before (audited)."""
    row = service.set_weight(session=session, indicator_code=body.indicator, weight=body.weight,
                             valid_from=body.valid_from, actor=principal.actor)
    return {"indicator": row.indicator_code, "weight": format(row.weight, "f"), "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else None}


@router.get("/api/v1/evaluation/entries", summary="Entered values of a period")
def list_entries(session: DbSession, period: Annotated[str, Query(pattern=PERIOD)], unit_kind: UnitKindQ,
                 _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """Values typed in with their evidence."""
    return {"items": [{"unit_code": e.unit_code, "indicator": e.indicator_code, "value": format(e.value, "f"),
                       "evidence": e.evidence, "entered_by": e.entered_by, "entered_at": e.entered_at.isoformat()}
                      for e in service.entries(session=session, period=period, unit_kind=unit_kind)]}


@router.post("/api/v1/evaluation/entries", status_code=201, summary="Enter a value with its evidence")
def enter(session: DbSession, body: EntryIn, principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """Entered indicators only (computed ones come from the data: 422 ``evaluation_indicator_computed``)."""
    e = service.enter(session=session, period=body.period, unit_kind=body.unit_kind, unit_code=body.unit_code,
                      indicator_code=body.indicator, value=body.value, evidence=body.evidence, actor=principal.actor)
    return {"unit_code": e.unit_code, "indicator": e.indicator_code, "value": format(e.value, "f"),
            "evidence": e.evidence}


@router.get("/api/v1/evaluation/scores", summary="Scores and ranking of a period (live)")
def scores(session: DbSession, period: Annotated[str, Query(pattern=PERIOD)], unit_kind: UnitKindQ,
           _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """Values, min-max normalised scores, category contributions, totals and ranks as of now."""
    return service.evaluate(session=session, period=period, unit_kind=unit_kind).payload


@router.get("/api/v1/evaluation/snapshots", summary="Published evaluations")
def list_snapshots(session: DbSession, period: Annotated[str | None, Query(pattern=PERIOD)] = None,
                   _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """Newest first, without payloads."""
    return {"items": [service.snapshot_json(s, full=False) for s in service.snapshots(session=session, period=period)]}


@router.post("/api/v1/evaluation/snapshots", status_code=201, summary="Publish a period's evaluation")
def publish(session: DbSession, body: PublishIn, principal: Principal = Depends(require_roles(*ACTORS))) -> dict[str, Any]:
    """An immutable snapshot (revision 1, or the next revision with a reason); audited with its SHA-256."""
    snap = service.publish(session=session, period=body.period, unit_kind=body.unit_kind, actor=principal.actor,
                           reason=body.reason)
    return service.snapshot_json(snap)


@router.get("/api/v1/evaluation/snapshots/{snapshot_id}", summary="One published evaluation")
def get_snapshot(session: DbSession, snapshot_id: int = Path(..., ge=1, le=2**53),
                 _: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    """The payload as published, and whether it still matches its SHA-256."""
    snap = service.get_snapshot(session=session, snapshot_id=snapshot_id)
    return {**service.snapshot_json(snap), "verified": service.verify(snap)}
