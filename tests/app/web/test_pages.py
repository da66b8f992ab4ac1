"""The pages without a browser (both backends, inside the test's rolled-back transaction): sign-in and the
session cookie, CSRF, roles and footprint scoping exactly as the API's, uploads, runs and their figures."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.access import page_routes
from app.runs import service as runs
from app.runs.schemas import RunCreate
from app.settings import get_settings
from fixtures.workbooks import generate
from models import ApiToken, CostLine, Run, RunReview, RunStatus, Upload
from models.base import utcnow
from tests.app.web.conftest import DEMO, OTHER, PageClientMaker, csrf_of
from tests.conftest import TokenMaker

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEMO_FILE = Path(__file__).resolve().parents[3] / "fixtures" / "demo" / "footprint.json"


def pounds(text: str) -> Decimal:
    return Decimal(text.strip().replace("\u2212", "-").replace("£", "").replace(",", ""))


# ---- sign in, the session cookie, sign out ---------------------------------------------------------


def test_signing_in_sets_a_secure_http_only_same_site_cookie_that_does_not_hold_the_token(
    api_app: FastAPI, demo: str, make_token: TokenMaker
) -> None:
    secret = make_token("planner", DEMO, name="Pat Planner")
    with TestClient(api_app, base_url="https://testserver") as client:
        assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/sign-in?next=/ui"
        form = client.get("/ui/sign-in")
        response = client.post(
            "/ui/sign-in",
            data={"token": secret, "csrf_token": csrf_of(form.text), "next": f"/ui/footprints/{DEMO}/runs"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/ui/footprints/{DEMO}/runs"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("stp_session="))
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "secure", "samesite"} <= attributes
        assert "samesite=lax" in cookie.lower()
        assert secret not in cookie and secret.removeprefix("stp_") not in cookie
        page = client.get(f"/ui/footprints/{DEMO}")
        assert page.status_code == 200
        assert re.search(r"Signed in as <strong>Pat Planner</strong> \(planner\)", page.text)
        signed_out = client.post(
            "/ui/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
        )
        assert signed_out.status_code == 303
        assert client.get(f"/ui/footprints/{DEMO}", follow_redirects=False).status_code == 303


def test_a_wrong_token_is_refused_with_the_form_again(api_app: FastAPI, demo: str) -> None:
    with TestClient(api_app, base_url="https://testserver") as client:
        form = client.get("/ui/sign-in")
        response = client.post(
            "/ui/sign-in", data={"token": "stp_nonsense", "csrf_token": csrf_of(form.text)}
        )
        assert response.status_code == 401
        assert "That token is not valid" in response.text
        assert "stp_session" not in client.cookies


def test_sign_in_goes_only_to_pages_of_this_app(api_app: FastAPI, demo: str, make_token: TokenMaker) -> None:
    with TestClient(api_app, base_url="https://testserver") as client:
        for target in ("https://evil.example/ui", "//evil.example/ui", "/footprints", ""):
            form = client.get("/ui/sign-in")
            response = client.post(
                "/ui/sign-in",
                data={"token": make_token("admin"), "csrf_token": csrf_of(form.text), "next": target},
                follow_redirects=False,
            )
            assert response.headers["location"] == "/ui", target


def test_a_revoked_token_ends_its_sessions(
    page_client_as: PageClientMaker, demo: str, session_factory: sessionmaker[Session]
) -> None:
    client = page_client_as("planner", DEMO)
    assert client.get(f"/ui/footprints/{DEMO}").status_code == 200
    with session_factory() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.role == "planner")).one()
        token.revoked_at = utcnow()
        session.commit()
    response = client.get(f"/ui/footprints/{DEMO}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/sign-in")


def test_a_tampered_cookie_is_no_session(page_client_as: PageClientMaker, demo: str) -> None:
    client = page_client_as("planner", DEMO)
    value = client.cookies["stp_session"]
    token_id, issued, nonce, signature = value.split(".")
    # another token's id under the same signature, and a session made to look younger
    forgeries = (
        f"{int(token_id) + 1}.{issued}.{nonce}.{signature}",
        f"{token_id}.{int(issued) + 60}.{nonce}.{signature}",
        f"{token_id}.{issued}.{nonce}.{signature[:-1]}{'1' if signature.endswith('0') else '0'}",
    )
    for forged in forgeries:
        client.cookies.clear()
        client.cookies.set("stp_session", forged)
        assert client.get(f"/ui/footprints/{DEMO}", follow_redirects=False).status_code == 303, forged
    client.cookies.clear()
    client.cookies.set("stp_session", value)
    assert client.get(f"/ui/footprints/{DEMO}", follow_redirects=False).status_code == 200


# ---- CSRF ---------------------------------------------------------------------------------------------


def test_forms_without_their_csrf_token_are_refused_and_change_nothing(
    page_client_as: PageClientMaker,
    demo: str,
    session_factory: sessionmaker[Session],
    api_app: FastAPI,
    finished_run: int,
) -> None:
    run_id = finished_run
    client = page_client_as("planner", DEMO)
    review = f"/ui/footprints/{DEMO}/runs/{run_id}/review"
    for data in ({"decision": "approve"}, {"decision": "approve", "csrf_token": "0" * 64}):
        response = client.post(review, data=data)
        assert response.status_code == 403
        assert "security token" in response.text
    assert client.post(f"/ui/footprints/{DEMO}/runs/new", data={"label": "x"}).status_code == 403
    # another session's token is not this session's
    other = page_client_as("planner", DEMO)
    foreign = csrf_of(other.get(f"/ui/footprints/{DEMO}/runs/{run_id}").text)
    assert client.post(review, data={"decision": "approve", "csrf_token": foreign}).status_code == 403
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RunReview)) == 0
        assert [r.id for r in runs.list_runs(session, DEMO).items] == [run_id]
    # the sign-in form needs its own token too
    with TestClient(api_app, base_url="https://testserver") as anonymous:
        anonymous.get("/ui/sign-in")
        response = anonymous.post("/ui/sign-in", data={"token": "stp_x"}, follow_redirects=False)
        assert response.status_code == 403 and "stp_session" not in anonymous.cookies


# ---- roles and footprints, as the API's ----------------------------------------------------------------


def test_an_analyst_sees_no_approve_button_and_is_refused_when_posting_it(
    page_client_as: PageClientMaker, demo: str, session_factory: sessionmaker[Session], finished_run: int
) -> None:
    run_id = finished_run
    analyst = page_client_as("analyst")
    page = analyst.get(f"/ui/footprints/{DEMO}/runs/{run_id}")
    assert page.status_code == 200
    assert 'id="approve"' not in page.text and 'id="review-form"' not in page.text
    response = analyst.post(
        f"/ui/footprints/{DEMO}/runs/{run_id}/review",
        data={"csrf_token": csrf_of(page.text), "decision": "approve", "comment": "me too"},
    )
    assert response.status_code == 403
    assert "analyst" in response.text
    planner = page_client_as("planner", DEMO)
    page = planner.get(f"/ui/footprints/{DEMO}/runs/{run_id}")
    assert 'id="approve"' in page.text
    response = planner.post(
        f"/ui/footprints/{DEMO}/runs/{run_id}/review",
        data={"csrf_token": csrf_of(page.text), "decision": "approve", "comment": "board agreed"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with session_factory() as session:
        reviews = session.scalars(select(RunReview)).all()
        assert [(r.decision.value, r.comment, r.reviewer) for r in reviews] == [
            ("approve", "board agreed", "test-planner-E54000007")
        ]


# What each page needs, written out from the rules (docs/analysts/access.md), not read back from the routes.
PAGE_NEEDS = {
    ("GET", "/ui"): "data:read",
    ("POST", "/ui/sign-out"): "data:read",
    ("GET", "/ui/footprints/{code}"): "data:read",
    ("GET", "/ui/footprints/{code}/template.xlsx"): "data:read",
    ("GET", "/ui/footprints/{code}/cost-lines.xlsx"): "data:read",
    ("GET", "/ui/footprints/{code}/upload"): "data:read",
    ("POST", "/ui/footprints/{code}/upload"): "data:write",
    ("GET", "/ui/footprints/{code}/runs"): "runs:read",
    ("GET", "/ui/footprints/{code}/runs/new"): "runs:create",
    ("POST", "/ui/footprints/{code}/runs/new"): "runs:create",
    ("GET", "/ui/footprints/{code}/runs/{run_id}"): "runs:read",
    ("GET", "/ui/footprints/{code}/runs/{run_id}/progress.json"): "runs:read",
    ("GET", "/ui/footprints/{code}/runs/{run_id}/result.xlsx"): "runs:read",
    ("POST", "/ui/footprints/{code}/runs/{run_id}/cancel"): "runs:create",
    ("POST", "/ui/footprints/{code}/runs/{run_id}/review"): "runs:review",
    ("GET", "/ui/footprints/{code}/compare"): "runs:read",
    ("GET", "/ui/footprints/{code}/sweeps/new"): "runs:read",
    ("POST", "/ui/footprints/{code}/sweeps/new"): "runs:create",
    ("GET", "/ui/footprints/{code}/sweeps/{sweep_id}"): "runs:read",
    ("POST", "/ui/footprints/{code}/sweeps/{sweep_id}/cancel"): "runs:create",
    ("GET", "/ui/sign-in"): "public",
    ("POST", "/ui/sign-in"): "public",
    ("GET", "/ui/plotly.min.js"): "public",
}
MAY = {
    "finance_director": {"data:read", "data:write", "plans:write", "runs:read"},
    "planner": {"data:read", "plans:write", "runs:read", "runs:create", "runs:review"},
    "analyst": {"data:read", "runs:read", "runs:create"},
}


def test_every_page_answers_each_role_and_footprint_as_the_rules_say(
    api_app: FastAPI, page_client_as: PageClientMaker, demo: str, client: TestClient
) -> None:
    """Every page declares the need written out above, and is then asked three times: by a role that
    lacks its need (403), by one that holds it (never 401 or 403), and for a footprint the token was not
    granted (404, as for one that does not exist). The checks behind the answers are the API's own
    (`admit`, app/auth/access.py), whose full route x role matrix is tests/app/auth/test_access_matrix.py;
    asking every role every page here again only cost seconds of every `make test`."""
    from app.auth.access import declared_needs

    walked = {(method, path): declared_needs(route) for method, path, route in page_routes(api_app)}
    assert {key: [n.value for n in needs] for key, needs in walked.items()} == {
        key: [need] for key, need in PAGE_NEEDS.items()
    }
    visitors = {}
    for role in MAY:
        # analysts are not scoped to footprints: they see every one
        visitor = page_client_as(role, *((DEMO,) if role != "analyst" else ()))
        visitors[role] = (visitor, csrf_of(visitor.get(f"/ui/footprints/{DEMO}").text))
    failures = []
    for (method, path), need in PAGE_NEEDS.items():
        if need == "public" or "{code}" not in path:
            continue
        lacking = next((role for role, needs in MAY.items() if need not in needs), None)
        holding = next(role for role, needs in MAY.items() if need in needs and role != "analyst")
        asks = [(holding, DEMO, None), (holding, OTHER, 404)]
        if lacking is not None:
            asks.append((lacking, DEMO, 403))
        for role, footprint, expected in asks:
            visitor, csrf = visitors[role]
            url = path.format(code=footprint, run_id=999999, sweep_id=999999)
            if path.endswith("/compare"):
                url += "?a=999998&b=999999"
            if method == "GET":
                response = visitor.get(url, follow_redirects=False)
            else:
                response = visitor.post(url, data={"csrf_token": csrf}, follow_redirects=False)
            got = response.status_code
            if (expected is not None and got != expected) or (expected is None and got in (401, 403)):
                failures.append(f"{role} {method} {url}: {got}, expected {expected or 'access'}")
            if got in (403, 404):
                assert "text/html" in response.headers["content-type"], url
    assert not failures, "\n".join(failures)


def test_a_footprint_not_granted_is_the_same_404_as_one_that_does_not_exist(
    page_client_as: PageClientMaker, demo: str, client: TestClient
) -> None:
    planner = page_client_as("planner", DEMO)
    hidden = planner.get(f"/ui/footprints/{OTHER}")
    missing = planner.get("/ui/footprints/E54000099")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(OTHER, "X") == missing.text.replace("E54000099", "X")
    assert "Cheshire" not in hidden.text


# ---- the overview and uploads --------------------------------------------------------------------------


def test_the_overview_shows_each_organisations_cost_by_function_with_totals(
    page_client_as: PageClientMaker, demo: str
) -> None:
    document = json.loads(DEMO_FILE.read_text())
    expected: dict[str, Decimal] = {}
    for line in document["cost_lines"]:
        if line["financial_year"] == "2017/18":
            cost = Decimal(line["pay"]) + Decimal(line["non_pay"])
            expected[line["organisation"]] = expected.get(line["organisation"], Decimal(0)) + cost
    page = page_client_as("finance_director", DEMO).get(f"/ui/footprints/{DEMO}")
    assert page.status_code == 200
    assert "<strong>2017/18</strong>" in page.text
    grand = re.search(r'id="grand-total">([^<]+)<', page.text)
    assert grand and pounds(grand.group(1)) == sum(expected.values()).quantize(Decimal(1))
    table = page.text[page.text.index('id="cost-table"') :]
    for org, total in expected.items():
        row = table[table.index(f'<span class="muted">{org}</span>') :]
        row = row[: row.index("</tr>")]
        cells = re.findall(r'<td class="num">([^<]+)</td>', row)
        assert Decimal(cells[-1].replace(",", "")) == (total / 1000).quantize(Decimal(1)), org
    assert '<script type="application/json" id="cost-chart-data">' in page.text


def test_a_bad_workbook_lists_every_cell_problem_and_stores_nothing(
    page_client_as: PageClientMaker, demo: str, session_factory: sessionmaker[Session]
) -> None:
    client = page_client_as("finance_director", DEMO)
    form = client.get(f"/ui/footprints/{DEMO}/upload")
    with session_factory() as session:
        lines_before = session.scalar(select(func.count()).select_from(CostLine))
    response = client.post(
        f"/ui/footprints/{DEMO}/upload",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("bad.xlsx", generate.many_errors(), XLSX)},
    )
    assert response.status_code == 422
    assert "nothing was stored" in response.text
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(CostLine)) == lines_before
        refused = session.scalars(select(Upload).order_by(Upload.id.desc())).first()
        assert refused is not None and refused.status == "refused"
        errors = refused.errors
    table = response.text[response.text.index('id="upload-errors"') :]
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table
    )
    assert len(rows) == len(errors) >= 5
    for (sheet, cell, column, _value, message), error in zip(rows, errors, strict=True):
        assert (sheet, cell, column) == (error["sheet"] or "", error["cell"] or "", error["column"] or "")
        assert message.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&") == error["message"]


def test_a_planner_may_not_upload(page_client_as: PageClientMaker, demo: str) -> None:
    client = page_client_as("planner", DEMO)
    form = client.get(f"/ui/footprints/{DEMO}/upload")
    assert 'type="file"' not in form.text and "may not upload" in form.text
    response = client.post(
        f"/ui/footprints/{DEMO}/upload",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("costs.xlsx", generate.template_form(), XLSX)},
    )
    assert response.status_code == 403


# ---- runs ------------------------------------------------------------------------------------------------


def test_the_new_run_form_explains_what_is_wrong_and_starts_nothing(
    page_client_as: PageClientMaker, demo: str, session_factory: sessionmaker[Session]
) -> None:
    client = page_client_as("planner", DEMO)
    form = client.get(f"/ui/footprints/{DEMO}/runs/new")
    response = client.post(
        f"/ui/footprints/{DEMO}/runs/new",
        data={"csrf_token": csrf_of(form.text), "discount_rate": "lots", "time_limit": "0"},
    )
    assert response.status_code == 422
    assert "is not a percentage" in response.text
    response = client.post(
        f"/ui/footprints/{DEMO}/runs/new",
        data={"csrf_token": csrf_of(form.text), "discount_rate": "4", "time_limit": "0"},
    )
    assert response.status_code == 422 and "time_limit" in response.text
    with session_factory() as session:
        assert runs.list_runs(session, DEMO).total == 1  # the module's finished run only


def test_a_run_started_from_the_form_is_queued_with_the_inline_assumptions(
    page_client_as: PageClientMaker, demo: str, session_factory: sessionmaker[Session], api_app: FastAPI
) -> None:
    client = page_client_as("planner", DEMO)
    form = client.get(f"/ui/footprints/{DEMO}/runs/new")
    response = client.post(
        f"/ui/footprints/{DEMO}/runs/new",
        data={
            "csrf_token": csrf_of(form.text),
            "label": "discount 6",
            "discount_rate": "6",
            "time_limit": "7",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert api_app.state.run_executor.submitted == [run_id]
    with session_factory() as session:
        run = runs.get_run(session, DEMO, run_id)
        assert run.label == "discount 6" and run.created_by == "test-planner-E54000007"
        assert run.options["time_limit"] == 7
        assert Decimal(run.snapshot["assumptions"]["discount_rate"]) == Decimal("0.06")
    page = client.get(response.headers["location"])
    assert 'id="progress-panel"' in page.text and "Queued" in page.text
    progress = client.get(f"/ui/footprints/{DEMO}/runs/{run_id}/progress.json").json()
    assert progress["status"] == "queued" and progress["active"] is True
    cancel = client.post(
        f"/ui/footprints/{DEMO}/runs/{run_id}/cancel",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert cancel.status_code == 303
    assert client.get(f"/ui/footprints/{DEMO}/runs/{run_id}/progress.json").json()["status"] == "cancelled"


def test_runs_and_sweeps_started_from_the_pages_count_against_the_queue_limits(
    page_client_as: PageClientMaker,
    demo: str,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API's limits (app/runs/quota.py) hold for the pages too: a second waiting run or sweep of one
    token is refused with 429, nothing is started, and the runs started are counted against the token."""
    monkeypatch.setattr(get_settings(), "run_max_queued_per_token", 1)
    monkeypatch.setattr(get_settings(), "sweep_max_waiting_per_token", 1)
    client = page_client_as("planner", DEMO)

    def start(kind: str, fields: dict[str, str]) -> int:
        form = client.get(f"/ui/footprints/{DEMO}/{kind}/new")
        data = {"csrf_token": csrf_of(form.text), **fields}
        return client.post(f"/ui/footprints/{DEMO}/{kind}/new", data=data, follow_redirects=False).status_code

    run = {"label": "first", "time_limit": "5"}
    sweep = {"draws": "2", "time_limit": "2"}
    assert [start("runs", run), start("runs", run)] == [303, 429]
    assert [start("sweeps", sweep), start("sweeps", sweep)] == [303, 429]
    with session_factory() as session:
        queued = session.scalars(select(Run).where(Run.status == RunStatus.QUEUED)).all()
        assert len(queued) == 1 + 2  # one run, one sweep of two draws
        assert {r.created_by_token_id for r in queued} == {
            session.scalar(select(ApiToken.id).where(ApiToken.name == "test-planner-E54000007"))
        }


