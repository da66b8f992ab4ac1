"""The environment is the one the lock files describe.

A new HiGHS release has changed the answers of this model before (../shared/notes/optimiser-difficulty.md),
so installs come from requirements-dev.lock and every pinned version must be the one installed. The known
optima that a new solver version could change are checked in tests/solver/test_vs_enumeration.py
(`test_spec_instances_give_their_listed_optimum`) and tests/solver/test_solver_versions.py.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_locked_package_is_installed_at_its_locked_version() -> None:
    pins = _pins(ROOT / "requirements-dev.lock")
    assert {"highspy", "pulp", "fastapi", "sqlalchemy"} <= pins.keys()
    wrong = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            wrong[name] = f"locked {version}, installed {installed}"
    assert not wrong, f"run `make install` (or `make lock` after changing pyproject.toml): {wrong}"


def test_production_lock_agrees_with_the_development_lock() -> None:
    production = _pins(ROOT / "requirements.lock")
    development = _pins(ROOT / "requirements-dev.lock")
    assert production, "requirements.lock pins nothing"
    assert {name: development.get(name) for name in production} == production


def test_every_dependency_of_the_project_is_locked() -> None:
    requirements = metadata.requires("stp-planner") or []
    pins = _pins(ROOT / "requirements-dev.lock")
    missing = []
    for requirement in requirements:
        name = _normalise(re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0])
        if name not in pins:
            missing.append(name)
    assert not missing, f"not in requirements-dev.lock, run `make lock`: {missing}"
