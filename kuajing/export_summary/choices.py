"""Statuses and modes of the monthly summary and the no-invoice register, each with a translatable label and colour."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import MemberMap, gettext, lazy


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _COLOURS.get(self, "grey")

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


class SummaryMode(_Labelled):
    """How an enterprise's released retail-export lists are summarised (清单核放后的汇总方式)."""

    declaration = "declaration"  # 汇总申报: CEB701 → customs declaration (报关单)
    statistics = "statistics"  # 汇总统计: zone enterprises only; no declaration, statistics only


class ApplicationStatus(_Labelled):
    """Where a summary application (汇总申请) stands."""

    draft = "draft"  # 草稿: confirmed in the wizard, not yet sent
    submitted = "submitted"  # 已申报: CEB701 written to the customs outbox
    accepted = "accepted"  # 海关已接收 (CEB702 returnStatus 2/120 …)
    rejected = "rejected"  # 海关退单 (negative returnStatus, or 100)
    summarised = "summarised"  # 已汇总: CEB792 result received (declaration number / state)
    statistics = "statistics"  # 汇总统计: recorded for statistics only, nothing sent




class EntryKind(_Labelled):
    """An entry of the no-invoice register (无票免税登记)."""

    original = "original"  # 原始登记: written when the list was released
    correction = "correction"  # 更正登记: a new entry referring to the original (never an edit)


_LABELS = MemberMap([
    (SummaryMode.declaration, lazy("Summary declaration")),
    (SummaryMode.statistics, lazy("Summary statistics")),
    (ApplicationStatus.draft, lazy("Draft")),
    (ApplicationStatus.submitted, lazy("Submitted to customs")),
    (ApplicationStatus.accepted, lazy("Accepted by customs")),
    (ApplicationStatus.rejected, lazy("Rejected by customs")),
    (ApplicationStatus.summarised, lazy("Summarised into a declaration")),
    (ApplicationStatus.statistics, lazy("Statistics only")),
    (EntryKind.original, lazy("Original entry")),
    (EntryKind.correction, lazy("Correction")),
])
_COLOURS = MemberMap([
    (SummaryMode.declaration, "blue"),
    (SummaryMode.statistics, "grey"),
    (ApplicationStatus.draft, "grey"),
    (ApplicationStatus.submitted, "blue"),
    (ApplicationStatus.accepted, "blue"),
    (ApplicationStatus.rejected, "red"),
    (ApplicationStatus.summarised, "green"),
    (ApplicationStatus.statistics, "grey"),
    (EntryKind.original, "green"),
    (EntryKind.correction, "orange"),
])

#: Reasons a released line is left out of a month's summary (calc.summary_eligible) → English msgid.
EXCLUSION_REASONS = {
    "other_month": lazy("Released in another month"),
    "not_retail_export": lazy("Not a retail export (9610)"),
    "simplified_declaration": lazy("Simplified declaration (statisticsFlag A): no summary"),
    "already_summarised": lazy("Already in a summary application"),
    "list_cancelled": lazy("The list was cancelled after its release (CEB605)"),
}

#: Reasons a register line does not qualify for the exemption (calc.eligibility) → English msgid.
INELIGIBILITY_REASONS = {
    "not_zone_enterprise": lazy("The exporter is not an enterprise filed with the zone"),
    "not_zone_customs": lazy("Not declared at the customs of the zone's city"),
    "excluded_goods": lazy("The goods are on the excluded goods list"),
    "rule_not_in_force": lazy("The exemption was not in force on the export date"),
}

#: Reasons the small low-profit relief was not applied (calc.cit_estimate) → English msgid.
RELIEF_REASONS = {
    "relief_not_claimed": lazy("Head count and total assets not given: relief not claimed"),
    "too_many_employees": lazy("More employees than the threshold"),
    "assets_too_high": lazy("Total assets above the threshold"),
    "taxable_income_too_high": lazy("Taxable income above the threshold"),
    "relief_not_in_force": lazy("No small low-profit relief is modelled for this year"),
}
