"""Server-rendered pages (Jinja2 + htmx); every string goes through ``_()`` and the catalogues."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from kuajing.i18n import LOCALE_NAMES, LOCALES, gettext, pgettext_lazy, reads_chinese

TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    """The Jinja2 environment (templates of the web package and of each domain's ``templates/``)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), PackageLoader("kuajing", "")]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # a business key as one URL path segment: "#", "?", "/" and spaces encoded (an order number may hold them)
    env.filters["segment"] = lambda value: quote(str(value), safe="")
    return env


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` in the request's locale."""
    locale = getattr(request.state, "locale", "zh_Hans")

    def _(message: str, **params: Any) -> str:
        return gettext(message, locale, **params)

    def pgettext(context: str, message: str, **params: Any) -> str:
        return gettext(pgettext_lazy(context, message), locale, **params)

    settings = request.app.state.settings
    ctx = {
        "request": request,
        "_": _,
        "gettext": _,
        "pgettext": pgettext,
        "locale": locale,
        "chinese": reads_chinese(locale),  # names kept in zh and en: Chinese for zh_Hans and mn_Mong
        "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
        "html_lang": {"zh_Hans": "zh-Hans", "mn_Mong": "mn-Mong"}.get(locale, locale),
        "principal": getattr(request.state, "principal", None),
        "zone_name": settings.zone_name(locale),
        "settings": settings,
    }
    ctx.update(context or {})
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)
