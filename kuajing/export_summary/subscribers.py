"""Domain events the monthly summary and the no-invoice register react to (kuajing.events)."""

from __future__ import annotations

from kuajing.events import subscribe


@subscribe("export.inventory.cancelled")
def list_cancelled_after_release(*, session, inventory, was_released: bool = False, **_) -> None:
    """A released export list cancelled by customs (CEB605 approved): its register lines are corrected to zero
    by new entries; the summary leaves the list out (service.preview)."""
    if not was_released or not inventory.invt_no:
        return
    from kuajing.export_summary import service

    service.cancel_released_list(session=session, list_no=inventory.invt_no)
