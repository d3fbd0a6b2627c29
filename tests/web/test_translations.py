"""Every UI string goes through the catalogues: each message id found in the templates and in the code
(``_()``, ``gettext()``, ``AppError`` titles, ``FieldIssue`` messages) has a Chinese translation, and
every translation keeps the placeholders of its message id."""

from __future__ import annotations

import re
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir

from kuajing.i18n import LOCALES, catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "kuajing"

KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy": None,
    "AppError": (2,),
    "FieldIssue": (3,),
    "Conflict": (2,),
}
METHOD_MAP = [
    ("ceb/**", "ignore"),  # the pure message layer carries its own zh/en texts
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}


def _extracted() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid and re.search(r"[A-Za-z]", msgid):
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"<unparseable>"}


def test_every_message_has_a_chinese_translation():
    zh = catalogue("zh_Hans")
    missing = {msgid: where for msgid, where in _extracted().items() if msgid not in zh}
    assert not missing, "untranslated (add to a zh_Hans .po file):\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_translations_keep_placeholders():
    broken = []
    for locale in LOCALES:
        for msgid, text in catalogue(locale).items():
            if _fields(msgid) != _fields(text):
                broken.append(f"{locale}: {msgid!r} -> {text!r}")
    assert not broken, "placeholders differ:\n" + "\n".join(broken)


def test_extraction_finds_the_layout_strings():
    # guards the test itself: if extraction silently found nothing, the first test would pass vacuously
    found = _extracted()
    assert "Enterprise registry" in found and "Log in" in found and "The request has invalid fields" in found


def test_russian_and_mongolian_are_complete_too():
    # the corridor's languages (PRODUCT.md): a page in Russian or Cyrillic Mongolian never shows English
    extracted = _extracted()
    for locale in ("ru", "mn"):
        cat = catalogue(locale)
        missing = sorted(msgid for msgid in extracted if msgid not in cat)
        assert not missing, f"{locale} lacks {len(missing)}: {missing[:10]}"


def test_traditional_mongolian_borrows_chinese_not_english():
    # mn_Mong translates the frame of every page; what it lacks is shown in Chinese, which Inner Mongolia's
    # readers read, never in English
    from kuajing.i18n import gettext

    assert gettext("Log in", "mn_Mong") == "ᠨᠡᠪᠲᠡᠷᠡᠬᠦ"  # its own word
    assert gettext("Enterprise registry", "mn_Mong") == gettext("Enterprise registry", "zh_Hans") != \
        "Enterprise registry"
    assert catalogue("mn_Mong")["Log in"] != catalogue("zh_Hans")["Log in"]


def test_names_kept_in_chinese_and_english_show_chinese_to_traditional_mongolian_readers(client, db):
    # the country of a public warehouse, a district's name: a reader of ᠮᠣᠩᠭᠣᠯ reads Chinese, not English
    from decimal import Decimal

    from kuajing.ceb.codes import table
    from kuajing.exports.models import OverseasWarehouse
    from kuajing.i18n import reads_chinese
    from tests.accounts.fixtures import make_enterprise

    assert reads_chinese("zh_Hans") and reads_chinese("mn_Mong") and not reads_chinese("mn")
    assert table("country").get("304").name("mn_Mong") == "德国" and table("country").get("304").name("ru") == "Germany"
    ent = make_enterprise(db)
    db.add(OverseasWarehouse(enterprise_id=ent.id, name="Hamburg Hub", country="304", address="x", area_m2=Decimal(1),
                             operator_name="y", ownership_share=Decimal(100), services=["storage", "returns"],
                             public_certified=True, status="active"))
    db.commit()
    page = client.get("/warehouses?lang=mn_Mong").text
    assert "德国" in page and "Germany" not in page and "、" in page


def test_one_translation_per_message_in_each_locale():
    # the catalogues of a locale are merged file by file, so a message translated twice showed the last file's
    # words everywhere: the bonded "Warehouse" (仓库) read 海外仓, the tax calculator's channel (通关渠道) 渠道. A
    # word with two meanings takes a context (msgctxt) instead
    from babel.messages.pofile import read_po

    from kuajing.i18n import TRANSLATIONS_DIR

    clashes = []
    for locale in LOCALES:
        seen: dict[tuple, tuple[str, str]] = {}
        for po in sorted((TRANSLATIONS_DIR / locale / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as handle:
                for m in read_po(handle):
                    if not m.id or not m.string:
                        continue
                    key = (m.context, m.id)
                    if key in seen and seen[key][1] != m.string:
                        clashes.append(f"{locale} {m.id!r}: {seen[key][0]} {seen[key][1]!r} ≠ {po.name} {m.string!r}")
                    seen[key] = (po.name, m.string)
    assert not clashes, "\n".join(clashes)
