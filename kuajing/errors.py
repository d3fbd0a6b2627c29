"""One error format for the whole API: RFC 9457 problem details with a stable ``code``.

``{"type", "title", "status", "detail", "code", "instance", "errors": [{code, path, value, message}]}``
served as ``application/problem+json``; messages in the language the request asks for. Each domain
defines its stable codes (the official customs code where one exists) and raises :class:`AppError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kuajing.i18n import gettext


@dataclass
class FieldIssue:
    """One problem with one field: a stable code, the field path, the offending value, a message."""

    code: str
    path: str
    message: str  # English message id with {placeholders}
    value: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str) -> dict[str, Any]:
        """As JSON in ``locale``."""
        return {
            "code": self.code,
            "path": self.path,
            "value": _jsonable(self.value),
            "message": gettext(self.message, locale, **self.params),
        }


class AppError(Exception):
    """An error the user can act on; rendered as problem details.

    ``code`` and ``title`` are positional-only, so a message may have its own ``{code}`` / ``{title}``
    placeholders (e.g. a bonded account book code) among ``params``.
    """

    def __init__(
        self,
        code: str,
        title: str,
        /,
        *,
        status: int = 400,
        detail: str | None = None,
        errors: list[FieldIssue] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ):
        super().__init__(f"{code}: {title}")
        self.code = code
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.params = params

    def to_problem(self, locale: str, *, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details in ``locale``."""
        body: dict[str, Any] = {
            "type": f"/docs/api#error-{self.code}",
            "title": gettext(self.title, locale, **self.params),
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = gettext(self.detail, locale, **self.params)
        if instance:
            body["instance"] = instance
        body["errors"] = [issue.render(locale) for issue in self.errors]
        return body


class NotFound(AppError):
    """The addressed record does not exist (or is not visible to the caller)."""

    def __init__(self, what: str = "record", *, path: str = "", value: Any = None):
        super().__init__(
            "not_found",
            "Not found",
            status=404,
            detail="The requested {what} does not exist or is not visible to you.",
            errors=[FieldIssue("not_found", path, "No such {what}.", value, {"what": what})] if path else [],
            what=what,
        )


class Forbidden(AppError):
    """The caller may not do this."""

    def __init__(self, detail: str = "You are not allowed to do this."):
        super().__init__("forbidden", "Forbidden", status=403, detail=detail)


class Unauthenticated(AppError):
    """No valid credentials."""

    def __init__(self):
        super().__init__(
            "unauthenticated",
            "Authentication required",
            status=401,
            detail="Log in, or send a valid API key in the X-API-Key header.",
            headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
        )


class Conflict(AppError):
    """The request conflicts with the record's current state."""

    def __init__(self, code: str, detail: str, *, path: str = "", value: Any = None, **params: Any):
        super().__init__(
            code, "Conflict", status=409, detail=detail,
            errors=[FieldIssue(code, path, detail, value, params)] if path else [], **params,
        )


def validation_error(issues: list[FieldIssue]) -> AppError:
    """A 422 carrying every field issue at once."""
    return AppError(
        "validation_failed",
        "The request has invalid fields",
        status=422,
        detail="{n} field(s) need attention.",
        errors=issues,
        n=len(issues),
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def each_or_error(action, items) -> list:
    """``action(item)`` for every item, in order: its result, or the :class:`AppError` it raised (the others
    still run) — for batch operations that answer per item as one call each would."""
    out: list = []
    for item in items:
        try:
            out.append(action(item))
        except AppError as exc:
            out.append(exc)
    return out
