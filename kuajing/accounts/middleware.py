"""Resolve the caller once per request so every page (home included) knows who is logged in."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from kuajing.accounts import service
from kuajing.accounts.deps import CSRF_COOKIE, Resolution, resolve
from kuajing.settings import Settings

_SKIP_PREFIXES = ("/static/", "/healthz")


def install(app: FastAPI, settings: Settings) -> None:
    """Configure the API-key secret and add the principal middleware to ``app``."""
    service.configure(secret_key=settings.secret("secret_key"))
    secure = settings.env != "development"

    def _resolve_in_own_transaction(request: Request) -> Resolution:
        session = request.app.state.sessionmaker()
        try:
            found = resolve(request, session)
            session.commit()  # last_used_at of an API key
            return found
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @app.middleware("http")
    async def principal_middleware(request: Request, call_next):
        if request.url.path.startswith(_SKIP_PREFIXES):
            return await call_next(request)
        found = await run_in_threadpool(_resolve_in_own_transaction, request)
        request.state.auth_resolution = found
        request.state.principal = found.principal
        request.state.csrf_token = found.csrf_token
        if found.principal is not None and found.principal.kind == "user" and found.principal.locale \
                and "lang" not in request.cookies and "lang" not in request.query_params \
                and not request.url.path.startswith("/api/"):
            request.state.locale = found.principal.locale
        response = await call_next(request)
        if found.set_csrf_cookie:
            response.set_cookie(CSRF_COOKIE, found.csrf_token, httponly=True, samesite="lax", secure=secure, path="/")
        return response
