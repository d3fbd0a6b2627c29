"""FastAPI dependencies shared by every domain: settings, the unit of work, the locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
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

    Always depend on it with ``scope="function"`` (use :data:`SessionDep`): the commit then happens
    before the response is sent, so a failed commit becomes an error answer, never a lie.
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


#: The request's unit of work; committed before the response is sent.
SessionDep = Depends(get_session, scope="function")
DbSession = Annotated[Session, SessionDep]
