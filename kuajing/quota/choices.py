"""Statuses and movement kinds of the quota ledger, each with a translatable label and a colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class ReservationStatus(StrEnum):
    """Where a declaration's quota claim stands (额度占用状态)."""

    reserved = "reserved"  # 已占用 (declared, awaiting release)
    consumed = "consumed"  # 已使用 (released by customs)
    released = "released"  # 已释放 (rejected or withdrawn before release)
    rejected = "rejected"  # 未占用 (over the limit: nothing counted)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _STATUS_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _STATUS_COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_STATUS_LABELS = {
    ReservationStatus.reserved: lazy("Reserved"),
    ReservationStatus.consumed: lazy("Used"),
    ReservationStatus.released: lazy("Freed"),
    ReservationStatus.rejected: lazy("Over the limit"),
}
_STATUS_COLOURS = {
    ReservationStatus.reserved: "blue",
    ReservationStatus.consumed: "green",
    ReservationStatus.released: "grey",
    ReservationStatus.rejected: "red",
}


class MovementKind(StrEnum):
    """A change of the ledger (额度流水类型); the kind gives the direction of the positive amount."""

    reserve = "reserve"  # 占用: reserved += amount
    consume = "consume"  # 核销: reserved -= amount, used += amount
    release = "release"  # 释放: reserved -= amount
    restore = "restore"  # 恢复 (退货/撤单): used -= amount

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _KIND_LABELS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_KIND_LABELS = {
    MovementKind.reserve: lazy("Reserved on declaration"),
    MovementKind.consume: lazy("Used on release"),
    MovementKind.release: lazy("Freed on rejection"),
    MovementKind.restore: lazy("Restored on return or cancellation"),
}
