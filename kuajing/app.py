"""FastAPI application factory: mounts every domain's JSON router (``api.py``) and pages (``pages.py``)."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import re
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kuajing import __version__
from kuajing.db.session import TransientConflict, is_unavailable, make_engine, make_sessionmaker
from kuajing.db.types import Keyring, configure_keyring
from kuajing.errors import AppError, FieldIssue
from kuajing.i18n import match_locale, negotiate
from kuajing.identity import ID_NUMBER_MESSAGE
from kuajing.settings import LOCALES, Settings

log = logging.getLogger("kuajing")

PROBLEM_JSON = "application/problem+json"

OPENAPI_DESCRIPTION = """
The open API of the zone's online public service platform (线上综合服务平台).

* **Authentication**: systems send `X-API-Key: <key>` (a key is bound to one enterprise); people log in
  through `/login` and use the session cookie.
* **Errors**: every error is an RFC 9457 problem details document (`application/problem+json`) with a
  stable `code` and `errors: [{code, path, value, message}]`; messages follow `Accept-Language`
  (`zh-CN` default, `en`, `ru`, `mn`). See `docs/api.md` and `docs/error-codes.md`.
* **Field names** are snake_case; amounts are decimal strings; dates are ISO 8601 business dates in
  Asia/Shanghai, timestamps are UTC.
"""


def _domain_modules(kind: str):
    import kuajing

    for info in sorted(pkgutil.iter_modules(kuajing.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        name = f"kuajing.{info.name}.{kind}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        if hasattr(module, "router"):
            yield module


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment when omitted)."""
    settings = settings or Settings.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = None
        if settings.pipeline_in_process and settings.pipeline_mode == "inprocess":
            from kuajing.pipeline.jobs import start_in_process

            runner = start_in_process(settings=settings, session_factory=app.state.sessionmaker)
        app.state.pipeline = runner
        yield
        if runner is not None:
            runner.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Kuajing — 跨境电商综试区线上综合服务平台",
        version=__version__,
        description=OPENAPI_DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    engine = make_engine(settings.effective_database_url, echo=settings.db_echo, pool_size=settings.db_pool_size)
    configure_keyring(Keyring.from_settings(settings))
    from kuajing.certificates.service import configure as configure_signing

    configure_signing(settings)  # the platform signer and the signature switch (kuajing.certificates)
    app.state.settings = settings
    app.state.engine = engine
    from kuajing.pipeline import metrics

    metrics.setup(settings)  # multiprocess directory chosen before any metric exists
    metrics.install_session_hooks()
    app.state.sessionmaker = make_sessionmaker(engine, settings=settings)

    from kuajing.accounts.middleware import install as install_accounts

    install_accounts(app, settings)  # who is calling (runs inside the locale middleware below)
    _install_middleware(app, settings)
    _install_error_handlers(app)

    static_dir = Path(__file__).parent / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    for module in _domain_modules("api"):
        app.include_router(module.router)
    for module in _domain_modules("pages"):
        app.include_router(module.router, include_in_schema=False)
    _install_openapi(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database check")
    def healthz() -> dict:
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics of this node",
             description="Prometheus text format: intake rate and latency, queue depths, pipeline stage latencies, "
                         "rejections by code, summed over every API and worker process of the node. Requires "
                         "`Authorization: Bearer <KUAJING_METRICS_TOKEN>` when that token is set (see "
                         "docs/operations.md); otherwise restrict it at the load balancer.")
    def prometheus_metrics(request: Request):
        import hmac

        from fastapi.responses import Response
        from prometheus_client import CONTENT_TYPE_LATEST

        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise AppError("unauthenticated", "Authentication required", status=401,
                               headers={"WWW-Authenticate": "Bearer"})
        with app.state.sessionmaker() as session:
            body = metrics.render(session=session, settings=settings)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/lang/{code}", include_in_schema=False)
    def switch_language(code: str, request: Request, next: str = "/"):
        locale = code if code in LOCALES else (match_locale(code) or settings.locale)
        # back to the page (and its query) the switch was on; only a path of this site ("//host" and "/\\host"
        # would leave it)
        target = next if next.startswith("/") and not next.startswith(("//", "/\\")) and "\\" not in next else "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie("lang", locale, max_age=365 * 86400, samesite="lax", httponly=False)
        return response

    return app


