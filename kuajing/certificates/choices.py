"""Statuses of a registered certificate (证书状态) with translatable labels and colours."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class CertificateStatus(StrEnum):
    """Whether a registered certificate may sign declarations."""

    active = "active"  # 有效
    revoked = "revoked"  # 已注销

    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour."""
        return _COLOURS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


_LABELS = {CertificateStatus.active: lazy("Active"), CertificateStatus.revoked: lazy("Revoked")}
_COLOURS = {CertificateStatus.active: "green", CertificateStatus.revoked: "grey"}
