"""Return windows (退货期限), policy-rules R2.1 / GACC 2020 No.45: days count from the day after release
(Asia/Shanghai dates); a return may be filed up to day 30 and the goods must be back by day 45.
Every expected date below is counted by hand on a calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kuajing.imports.service.returns import (
    arrival_deadline,
    arrival_overdue,
    day_after_release,
    may_file_return,
    release_date,
    return_deadline,
    window,
)


def test_released_march_first_last_day_is_march_31():
    # 03-02 is day 1 … 03-31 is day 30 (the issue's own example)
    assert return_deadline(date(2026, 3, 1)) == date(2026, 3, 31)
    assert day_after_release(date(2026, 3, 1), date(2026, 3, 31)) == 30


def test_day_30_accepted_day_31_rejected():
    released = date(2026, 3, 1)
    assert may_file_return(released, date(2026, 3, 31))  # day 30
    assert not may_file_return(released, date(2026, 4, 1))  # day 31


def test_release_day_itself_and_before_release():
    released = date(2026, 3, 1)
    assert may_file_return(released, released)  # day 0: already released, may be returned
    assert not may_file_return(released, date(2026, 2, 28))  # before release: nothing to return


def test_month_ends():
    # released 01-31: February 2026 has 28 days → Feb 1..28 are days 1..28, Mar 1 = 29, Mar 2 = 30
    assert return_deadline(date(2026, 1, 31)) == date(2026, 3, 2)
    # released 12-15: Dec 16..31 = 16 days, Jan 1..14 = 14 → day 30 = 2027-01-14 (crosses the year)
    assert return_deadline(date(2026, 12, 15)) == date(2027, 1, 14)
    # released 04-30: May 1..30 = days 1..30
    assert return_deadline(date(2026, 4, 30)) == date(2026, 5, 30)


def test_leap_year_2028_february():
    # 2028 is a leap year: Feb 2..29 = 28 days, Mar 1 = 29, Mar 2 = 30
    assert return_deadline(date(2028, 2, 1)) == date(2028, 3, 2)
    assert may_file_return(date(2028, 2, 1), date(2028, 3, 2))
    assert not may_file_return(date(2028, 2, 1), date(2028, 3, 3))
    # released 01-31: Feb 1..29 = days 1..29, Mar 1 = 30 (one day earlier than in 2026)
    assert return_deadline(date(2028, 1, 31)) == date(2028, 3, 1)
    # goods back by day 45: Feb 2..29 = 28, Mar 1..17 = 17 → 2028-03-17
    assert arrival_deadline(date(2028, 2, 1)) == date(2028, 3, 17)


def test_arrival_day_45():
    released = date(2026, 3, 1)
    # Mar 2..31 = 30 days, Apr 1..15 = 15 → day 45 = 04-15
    assert arrival_deadline(released) == date(2026, 4, 15)
    assert not arrival_overdue(released, date(2026, 4, 15))
    assert arrival_overdue(released, date(2026, 4, 16))


def test_no_arrival_deadline_before_the_2020_rule():
    # GACC 2020 No.45 brought the 45-day arrival rule; the 30-day window is older (财关税〔2016〕18号)
    assert arrival_deadline(date(2019, 6, 1)) is None
    assert not arrival_overdue(date(2019, 6, 1), date(2019, 12, 31))
    assert return_deadline(date(2019, 6, 1)) == date(2019, 7, 1)


def test_release_date_is_the_shanghai_date():
    # 2026-02-28 16:30 UTC is 2026-03-01 00:30 in Shanghai: released on 03-01, last day 03-31
    at = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)
    assert release_date(at) == date(2026, 3, 1)
    assert return_deadline(release_date(at)) == date(2026, 3, 31)
    # 15:59 UTC is still 23:59 on 02-28 in Shanghai
    assert release_date(datetime(2026, 2, 28, 15, 59, tzinfo=UTC)) == date(2026, 2, 28)


def test_window_view():
    w = window(date(2026, 3, 1), date(2026, 3, 10))
    assert (w.apply_by, w.arrive_by, w.day, w.may_apply, w.overdue) == (
        date(2026, 3, 31), date(2026, 4, 15), 9, True, False)


@given(st.dates(min_value=date(2021, 1, 1), max_value=date(2035, 12, 31)))
def test_window_is_thirty_and_forty_five_days(released):
    assert (return_deadline(released) - released).days == 30
    assert may_file_return(released, released + timedelta(days=30))
    assert not may_file_return(released, released + timedelta(days=31))
    assert arrival_deadline(released) == released + timedelta(days=45)
