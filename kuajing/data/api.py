"""Read-only JSON API of the reference data under ``/api/v1/reference`` (public, no login)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from kuajing.data import errors, service
from kuajing.data.choices import DayKind
from kuajing.data.schemas import (
    CalendarDayRead,
    DatasetVersionRead,
    HsRateRead,
    MonthRatesRead,
    RateRead,
    WorkingDayRead,
    YearCalendarRead,
)
from kuajing.web.deps import get_session

router = APIRouter(prefix="/api/v1/reference", tags=["reference data"])


def _rate_read(info: service.RateInfo) -> RateRead:
    iso, name = service.display_currency(info.currency)
    return RateRead(currency=info.currency, iso=iso, name=name, month=info.month, rate=info.rate,
                    version=info.version, version_id=info.version_id, source=info.source)


@router.get("/rates", response_model=MonthRatesRead, summary="Customs exchange rates of a month")
def month_rates(month: str = Query(..., description="YYYY-MM", examples=["2025-10"]),
                version: str | None = Query(None, description="as known at this dataset version (id or label)"),
                session: Session = Depends(get_session, scope="function")) -> MonthRatesRead:
    """Every currency's customs monthly rate (CNY per one unit) for ``month``."""
    first = service.parse_month(month)
    rates = service.rates_for_month(session=session, month=first, as_of_version=version)
    return MonthRatesRead(month=first.strftime("%Y-%m"), rates=[_rate_read(r) for r in rates])


@router.get("/rates/{currency}", response_model=RateRead, summary="Customs exchange rate of a currency on a date")
def currency_rate(currency: str, on: date = Query(..., description="business date, YYYY-MM-DD"),
                  version: str | None = Query(None, description="as known at this dataset version (id or label)"),
                  session: Session = Depends(get_session, scope="function")) -> RateRead:
    """The rate of ``currency`` (customs code like 502 or ISO like USD) in force on ``on``."""
    return _rate_read(service.exchange_rate(session=session, currency=currency, on=on, as_of_version=version))


@router.get("/holidays/{year}", response_model=YearCalendarRead, summary="Holidays and adjusted working days")
def holidays(year: int, version: str | None = Query(None), session: Session = Depends(get_session, scope="function")) -> YearCalendarRead:
    """The public holidays and adjusted working days (调休上班日) of ``year``."""
    cal = service.year_calendar(session=session, year=year, as_of_version=version)
    return YearCalendarRead(year=year, version=cal.version, version_id=cal.version_id,
                            days=[CalendarDayRead(date=e.day, kind=e.kind.value, name=e.name, source=e.source)
                                  for e in cal.entries.values()])


@router.get("/working-day", response_model=WorkingDayRead, summary="Is a date a working day?")
def working_day(on: date = Query(..., alias="date", description="YYYY-MM-DD"),
                session: Session = Depends(get_session, scope="function")) -> WorkingDayRead:
    """Whether ``date`` is a working day in mainland China, and the next working day on or after it."""
    if not 1990 <= on.year <= 2100:
        raise errors.bad_year(on.isoformat(), path="date")
    cal = service.year_calendar(session=session, year=on.year)
    entry = cal.entries.get(on)
    if entry is None:
        reason, name = ("weekday", "") if on.weekday() < 5 else ("weekend", "")
    else:
        reason, name = ("holiday" if entry.kind == DayKind.HOLIDAY else "adjusted_workday"), entry.name
    return WorkingDayRead(date=on, working_day=service.is_working_day(session=session, day=on), reason=reason,
                          name=name, next_working_day=service.next_working_day(session=session, day=on))


@router.get("/hs/{hs_code}", response_model=HsRateRead, summary="Tariff and tax rates of an HS code")
def hs_rate(hs_code: str, on: date = Query(..., description="YYYY-MM-DD"),
            session: Session = Depends(get_session, scope="function")) -> HsRateRead:
    """The MFN, VAT and consumption-tax rates of ``hs_code`` in force on ``on``."""
    info = service.hs_tax_rate(session=session, hs_code=hs_code, on=on)
    return HsRateRead(**info.__dict__)


@router.get("/versions", response_model=list[DatasetVersionRead], summary="Imported dataset versions")
def dataset_versions(kind: str | None = Query(None, description="exchange_rate | holiday | hs_tax_rate"),
                     session: Session = Depends(get_session, scope="function")) -> list[DatasetVersionRead]:
    """Every imported version (oldest first), with file name, sha256, importer and row count."""
    return [DatasetVersionRead.model_validate(v, from_attributes=True)
            for v in service.versions(session=session, kind=kind)]
