"""The resident identity card number (GB 11643-1999) as kuajing.identity checks it.

Worked check character, by hand (ISO 7064 MOD 11-2; weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over the first
17 digits, the character is "10X98765432"[sum mod 11]): for 15020319900105123,
1·7 + 5·9 + 0·10 + 2·5 + 0·8 + 3·4 + 1·2 + 9·1 + 9·6 + 0·3 + 0·7 + 1·9 + 0·10 + 5·5 + 1·8 + 2·4 + 3·2 = 195,
195 mod 11 = 8, so the 18th character is "4": 150203199001051234.
"""

from __future__ import annotations

from datetime import date

import pytest

from kuajing.identity import is_resident_id, resident_id_problem
from tests.idnumbers import resident_id


@pytest.mark.parametrize(("number", "problem"), [
    ("150203199001051234", None),  # the worked example above
    ("150203199001051235", "check"),  # one off
    ("150203199001011234", "check"),  # the number the tests used to use: its check character is 2, not 4
    ("15020319900106123X", None),  # check character 10 → X
    ("15020319900106123x", None),  # read as X
    (" 1502 0319 9001 0512 34 ", None),  # spaces as people type them
    ("1502031990010512", "shape"),
    ("15020319900105123Y", "shape"),
    ("15020319900105١٢٣4", "shape"),  # other scripts' digits are not digits here
    ("", "shape"),
    ("010203199001051234", "region"),  # no province 01
    ("990203199001051230", None),  # 9…: the foreigners' permanent residence card (2023)
    ("150203199002301234", "birth_date"),  # 30 February
    ("150203189912311234", "birth_date"),  # before 1900
    ("110108130000000001", "birth_date"),  # the official CEB samples' placeholder numbers
])
def test_numbers_as_the_card_defines_them(number, problem):
    assert resident_id_problem(number, today=date(2026, 11, 28)) == problem


def test_a_birth_date_after_today_is_not_a_card():
    number = resident_id(0, born=date(2026, 11, 29))
    assert resident_id_problem(number, today=date(2026, 11, 28)) == "birth_date"
    assert is_resident_id(number, today=date(2026, 11, 29))


def test_the_test_numbers_are_valid_and_distinct():
    numbers = [resident_id(n) for n in range(3000)]
    assert len(set(numbers)) == 3000 and all(is_resident_id(n) for n in numbers)
