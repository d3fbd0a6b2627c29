"""Request bodies whose text fields refuse control characters (控制字符).

A NUL or another control character in a name, a document number or a reference is never meaningful: it breaks
XML built from the value later (customs messages, exports), hides text on a page, or splits an audit record.
The CEB intake refuses them per field (``bad_character``); :class:`TextModel`, the base of the other JSON bodies
(bonded ledger, enterprise filing, accounts), does the same: every string field, at any depth, is checked once
it is read, and a 422 names the field. Tab and line breaks are allowed.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError

#: C0 controls but tab, LF and CR; DEL; U+FFFE / U+FFFF; unpaired surrogates
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
MESSAGE = "Control characters (except tab and line breaks) are not allowed."


class TextModel(BaseModel):
    """A request body whose string fields refuse control characters (422 ``bad_character``)."""

    @field_validator("*")
    @classmethod
    def _printable(cls, value):
        if isinstance(value, str) and UNPRINTABLE.search(value):
            raise PydanticCustomError("bad_character", MESSAGE)
        return value
