"""The documentation site builds strictly, offline, with the API reference of every route, and every page
cites the repository's files by their path in the repository, never by a path on somebody's machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from docsite import hooks
from docsite.hooks import openapi
from docsite.openapi_markdown import operation_anchor

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TEXT_SUFFIXES = {".md", ".py", ".yml", ".yaml", ".json", ".txt", ".csv", ".js", ".css", ".html"}

# Paths that only exist on one machine: home and scratch folders, this machine's work tree, Windows drives.
MACHINE_PATH = re.compile(
    r"(?<![\w.~-])(?:/(?:work|root|home|tmp|Users|mnt|opt|private|var/folders)/|[A-Z]:\\\\)"
)
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
SNIPPET = re.compile(r'^\s*--8<--\s+"([^"]+)"', re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `make docs` builds it (strict, with no way out to the internet), into a scratch folder."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        # Any fetch from the internet during the build would go to a closed port and fail it.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **{v: "http://127.0.0.1:9" for v in PROXIES}},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{output}"
    assert "WARNING" not in output, output
    return target


def test_the_site_builds_strictly_with_a_page_for_each_kind_of_user(site: Path) -> None:
    for page in (
        "index.html",
        "finance-directors/index.html",
        "planners/index.html",
        "planners/mathematics.html",
        "planners/assumptions.html",
        "analysts/index.html",
        "analysts/api-reference.html",
        "operators/index.html",
        "contributors/index.html",
    ):
        assert (site / page).is_file(), page


class _Assets(HTMLParser):
    """Every URL the browser would load by itself (scripts, styles, images, frames, fonts), not links."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed", "audio", "video") and values.get("src"):
            self.loaded.append(str(values["src"]))
        if tag == "link" and values.get("href") and values.get("rel") not in ("canonical", "alternate"):
            self.loaded.append(str(values["href"]))
        if tag == "object" and values.get("data"):
            self.loaded.append(str(values["data"]))


def test_nothing_in_the_site_is_loaded_from_another_host(site: Path) -> None:
    remote = []
    for page in site.rglob("*.html"):
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        remote += [f"{page.relative_to(site)}: {u}" for u in parser.loaded if re.match(r"(https?:)?//", u)]
    for sheet in site.rglob("*.css"):
        remote += [
            f"{sheet.relative_to(site)}: {url}"
            for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", sheet.read_text("utf-8"))
        ]
    assert not remote, "the site loads from the internet:\n" + "\n".join(remote)
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_the_api_reference_documents_every_operation_of_the_app(site: Path) -> None:
    reference = (site / "analysts" / "api-reference.html").read_text(encoding="utf-8")
    spec = openapi()
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
        and f'id="{operation_anchor(method, path)}"' not in reference
    ]
    assert not missing, f"operations missing from the API reference: {missing}"
    examples = sum(
        "example" in content
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for content in (operation.get("requestBody") or {}).get("content", {}).values()
    )
    assert reference.count("Example (<code>") == examples
    assert (site / "openapi.json").is_file()
    from app.core.errors import PROBLEM_TYPES

    undocumented = [kind for kind in PROBLEM_TYPES if f"/problems/{kind}</code>" not in reference]
    assert not undocumented, f"problem types missing from the API reference: {undocumented}"


