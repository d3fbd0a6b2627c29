"""Choices of the statistics domain with translatable labels."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import lazy

#: the CBEC customs supervision codes (跨境电商监管方式) of the customs-code scope (policy-rules R10.1)
MODES = ("1210", "9610", "9710", "9810")
DIRECTIONS = ("import", "export")


class Direction(StrEnum):
    """进口 / 出口."""

    import_ = "import"
    export = "export"


DIRECTION_LABELS = {"import": lazy("Import"), "export": lazy("Export")}


class SurveyChannel(StrEnum):
    """Channels of survey-reported CBEC sales outside the CBEC customs codes (R10.1 full-sector scope)."""

    general_trade = "general_trade_0110"  # 一般贸易 (0110) 报关的跨境电商销售
    express = "express"  # 快件渠道
    postal = "postal"  # 邮递渠道
    other = "other"  # 其他渠道


SURVEY_CHANNEL_LABELS = {
    SurveyChannel.general_trade: lazy("General trade (0110) declarations"),
    SurveyChannel.express: lazy("Express channel"),
    SurveyChannel.postal: lazy("Postal channel"),
    SurveyChannel.other: lazy("Other channels"),
}


class Indicator(StrEnum):
    """What a plan target measures (目标指标)."""

    enterprises_cumulative = "enterprises_cumulative"  # 跨境电商市场主体 (累计)
    trade_value_cny = "trade_value_cny"  # 跨境电商交易额
    overseas_warehouses = "overseas_warehouses"  # 海外仓
    public_overseas_warehouses = "public_overseas_warehouses"  # 公共海外仓
    local_brands = "local_brands"  # 本土跨境电商品牌


INDICATOR_LABELS = {
    Indicator.enterprises_cumulative: lazy("CBEC enterprises (cumulative)"),
    Indicator.trade_value_cny: lazy("CBEC trade value (CNY)"),
    Indicator.overseas_warehouses: lazy("Overseas warehouses"),
    Indicator.public_overseas_warehouses: lazy("Public overseas warehouses"),
    Indicator.local_brands: lazy("Local CBEC brands"),
}


class TargetStatus(StrEnum):
    """Progress of a target (目标进度)."""

    met = "met"  # 已完成
    on_track = "on_track"  # 预计完成
    behind = "behind"  # 进度滞后
    over = "over"  # 超出区间上限 (a range target such as 3–5 brands)


TARGET_STATUS_LABELS = {
    TargetStatus.met: lazy("Met"),
    TargetStatus.on_track: lazy("On track"),
    TargetStatus.behind: lazy("Behind"),
    TargetStatus.over: lazy("Above the range"),
}
TARGET_STATUS_COLOURS = {TargetStatus.met: "green", TargetStatus.on_track: "blue", TargetStatus.behind: "orange",
                         TargetStatus.over: "grey"}
