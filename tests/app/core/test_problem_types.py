"""Problem details carry a stable `type` URI per kind of error, and messages a person can act on."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.errors import PROBLEM_TYPES
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"


def _type_of(body: dict[str, object]) -> str:
    assert body["type"] != "about:blank"
    return str(body["type"])


def test_each_kind_of_error_has_its_own_type_that_describes_itself(
    client: TestClient, anonymous_client: TestClient, client_as: object
) -> None:
    make_footprint(client, FP)
    analyst = client_as("analyst")  # type: ignore[operator]
    seen = {
        "not-found": problem(client.get("/footprints/E54000999"), 404),
        "unauthorised": problem(anonymous_client.get("/footprints"), 401),
        "forbidden": problem(analyst.post("/footprints", json={"code": "E54000001", "name": "x"}), 403),
        "invalid-request": problem(client.get("/footprints", params={"limit": 0}), 422),
        "malformed-json": problem(
            client.post(
                "/footprints", content=b'{"code": "E54000001",}', headers={"content-type": "application/json"}
            ),
            422,
        ),
        "unknown-filter-value": problem(
            client.get(f"/footprints/{FP}/cost-lines", params={"function": "payrol"}), 422
        ),
        "invalid-cursor": problem(client.get("/footprints", params={"cursor": "x"}), 422),
        "conflict": problem(client.post("/footprints", json={"code": FP, "name": "again"}), 409),
        "method-not-allowed": problem(client.put("/footprints"), 405),
    }
    for kind, body in seen.items():
        assert _type_of(body) == f"/problems/{kind}", (kind, body)
        description = anonymous_client.get(str(body["type"])).json()
        assert description["title"] == body["title"] == PROBLEM_TYPES[kind][0]
        assert description["description"]
    listed = anonymous_client.get("/problems").json()
    assert {entry["type"] for entry in listed} == {f"/problems/{kind}" for kind in PROBLEM_TYPES}
    problem(anonymous_client.get("/problems/no-such-kind"), 404)


def test_the_openapi_description_documents_every_problem_type(client: TestClient) -> None:
    description = client.get("/openapi.json").json()["info"]["description"]
    for kind in PROBLEM_TYPES:
        assert f"`/problems/{kind}`" in description


def test_malformed_json_says_where_and_what_was_expected(client: TestClient) -> None:
    body = b'{\n  "code": "E54000001",\n  "name": "x"\n  "region": "North"\n}'
    answer = problem(
        client.post("/footprints", content=body, headers={"content-type": "application/json"}), 422
    )
    # the missing comma: reading stops at the start of line 4, column 3
    assert "line 4, column 3" in answer["detail"]
    assert "Expecting ',' delimiter" in answer["detail"]
    assert answer["errors"][0]["line"] == 4 and answer["errors"][0]["column"] == 3


def test_messages_read_as_sentences(client: TestClient, client_as: object) -> None:
    make_footprint(client, FP)
    analyst = client_as("analyst")  # type: ignore[operator]
    forbidden = problem(analyst.post("/footprints", json={"code": "E54000001", "name": "x"}), 403)
    assert forbidden["detail"] == "An analyst token may not do this: it needs footprints:manage."
    missing = problem(client.get("/footprints/E54000999"), 404)
    assert missing["detail"] == "Footprint E54000999 was not found."
    invalid = problem(client.post("/footprints", json={"code": "nope", "name": "x"}), 422)
    assert invalid["detail"].startswith("The request is not valid: body field code: String should match")
    for body in (forbidden, missing, invalid):
        assert body["detail"][0].isupper() and body["detail"].endswith(".")
        for error in body.get("errors", []):
            assert error["message"][0].isupper() and error["message"].endswith("."), error


def test_unknown_filter_values_name_the_allowed_values(client: TestClient) -> None:
    make_footprint(client, FP)
    make_footprint(client, "E54000008", name="Elsewhere")
    for code in ("RMC", "RBV"):
        make_organisation(client, FP, code)
    make_organisation(client, "E54000008", "RXX")
    url = f"/footprints/{FP}/cost-lines"
    function = problem(client.get(url, params={"function": "payrol"}), 422)
    assert "payrol" in function["detail"] and "payroll" in function["detail"]
    assert "payroll" in function["errors"][0]["allowed"]
    assert function["errors"][0]["loc"] == ["query", "function"]
    organisation = problem(client.get(url, params={"organisation": "RXX"}), 422)
    assert organisation["errors"][0]["allowed"] == ["RBV", "RMC"]
    assert "RBV, RMC" in organisation["detail"]
    footprint = problem(client.get("/cost-lines", params={"footprint": "E54000099"}), 422)
    assert "E54000007" in footprint["errors"][0]["allowed"]
    year = problem(client.get(url, params={"financial_year": "2017/19"}), 422)
    assert "2017/18" in year["detail"]
    # a known value that matches nothing is an empty page, not an error
    assert client.get(url, params={"organisation": "RMC", "function": "payroll"}).json()["total"] == 0


def test_financial_year_takes_the_spellings_uploads_take_and_answers_in_canonical_form(
    client: TestClient,
) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RMC")
    url = f"/footprints/{FP}/cost-lines"
    created = client.post(
        url,
        json={
            "organisation": "RMC",
            "function": "finance",
            "financial_year": "2017-18",
            "pay": "1",
            "non_pay": "0",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["financial_year"] == "2017/18"
    bulk = client.post(
        f"{url}/bulk",
        json={
            "lines": [
                {
                    "organisation": "RMC",
                    "function": "hr",
                    "financial_year": "2017/2018",
                    "pay": "1",
                    "non_pay": "0",
                },
                {
                    "organisation": "RMC",
                    "function": "it",
                    "financial_year": "FY 2018/19",
                    "pay": "1",
                    "non_pay": "0",
                },
            ]
        },
    )
    assert bulk.status_code == 200, bulk.text
    for spelling in ("2017/18", "2017-18", "2017/2018", "17/18"):
        page = client.get(url, params={"financial_year": spelling}).json()
        assert {line["function"] for line in page["items"]} == {"finance", "hr"}, spelling
        assert {line["financial_year"] for line in page["items"]} == {"2017/18"}
    assert [
        line["function"] for line in client.get(url, params={"financial_year": "2018-19"}).json()["items"]
    ] == ["it"]
    bad = problem(
        client.post(
            url,
            json={
                "organisation": "RMC",
                "function": "hr",
                "financial_year": "2017/19",
                "pay": "1",
                "non_pay": "0",
            },
        ),
        422,
    )
    assert "2017/18" in bad["errors"][0]["message"]