def _documentation_files() -> list[Path]:
    """Every text file of docs/, and every file a page includes with a snippet (e.g. solver/README.md)."""
    files = [p for p in DOCS.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    included = {
        ROOT / name for page in files if page.suffix == ".md" for name in SNIPPET.findall(page.read_text())
    }
    return sorted(set(files) | included)


def test_no_page_cites_a_path_on_a_machine() -> None:
    found = []
    for path in _documentation_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in MACHINE_PATH.finditer(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r} in {line.strip()!r}")
    assert not found, "cite files by their path in the repository, not on a machine:\n" + "\n".join(found)


def test_the_machine_path_check_catches_what_it_should() -> None:
    for line in ("see /work/shared/SPEC.md", "sqlite:////tmp/x.sqlite3", "C:\\\\Users\\\\me", "/home/jo/x"):
        assert MACHINE_PATH.search(line), line
    for line in ("`../shared/domain-figures.md`", "GET /footprints/{code}/runs", "`app/settings.py`", "~/t/"):
        assert not MACHINE_PATH.search(line), line


# Files of the repository a page names in backticks: they must exist (a renamed file gets its docs fixed).
REPO_PATH = re.compile(
    r"`((?:app|models|solver|migrations|fixtures|tests|benchmarks|docs|docsite|\.ci)/[\w./-]+"
    r"|(?:Makefile|Dockerfile|compose\.yaml|pyproject\.toml|mkdocs\.yml|README\.md|requirements(?:-dev)?\.lock))`"
)


def test_every_repository_file_a_page_names_exists() -> None:
    missing = []
    for path in _documentation_files():
        if path.suffix != ".md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for name in REPO_PATH.findall(line):
                if "tests/artifacts/" in name:
                    continue  # made by the browser tests, git-ignored
                if not (ROOT / name.rstrip("/")).exists():
                    missing.append(f"{path.relative_to(ROOT)}:{number}: `{name}`")
    assert not missing, "pages name files that do not exist (renamed? fix the page):\n" + "\n".join(missing)


def test_screenshots_are_found_by_name_whatever_their_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "03-upload.png").write_bytes(b"png")
    (tmp_path / "pages" / "14-run-detail-analyst.png").write_bytes(b"png")
    monkeypatch.setattr(hooks, "ARTIFACTS", tmp_path)
    assert hooks.screenshots() == {
        "upload.png": tmp_path / "pages" / "03-upload.png",
        "run-detail-analyst.png": tmp_path / "pages" / "14-run-detail-analyst.png",
    }


def test_a_screenshot_is_shown_when_the_browser_tests_saved_it_and_explained_when_not() -> None:
    shown = hooks.screenshot_markdown("upload.png", "The upload page", "finance-directors/index.md", True)
    assert "](../screenshots/upload.png)" in shown and "The upload page" in shown
    missing = hooks.screenshot_markdown("upload.png", "The upload page", "finance-directors/index.md", False)
    assert missing.startswith('!!! note "Screenshot: The upload page"') and "](" not in missing


def test_every_screenshot_a_page_asks_for_is_one_the_browser_tests_take() -> None:
    journey = ROOT / "tests" / "app" / "web" / "test_browser.py"
    if not journey.exists():
        pytest.skip("the browser tests (issue 12) have not landed")
    taken = {f"{name}.png" for name in re.findall(r'shot\(\s*\w+,\s*\w+,\s*"([\w-]+)"', journey.read_text())}
    asked = {m["name"] for p in DOCS.rglob("*.md") for m in hooks.SCREENSHOT.finditer(p.read_text())}
    assert asked, "no page shows a screenshot"
    assert asked <= taken, f"screenshots no browser test takes: {sorted(asked - taken)}"


def test_every_page_the_code_cites_exists() -> None:
    """The code cites pages as `docs/…md` in comments and messages: a moved page gets them fixed."""
    cited = re.compile(r"\bdocs/[\w/-]+\.md\b")
    missing = []
    sources = [ROOT / "README.md", ROOT / "Makefile", ROOT / "Dockerfile", ROOT / "mkdocs.yml"]
    for package in ("app", "models", "solver", "migrations", "fixtures", "tests", "benchmarks", "docsite"):
        sources += sorted((ROOT / package).rglob("*.py")) + sorted((ROOT / package).rglob("*.md"))
    for path in sources:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            missing += [
                f"{path.relative_to(ROOT)}:{number}: {page}"
                for page in cited.findall(line)
                if not (ROOT / page).is_file()
            ]
    assert not missing, "the code cites pages that do not exist (moved? cite the new path):\n" + "\n".join(
        missing
    )


def test_a_page_left_out_of_the_nav_is_listed_under_more_notes(tmp_path: Path) -> None:
    (tmp_path / "planners").mkdir()
    (tmp_path / "index.md").write_text("# Home\n")
    (tmp_path / "planners" / "index.md").write_text("# Planners\n")
    (tmp_path / "deploy.md").write_text("# Deploying\n")
    config = {"docs_dir": str(tmp_path), "nav": [{"Home": "index.md"}, {"Planners": ["planners/index.md"]}]}
    hooks.on_config(config)  # type: ignore[arg-type]
    assert config["nav"][-1] == {"More notes": ["deploy.md"]}
