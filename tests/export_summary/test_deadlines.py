"""Summary deadlines and reminder days on the seeded holiday calendar (kuajing.data), each computed by hand
from the State Council notice (国务院办公厅关于<year>年部分节假日安排的通知) and R3.2 (15th of the next month,
next working day when it is a rest day or holiday)."""

from __future__ import annotations

from datetime import date

import pytest

from kuajing.export_summary import service


@pytest.mark.parametrize(("month", "due", "why"), [
    # §3.3: March 2025 lists are due Tuesday 2025-04-15
    (date(2025, 3, 1), date(2025, 4, 15), "a working Tuesday"),
    # 2025-03-15 is a Saturday, 03-16 a Sunday → Monday 2025-03-17
    (date(2025, 2, 1), date(2025, 3, 17), "across a weekend"),
    # 2026 notice: Spring Festival 2月15日(周日)至23日(周一) 放假, 2月14日(周六)、28日(周六) 上班 →
    # 15th is a holiday, the next working day is Tuesday 2026-02-24
    (date(2026, 1, 1), date(2026, 2, 24), "across the 2026 Spring Festival"),
    # 2024 notice: Spring Festival 2月10日至17日 放假, 2月4日(周日)、2月18日(周日) 上班 →
    # the 15th (Thursday) is a holiday; the first working day after it is the adjusted working SUNDAY 02-18
    (date(2024, 1, 1), date(2024, 2, 18), "onto an adjusted working Sunday"),
    # 2024 notice: Mid-Autumn 9月15日至17日 放假, 9月14日(周六) 上班 → Wednesday 2024-09-18
    (date(2024, 8, 1), date(2024, 9, 18), "across Mid-Autumn 2024"),
    # 2021 notice: Spring Festival 2月11日至17日 放假, 2月7日(周日)、20日(周六) 上班 → Thursday 2021-02-18
    (date(2021, 1, 1), date(2021, 2, 18), "across the 2021 Spring Festival"),
    # September 2025 lists: National Day + Mid-Autumn 10月1日至8日, 9月28日(周日)、10月11日(周六) 上班;
    # the 15th (Wednesday) is after the holiday → 2025-10-15
    (date(2025, 9, 1), date(2025, 10, 15), "after National Day"),
])
def test_deadline_on_the_seeded_calendar(db, calendar, month, due, why):
    assert service.deadline_for(session=db, month=month) == due, why


@pytest.mark.parametrize(("deadline", "n", "day", "why"), [
    # working days before Wed 2025-10-15: 14 (Tue), 13 (Mon), 11 (adjusted working Saturday), 10 (Fri), 9 (Thu)
    (date(2025, 10, 15), 3, date(2025, 10, 11), "the adjusted working Saturday counts"),
    (date(2025, 10, 15), 5, date(2025, 10, 9), "across the adjusted working Saturday"),
    # the 6th goes back over National Day (10-01 … 10-08 off) to Tuesday 2025-09-30
    (date(2025, 10, 15), 6, date(2025, 9, 30), "across National Day"),
    # before Tue 2026-02-24: 02-23 … 02-15 off, 02-14 is an adjusted working Saturday, then Fri 02-13
    (date(2026, 2, 24), 1, date(2026, 2, 14), "the working Saturday before Spring Festival"),
    (date(2026, 2, 24), 2, date(2026, 2, 13), "Friday before it"),
])
def test_reminder_days_count_working_days(db, calendar, deadline, n, day, why):
    assert service.reminder_day(session=db, deadline=deadline, days_before=n) == day, why


def test_a_year_without_calendar_is_an_error_not_weekends_only(db, calendar):
    from kuajing.errors import AppError

    with pytest.raises(AppError) as err:
        service.deadline_for(session=db, month=date(2027, 12, 1))  # due in 2028: no calendar loaded
    assert err.value.code == "calendar_not_loaded"


@pytest.mark.parametrize(("month", "day", "due", "why"), [
    # 2025 notice: National Day + Mid-Autumn 10月1日至8日 放假, 9月28日(周日)、10月11日(周六) 上班.
    # A due day inside the holiday rolls across it to Thursday 2025-10-09.
    (date(2025, 9, 1), 1, date(2025, 10, 9), "across National Day 2025"),
    (date(2025, 9, 1), 8, date(2025, 10, 9), "from the holiday's last day"),
    # The adjusted working Saturday 2025-10-11 is itself a working day: due that Saturday, not Monday 10-13.
    (date(2025, 9, 1), 11, date(2025, 10, 11), "onto the adjusted working Saturday"),
    # 2024 notice: National Day 10月1日至7日 放假, 9月29日(周日)、10月12日(周六) 上班 → Tuesday 2024-10-08
    (date(2024, 9, 1), 5, date(2024, 10, 8), "across National Day 2024"),
    (date(2024, 9, 1), 12, date(2024, 10, 12), "onto the adjusted working Saturday 2024-10-12"),
    # an ordinary Saturday still rolls: 2024-10-19 (Saturday) → Monday 2024-10-21
    (date(2024, 9, 1), 19, date(2024, 10, 21), "an ordinary weekend"),
])
def test_the_roll_on_the_seeded_calendar_around_national_day(db, calendar, month, day, due, why):
    """The rule's day is the 15th (never inside National Day); these put the due day inside the holiday and on
    the adjusted working Saturdays to prove the roll uses the real calendar, not weekends only."""
    from kuajing.data import service as data
    from kuajing.export_summary import calc

    got = calc.summary_deadline(month, deadline_day=day, is_working=lambda d: data.is_working_day(session=db, day=d))
    assert got == due, why
