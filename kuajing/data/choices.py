"""Kinds of reference dataset and kinds of calendar day, with translatable labels."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import lazy


class DatasetKind(StrEnum):
    """The maintained reference tables (参考数据表)."""

    EXCHANGE_RATE = "exchange_rate"  # 海关月度汇率 (customs monthly exchange rate)
    HOLIDAY = "holiday"  # 法定节假日与调休 (public holidays and adjusted working days)
    HS_TAX_RATE = "hs_tax_rate"  # 商品税率 (HS tariff and tax rates)

    @property
    def label(self) -> str:
        """English msgid of the label; translate with gettext."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    DatasetKind.EXCHANGE_RATE: lazy("Customs monthly exchange rates"),
    DatasetKind.HOLIDAY: lazy("Public holidays and adjusted working days"),
    DatasetKind.HS_TAX_RATE: lazy("HS tariff and tax rates"),
}


class DayKind(StrEnum):
    """What a calendar entry says about a day."""

    HOLIDAY = "holiday"  # 放假 (statutory holiday or a rest day of the holiday block)
    WORKDAY = "workday"  # 调休上班日 (adjusted working day, usually a Saturday or Sunday)

    @property
    def label(self) -> str:
        """English msgid of the label; translate with gettext."""
        return _DAY_LABELS[self]


_DAY_LABELS = {
    DayKind.HOLIDAY: lazy("Holiday"),
    DayKind.WORKDAY: lazy("Adjusted working day"),
}
