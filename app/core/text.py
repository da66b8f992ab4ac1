"""Characters no text field holds: control characters (NUL included: SQLite stores it, PostgreSQL
refuses it), lone surrogates (no database can encode them) and the two non-characters XML forbids.

The API refuses them in every JSON string and query value (app/core/boundary.py), uploads at their cell
(app/uploads/reader.py); fields meant for several lines (a description, a lock's reason, a review's
comment) may hold tabs and line breaks. The workbook writer replaces any that are stored anyway
(`printable`), so no stored text can stop an export.
"""

from __future__ import annotations

import re

# Keys of JSON fields that may hold several lines.
MULTILINE_FIELDS = frozenset({"description", "reason", "comment"})

_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NOT_TEXT_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What an XML 1.0 document cannot hold (a workbook is XML): replaced when written.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def forbidden_character(text: str, *, multiline: bool = False) -> str | None:
    """A message naming the first character `text` may not hold, or None."""
    found = (_NOT_TEXT_MULTILINE if multiline else _NOT_TEXT).search(text)
    if found is None:
        return None
    char = found[0]
    kind = "a surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    if char in "\ufffe\uffff":
        kind = "a non-character"
    return f"contains {kind} (U+{ord(char):04X}) at position {found.start() + 1}; " + (
        "only tabs and line breaks are allowed"
        if multiline
        else "text here is one line of printable characters"
    )


def printable(text: str) -> str:
    """`text` with every character a workbook cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, text) if _NOT_XML.search(text) else text


def one_line(text: str) -> str:
    """`text` with every character a one-line field may not hold replaced by U+FFFD (for names the
    client does not type, such as an uploaded file's name)."""
    return _NOT_TEXT.sub(REPLACEMENT, text)
