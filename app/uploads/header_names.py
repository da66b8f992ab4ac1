"""The names finance teams give to sheets, columns, organisation kinds and functions, and the money
units their headers declare."""

from __future__ import annotations

import re
from decimal import Decimal

from app.workbooks import layout
from models.enums import OrganisationKind

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_UNIT_TOKENS = re.compile(r"£\S*|\bgbp\b|'000s?|\b000s\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """`Non-Pay (£k)` -> `non pay`: lower case, no brackets or units, words separated by one space."""
    text = _BRACKETS.sub(" ", text.lower().replace("&", " and "))
    text = _UNIT_TOKENS.sub(" ", text)
    return _NON_ALNUM.sub(" ", text).strip()


def squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


_UNITS: list[tuple[re.Pattern[str], Decimal]] = [
    (re.compile(r"£\s*(?:m|mn|mill?ions?)\b|\bmillions?\b|\(\s*m\s*\)"), Decimal(1_000_000)),
    (re.compile(r"£\s*(?:k|'?000s?|thousands?)(?![0-9])|\bthousands?\b|'000|\(\s*000s?\s*\)"), Decimal(1000)),
    (re.compile(r"£|\bgbp\b|\bpounds\b"), Decimal(1)),
]


def declared_unit(text: str) -> Decimal | None:
    """The money unit a header or note declares: £ -> 1, £k/£000 -> 1,000, £m -> 1,000,000."""
    lower = text.lower()
    for pattern, unit in _UNITS:
        if pattern.search(lower):
            return unit
    return None


UNITS_ROW_CELL = re.compile(
    r"^\(?\s*(£\s*(k|m|mn|'?000s?|thousands?|millions?)?|gbp|wte|fte|number|text)\s*\)?$"
)
TOTAL = re.compile(r"^\s*(grand\s+|sub[\s-]?)?totals?\b", re.IGNORECASE)

CODE = "code"
NAME = "name"
KIND = "kind"
FUNCTION = "function"
YEAR = "financial_year"
PAY = "pay"
NON_PAY = "non_pay"
WTE = "wte"
ORGANISATION_NAME = "organisation_name"

_CODE_NAMES = {
    "ods code",
    "ods",
    "org code",
    "organisation code",
    "organization code",
    "ods org code",
    "org ods code",
    "organisation ods code",
    "organization ods code",
    "ods organisation code",
    "code",
    "provider code",
    "trust code",
    "ccg code",
    "org id",
}
COST_LINE_FIELDS: dict[str, set[str]] = {
    CODE: _CODE_NAMES,
    ORGANISATION_NAME: {"organisation name", "organization name", "org name", "name", "organisation", "org"},
    FUNCTION: {
        "function",
        "functions",
        "service",
        "back office function",
        "corporate function",
        "function key",
        "service area",
    },
    YEAR: {"financial year", "year", "fy", "fin year", "finance year", "period"},
    PAY: {"pay", "pay costs", "pay cost", "pay spend", "pay expenditure", "staff costs", "pay total"},
    NON_PAY: {
        "non pay",
        "nonpay",
        "non pay costs",
        "non pay cost",
        "nonpay costs",
        "non pay spend",
        "non pay expenditure",
        "other costs",
        "non staff costs",
    },
    WTE: {
        "wte",
        "fte",
        "whole time equivalent",
        "whole time equivalents",
        "full time equivalent",
        "staff wte",
        "wte staff",
        "staff",
    },
}
ORGANISATION_FIELDS: dict[str, set[str]] = {
    CODE: _CODE_NAMES,
    NAME: {"name", "organisation name", "organization name", "org name", "organisation", "organization"},
    KIND: {
        "kind",
        "type",
        "organisation type",
        "organization type",
        "org type",
        "organisation kind",
        "sector",
    },
}
LDR_NAMES = {"ldr", "ldr footprint", "local digital roadmap", "local digital roadmap footprint"}

KINDS: dict[str, str] = {
    "ccg": "CCG",
    "clinical commissioning group": "CCG",
    "csu": "CSU",
    "commissioning support unit": "CSU",
    "provider": "PROVIDER",
    "trust": "PROVIDER",
    "nhs trust": "PROVIDER",
    "foundation trust": "PROVIDER",
    "nhs foundation trust": "PROVIDER",
    "provider trust": "PROVIDER",
    "acute trust": "PROVIDER",
    "ft": "PROVIDER",
    "local authority": "LOCAL_AUTHORITY",
    "la": "LOCAL_AUTHORITY",
    "council": "LOCAL_AUTHORITY",
    "local government": "LOCAL_AUTHORITY",
    **{_NON_ALNUM.sub(" ", k.value.lower()).strip(): k.value for k in OrganisationKind},
}
FUNCTION_SYNONYMS = {
    "human resources": "hr",
    "workforce": "hr",
    "information technology": "it",
    "ict": "it",
    "it services": "it",
    "im and t": "it",
    "estates": "estates",
    "facilities": "estates",
    "estates and facilities": "estates",
    "bi": "business_intelligence",
    "comms": "communications",
    "legal": "legal",
    "legal services": "legal",
    "training": "training",
    "finance": "finance",
    "financial services": "finance",
}

SHEET_ROLES = {
    "organisations": layout.ORGANISATIONS,
    "organizations": layout.ORGANISATIONS,
    "organisation": layout.ORGANISATIONS,
    "organization": layout.ORGANISATIONS,
    "orgs": layout.ORGANISATIONS,
    "orglist": layout.ORGANISATIONS,
    "costlines": layout.COST_LINES,
    "costline": layout.COST_LINES,
    "costs": layout.COST_LINES,
    "costdata": layout.COST_LINES,
    "backofficecosts": layout.COST_LINES,
    "baselinecosts": layout.COST_LINES,
    "assumptions": layout.ASSUMPTIONS,
    "assumption": layout.ASSUMPTIONS,
    "locks": layout.LOCKS,
    "lock": layout.LOCKS,
    "readme": layout.README,
    "instructions": layout.README,
    "guidance": layout.README,
    "notes": layout.README,
    "contents": layout.README,
    "cover": layout.README,
}
