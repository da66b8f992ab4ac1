"""A bulk JSON payload of cost lines, checked whole before anything is saved (docs/operators/limits.md).

Every problem of the payload comes in one answer: a line's format errors (a missing field, a negative
or implausible amount, a malformed year, a control character), and its unknown organisation or function
and duplicates, together. The answer counts the lines that are wrong (not the problems), lists at most
`STP_REQUEST_MAX_REPORTED_PROBLEMS` of them, in line order, and says how many there are in all.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app.core.boundary import text_problems
from app.core.errors import ProblemError
from app.cost_lines.schemas import CostLineCreate, UpsertReport
from app.cost_lines.upsert import CostLineInput, bulk_upsert, organisation_ids_by_code
from app.functions.service import function_keys
from models import Footprint

_LINES = TypeAdapter(list[CostLineCreate])

# The request body as the OpenAPI description shows it (the route reads the body itself, to report
# every problem of every line together).
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "BulkUpsertRequest",
                    "type": "object",
                    "required": ["lines"],
                    "additionalProperties": False,
                    "properties": {
                        "lines": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"$ref": "#/components/schemas/CostLineCreate"},
                            "description": "at most STP_BULK_MAX_ROWS lines (200,000), in a body of at "
                            "most STP_REQUEST_MAX_BYTES (10 MB)",
                        }
                    },
                }
            }
        },
    }
}


def _problem(loc: list[Any], message: str, value: Any = None, kind: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {
        "loc": loc,
        "pointer": "/" + "/".join(str(part) for part in loc),
        "field": ".".join(str(part) for part in loc[1:]) or None,
        "message": message,
    }
    if value is not None:
        found["value"] = value
    if kind:
        found["type"] = kind
    return found


def _invalid(
    detail: str, errors: list[dict[str, Any]], total: int | None = None, kind: str = "invalid-data"
) -> ProblemError:
    return ProblemError(
        422, detail, errors=errors, errors_total=len(errors) if total is None else total, kind=kind
    )


def parse_payload(body: bytes, max_lines: int) -> list[Any]:
    """The `lines` of a bulk body, or a 422 saying where the body itself is wrong."""
    try:
        payload = json.loads(body)
    except UnicodeDecodeError:
        raise _invalid("The body is not UTF-8 text.", [_problem(["body"], "not UTF-8")]) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _invalid(
            f"The body is not valid JSON: {exc.msg} at {where}.",
            [_problem(["body"], f"{exc.msg} at {where}", kind="json_invalid")],
            kind="malformed-json",
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("lines"), list):
        raise _invalid(
            'Send an object with a list of lines: {"lines": [...]}.',
            [_problem(["body", "lines"], "a list of cost lines is required")],
        )
    extra = sorted(set(payload) - {"lines"})
    if extra:
        raise _invalid(
            f"Unknown field(s) {', '.join(map(repr, extra))}; the body has only `lines`.",
            [_problem(["body", name], "extra fields are not permitted") for name in extra],
        )
    lines: list[Any] = payload["lines"]
    if not lines:
        raise _invalid("The list of lines is empty.", [_problem(["body", "lines"], "at least one line")])
    if len(lines) > max_lines:
        raise _invalid(
            f"{len(lines):,} lines is more than the {max_lines:,} one request may carry (STP_BULK_MAX_ROWS); "
            "send them in batches.",
            [_problem(["body", "lines"], f"more than {max_lines:,} lines")],
        )
    return lines


def upsert_payload(
    session: Session, footprint: Footprint, lines: list[Any], max_problems: int
) -> UpsertReport:
    """Check every line, then save all of them or none."""
    problems: dict[int, list[dict[str, Any]]] = {}

    def add(index: int, problem: dict[str, Any]) -> None:
        problems.setdefault(index, []).append(problem)

    for problem in text_problems(lines, ["body", "lines"], limit=len(lines) * 10 + 10):
        add(problem["loc"][2], problem)
    try:
        valid = _LINES.validate_python(lines)
    except ValidationError as exc:
        valid = None
        for error in exc.errors(include_url=False, include_context=False, include_input=False):
            loc = ["body", "lines", *error["loc"]]
            index = error["loc"][0] if error["loc"] and isinstance(error["loc"][0], int) else 0
            if not any(
                p["loc"] == loc and p.get("type") == "text_character" for p in problems.get(index, [])
            ):
                add(index, _problem(loc, error["msg"], kind=error["type"]))

    organisations = organisation_ids_by_code(session, footprint)
    functions = function_keys(session)
    seen: dict[tuple[Any, Any, Any], int] = {}
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        organisation, function, year = (
            line.get("organisation"),
            line.get("function"),
            line.get("financial_year"),
        )
        if valid is not None:  # the canonical year ("2017-18" is "2017/18")
            year = valid[index].financial_year
        at = ["body", "lines", index]
        if isinstance(organisation, str) and organisation not in organisations:
            add(
                index,
                _problem(
                    [*at, "organisation"],
                    f"organisation {organisation} is not in footprint {footprint.code}",
                    organisation,
                    "unknown_organisation",
                ),
            )
        if isinstance(function, str) and function not in functions:
            add(
                index,
                _problem([*at, "function"], f"unknown function {function!r}; see GET /functions", function),
            )
        key = (organisation, function, year)
        if all(isinstance(part, str) for part in key):
            if key in seen:
                add(
                    index,
                    _problem(
                        [*at, "organisation"],
                        f"duplicate of line {seen[key]} ({organisation}, {function}, {year})",
                        organisation,
                        "duplicate",
                    ),
                )
            else:
                seen[key] = index

    if problems:
        ordered = [
            problem
            for index in sorted(problems)
            for problem in sorted(problems[index], key=lambda p: [str(part) for part in p["loc"]])
        ]
        shown = ordered[:max_problems]
        wrong = len(problems)
        listed = "" if len(shown) == len(ordered) else f"; the first {len(shown)} are listed"
        raise _invalid(
            f"{wrong} of {len(lines)} line{'s' if len(lines) != 1 else ''} "
            f"{'is' if wrong == 1 else 'are'} not valid ({len(ordered)} problem"
            f"{'s' if len(ordered) != 1 else ''}{listed}); nothing was saved.",
            shown,
            total=len(ordered),
        )
    assert valid is not None
    inputs = [
        CostLineInput.from_schema(line, location={"loc": ["body", "lines", i]})
        for i, line in enumerate(valid)
    ]
    counts = bulk_upsert(session, footprint, inputs)
    return UpsertReport(
        rows_read=len(inputs), inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged
    )
