"""The API reference page, rendered from the app's own OpenAPI description at build time.

Plain Markdown (tables and headings), so the reference is searchable, printable and readable from a
copy of the site on a machine with no internet: no Swagger UI or ReDoc bundle, no script from a CDN.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")

INTRO = """# API reference

Generated from the service's OpenAPI description when the site is built (`docsite/hooks.py` calls
`app.main.create_app().openapi()`), so it always matches the code. The same description is served by
the running service at `/openapi.json` and is included in this site: [openapi.json](../openapi.json).
A running service also shows it interactively at `/docs`.

Every operation names the **need** its token must carry (see
[who may do what](access.md#who-may-do-what)); every error is an RFC 9457 problem document
([errors](index.md#errors)). Money is a decimal string in pounds.
"""


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    value = " ".join(str(text).split())
    return value.replace("|", "\\|")


def schema_anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def operation_anchor(method: str, path: str) -> str:
    return "op-" + method + "-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def type_of(schema: dict[str, Any] | None) -> str:
    """A schema in a few words, with links to named schemas."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{schema_anchor(name)})"
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts = [type_of(part) for part in schema[combinator]]
            return " or ".join(dict.fromkeys(parts))
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items'))}"
    if kind == "object" and "additionalProperties" in schema and schema["additionalProperties"]:
        extra = schema["additionalProperties"]
        return f"object of {type_of(extra) if isinstance(extra, dict) else 'any'}"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    text = str(kind or "object")
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


def _limits(schema: dict[str, Any]) -> str:
    words = []
    for key, label in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
        ("pattern", "pattern"),
    ):
        if key in schema:
            value = f"`{schema[key]}`" if key == "pattern" else schema[key]
            words.append(f"{label} {value}")
    for part in schema.get("anyOf", []):
        if part.get("type") != "null":
            words.extend(_limits(part).split("; ") if _limits(part) else [])
    return "; ".join(words)


def _default(schema: dict[str, Any]) -> str:
    if "default" not in schema:
        return ""
    return f"`{json.dumps(schema['default'])}`"


def _parameters(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters") or []
    if not parameters:
        return []
    lines = ["| parameter | in | type | required | default | description |", "|---|---|---|---|---|---|"]
    for parameter in parameters:
        schema = parameter.get("schema", {})
        description = parameter.get("description") or schema.get("description") or ""
        limits = _limits(schema)
        if limits:
            description = f"{description} ({limits})" if description else limits
        lines.append(
            f"| `{parameter['name']}` | {parameter['in']} | {_cell(type_of(schema))} | "
            f"{'yes' if parameter.get('required') else 'no'} | {_default(schema)} | {_cell(description)} |"
        )
    return ["", *lines]


def _content(body: dict[str, Any]) -> str:
    parts = []
    for media, content in (body.get("content") or {}).items():
        parts.append(f"`{media}`: {type_of(content.get('schema'))}")
    return "; ".join(parts) or "no body"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}` {{ #{operation_anchor(method, path)} }}", ""]
    if operation.get("summary"):
        lines.append(f"**{operation['summary']}**")
        lines.append("")
    if operation.get("description"):
        lines.append(operation["description"].strip())
        lines.append("")
    needs = [scope for requirement in operation.get("security") or [] for scope in requirement.values()]
    flat = [need for scopes in needs for need in scopes]
    lines.append(f"Need: {', '.join(f'`{n}`' for n in flat)}" if flat else "Need: none (public)")
    lines.extend(_parameters(operation))
    body = operation.get("requestBody")
    if body:
        lines += ["", f"Request body{' (required)' if body.get('required') else ''}: {_content(body)}"]
        for media, content in (body.get("content") or {}).items():
            examples = [content["example"]] if "example" in content else []
            examples += [e.get("value") for e in (content.get("examples") or {}).values() if "value" in e]
            for example in examples:
                lines += ["", f"Example (`{media}`):", "", "```json", json.dumps(example, indent=2), "```"]
    lines += ["", "| status | meaning | body |", "|---|---|---|"]
    for status, response in sorted((operation.get("responses") or {}).items()):
        lines.append(f"| {status} | {_cell(response.get('description', ''))} | {_cell(_content(response))} |")
    lines.append("")
    return lines


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{ #{schema_anchor(name)} }}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties") or {}
    if not properties:
        lines += [f"Type: {type_of({k: v for k, v in schema.items() if k != 'title'})}", ""]
        return lines
    required = set(schema.get("required") or [])
    lines += ["| field | type | required | default | description |", "|---|---|---|---|---|"]
    for field, spec in properties.items():
        description = spec.get("description", "")
        limits = _limits(spec)
        if limits:
            description = f"{description} ({limits})" if description else limits
        lines.append(
            f"| `{field}` | {_cell(type_of(spec))} | {'yes' if field in required else 'no'} | "
            f"{_cell(_default(spec))} | {_cell(description)} |"
        )
    lines.append("")
    return lines


def _problem_types(problem_types: dict[str, tuple[str, str]]) -> list[str]:
    if not problem_types:
        return []
    lines = [
        "## Problem types { #problem-types }",
        "",
        "Every error's `type` is `/problems/<kind>` on the service (GET it for this description); "
        "branch on it in code, show `detail` to people.",
        "",
        "| `type` | title | what it means |",
        "|---|---|---|",
    ]
    for kind, (title, meaning) in problem_types.items():
        lines.append(f"| `/problems/{kind}` | {_cell(title)} | {_cell(meaning)} |")
    return [*lines, ""]


def render(spec: dict[str, Any], problem_types: dict[str, tuple[str, str]] | None = None) -> str:
    """The whole reference page: operations grouped by tag, the problem types, then every schema."""
    problem_types = problem_types or {}
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag[tag].append((method, path, operation))
    lines = [INTRO.strip(), ""]
    description = (spec.get("info") or {}).get("description")
    if description:
        lines += [description.strip(), ""]
    lines += ["## Operations", ""]
    for tag in sorted(by_tag):
        lines += [
            f"- **{tag}**: "
            + ", ".join(f"[`{m.upper()} {p}`](#{operation_anchor(m, p)})" for m, p, _ in by_tag[tag])
        ]
    lines.append("")
    for tag in sorted(by_tag):
        lines += [f"## {tag}", ""]
        for method, path, operation in by_tag[tag]:
            lines += _operation(method, path, operation)
    lines += _problem_types(problem_types)
    lines += ["## Schemas", ""]
    for name, schema in sorted((spec.get("components") or {}).get("schemas", {}).items()):
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"
