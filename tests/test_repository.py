"""The repository stands on its own: no file names a path of the machine it was written on (the shared
folder is `../shared` beside the repository, found relative to the repository root)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MACHINE_PATH = "/" + "work/"  # spelt in two pieces so that this file does not name it
# The documentation site's own machine-path check, whose examples must name one.
EXAMPLES_OF_THE_CHECK = {Path("tests/docs/test_site.py")}
FOLDERS = ("app", "models", "solver", "migrations", "fixtures", "tests", "benchmarks", "docs", ".ci")
SUFFIXES = {
    ".py",
    ".md",
    ".txt",
    ".toml",
    ".cfg",
    ".ini",
    ".json",
    ".yml",
    ".yaml",
    ".lock",
    ".csv",
    ".sh",
    "",
}


def _files() -> list[Path]:
    found = [p for p in ROOT.iterdir() if p.is_file() and p.name != ".git"]  # a worktree's .git is a file
    for folder in FOLDERS:
        found += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [p for p in found if p.suffix in SUFFIXES and p.relative_to(ROOT) not in EXAMPLES_OF_THE_CHECK]


def test_no_file_cites_an_absolute_machine_path() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files()
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1)
        if MACHINE_PATH in line
    ]
    assert offenders == [], f"cite files relative to the repository: {offenders}"
