"""Customs statuses, reservation statuses and movement kinds of the bonded ledger (labels and colours)."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class CustomsStatus(StrEnum):
    """Customs status of stock (仓储货物按状态分类监管, R5.4): bonded and domestic goods share one warehouse."""

    bonded = "bonded"  # 保税
    non_bonded = "non_bonded"  # 非保税
    pending_conversion = "pending_conversion"  # 待转换 (待转区)

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
    CustomsStatus.bonded: lazy("Bonded"),
    CustomsStatus.non_bonded: lazy("Non-bonded"),
    CustomsStatus.pending_conversion: lazy("Pending conversion"),
}
_STATUS_COLOURS = {
    CustomsStatus.bonded: "blue",
    CustomsStatus.non_bonded: "green",
    CustomsStatus.pending_conversion: "orange",
}


class ReservationStatus(StrEnum):
    """Where a declaration's claim on bonded stock stands (清单占用状态)."""

    reserved = "reserved"  # 已占用 (declared)
    deducted = "deducted"  # 已核扣 (released: written off the book)
    cancelled = "cancelled"  # 已取消 (rejected before release)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _RES_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _RES_COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_RES_LABELS = {
    ReservationStatus.reserved: lazy("Reserved"),
    ReservationStatus.deducted: lazy("Deducted"),
    ReservationStatus.cancelled: lazy("Cancelled"),
}
_RES_COLOURS = {ReservationStatus.reserved: "blue", ReservationStatus.deducted: "green",
                ReservationStatus.cancelled: "grey"}


class MovementKind(StrEnum):
    """A change of the book (账册流水类型); the kind gives the direction of the positive quantity."""

    entry = "entry"  # 一线入区: on_hand +
    reserve = "reserve"  # 申报占用: reserved +
    deduct = "deduct"  # 放行核扣: on_hand −, reserved −
    cancel = "cancel"  # 退单取消占用: reserved −
    restore = "restore"  # 退货/撤单 恢复: on_hand +
    convert_out = "convert_out"  # 状态转换 转出: on_hand − (source status)
    convert_in = "convert_in"  # 状态转换 转入: on_hand + (target status)

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _KIND_LABELS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_KIND_LABELS = {
    MovementKind.entry: lazy("First-line entry"),
    MovementKind.reserve: lazy("Reserved on declaration"),
    MovementKind.deduct: lazy("Deducted on release"),
    MovementKind.cancel: lazy("Reservation cancelled"),
    MovementKind.restore: lazy("Restored on return or cancellation"),
    MovementKind.convert_out: lazy("Status conversion out"),
    MovementKind.convert_in: lazy("Status conversion in"),
}
