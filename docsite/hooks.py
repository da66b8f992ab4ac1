"""MkDocs hooks (mkdocs.yml `hooks:`): what the site takes from the code and the tests when it is built.

- `analysts/api-reference.md` and `openapi.json`: rendered from `app.main.create_app().openapi()`, so the
  API reference cannot drift from the routes.
- Screenshots: a page asks for one with `<!-- screenshot: NAME.png | caption -->`; the browser tests save
  `tests/artifacts/pages/NN-NAME.png` (git-ignored). When the file is there it is copied into the site as
  `screenshots/NAME.png`; when it is not (a build before any browser test ran) the page says so in a note
  instead of failing the strict build over a missing image.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `docsite` and `app` import from the repository root whatever the cwd
    sys.path.insert(0, str(ROOT))

from docsite.openapi_markdown import render  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOT = re.compile(r"<!--\s*screenshot:\s*(?P<name>[\w.-]+\.png)\s*\|\s*(?P<caption>.*?)\s*-->")


def _nav_paths(items: Any) -> set[str]:
    if isinstance(items, str):
        return {items}
    if isinstance(items, dict):
        return set().union(*(_nav_paths(v) for v in items.values())) if items else set()
    if isinstance(items, list):
        return set().union(*(_nav_paths(v) for v in items)) if items else set()
    return set()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """A page someone added to docs/ without a place in `nav:` is listed under "More notes" rather than
    left unreachable (or failing the strict build for everyone): move it to its reader's section."""
    docs = Path(config["docs_dir"])
    listed = _nav_paths(config["nav"])
    extra = sorted(
        path.relative_to(docs).as_posix()
        for path in docs.rglob("*.md")
        if path.relative_to(docs).as_posix() not in listed
    )
    if extra and config["nav"] is not None:
        config["nav"].append({"More notes": extra})
    return config


def openapi() -> dict[str, Any]:
    from app.main import create_app
    from app.runs.executor import QueueOnlyExecutor

    # Building the app starts nothing (no worker processes, no database connection): only its routes.
    return create_app(executor=QueueOnlyExecutor()).openapi()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    spec = openapi()
    files.append(File.generated(config, "openapi.json", content=json.dumps(spec, indent=2) + "\n"))
    from app.core.errors import PROBLEM_TYPES

    page = render(spec, PROBLEM_TYPES)
    files.append(File.generated(config, "analysts/api-reference.md", content=page))
    for name, png in sorted(screenshots().items()):
        files.append(File.generated(config, f"screenshots/{name}", abs_src_path=str(png)))
    return files


def screenshots() -> dict[str, Path]:
    """The browser tests' screenshots by name: `tests/artifacts/pages/08-run-detail.png` is `run-detail.png`
    (the number is the order the journey took them in, which changes as pages are added)."""
    found: dict[str, Path] = {}
    for png in sorted(ARTIFACTS.rglob("*.png")):
        found[re.sub(r"^\d+-", "", png.name)] = png
    return found


def screenshot_markdown(name: str, caption: str, page_uri: str, available: bool) -> str:
    if available:
        target = posixpath.relpath(f"screenshots/{name}", posixpath.dirname(page_uri) or ".")
        return (
            f'<figure markdown="span">\n  ![{caption}]({target})\n'
            f"  <figcaption>{caption}</figcaption>\n</figure>"
        )
    return (
        f'!!! note "Screenshot: {caption}"\n'
        f"    This copy of the site was built before the browser tests ran, so the screenshot\n"
        f"    `tests/artifacts/{name}` is not in it. `make test` runs the browser tests and then builds the\n"
        f"    site with every screenshot they saved."
    )


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        available = files.get_file_from_path(f"screenshots/{name}") is not None
        return screenshot_markdown(name, match["caption"], page.file.src_uri, available)

    return SCREENSHOT.sub(replace, markdown)
