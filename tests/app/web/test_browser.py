"""The journey of a finance director and a planner through the pages, in headless Chromium (Debian's
/usr/bin/chromium driven by Playwright), against the app served by uvicorn over a fresh database with the
demo footprint and real worker processes. Every figure checked is compared with the API's answer for the
same thing. A screenshot of every page goes to tests/artifacts/pages/ (git-ignored).

Run once, on SQLite: the pages reach the database only through the services, which the page tests in
test_pages.py (and the API's tests) run on both backends.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from app.auth.rules import command_line_caller
from app.auth.service import issue_token
from app.demo.service import load_demo
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint, get_footprint
from app.main import create_app
from app.runs.executor import LocalProcessExecutor
from app.uploads.service import export_cost_lines
from fixtures.workbooks import generate
from models import Role
from models.session import make_engine, session_factory
from tests.app.web.live import CHROMIUM, CHROMIUM_ARGS, serve
from tests.databases import fresh_database_url

DEMO = "E54000007"
OTHER = "E54000008"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "pages"
WIDTH = 1280


@dataclass
class Site:
    base: str
    secrets: dict[str, str]
    demo_workbook: bytes
    outside: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    shots: list[str] = field(default_factory=list)

    def api(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.secrets[role]}"}
        response = httpx.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with fresh_database_url("sqlite", tmp_path_factory.mktemp("pages")) as url:
        engine = make_engine(url)
        factory = session_factory(engine)
        secrets = {}
        with factory.begin() as session:
            load_demo(session)
            create_footprint(session, FootprintCreate(code=OTHER, name="Cheshire and Merseyside"))
            for role, footprints in (
                (Role.FINANCE_DIRECTOR, [DEMO]),
                (Role.PLANNER, [DEMO]),
                (Role.ANALYST, []),
            ):
                issued = issue_token(
                    session,
                    command_line_caller(),
                    name=f"browser {role.value}",
                    role=role,
                    footprints=footprints,
                )
                secrets[role.value] = issued.secret
            out = io.BytesIO()
            export_cost_lines(session, get_footprint(session, DEMO), out)
        executor = LocalProcessExecutor(url, workers=2, heartbeat_seconds=0.5, stale_after=60, reap_every=60)
        try:
            with serve(create_app(session_factory=factory, executor=executor)) as base:
                yield Site(base, secrets, out.getvalue())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(site: Site, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 800}, accept_downloads=True)
    own = urlsplit(site.base).netloc

    def only_this_app(route: Route) -> None:
        if urlsplit(route.request.url).netloc != own:
            site.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", only_this_app)
    page = context.new_page()
    page.on("pageerror", lambda error: site.script_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not site.outside, f"pages asked another host for {site.outside}"
    assert not site.script_errors, f"script errors: {site.script_errors}"


def shot(site: Site, page: Page, name: str) -> None:
    """Screenshot the page, and check it fits the window's width (tables scroll inside their box)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{len(site.shots) + 1:02d}-{name}.png"), full_page=True)
    site.shots.append(name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name} is {width} px wide at {WIDTH} px"
    assert page.title().endswith("STP consolidation planner"), page.title()


def pounds(text: str) -> Decimal:
    """A figure as the page shows it (£1,234.56 or −£1,234.56) as a decimal."""
    return Decimal(text.strip().replace("\u2212", "-").replace("£", "").replace(",", ""))


def sign_in(page: Page, site: Site, role: str) -> None:
    page.goto(site.base + "/ui")
    assert "/ui/sign-in" in page.url
    page.fill("#token", site.secrets[role])
    page.click("button[type=submit]")
    assert role.replace("_", " ") in page.inner_text("#who")


def sign_out(page: Page) -> None:
    assert page.locator("header .who button").count(), f"{page.url}: {page.content()[:1500]}"
    page.click("header .who button")
    assert "/ui/sign-in" in page.url


