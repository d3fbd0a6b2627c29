"""Pure rebate calculations: deadlines in working days over the holiday calendar, paper documents by class,
the HWC-YT reconciliation window and balance. The calendar comes in as ``add_working_days(start, n)`` (the
service passes :func:`kuajing.data.service.add_working_days`), so tests use the real seeded calendar."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

AddWorkingDays = Callable[[date, int], date]


@dataclass(frozen=True)
class Deadlines:
    """The statutory due date and, for classes 1–2 while the target is in force, the target date."""

    statutory_days: int
    statutory_due: date
    target_days: int | None
    target_due: date | None


def deadlines(*, accepted_on: date, statutory_days: int, target_days: int | None,
              add_working_days: AddWorkingDays) -> Deadlines:
    """Counted from acceptance (R7.2): the limit ends on the n-th working day after the acceptance day
    (the acceptance day itself not counted [M]); holidays are skipped and adjusted weekend workdays count."""
    due = add_working_days(accepted_on, statutory_days)
    target = add_working_days(accepted_on, target_days) if target_days else None
    return Deadlines(statutory_days, due, target_days, target)


def sla(*, statutory_due: date, target_due: date | None, decided_on: date | None, today: date) -> str:
    """``on_target`` / ``on_time`` / ``late`` for a decided claim; ``open`` / ``overdue`` for an open one."""
    if decided_on is None:
        return "overdue" if today > statutory_due else "open"
    if target_due is not None and decided_on <= target_due:
        return "on_target"
    return "on_time" if decided_on <= statutory_due else "late"


def paper_documents(*, rebate_class: str, paperless_classes: tuple[str, ...],
                    class4_documents: tuple[str, ...]) -> tuple[bool, list[str]]:
    """Whether the class files paperless, and otherwise which paper documents it adds (R7.5)."""
    if rebate_class in paperless_classes:
        return True, []
    return False, list(class4_documents)


def reconcile_until(*, pre_refund_on: date, until_month: int) -> date:
    """The last day of the HWC-YT reconciliation window: the end of ``until_month`` of the following year (R4.8)."""
    year = pre_refund_on.year + 1
    return date(year, until_month, calendar.monthrange(year, until_month)[1])


@dataclass(frozen=True)
class PreRefundBalance:
    """A pre-refund's goods value against the sales reconciled so far (CNY)."""

    declared: Decimal
    sold: Decimal
    window_end: date

    @property
    def unsold(self) -> Decimal:
        """Goods value not yet sold (never below zero)."""
        return max(Decimal("0.00"), self.declared - self.sold)

    def state(self, today: date) -> str:
        """``sold`` when everything is sold; ``open`` inside the window; ``unsold_after_window`` after it [U]."""
        if self.unsold == 0:
            return "sold"
        return "open" if today <= self.window_end else "unsold_after_window"
