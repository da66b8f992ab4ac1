"""Financial years as the NHS writes them: April to March, named `2017/18`.

Uploads and the API accept the same spellings (`2017/18`, `2017-18`, `2017/2018`, `FY 2017/18`, `17/18`)
and store and answer the canonical `2017/18`.
"""

from __future__ import annotations

import re
from typing import Any


class NotAFinancialYear(ValueError):
    """The value is not a financial year; the message says how to write one."""


_YEAR_LONG = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/\-–_ ]\s*(\d{2}|\d{4})$", re.IGNORECASE)
_YEAR_SHORT = re.compile(r"^(?:fy\s*)?(\d{2})\s*[/\-–_]\s*(\d{2})$", re.IGNORECASE)


def parse_financial_year(value: Any) -> str:
    """`2017/18`, `2017-18`, `2017/2018`, `FY 2017/18`, `17/18` -> `2017/18`."""
    text = str(value).strip() if isinstance(value, str) else None
    if text:
        match = _YEAR_LONG.match(text)
        if match:
            start, end = int(match[1]), match[2]
            if (len(end) == 2 and int(end) == (start + 1) % 100) or (len(end) == 4 and int(end) == start + 1):
                return f"{start}/{(start + 1) % 100:02d}"
        match = _YEAR_SHORT.match(text)
        if match and int(match[2]) == (int(match[1]) + 1) % 100:
            return f"{2000 + int(match[1])}/{match[2]}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise NotAFinancialYear(
            f"financial year {value!r} is ambiguous; write it as e.g. "
            f"{int(value)}/{(int(value) + 1) % 100:02d} (April {int(value)} to March {int(value) + 1})"
        )
    raise NotAFinancialYear(f"financial year {value!r} is not understood; write it as e.g. 2017/18")


def find_financial_year(text: str) -> str | None:
    for token in re.findall(r"(?:fy\s*)?\d{4}\s*[/\-–]\s*\d{2,4}|\b\d{2}/\d{2}\b", text, re.IGNORECASE):
        try:
            return parse_financial_year(token)
        except NotAFinancialYear:
            continue
    return None
