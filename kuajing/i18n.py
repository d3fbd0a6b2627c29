"""Translations: Babel catalogues under ``web/translations/<locale>/LC_MESSAGES/*.po``.

Message ids are English. Every ``.po`` file of a locale is merged (one file per area, so areas
can be translated independently). Chinese (zh_Hans) is the default locale; English, Russian and
Mongolian (Cyrillic ``mn``, traditional script ``mn_Mong``) follow.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import LazyProxy

from kuajing.settings import LOCALES

TRANSLATIONS_DIR = Path(__file__).parent / "web" / "translations"
DEFAULT_LOCALE = "zh_Hans"

#: How each locale names itself in the language switch.
LOCALE_NAMES = {"zh_Hans": "中文", "en": "English", "ru": "Русский", "mn": "Монгол", "mn_Mong": "ᠮᠣᠩᠭᠣᠯ"}


#: A locale whose catalogue is partial takes the strings it lacks from another locale its readers read, not
#: from English: the traditional-script Mongolian catalogue (mn_Mong) covers the frame of every page, and
#: Inner Mongolia's readers read Chinese (the zone's working language), not English or Cyrillic Mongolian.
FALLBACK = {"mn_Mong": DEFAULT_LOCALE}


def reads_chinese(locale: str) -> bool:
    """Whether a reader of ``locale`` is shown Chinese where a text has no version of its own in that locale
    (Chinese itself, and the locales that fall back to it): names kept in Chinese and English pick Chinese."""
    return locale == DEFAULT_LOCALE or FALLBACK.get(locale) == DEFAULT_LOCALE


@cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid → translated string for ``locale`` (empty for English and unknown locales), over the strings of
    its :data:`FALLBACK` locale where it has one."""
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    merged: dict[str, str] = dict(catalogue(FALLBACK[locale])) if locale in FALLBACK else {}
    if not folder.is_dir():
        return merged
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as handle:
            cat = read_po(handle)
        for message in cat:
            if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                key = f"{message.context}{CONTEXT_SEP}{message.id}" if message.context else message.id
                merged[key] = message.string
    return merged


#: joins a message context (msgctxt) and its id, as GNU gettext does: ``pgettext("alert status", "Open")``
CONTEXT_SEP = "\x04"


def pgettext_lazy(context: str, message: str) -> str:
    """A message in a context (msgctxt), for words whose meaning depends on where they stand ("Open": an alert
    still to be handled, 未处理; a return window still open, 可申请); translate later with :func:`gettext`."""
    return f"{context}{CONTEXT_SEP}{message}"


def pgettext(context: str, message: str, locale: str, /, **params) -> str:
    """Translate ``message`` in ``context`` into ``locale``."""
    return gettext(pgettext_lazy(context, message), locale, **params)


class Term(str):
    """A placeholder value that is itself a message id (a noun such as "overseas warehouse" filling the
    ``{what}`` of "No such {what}."): :func:`gettext` translates it into the message's locale before filling
    it in, so a Chinese message never carries an English word."""

    __slots__ = ()


def gettext(message: str, locale: str, /, **params) -> str:
    """Translate ``message`` into ``locale`` and fill its ``{placeholders}`` (a :class:`Term` value is
    translated too). A message with a context (:func:`pgettext_lazy`) untranslated in ``locale`` falls back
    to its English text, never to the context-free translation of the same words (which means something else)."""
    if params:
        params = {k: gettext(v, locale) if isinstance(v, Term) else v for k, v in params.items()}
    if CONTEXT_SEP in message:
        text = catalogue(locale).get(message) if locale != "en" else None
        message = message.split(CONTEXT_SEP, 1)[1]
        text = text or message
    else:
        text = catalogue(locale).get(message, message) if locale != "en" else message
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return message.format(**params)
    return text


def ngettext(singular: str, plural: str, n: int, locale: str, /, **params) -> str:
    """Plural-aware translation (Chinese has one form; catalogues store the singular id)."""
    return gettext(singular if n == 1 else plural, locale, n=n, **params)


def lazy(message: str):
    """Mark a module-level string for extraction; translate later with :func:`gettext`."""
    return message


def negotiate(accept_language: str | None, *, default: str = DEFAULT_LOCALE) -> str:
    """Pick the best of our locales for an ``Accept-Language`` header."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, index, tag.strip()))
    for _weight, _index, tag in sorted(ranked):
        found = match_locale(tag)
        if found:
            return found
    return default


def match_locale(tag: str) -> str | None:
    """Map a language tag (``zh-CN``, ``en-US``, ``mn-Mong``, ``ru``) to one of our locales."""
    norm = tag.replace("_", "-").lower()
    if norm in ("*", ""):
        return None
    if norm.startswith("zh"):
        return "zh_Hans"
    if norm.startswith("mn"):
        return "mn_Mong" if "mong" in norm or norm.endswith("-cn") else "mn"
    base = norm.split("-")[0]
    return base if base in LOCALES else None


__all__ = ["LOCALES", "LOCALE_NAMES", "DEFAULT_LOCALE", "gettext", "ngettext", "negotiate", "match_locale", "lazy",
           "LazyProxy", "pgettext", "pgettext_lazy", "Term", "MemberMap", "reads_chinese"]


class MemberMap(dict):
    """Labels (or colours) keyed by enum *member*, not by its value.

    ``StrEnum`` members are strings: ``FeeKind.logistics == AdvancerKind.logistics`` and both hash like
    ``"logistics"``, so in a plain dict literal the later one silently replaced the earlier one (the fee
    "logistics" was labelled "Logistics enterprise"). Built from ``(member, value)`` pairs; looked up by
    member; a member given twice is a programming error.
    """

    def __init__(self, pairs):
        super().__init__()
        for member, value in pairs:
            key = (type(member), member.value)
            if dict.__contains__(self, key):
                raise ValueError(f"{member!r} given twice")
            dict.__setitem__(self, key, value)

    def __getitem__(self, member):
        return dict.__getitem__(self, (type(member), member.value))

    def __contains__(self, member) -> bool:
        return dict.__contains__(self, (type(member), getattr(member, "value", member)))

    def get(self, member, default=None):
        return dict.get(self, (type(member), getattr(member, "value", member)), default)
