"""Evaluation dimensions, evaluated units and indicator sources, each with a translatable label."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import gettext, lazy


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """English msgid of the label."""
        return _LABELS[self]

    def display(self, locale: str) -> str:
        """The label in ``locale``."""
        return gettext(self.label, locale)


class Category(_Labelled):
    """The plan's four areas of evaluation (园区建设、主体培育、政策支持、环境营造, 内政字〔2023〕99号 保障措施)."""

    park_building = "park_building"  # 园区建设
    entity_cultivation = "entity_cultivation"  # 主体培育
    policy_support = "policy_support"  # 政策支持
    environment = "environment"  # 环境营造


class UnitKind(_Labelled):
    """What is evaluated (考评对象)."""

    district = "district"  # 旗县区
    park = "park"  # 园区


class Source(_Labelled):
    """Where an indicator's value comes from."""

    computed = "computed"  # 系统计算: from the registry, the released lists, the overseas warehouses
    entered = "entered"  # 人工填报: entered with evidence


_LABELS = {
    Category.park_building: lazy("Park building"),
    Category.entity_cultivation: lazy("Entity cultivation"),
    Category.policy_support: lazy("Policy support"),
    Category.environment: lazy("Environment"),
    UnitKind.district: lazy("District"),
    UnitKind.park: lazy("Park"),
    Source.computed: lazy("Computed from platform data"),
    Source.entered: lazy("Entered with evidence"),
}
