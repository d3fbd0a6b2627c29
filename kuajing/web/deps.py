"""FastAPI dependencies shared by every domain: settings, the unit of work, the locale."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from kuajing.settings import Settings


def get_settings(request: Request) -> Settings:
    """The application's settings."""
    return request.app.state.settings


def get_locale(request: Request) -> str:
    """The locale negotiated for this request (``?lang=``, cookie ``lang``, ``Accept-Language``)."""
    return getattr(request.state, "locale", request.app.state.settings.locale)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    The commit happens before the response is sent (FastAPI runs the exit code of yield
    dependencies before sending), so a failed commit becomes an error answer, never a lie.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
