"""The resident identity card number (居民身份证号码, GB 11643-1999 公民身份号码), checked as the card defines it.

Customs verifies the buyer (订购人) against the national identity authority (policy-rules R11.1); the platform
cannot, but it can refuse a number no card carries before it goes to customs, uses a buyer's quota or names a
person in a lookup. A number of 18 characters is valid when:

* characters 1–17 are digits and the 18th a digit or ``X`` (a lowercase ``x`` is read as ``X``);
* characters 1–2 are a province-level code of GB/T 2260 (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71
  Taiwan, 81 Hong Kong, 82 Macao), 83 (the residence permits of Hong Kong, Macao and Taiwan residents, which
  follow GB 11643) or 9 (the 2023 permanent residence card of foreigners, same structure);
* characters 7–14 are a real date (YYYYMMDD) from 1900-01-01 to today;
* the 18th is the ISO 7064 MOD 11-2 check character of the first 17 (python-stdnum ``cn.ric``).

The full county code is not checked: codes are retired and reassigned over the years, and a card keeps the
code of the year it was issued.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric

from kuajing.i18n import lazy

#: what a person is told when a number is refused (translated by the catalogues: quota.po)
ID_NUMBER_MESSAGE = lazy("This is not a resident ID card number: give its 18 characters exactly as on the card "
                         "(the last may be X).")

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PROVINCES = frozenset({"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
                        "65", "71", "81", "82", "83"})


def normalise(number: str) -> str:
    """The number without surrounding or inner spaces, ``x`` read as ``X``."""
    return "".join((number or "").split()).upper()


def resident_id_problem(number: str, *, today: date | None = None) -> str | None:
    """Why ``number`` is not a resident identity card number (``"shape"``, ``"region"``, ``"birth_date"`` or
    ``"check"``), or ``None`` when it is one."""
    n = normalise(number)
    if not _SHAPE.fullmatch(n):
        return "shape"
    if n[:2] not in _PROVINCES and n[0] != "9":
        return "region"
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return "birth_date"
    if born < date(1900, 1, 1) or born > (today or _today()):
        return "birth_date"
    if ric.calc_check_digit(n) != n[17]:  # stdnum reads the first 17 characters
        return "check"
    return None


def is_resident_id(number: str, *, today: date | None = None) -> bool:
    """Whether ``number`` is a resident identity card number (see the module)."""
    return resident_id_problem(number, today=today) is None


def _today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
