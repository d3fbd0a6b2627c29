"""Working-day arithmetic on the shipped holiday calendar (State Council notices 2016–2026)."""

from __future__ import annotations

from datetime import date

import pytest

from kuajing.data import service
from kuajing.errors import AppError


@pytest.fixture
def seeded(db):
    results = service.load_seed(session=db)
    db.commit()
    db.info["seed"] = {r.kind.value: r for r in results}
    return db


def working(db, day: date) -> bool:
    return service.is_working_day(session=db, day=day)


def test_across_a_plain_weekend(seeded):
    friday = date(2025, 3, 7)
    assert working(seeded, friday) and not working(seeded, date(2025, 3, 8)) and not working(seeded, date(2025, 3, 9))
    assert service.add_working_days(session=seeded, start=friday, n=1) == date(2025, 3, 10)
    assert service.add_working_days(session=seeded, start=friday, n=5) == date(2025, 3, 14)
    assert service.add_working_days(session=seeded, start=date(2025, 3, 10), n=-1) == friday
    assert service.add_working_days(session=seeded, start=friday, n=0) == friday
    assert service.next_working_day(session=seeded, day=date(2025, 3, 8)) == date(2025, 3, 10)
    assert service.next_working_day(session=seeded, day=friday) == friday


def test_national_day_2025(seeded):
    # 2025: Oct 1–8 off (National Day + Mid-Autumn); Sunday Sept 28 and Saturday Oct 11 are working days
    assert working(seeded, date(2025, 9, 28))  # a Sunday, adjusted working day
    assert date(2025, 9, 28).weekday() == 6
    for day in range(1, 9):
        assert not working(seeded, date(2025, 10, day)), day
    assert working(seeded, date(2025, 10, 9))
    assert working(seeded, date(2025, 10, 11))  # adjusted working Saturday
    assert service.add_working_days(session=seeded, start=date(2025, 9, 26), n=1) == date(2025, 9, 28)
    assert service.add_working_days(session=seeded, start=date(2025, 9, 30), n=1) == date(2025, 10, 9)
    assert service.add_working_days(session=seeded, start=date(2025, 9, 30), n=3) == date(2025, 10, 11)
    assert service.add_working_days(session=seeded, start=date(2025, 9, 30), n=4) == date(2025, 10, 13)
    assert service.next_working_day(session=seeded, day=date(2025, 10, 1)) == date(2025, 10, 9)
    assert service.add_working_days(session=seeded, start=date(2025, 10, 9), n=-1) == date(2025, 9, 30)


def test_spring_festival_2026(seeded):
    # 2026: Feb 15–23 off; Saturdays Feb 14 and Feb 28 are working days
    assert working(seeded, date(2026, 2, 14)) and date(2026, 2, 14).weekday() == 5
    assert all(not working(seeded, date(2026, 2, d)) for d in range(15, 24))
    assert working(seeded, date(2026, 2, 24))
    assert service.add_working_days(session=seeded, start=date(2026, 2, 13), n=1) == date(2026, 2, 14)
    assert service.add_working_days(session=seeded, start=date(2026, 2, 14), n=1) == date(2026, 2, 24)
    assert service.add_working_days(session=seeded, start=date(2026, 2, 13), n=5) == date(2026, 2, 27)
    assert service.add_working_days(session=seeded, start=date(2026, 2, 13), n=6) == date(2026, 2, 28)
    assert service.next_working_day(session=seeded, day=date(2026, 2, 15)) == date(2026, 2, 24)


def test_adjusted_working_saturday(seeded):
    saturday = date(2025, 2, 8)  # worked after the 2025 Spring Festival
    assert saturday.weekday() == 5 and working(seeded, saturday)
    assert service.next_working_day(session=seeded, day=saturday) == saturday
    assert service.add_working_days(session=seeded, start=date(2025, 2, 7), n=1) == saturday
    assert not working(seeded, date(2025, 2, 15))  # an ordinary Saturday


def test_monthly_summary_deadline_rolls_forward(seeded):
    # export 9610 summary: 15th of next month, next working day if it is a rest day (policy-rules R3.2)
    assert service.next_working_day(session=seeded, day=date(2026, 2, 15)) == date(2026, 2, 24)
    assert service.next_working_day(session=seeded, day=date(2025, 6, 15)) == date(2025, 6, 16)


def test_year_without_calendar_is_an_error(seeded):
    with pytest.raises(AppError) as err:
        service.is_working_day(session=seeded, day=date(2030, 5, 6))
    assert err.value.code == "calendar_not_loaded"
    with pytest.raises(AppError) as err:
        service.add_working_days(session=seeded, start=date(2026, 12, 30), n=5)
    assert err.value.code == "calendar_not_loaded"


def test_newer_calendar_replaces_the_whole_year(seeded, tmp_path):
    path = tmp_path / "holidays-2026-revised.csv"
    path.write_text("date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-02,holiday,国庆节\n", encoding="utf-8")
    result = service.import_file(session=seeded, path=path)
    seeded.commit()
    assert result.created
    assert working(seeded, date(2026, 2, 16))  # the revised 2026 lists no Spring Festival
    assert not working(seeded, date(2026, 10, 2))
    assert working(seeded, date(2026, 10, 5))
    assert not working(seeded, date(2025, 10, 3))  # 2025 still from the seed
    old = service.year_calendar(session=seeded, year=2026, as_of_version=seeded.info["seed"]["holiday"].version_id)
    assert old.entries[date(2026, 2, 16)].kind == "holiday"


def test_every_seeded_year_has_its_main_holidays(seeded):
    for year in range(2016, 2027):
        cal = service.year_calendar(session=seeded, year=year)
        names = " ".join(e.name for e in cal.entries.values())
        assert "春节" in names and "国庆" in names and "劳动节" in names, year
        for entry in cal.entries.values():
            if entry.kind == "workday":
                assert entry.day.weekday() >= 5
