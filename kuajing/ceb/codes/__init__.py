"""Customs code tables (海关参数代码表) used by CEB messages.

These are the legacy numeric customs codes of the CEB standard (currency 142 = CNY, not ISO 156),
written by us from the facts in the official 202205 specification. Each table is one CSV file in
``data/`` with the columns ``code,name_zh,name_en`` plus optional extra columns (e.g. ``iso`` for
currency and country, so the UI can map to ISO for display only).

Pure: this package imports nothing from the rest of kuajing. The rest of the platform imports the
tables from here.

    >>> from kuajing.ceb.codes import table
    >>> "142" in table("currency")
    True
    >>> table("currency").get("142").name_en
    'Chinese yuan'
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

#: Every table this package ships; a file ``data/<name>.csv`` exists for each.
TABLE_NAMES: tuple[str, ...] = (
    "currency",  # 币制
    "country",  # 国别(地区)
    "unit",  # 计量单位
    "transport_mode",  # 运输方式
    "trade_mode",  # 监管方式 / 贸易方式
    "customs_office",  # 关区代码
    "id_type",  # 证件类型
    "package_type",  # 包装种类
)


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One code of a customs code table."""

    code: str
    name_zh: str
    name_en: str
    extra: dict[str, str] = field(default_factory=dict)

    def name(self, locale: str = "zh_Hans") -> str:
        """The display name in ``locale``: Chinese for Chinese and traditional-script Mongolian (whose readers
        read Chinese, kuajing.i18n.FALLBACK), else English (else Chinese)."""
        return self.name_zh if locale.startswith("zh") or locale == "mn_Mong" else (self.name_en or self.name_zh)


@dataclass(frozen=True, slots=True)
class CodeTable:
    """An immutable customs code table: ``code in table``, ``table.get(code)``, ``len(table)``."""

    name: str
    entries: dict[str, CodeEntry]

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):
        return iter(self.entries.values())

    def get(self, code: str) -> CodeEntry | None:
        """The entry for ``code`` or ``None``."""
        return self.entries.get(code)


@cache
def table(name: str) -> CodeTable:
    """Load (once) and return the code table ``name`` (one of :data:`TABLE_NAMES`)."""
    if name not in TABLE_NAMES:
        raise KeyError(f"unknown code table {name!r}; known: {', '.join(TABLE_NAMES)}")
    text = resources.files(__package__).joinpath("data", f"{name}.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    entries: dict[str, CodeEntry] = {}
    for row in rows:
        code = row.pop("code").strip()
        if code in entries:
            raise ValueError(f"code table {name}: duplicate code {code!r}")
        entries[code] = CodeEntry(
            code=code,
            name_zh=row.pop("name_zh", "").strip(),
            name_en=row.pop("name_en", "").strip(),
            extra={k: (v or "").strip() for k, v in row.items() if k},
        )
    return CodeTable(name=name, entries=entries)


def is_valid(name: str, code: str) -> bool:
    """True when ``code`` is in the table ``name``."""
    return code in table(name)


@cache
def message_codes(name: str) -> frozenset[str]:
    """The codes of table ``name`` a CEB message may carry: every code, except for ``trade_mode``, where only
    the cross-border e-commerce modes (column cbec = 1: 9610, 1210, 1239, 9710, 9810, 9661, 1261) are allowed
    (message spec 202205, tradeMode field notes of CEB621/CEB603/CEB213); the other supervision modes are
    listed for platform data and reports only."""
    entries = table(name)
    if name == "trade_mode":
        return frozenset(e.code for e in entries if e.extra.get("cbec") == "1")
    return frozenset(e.code for e in entries)


def find_by(name: str, column: str, value: str) -> CodeEntry | None:
    """The first entry of table ``name`` whose extra ``column`` equals ``value`` (e.g. currency by ISO)."""
    if not value:
        return None
    for entry in table(name):
        if entry.extra.get(column) == value:
            return entry
    return None


def iso_of(name: str, code: str) -> str | None:
    """The ISO display code of a customs ``code`` in ``currency`` or ``country`` (None if unknown/none)."""
    entry = table(name).get(code)
    return (entry.extra.get("iso") or None) if entry else None


def district_of(office_code: str) -> CodeEntry | None:
    """The direct customs district (``XX00`` head entry) a 4-digit customs office code belongs to."""
    if len(office_code) != 4:
        return None
    return table("customs_office").get(office_code[:2] + "00")