def wait_for_result(
    page: Page, site: Site, run_id: int, timeout: float = 90, until_running: bool = False
) -> list[str]:
    """Watch the run's page until it shows the result; returns the progress states seen meanwhile."""
    seen = []
    end = time.monotonic() + timeout
    read = """() => {
        if (document.getElementById("npv")) { return "done"; }
        const f = (id) => { const el = document.getElementById(id); return el ? el.textContent : null; };
        const status = f("progress-status");
        return status === null ? null : [status, f("progress-incumbent"), f("progress-gap"),
                                         f("progress-elapsed")].join("|");
    }"""
    while time.monotonic() < end:
        try:
            state = page.evaluate(read)
        except Exception:  # the page is reloading to show the result
            state = None
        if state == "done":
            page.wait_for_load_state()
            return seen
        if state:
            seen.append(state)
            if until_running and state.startswith("running|£") and not state.endswith("|\u2013"):
                return seen
        page.wait_for_timeout(250)
    raise AssertionError(f"run {run_id} did not finish in {timeout}s; seen {seen[-3:]}")


SUBMIT = "form.stack button[type=submit]"


def submit(page: Page, url: str, fields: dict[str, str], button: str = SUBMIT) -> None:
    """Fill in a form and send it, as a person would: again if the app said another change was being
    saved at that moment (503, "send it again": SQLite's single writer, busy with the workers' heartbeats)."""
    for _ in range(3):
        page.goto(url)
        for name, value in fields.items():
            page.fill(f"#{name}", value)
        with page.expect_navigation() as navigation:
            page.click(button)
        response = navigation.value
        if response is None or response.status != 503:
            return
    raise AssertionError(f"{url}: refused three times: {page.inner_text('main')[:500]}")


def start_run(page: Page, site: Site, label: str, **fields: str) -> int:
    submit(page, f"{site.base}/ui/footprints/{DEMO}/runs/new", {"label": label, "time_limit": "4", **fields})
    assert not page.url.endswith("/new"), page.inner_text("main")[:2000]
    return int(page.url.rstrip("/").split("/")[-1])


