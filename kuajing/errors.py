"""One error format for the whole API: RFC 9457 problem details with a stable ``code``.

``{"type", "title", "status", "detail", "code", "instance", "errors": [{code, path, value, message}]}``
served as ``application/problem+json``; messages in the language the request asks for. Each domain
defines its stable codes (the official customs code where one exists) and raises :class:`AppError`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from kuajing.i18n import Term, gettext, pgettext_lazy


@dataclass
class FieldIssue:
    """One problem with one field: a stable code, the field path, the offending value, a message."""

    code: str
    path: str
    message: str  # English message id with {placeholders}
    value: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # exact texts by locale, ahead of the catalogue

    def render(self, locale: str) -> dict[str, Any]:
        """As JSON in ``locale``; the value is made safe to echo (see :func:`safe_value`)."""
        text = self.texts.get(locale)
        return {
            "code": self.code,
            "path": _printable(self.path),
            "value": safe_value(self.path, self.value),
            "message": _printable(text if text is not None else gettext(self.message, locale, **self.params)),
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
    """The addressed record does not exist (or is not visible to the caller). ``what`` names the kind of
    record in English (msgctxt "record kind" in the catalogues); each language shows its own word."""

    def __init__(self, what: str = "record", *, path: str = "", value: Any = None):
        what = Term(pgettext_lazy("record kind", what))
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


#: Longest text echoed back as ``errors[].value`` (longer values are cut, never echoed whole).
MAX_ECHO = 200
#: Field names holding personal data (个人信息): echoed masked, as everywhere they are shown.
_ID_FIELDS = frozenset({"buyer_id_number", "payer_id_number", "id_number", "buyerIdNumber", "payerIdNumber"})
_NAME_FIELDS = frozenset({"buyer_name", "payer_name", "consignee", "buyerName", "payerName"})
_PHONE_FIELDS = frozenset({"buyer_telephone", "consignee_telephone", "telephone", "phone", "buyerTelephone",
                           "consigneeTelephone"})
#: Characters JSON (or XML) cannot carry as they are: control characters, lone surrogates, U+FFFE/U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _printable(text: str) -> str:
    """``text`` with the characters above written as ``\\uXXXX`` (a lone surrogate cannot even be encoded)."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"


def safe_value(path: str, value: Any) -> Any:
    """``value`` as it may be echoed in an error: never raw bytes (a request body), texts cut to
    :data:`MAX_ECHO` characters, personal data masked by its field name, unprintable characters escaped."""
    from kuajing.db.types import mask, mask_name, mask_phone

    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN / Infinity (a JSON body may carry them) are not JSON: echoed as text
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None  # a raw body (e.g. a non-JSON request): never echoed
    leaf = re.sub(r"\[\d+\]$", "", (path or "").rsplit("/", 1)[-1])
    if isinstance(value, str):
        if leaf in _ID_FIELDS:
            value = mask(value)
        elif leaf in _NAME_FIELDS:
            value = mask_name(value)
        elif leaf in _PHONE_FIELDS:
            value = mask_phone(value)
        return _printable(_cut(value))
    if isinstance(value, (list, tuple, dict)):
        if leaf in _ID_FIELDS | _NAME_FIELDS | _PHONE_FIELDS:
            return None
        plain = _jsonable(value)
        text = json.dumps(plain, ensure_ascii=False, default=str)
        return plain if len(text) <= MAX_ECHO and _UNPRINTABLE.search(text) is None else _printable(_cut(text))
    return _printable(_cut(str(value)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN / Infinity (a JSON body may carry them) are not JSON: echoed as text
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return _cut(str(value))


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
