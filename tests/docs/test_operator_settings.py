"""Every setting of app/settings.py is in the operators' settings table, with the code's default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from app.settings import Settings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "operators" / "index.md"


def documented() -> dict[str, str]:
    text = PAGE.read_text(encoding="utf-8")
    block = re.search(r"<!-- settings -->\n((?:\|.*\n)+)", text)
    assert block, "docs/operators/index.md has no <!-- settings --> table"
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block[1].splitlines()]
    header, _rule, *body = rows
    assert header[:2] == ["variable", "default"], header
    return {re.sub(r"`", "", row[0]): re.sub(r"`", "", row[1]) for row in body}


def _written(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def code_settings() -> dict[str, str]:
    found = {}
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias if isinstance(field.validation_alias, str) else name.upper()
        default = field.default if field.default is not PydanticUndefined else ""
        found[variable] = _written(default)
    return found


def test_every_setting_is_documented_with_its_default() -> None:
    page = documented()
    missing = sorted(set(code_settings()) - set(page))
    assert not missing, f"settings of app/settings.py missing from docs/operators/index.md: {missing}"
    differ = {k: (page[k], v) for k, v in code_settings().items() if page[k] != v}
    assert not differ, f"page default vs code default: {differ}"


def test_the_page_documents_no_setting_the_code_does_not_read() -> None:
    extra = sorted(set(documented()) - set(code_settings()))
    assert not extra, f"docs/operators/index.md documents settings app/settings.py does not have: {extra}"
