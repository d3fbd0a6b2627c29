"""Domain-event subscribers of risk prevention: they only queue the list (one row, inside the pipeline's
transaction); the rules run in the risk job (``kuajing.risk.jobs.run``, called by the pipeline tick)."""

from __future__ import annotations

from kuajing.events import subscribe, subscribe_many
from kuajing.risk.service import enqueue, enqueue_many


@subscribe_many("import.inventory.declared")
def import_declared(*, session, payloads, **_):
    """Retail import lists went to customs: quota, identity, split-order, price and blacklist rules."""
    enqueue_many(session=session, direction="import", inventory_ids=[p["inventory"].id for p in payloads],
                 event="import.inventory.declared")


@subscribe("export.inventory.released")
def export_released(*, session, inventory, **_):
    """An export list was released: blacklisted-enterprise rule."""
    enqueue(session=session, direction="export", inventory_id=inventory.id, event="export.inventory.released")