def _install_openapi(app: FastAPI) -> None:
    """The OpenAPI document with the error answers as they are (problem details; ``kuajing.openapi``)."""
    from kuajing.openapi import describe_problems

    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            describe_problems(generate())  # FastAPI caches the document it generated; rewritten once
        return app.openapi_schema

    app.openapi = openapi


def _too_large(limit: int) -> AppError:
    return AppError("payload_too_large", "Payload too large", status=413,
                    detail="The request body exceeds {limit} bytes.", limit=limit)


class BodyLimit:
    """The body size limit for a body that arrives without ``Content-Length`` (``Transfer-Encoding: chunked``):
    such a body is read here, at most one byte past the limit, and refused with 413 ``payload_too_large`` (a
    problem in the caller's language) before the route sees it; under the limit it is handed on as it came.
    Without this, the limit (checked on ``Content-Length`` below) did not apply and any route read a chunked
    body of any size into memory. A declared length is refused before any byte is read."""

    def __init__(self, app, limit: int, default_locale: str = "zh_Hans"):
        self.app = app
        self.limit = limit
        self.default_locale = default_locale

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or any(k == b"content-length" for k, _ in scope.get("headers", ())):
            return await self.app(scope, receive, send)
        messages, received = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > self.limit:
                request = Request(scope)
                request.state.locale = resolve_locale(request, self.default_locale)
                return await _problem(_too_large(self.limit), request)(scope, receive, send)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


#: sent with every answer: no page is shown inside another site's frame (clickjacking: a hidden frame over
#: /account/api-keys or a consent form), no answer is sniffed as another type, no URL leaks to other sites
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP answer that does not set them itself."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    from kuajing.pipeline import metrics
    from kuajing.pipeline.backpressure import QueueGauge

    gauge = QueueGauge(settings)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes, default_locale=settings.locale)
    app.add_middleware(SecurityHeaders)

    @app.middleware("http")
    async def locale_and_limits(request: Request, call_next):
        request.state.locale = resolve_locale(request, settings.locale)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_request_bytes:
            return _problem(_too_large(settings.max_request_bytes), request)
        if not metrics.is_intake(request.method, request.url.path):
            return await call_next(request)
        start = time.perf_counter()
        refusal = await gauge.refusal(app.state.sessionmaker)  # back-pressure: a full queue refuses new work
        if refusal is not None:
            metrics.m()["intake_requests"].labels("busy").inc()
            return _problem(refusal, request)
        response = await call_next(request)
        counters = metrics.m()
        counters["intake_seconds"].observe(time.perf_counter() - start)
        counters["intake_requests"].labels("ok" if response.status_code < 400 else
                                           "busy" if response.status_code == 503 else "error").inc()
        return response


def resolve_locale(request: Request, default: str) -> str:
    """``?lang=`` first; then, for the API, ``Accept-Language`` before the cookie; for pages the reverse."""
    query = request.query_params.get("lang")
    if query and (match := query if query in LOCALES else match_locale(query)):
        return match
    cookie = request.cookies.get("lang")
    cookie = cookie if cookie in LOCALES else None
    header = request.headers.get("accept-language")
    is_api = request.url.path.startswith(("/api/", "/ceb"))
    if is_api and header:
        return negotiate(header, default=cookie or default)
    if cookie:
        return cookie
    return negotiate(header, default=default)


def _problem(err: AppError, request: Request) -> JSONResponse:
    locale = getattr(request.state, "locale", "zh_Hans")
    from kuajing.pipeline.metrics import count_rejection

    count_rejection(err.code, "request")
    return JSONResponse(
        err.to_problem(locale, instance=request.url.path),
        status_code=err.status,
        media_type=PROBLEM_JSON,
        headers=err.headers,
    )


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/ceb")):
        return False
    return "text/html" in request.headers.get("accept", "")


