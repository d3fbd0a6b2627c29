"""Domain-event subscribers (kuajing/events.py): append statistics facts inside the pipeline's transaction.

Cheap by design: each handler INSERTs a few fact rows and updates nothing shared; the fold job
(``service.fold``) turns them into aggregates later.
"""

from __future__ import annotations

from kuajing.events import subscribe, subscribe_many
from kuajing.stats import service


@subscribe_many("import.inventory.released")
def import_released(*, session, payloads, **_):
    service.record_releases(session=session, direction="import", inventories=[p["inventory"] for p in payloads])


@subscribe("import.inventory.cancelled")
def import_cancelled(*, session, inventory, was_released=False, **_):
    if was_released:
        service.record_reversal(session=session, direction="import", inventory=inventory, event="cancel")


@subscribe("import.inventory.returned")
def import_returned(*, session, inventory, **_):
    if inventory.released_at is not None:
        service.record_reversal(session=session, direction="import", inventory=inventory, event="return")


@subscribe_many("export.inventory.released")
def export_released(*, session, payloads, **_):
    service.record_releases(session=session, direction="export", inventories=[p["inventory"] for p in payloads])


@subscribe("export.inventory.cancelled")
def export_cancelled(*, session, inventory, was_released=False, **_):
    if was_released:
        service.record_reversal(session=session, direction="export", inventory=inventory, event="cancel")