@pytest.mark.parametrize("role", ["finance_director", "planner"])
def test_the_run_page_shows_the_apis_figures(
    role: str,
    page_client_as: PageClientMaker,
    demo: str,
    client: TestClient,
    finished_run: int,
) -> None:
    run_id = finished_run
    api = client.get(f"/footprints/{DEMO}/runs/{run_id}/years").json()
    page = page_client_as(role, DEMO).get(f"/ui/footprints/{DEMO}/runs/{run_id}")
    assert page.status_code == 200
    npv = re.search(r'id="npv">([^<]+)<', page.text)
    assert npv and pounds(npv.group(1)) == Decimal(api["npv"])
    for year in api["years"]:
        row = page.text[page.text.index(f'data-year="{year["year"]}"') :]
        for name in ("savings", "net_cash", "cumulative_net_cash", "discounted_net_cash"):
            cell = re.search(rf'data-field="{name}">([^<]+)<', row)
            assert cell and pounds(cell.group(1)) == Decimal(year[name]), (year["year"], name)
    assert ('id="approve"' in page.text) == (role == "planner")


def test_the_runs_list_pages_newest_first(
    page_client_as: PageClientMaker,
    demo: str,
    session_factory: sessionmaker[Session],
    finished_run: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.web.runs as run_pages

    monkeypatch.setattr(run_pages, "PAGE_SIZE", 1)
    with session_factory() as session:
        newer = runs.create_run(session, DEMO, RunCreate(label="newer"), created_by="test").id
        session.commit()
    client = page_client_as("finance_director", DEMO)
    first = client.get(f"/ui/footprints/{DEMO}/runs")
    assert f'/runs/{newer}"' in first.text and f'/runs/{finished_run}"' not in first.text
    assert "1 shown of 2" in first.text
    older = re.search(r'href="\?cursor=([^"]+)" id="older"', first.text)
    assert older
    second = client.get(f"/ui/footprints/{DEMO}/runs?cursor={older.group(1)}")
    assert f'/runs/{finished_run}"' in second.text and f'/runs/{newer}"' not in second.text
    assert 'id="older"' not in second.text and "Newest" in second.text
    # a finance director starts no runs: no link to the form
    assert "Start a new run" not in first.text
