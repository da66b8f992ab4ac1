"""Every messy workbook and every hostile file of fixtures/workbooks, uploaded through HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fixtures.workbooks import generate
from tests.app.uploads.helpers import make_fixture_footprints, stored_lines, upload
from tests.helpers import problem

FIXTURES = {f.name: f for f in generate.fixtures()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: path for name, (path, _) in generate.build(tmp_path_factory.mktemp("workbooks")).items()}


def _phrases_found(found: list[dict[str, object]], wanted: list[tuple[str | None, str | None, str]]) -> None:
    for sheet, cell, phrase in wanted:
        assert any(
            p["sheet"] == sheet and p["cell"] == cell and phrase.lower() in str(p["message"]).lower()
            for p in found
        ), f"no problem at {sheet}!{cell} saying {phrase!r} in {found}"


@pytest.mark.parametrize("name", list(FIXTURES))
def test_fixture_upload_gives_its_expected_report(
    client: TestClient, built: dict[str, Path], name: str
) -> None:
    make_fixture_footprints(client)
    expected = FIXTURES[name].expected
    response = upload(client, built[name].read_bytes(), name)

    if expected.status == 201:
        assert response.status_code == 201, response.text
        report = response.json()
        for count in ("inserted", "updated", "unchanged", "skipped"):
            if getattr(expected, count) is not None:
                assert report[count] == getattr(expected, count), (count, report)
        assert (
            report["inserted"] + report["updated"] + report["unchanged"] + report["skipped"]
            == report["rows_read"]
        )
        _phrases_found(report["warnings"], expected.warnings)
        stored = stored_lines(client)
        for key, values in expected.lines.items():
            assert stored[key] == values, key
        return

    body = problem(response, expected.status)
    if expected.errors:
        # exactly these cells, and nothing else
        assert sorted((e["sheet"] or "", e["cell"] or "") for e in body["errors"]) == sorted(
            (sheet or "", cell or "") for sheet, cell, _ in expected.errors
        ), body["errors"]
        _phrases_found(body["errors"], expected.errors)
        for error in body["errors"]:
            assert set(error) >= {"sheet", "cell", "column", "value", "message"}
    # nothing was saved, the service is still up, and the refusal is on record
    assert stored_lines(client) == {}
    assert client.get("/health").status_code == 200
    uploads = client.get(f"/footprints/{generate.FOOTPRINT}/uploads").json()["items"]
    assert [u["status"] for u in uploads] == ["refused"]
    assert uploads[0]["file_name"] == name
    assert uploads[0]["errors"]