_PYDANTIC_CODES = {
    "missing": ("field_required", "This field is required."),
    "extra_forbidden": ("field_unknown", "This field is not allowed."),
    "json_invalid": ("malformed_json", "The body is not valid JSON."),
    "string_too_long": ("too_long", "At most {max_length} characters."),
    "string_too_short": ("too_short", "At least {min_length} characters."),
    "string_pattern_mismatch": ("bad_format", "The value does not have the expected format."),
    "string_type": ("wrong_type", "A text value is expected."),
    "int_parsing": ("wrong_type", "A whole number is expected."),
    "int_type": ("wrong_type", "A whole number is expected."),
    "decimal_parsing": ("wrong_type", "A decimal number is expected."),
    "decimal_type": ("wrong_type", "A decimal number is expected."),
    "decimal_max_places": ("too_many_decimals", "At most {decimal_places} decimal places."),
    "bool_parsing": ("wrong_type", "true or false is expected."),
    "date_from_datetime_parsing": ("bad_date", "A date like 2026-03-01 is expected."),
    "date_parsing": ("bad_date", "A date like 2026-03-01 is expected."),
    "date_type": ("bad_date", "A date like 2026-03-01 is expected."),
    "datetime_parsing": ("bad_datetime", "A timestamp like 2026-03-01T08:00:00+08:00 is expected."),
    "enum": ("not_allowed", "Allowed values: {expected}."),
    "literal_error": ("not_allowed", "Allowed values: {expected}."),
    "greater_than": ("too_small", "Must be greater than {gt}."),
    "greater_than_equal": ("too_small", "Must be at least {ge}."),
    "less_than": ("too_large", "Must be less than {lt}."),
    "less_than_equal": ("too_large", "Must be at most {le}."),
    "too_long": ("too_many_items", "At most {max_length} items."),
    "too_short": ("too_few_items", "At least {min_length} items."),
    "list_type": ("wrong_type", "A list is expected."),
    "dict_type": ("wrong_type", "An object is expected."),
    "model_attributes_type": ("wrong_type", "An object is expected."),
    "value_error": ("invalid", "{error}"),
    "bad_character": ("bad_character", "Control characters (except tab and line breaks) are not allowed."),
    "quota_id_number_invalid": ("quota_id_number_invalid", ID_NUMBER_MESSAGE),
}


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of ``content_type`` as JSON (none given, ``application/json``, ``…+json``)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _takes_json_body(request: Request) -> bool:
    """Whether the matched route reads a JSON body (a body that is not a form or a file upload)."""
    from fastapi import params

    body = getattr(request.scope.get("route"), "body_field", None)  # FastAPI's own test (fastapi.routing)
    return body is not None and not isinstance(body.field_info, params.Form)


#: the " or " between the last two allowed values of pydantic's enum / literal message
_EXPECTED_OR = re.compile(r"(?<=['\"\w]) or (?=['\"\w-])")


