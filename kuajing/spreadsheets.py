"""Spreadsheets in and out (电子表格安全): uploaded workbooks checked before they are opened, and every
Excel/CSV file the platform writes kept free of formulas.

In: an .xlsx is a zip archive. A few megabytes of upload can unpack to gigabytes (a "zip bomb": a sheet
padded with white space compresses about a thousand to one), and openpyxl holds what it unpacks in memory
even in read-only mode. :func:`check_workbook_archive` reads only the archive's directory — the sizes
Python's ``zipfile`` then enforces while unpacking — and refuses the file before any part is unpacked.

Out: a text that starts with ``=``, ``+``, ``-`` or ``@`` is run as a formula by Excel (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``). Names, goods descriptions and numbers an enterprise typed end up in files a zone
official opens (the no-invoice register, the customs declaration package, the bulletin), so
:func:`csv_cell` quotes such a text for CSV and :func:`append_row` writes it into a workbook as a text cell,
never a formula cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

#: the most an uploaded workbook may unpack to (every part of the archive together)
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: the most parts an uploaded workbook may hold (a real one has a few dozen)
MAX_MEMBERS = 2000

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


class NotAWorkbook(ValueError):
    """The bytes are not a zip archive (so not an .xlsx)."""


class WorkbookTooLarge(ValueError):
    """The archive unpacks to more than the limit, or holds too many parts."""

    def __init__(self, unpacked: int, members: int, limit: int = MAX_UNPACKED_BYTES):
        super().__init__(f"the workbook unpacks to {unpacked} bytes in {members} parts (limit {limit} bytes)")
        self.unpacked = unpacked
        self.members = members
        self.limit = limit

    @property
    def limit_mb(self) -> int:
        """The limit in MB, as the messages show it."""
        return self.limit // (1024 * 1024)


def check_workbook_archive(content: bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES,
                           max_members: int = MAX_MEMBERS) -> None:
    """Refuse an upload before openpyxl unpacks it: :class:`NotAWorkbook` or :class:`WorkbookTooLarge`."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise NotAWorkbook(str(exc)) from None
    unpacked = sum(max(m.file_size, 0) for m in members)
    if len(members) > max_members or unpacked > max_unpacked:
        raise WorkbookTooLarge(unpacked, len(members), max_unpacked)


def csv_cell(value: Any) -> Any:
    """``value`` made safe for a CSV cell: a text Excel would run as a formula gets a leading apostrophe
    (a plain number such as ``-12.50`` is left as it is)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def append_row(sheet, values: Iterable[Any]) -> None:
    """``sheet.append(values)`` where every text is stored as text: openpyxl makes a text starting with
    ``=`` a formula cell, which Excel would run when the file is opened."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
