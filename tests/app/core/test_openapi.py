"""The API reference is complete: every operation, parameter, schema and property says what it is."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.demo.service import load_demo
from app.runs.worker import execute_run

DEMO = "E54000007"


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


def test_every_request_example_works_against_the_demo(
    client: TestClient, db_session: Session, session_factory: sessionmaker[Session]
) -> None:
    load_demo(db_session)
    db_session.flush()
    finished = client.post(
        f"/footprints/{DEMO}/runs", json={"label": "reviewed", "options": {"time_limit": 5}}
    ).json()
    execute_run(session_factory, finished["id"], heartbeat_seconds=3600)
    line = client.get(f"/footprints/{DEMO}/cost-lines", params={"organisation": "RMC", "limit": 1}).json()
    document = client.get("/openapi.json").json()
    names = {
        "code": DEMO,
        "org_code": "RMC",
        "line_id": line["items"][0]["id"],
        "run_id": finished["id"],
        "name": "Green Book central case",  # made by the example of POST …/assumption-sets
    }
    examples = [
        (method, path, operation["requestBody"]["content"]["application/json"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert len(examples) >= 14
    # what an example creates comes first, then what changes it
    examples.sort(key=lambda e: (e[0] != "post", e[1].count("{")))
    answers = {}
    for method, path, body in examples:
        assert "example" in body, f"{method.upper()} {path} has no request example"
        url = re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]), path)
        response = client.request(method, url, json=body["example"])
        answers[f"{method.upper()} {path}"] = (response.status_code, response.text[:300])
    failed = {op: answer for op, answer in answers.items() if not 200 <= answer[0] < 300}
    assert not failed, failed
