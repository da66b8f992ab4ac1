"""What every request is checked for before a route sees it (docs/operators/limits.md):

- its body is at most `STP_REQUEST_MAX_BYTES` (413 with the limit; workbook uploads have their own,
  larger limit, checked by their route as the file arrives);
- no text in it holds a character no field may hold (app/core/text.py): every string and key of a JSON
  body and every query value (422 naming each place), the path (404: it names nothing that exists).

Routes that report every problem of a payload together (bulk cost lines) check the body's text
themselves (`text_problems`), so those problems come in the same answer as the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ProblemError, error_response
from app.core.text import MULTILINE_FIELDS, forbidden_character

# Paths whose route checks the text of its own body (see the module's docstring).
SELF_CHECKED = re.compile(r"^/footprints/[^/]+/cost-lines/bulk$")


def body_too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        f"The request body is larger than the limit of {limit / (1024 * 1024):.0f} MB "
        "(STP_REQUEST_MAX_BYTES); send the data in smaller batches.",
        limit_bytes=limit,
        kind="too-large",
    )


def _problem(loc: list[Any], message: str) -> dict[str, Any]:
    return {
        "loc": loc,
        "pointer": "/" + "/".join(str(part) for part in loc),
        "field": ".".join(str(part) for part in loc[1:]) or None,
        "message": message,
        "type": "text_character",
    }


def text_problems(
    value: Any, loc: list[Any], limit: int, found: list[dict[str, Any]] | None = None, key: str | None = None
) -> list[dict[str, Any]]:
    """Every string (and key) in a parsed JSON value holding a character it may not, up to `limit`."""
    found = [] if found is None else found
    if len(found) >= limit:
        return found
    if isinstance(value, str):
        message = forbidden_character(value, multiline=key in MULTILINE_FIELDS)
        if message is not None:
            found.append(_problem(loc, message))
    elif isinstance(value, dict):
        for name, item in value.items():
            message = forbidden_character(name)
            if message is not None:
                found.append(_problem([*loc, name], f"the field's name {message}"))
            text_problems(item, [*loc, name], limit, found, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            text_problems(item, [*loc, index], limit, found, key)
    return found


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class RequestBoundary:
    """Pure ASGI middleware (it must see the body as it arrives, before anything buffers all of it)."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: Callable[[], int], max_problems: Callable[[], int]
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_problems = max_problems

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if forbidden_character(scope.get("path", "")) is not None:
            await self._answer(request, ProblemError(404, "Nothing is at this path"), scope, receive, send)
            return
        limit = self.max_problems()
        found: list[dict[str, Any]] = []
        for name, value in request.query_params.multi_items():
            for text, loc in ((name, ["query", name]), (value, ["query", name])):
                message = forbidden_character(text)
                if message is not None and len(found) < limit:
                    found.append(_problem(loc, message))
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        if content_type.lower().startswith("multipart/form-data"):
            await self._answer_or_pass(request, found, scope, receive, send)
            return
        body, refusal = await self._read_body(headers, receive)
        if refusal is not None:
            await self._answer(request, refusal, scope, receive, send)
            return
        if body and _is_json(content_type) and not SELF_CHECKED.match(scope.get("path", "")):
            try:
                parsed = json.loads(body)
            except ValueError:  # the route's own parsing says what is wrong with it
                parsed = None
            text_problems(parsed, ["body"], limit, found)

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._answer_or_pass(request, found, scope, replay, send)

    async def _read_body(self, headers: Headers, receive: Receive) -> tuple[bytes, ProblemError | None]:
        cap = self.max_body_bytes()
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return b"", body_too_large(cap)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                return b"", body_too_large(cap)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), None

    async def _answer_or_pass(
        self, request: Request, found: list[dict[str, Any]], scope: Scope, receive: Receive, send: Send
    ) -> None:
        if found:
            where = ", ".join(p["field"] or p["pointer"] for p in found[:5])
            problem = ProblemError(
                422,
                f"Text in the request holds a character it may not: {where}",
                errors=found,
                kind="unprintable-text",
            )
            await self._answer(request, problem, scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(
        request: Request, problem: ProblemError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        await error_response(request, problem)(scope, receive, send)
