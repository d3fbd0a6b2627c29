"""docs/platform-codes.md lists every own business code (−4xxx) a receipt may carry, from the domains' tables."""

from __future__ import annotations

import re
from pathlib import Path

from kuajing.platform_codes import platform_codes, render_platform_codes_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_file_is_the_rendered_one():
    assert (ROOT / "docs/platform-codes.md").read_text(encoding="utf-8") == render_platform_codes_markdown(), (
        "regenerate: .venv/bin/python -c 'from kuajing.platform_codes import render_platform_codes_markdown as r; "
        "open(\"docs/platform-codes.md\", \"w\").write(r())'")


def test_every_own_code_in_the_code_is_listed_once():
    """Every "-4nnn" literal in the package is a listed code, and no code is listed twice."""
    used = set()
    for path in (ROOT / "kuajing").rglob("*.py"):
        used |= set(re.findall(r'"(-4\d{3})"', path.read_text(encoding="utf-8")))
    listed = [row[0] for row in platform_codes()]
    assert len(listed) == len(set(listed))
    assert used == set(listed), used ^ set(listed)
    assert all(zh and en for _code, zh, en, _domain, _doc in platform_codes())