def issues_from_pydantic(errors) -> list[FieldIssue]:
    """Map pydantic/FastAPI validation errors to field issues with stable codes and slash paths."""
    issues = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        if loc and loc[0] in ("query", "path", "header", "cookie") and len(loc) > 1:
            loc = loc[1:]
        path = ""
        for part in loc:
            path += f"[{int(part) + 1}]" if part.isdigit() else (f"/{part}" if path else part)
        code, message = _PYDANTIC_CODES.get(err.get("type", ""), ("invalid", "The value is not valid."))
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        if "expected" in ctx and err.get("type") in ("enum", "literal_error"):
            # pydantic writes "'a', 'b' or 'c'": the English "or" would stand in every language's message
            ctx["expected"] = _EXPECTED_OR.sub(", ", ctx["expected"])
        if err.get("type") == "value_error":
            ctx = {"error": str((err.get("ctx") or {}).get("error", err.get("msg", ""))).removeprefix("Value error, ")}
            custom = getattr((err.get("ctx") or {}).get("error"), "code", None)
            if custom:
                code = custom
        issues.append(FieldIssue(code, path, message, err.get("input") if err.get("type") != "missing" else None, ctx))
    return issues


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        if _wants_html(request) and exc.status in (401, 403, 404):
            from kuajing.web.render import render

            if exc.status == 401:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return render(request, "error.html", {"error": exc}, status_code=exc.status)
        return _problem(exc, request)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if _takes_json_body(request) and not _is_json(request.headers.get("content-type")):
            # FastAPI reads a body of another content type as raw bytes and fails the model with them
            err = AppError("unsupported_media_type", "Unsupported media type", status=415,
                           detail="This endpoint takes a JSON body: send it with Content-Type: application/json.")
        elif any(e.get("type") == "json_invalid" for e in errors):
            err = AppError("malformed_json", "Malformed JSON", status=400,
                           detail="The request body is not valid JSON.",
                           errors=[FieldIssue("malformed_json", "", "The body is not valid JSON.")])
        else:
            issues = issues_from_pydantic(errors)
            err = AppError("validation_failed", "The request has invalid fields", status=422,
                           detail="{n} field(s) need attention.", errors=issues, n=len(issues))
            if _wants_html(request):  # a browser's form: a page naming the fields, not problem+json text
                return _error_page(request, err)
        return _problem(err, request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        codes = {404: ("not_found", "Not found"), 405: ("method_not_allowed", "Method not allowed"),
                 401: ("unauthenticated", "Authentication required"), 403: ("forbidden", "Forbidden"),
                 413: ("payload_too_large", "Payload too large"), 415: ("unsupported_media_type", "Unsupported media type")}
        code, title = codes.get(exc.status_code, (f"http_{exc.status_code}", "Request failed"))
        err = AppError(code, title, status=exc.status_code, headers=dict(exc.headers or {}))
        if _wants_html(request) and exc.status_code == 404:
            from kuajing.web.render import render

            return render(request, "error.html", {"error": err}, status_code=404)
        return _problem(err, request)

    @app.exception_handler(TransientConflict)
    async def busy(request: Request, exc: TransientConflict):
        err = AppError("busy_retry", "Busy, please retry", status=503, headers={"Retry-After": "1"},
                       detail="Concurrent declarations collided; nothing was saved. Send the same message again.")
        return _problem(err, request)

    from sqlalchemy.exc import DataError, StatementError

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    @app.exception_handler(StatementError)
    async def out_of_range(request: Request, exc: Exception):
        # a number the database cannot hold (an id of 20 digits …) is the caller's value; other statement errors
        # go on to the unexpected-error answer below
        if _out_of_range(exc):
            return _out_of_range_answer(request, exc)
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        if is_unavailable(exc):  # the database is full or restarting: a retry will do, nothing was saved
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            err = AppError("busy_retry", "Busy, please retry", status=503, headers={"Retry-After": "2"},
                           detail="The database is momentarily unavailable; nothing was saved. "
                                  "Send the same message again.")
            return _problem(err, request)
        if _out_of_range(exc):
            return _out_of_range_answer(request, exc)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        err = AppError("internal_error", "Internal error", status=500,
                       detail="Something went wrong on our side; nothing was saved. Please retry.")
        return _problem(err, request)


def _out_of_range(exc: BaseException) -> bool:
    """Whether ``exc`` is a number the database cannot store: SQLite's OverflowError (64-bit integers), PostgreSQL's
    numeric_value_out_of_range (SQLSTATE 22003), raw or wrapped by SQLAlchemy."""
    from sqlalchemy.exc import DBAPIError, StatementError

    seen = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    if isinstance(seen, OverflowError):
        return True
    code = getattr(seen, "sqlstate", None) or getattr(getattr(seen, "diag", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and code == "22003"


def _out_of_range_answer(request: Request, exc: Exception):
    log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc)
    err = AppError("value_out_of_range", "Value out of range", status=422,
                   detail="A number in the request is too large; nothing was saved.")
    return _error_page(request, err) if _wants_html(request) else _problem(err, request)


def _error_page(request: Request, err: AppError):
    """``err`` as an HTML page (its fields listed) for a browser."""
    from kuajing.web.render import render

    return render(request, "error.html", {"error": err}, status_code=err.status)


def _json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)
