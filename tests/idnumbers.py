"""Fictitious resident ID numbers (居民身份证号码) that pass GB 11643 (kuajing.identity), for tests that need
many distinct buyers: born in Kundulun district, Baotou (150203)."""

from __future__ import annotations

from datetime import date, timedelta

from stdnum.cn import ric


def resident_id(n: int, *, born: date = date(1990, 1, 1)) -> str:
    """The ``n``-th distinct valid number (n ≥ 0): a sequence number per day of birth, days from ``born`` on."""
    day, seq = divmod(n, 1000)
    body = f"150203{(born + timedelta(days=day)):%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the first 17 of 18 characters
