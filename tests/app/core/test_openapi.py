"""The API reference is complete: every operation, parameter, schema and property says what it is."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _properties(where: str, schema: dict[str, Any]) -> list[str]:
    """Properties without a description, nested inline objects included."""
    missing = []
    for name, sub in (schema.get("properties") or {}).items():
        if not sub.get("description"):
            missing.append(f"{where}.{name}")
        missing += _properties(f"{where}.{name}", sub)
        for key in ("items", "additionalProperties"):
            if isinstance(sub.get(key), dict):
                missing += _properties(f"{where}.{name}[]", sub[key])
    return missing


def test_every_operation_parameter_schema_and_property_is_described(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not (operation.get("description") or "").strip():
                missing.append(f"operation {method.upper()} {path}")
            for parameter in operation.get("parameters", []):
                if not (parameter.get("description") or "").strip():
                    missing.append(f"parameter {parameter['name']} of {method.upper()} {path}")
    for name, schema in document["components"]["schemas"].items():
        if not (schema.get("description") or "").strip():
            missing.append(f"schema {name}")
        missing += [f"property {p}" for p in _properties(name, schema)]
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)