def test_a_finance_director_uploads_and_a_planner_runs_reviews_compares_and_sweeps(
    site: Site, page: Page
) -> None:
    # -- the finance director: sign in, the overview, upload the demo workbook, then a bad one ----------
    page.goto(site.base + "/ui")
    shot(site, page, "sign-in")
    sign_in(page, site, "finance_director")
    assert page.url.endswith(f"/ui/footprints/{DEMO}")
    summary = site.api("finance_director", "GET", f"/footprints/{DEMO}/cost-lines/summary")
    latest = max(r["financial_year"] for r in summary["rows"])
    expected_total = sum(Decimal(r["total"]) for r in summary["rows"] if r["financial_year"] == latest)
    assert pounds(page.inner_text("#grand-total")) == expected_total.quantize(Decimal(1))
    page.wait_for_selector("#cost-chart .main-svg")
    shot(site, page, "overview")

    page.click("text=Upload")
    shot(site, page, "upload")
    page.set_input_files(
        "#file",
        files=[{"name": "demo.xlsx", "mimeType": "application/octet-stream", "buffer": site.demo_workbook}],
    )
    page.click("form.stack button[type=submit]")
    assert "was imported" in page.inner_text("#upload-report")
    cells = page.locator("#import-report tbody tr").nth(1).locator("td").all_inner_texts()
    assert cells == ["Cost lines", "0", "0", "280"], cells  # the demo, as stored: every line unchanged
    shot(site, page, "upload-report")

    bad = generate.many_errors()
    page.set_input_files(
        "#file", files=[{"name": "bad.xlsx", "mimeType": "application/octet-stream", "buffer": bad}]
    )
    page.click("form.stack button[type=submit]")
    assert "nothing was stored" in page.inner_text("#upload-refused")
    shown = [row.locator("td").all_inner_texts() for row in page.locator("#upload-errors tbody tr").all()]
    uploads = site.api("finance_director", "GET", f"/footprints/{DEMO}/uploads")
    refused = uploads["items"][-1]  # oldest first
    assert refused["status"] == "refused" and refused["file_name"] == "bad.xlsx"
    expected = [
        [
            e["sheet"] or "",
            e["cell"] or "",
            e["column"] or "",
            "" if e["value"] is None else str(e["value"]),
            e["message"],
        ]
        for e in refused["errors"]
    ]
    assert shown == expected and len(shown) >= 5
    assert site.api("finance_director", "GET", f"/footprints/{DEMO}/cost-lines/summary") == summary
    shot(site, page, "upload-errors")
    # a finance director may not start runs: the overview offers none
    page.goto(f"{site.base}/ui/footprints/{DEMO}")
    assert page.locator("text=New run").count() == 0
    sign_out(page)

    # -- an analyst: launch a run and watch it, check every figure against the API; no approve button ----
    sign_in(page, site, "analyst")
    assert page.locator("main table a").all_inner_texts() == [DEMO, OTHER]  # analysts see every footprint
    shot(site, page, "footprints")
    page.goto(f"{site.base}/ui/footprints/{DEMO}/runs/new")
    shot(site, page, "new-run")
    first = start_run(page, site, "base case")
    seen = wait_for_result(page, site, first, until_running=True)
    if page.locator("#progress-panel").count():
        shot(site, page, "run-progress")  # the solver at work: best plan so far, bound, gap, time
    seen += wait_for_result(page, site, first)
    # the page showed the solver at work: running, with the best plan so far and the time elapsed
    assert any(s.startswith("running|£") and not s.endswith("|\u2013") for s in seen), sorted(set(seen))
    api_run = site.api("analyst", "GET", f"/footprints/{DEMO}/runs/{first}")
    api_years = site.api("analyst", "GET", f"/footprints/{DEMO}/runs/{first}/years")
    assert api_run["status"] in ("optimal", "feasible")
    assert pounds(page.inner_text("#npv")) == Decimal(api_run["npv"])
    assert page.inner_text("#payback") == str(api_run["payback_year"] or "not within the horizon")
    assert pounds(page.inner_text("#redeployed")) == sum(Decimal(y["net_cash"]) for y in api_years["years"])
    rows = page.locator("#years-table tbody tr")
    assert rows.count() == len(api_years["years"]) >= 1
    for year in api_years["years"]:
        row = page.locator(f"#years-table tr[data-year='{year['year']}']")
        for name in (
            "savings",
            "running_costs",
            "setup_costs",
            "transition_costs",
            "integration_costs",
            "net_cash",
            "cumulative_net_cash",
            "discounted_net_cash",
        ):
            assert pounds(row.locator(f"td[data-field={name}]").inner_text()) == Decimal(year[name]), (
                year["year"],
                name,
            )
        assert Decimal(row.locator("td[data-field=wte_released]").inner_text().replace(",", "")) == Decimal(
            year["wte_released"]
        )
        assert int(row.locator("td[data-field=moves]").inner_text()) == year["moves"]
    # The page says what the API says (one wording: app/runs/outcome.py).
    assert page.inner_text("#outcome") == api_run["outcome_text"]
    if api_run["status"] == "feasible":
        assert "of the best possible plan" in api_run["outcome_text"]
    page.wait_for_selector("#years-chart .main-svg")
    shot(site, page, "run-detail")
    with page.expect_download() as download:
        page.click("#download-result")
    assert download.value.suggested_filename == f"{DEMO}-run-{first}.xlsx"

    assert page.locator("#approve").count() == 0 and page.locator("#review-form").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forced = page.request.post(
        f"{site.base}/ui/footprints/{DEMO}/runs/{first}/review",
        form={"csrf_token": csrf or "", "decision": "approve", "comment": "sneaky"},
    )
    assert forced.status == 403
    assert site.api("analyst", "GET", f"/footprints/{DEMO}/runs/{first}/reviews") == []
    # a second run with a higher discount rate, and a sweep, solved while the planner reviews the first
    second = start_run(page, site, "discount 6 %", discount_rate="6")
    page.goto(f"{site.base}/ui/footprints/{DEMO}/sweeps/new")
    shot(site, page, "sweeps")
    submit(page, f"{site.base}/ui/footprints/{DEMO}/sweeps/new", {"draws": "3", "time_limit": "2"})
    assert not page.url.endswith("/new"), page.inner_text("main")[:2000]
    sweep_id = int(page.url.rstrip("/").split("/")[-1])
    shot(site, page, "sweep-progress")
    sign_out(page)

    # -- the planner: approve the first run with a comment, compare it with the second, open the sweep ---
    sign_in(page, site, "planner")
    submit(
        page,
        f"{site.base}/ui/footprints/{DEMO}/runs/{first}",
        {"comment": "Agreed at the STP board, 12 March"},
        button="#approve",
    )
    assert page.locator("#review-history").count(), page.inner_text("main")[:2000]
    assert "Agreed at the STP board, 12 March" in page.inner_text("#review-history")
    reviews = site.api("planner", "GET", f"/footprints/{DEMO}/runs/{first}/reviews")
    assert [(r["decision"], r["comment"], r["reviewer"]) for r in reviews] == [
        ("approve", "Agreed at the STP board, 12 March", "browser planner")
    ]
    shot(site, page, "run-approved")
    page.goto(f"{site.base}/ui/footprints/{DEMO}/runs/{second}")
    wait_for_result(page, site, second)
    page.goto(f"{site.base}/ui/footprints/{DEMO}/runs")
    listed = page.locator("#runs-table tbody tr")
    assert listed.count() == 5  # the two runs and the sweep's three scenarios, newest first
    assert "approved" in listed.filter(has=page.locator(f"a[href$='/runs/{first}']")).inner_text()
    shot(site, page, "runs")
    page.select_option("#compare-a", str(first))
    page.select_option("#compare-b", str(second))
    page.click("text=Compare >> nth=-1")
    comparison = site.api("planner", "GET", f"/footprints/{DEMO}/runs/{first}/compare/{second}")
    assert pounds(page.inner_text("#npv-difference")) == Decimal(comparison["npv_difference"])
    year_rows = page.locator("#compare-years tbody tr")
    for i, year in enumerate(comparison["years"]):
        cells = year_rows.nth(i).locator("td").all_inner_texts()
        assert [int(cells[0]), *map(pounds, cells[1:])] == [
            year["year"],
            Decimal(year["net_cash_a"]),
            Decimal(year["net_cash_b"]),
            Decimal(year["difference"]),
        ]
    assert page.locator("#compare-years td.diff").count() == sum(
        1 for y in comparison["years"] if Decimal(y["difference"])
    )
    shot(site, page, "compare")

    page.goto(f"{site.base}/ui/footprints/{DEMO}/sweeps/{sweep_id}")
    page.wait_for_selector("#sweep-state:has-text('finished')", timeout=90_000)
    sweep = site.api("planner", "GET", f"/footprints/{DEMO}/sweeps/{sweep_id}")
    for key in ("p10", "p50", "p90"):
        if sweep[f"npv_{key}"] is None:
            # No scenario proven within the sweep's quality tolerance (2 s each on the demo): no percentile
            # is shown, and the warning says why.
            assert page.inner_text(f"#{key}") == "\u2013"
            assert page.inner_text("#sweep-warning") == sweep["warning"]
        else:
            assert pounds(page.inner_text(f"#{key}")) == Decimal(sweep[f"npv_{key}"])
    shares = page.locator("#hub-shares tbody tr")
    assert shares.count() == len(sweep["hubs"])
    for i, hub in enumerate(sweep["hubs"]):
        assert shares.nth(i).locator("td").nth(2).inner_text() == f"{hub['share'] * 100:,.0f} %"
    page.wait_for_selector("#sweep-chart .main-svg")
    shot(site, page, "sweep")
    # a footprint not granted to the planner's token is not found, as one that does not exist
    assert page.goto(f"{site.base}/ui/footprints/{OTHER}").status == 404
    assert "Cheshire" not in page.content()
    shot(site, page, "not-found")
    sign_out(page)
    page.goto(f"{site.base}/ui/footprints/{DEMO}/runs/{first}")
    assert "/ui/sign-in" in page.url  # signed out means signed out
