"""Roles (角色) with translatable labels and colours."""

from __future__ import annotations

from enum import StrEnum

from kuajing.i18n import lazy


class Role(StrEnum):
    """What a user or an API key may do; enterprise roles are bound to one enterprise."""

    enterprise_user = "enterprise_user"  # 企业用户
    enterprise_admin = "enterprise_admin"  # 企业管理员
    zone_operator = "zone_operator"  # 平台运营
    commerce_supervisor = "commerce_supervisor"  # 商务局监管
    customs_officer = "customs_officer"  # 海关 (sandbox)
    auditor = "auditor"  # 审计
    bank_insurer = "bank_insurer"  # 银行/保险 (sees an enterprise's settlement data only with its consent)

    @property
    def label(self) -> str:
        """English msgid of the label (translate with ``_()``/``gettext``)."""
        return ROLE_LABELS[self]

    @property
    def colour(self) -> str:
        """Badge colour (a class of app.css)."""
        return ROLE_COLOURS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.enterprise_user: lazy("Enterprise user"),
    Role.enterprise_admin: lazy("Enterprise administrator"),
    Role.zone_operator: lazy("Zone platform operator"),
    Role.commerce_supervisor: lazy("Commerce bureau supervisor"),
    Role.customs_officer: lazy("Customs officer (sandbox)"),
    Role.auditor: lazy("Auditor"),
    Role.bank_insurer: lazy("Bank / insurer"),
}

ROLE_COLOURS: dict[Role, str] = {
    Role.enterprise_user: "grey",
    Role.enterprise_admin: "blue",
    Role.zone_operator: "red",
    Role.commerce_supervisor: "green",
    Role.customs_officer: "orange",
    Role.auditor: "grey",
    Role.bank_insurer: "green",
}

#: Roles that see every enterprise of the zone (they carry no enterprise).
ZONE_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.zone_operator, Role.commerce_supervisor, Role.customs_officer, Role.auditor}
)

#: Roles bound to one enterprise (a user or key with one of them must have an enterprise_id).
ENTERPRISE_ROLES: frozenset[Role] = frozenset({Role.enterprise_user, Role.enterprise_admin})

#: Roles of a bank or insurer (银行/保险): bound to the institution's own registry entry (an enterprise with the
#: registry role ``finance``); they see other enterprises' data only where that enterprise consented (kuajing.fx).
BANK_ROLES: frozenset[Role] = frozenset({Role.bank_insurer})

#: Roles an API key may carry (keys always belong to one enterprise).
API_KEY_ROLES: frozenset[Role] = ENTERPRISE_ROLES


class ApiKeyMode(StrEnum):
    """Whether a key talks to the sandbox customs or the live link (测试/正式)."""

    sandbox = "test"  # 沙箱
    live = "live"  # 正式


API_KEY_MODE_LABELS = {ApiKeyMode.sandbox: lazy("Sandbox"), ApiKeyMode.live: lazy("Live")}
API_KEY_MODE_COLOURS = {ApiKeyMode.sandbox: "orange", ApiKeyMode.live: "green"}
